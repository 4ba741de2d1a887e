"""Team mode with real services: a PostgreSQL catalog and an S3 bucket (moto), read by the CLI and
by the app with no local database file."""
from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cli, config, store
from dashboard.lake.catalog import LakeLocation
from dashboard.lake.publish import publish
from dashboard.lake.read import open_lake
from lake_services import S3_ENV, postgres_cluster, postgres_missing_reason, s3_bucket

pytestmark = pytest.mark.skipif(postgres_missing_reason() is not None, reason=postgres_missing_reason() or "")

APP = str(config.PROJECT_ROOT / "dashboard" / "app.py")


@pytest.fixture(scope="module")
def team_lake(case_db, tmp_path_factory):
    """The case database published into a Postgres catalog with an S3 warehouse."""
    with postgres_cluster() as catalog_uri, s3_bucket("team-lake") as endpoint, \
            pytest.MonkeyPatch.context() as env:
        for name, value in S3_ENV.items():
            env.setenv(name, value)
        env.setenv("AWS_ENDPOINT_URL", endpoint)
        local = tmp_path_factory.mktemp("team") / "local.duckdb"
        shutil.copy(case_db, local)
        location = LakeLocation(catalog_uri, "s3://team-lake/warehouse")
        result = publish(local, location)
        yield location, local, result


def test_postgres_catalog_and_s3_warehouse_round_trip(team_lake, capsys, monkeypatch):
    location, local, result = team_lake
    monkeypatch.setenv("DASHBOARD_LAKE_MATERIALIZE_ROWS", "10000")  # bars scanned from S3 per query
    args = ["--catalog", location.catalog_uri, "--warehouse", location.warehouse]
    for command in (["articles"], ["events"], ["reactions"]):
        assert cli.main([*command, "--db", str(local), "--format", "json"]) == 0
        from_file = json.loads(capsys.readouterr().out)
        assert cli.main([*command, *args, "--db", "/nonexistent.duckdb", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out) == from_file and from_file
    database = open_lake(location)
    assert database.snapshot_id == result.log_snapshot_id
    with database.read() as con, store.reader(local) as file:
        query = "SELECT symbol, count(*), min(ts), max(ts), sum(close) FROM bars GROUP BY symbol ORDER BY symbol"
        assert con.execute(query).fetchall() == file.execute(query).fetchall()


def test_the_app_serves_the_lake_without_a_local_file(team_lake, monkeypatch, tmp_path):
    location, local, result = team_lake
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "no-such.duckdb"))
    monkeypatch.setenv("DASHBOARD_CATALOG", location.catalog_uri)
    monkeypatch.setenv("DASHBOARD_WAREHOUSE", location.warehouse)
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["start"] = "2025-11-14"
    at.query_params["end"] = "2025-11-17"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == 1
    captions = " ".join(c.value for c in at.caption)
    assert f"Lake snapshot {result.log_snapshot_id}" in captions.replace("\\", "")
    assert "published" in captions

    monkeypatch.setenv("DASHBOARD_DB", str(local))  # the same screen from the file: same chart
    monkeypatch.delenv("DASHBOARD_CATALOG")
    monkeypatch.delenv("DASHBOARD_WAREHOUSE")
    from_file = AppTest.from_file(APP, default_timeout=90)
    from_file.query_params["start"] = "2025-11-14"
    from_file.query_params["end"] = "2025-11-17"
    from_file.run()
    assert json.loads(from_file.get("plotly_chart")[0].proto.spec)["data"] == \
        json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
