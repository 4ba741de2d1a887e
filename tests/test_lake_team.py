"""Team mode with real services: a PostgreSQL catalog and an S3 bucket (moto), read by the CLI and
by the app with no local database file."""
from __future__ import annotations

import json
import os
import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cli, config, store
from dashboard.lake.catalog import LakeLocation
from dashboard.lake.publish import publish
from dashboard.lake.read import open_lake
from lake_services import S3_ENV, postgres_cluster, postgres_missing_reason, s3_bucket

# Without PostgreSQL these skip with the reason; under CI=true they run, and fail, like the browser tests.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(postgres_missing_reason() is not None and os.environ.get("CI", "").lower() != "true",
                                 reason=postgres_missing_reason() or "")]

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
        # The closes summed as exact decimals: a float sum's last digits depend on the order
        # DuckDB's threads add them in, which made this comparison fail now and then.
        query = ("SELECT symbol, count(*), min(ts), max(ts), sum(close::DECIMAL(18, 6)) FROM bars "
                 "GROUP BY symbol ORDER BY symbol")
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


# ---------------------------------------------------------------------------------------------
# Two replicas in a real browser, and readers under a publishing writer (runs last: it publishes)

WINDOW = {"start": "2025-11-14", "end": "2025-11-17"}
CHART_SHAPE_JS = """() => {
  const g = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
  if (!g || !g.data || !g.data.length) return null;
  return JSON.stringify(g.data.map(t => [t.name || '', t.type || '', t.x || null, t.y || null]));
}"""
LOAD_ARTICLES = 30_000


def _page_state(app) -> dict:
    """Once the page is idle (tests/browser_helpers.py): what it shows. A load that ends in an
    exception or an error still goes idle, so this never waits for luck."""
    app.wait_idle(1)
    page = app.page
    text = page.inner_text("body")
    return {"exception": page.locator("[data-testid=stException]").count(), "busy": "busy" in text.lower(),
            "lake_error": "Cannot read the lake" in text, "text": text}


def _articles_tab(page) -> str:
    """The article count the page shows (the header's summary line: "… · 1,234 articles · …")."""
    header = page.locator("[data-testid=stMain] [data-testid=stCaptionContainer]").first.inner_text()
    return re.search(r"[\d,]+ articles", header).group(0)


@pytest.mark.browser
def test_two_replicas_agree_and_readers_never_see_busy_while_30k_articles_publish(
        team_lake, browser, tmp_path, monkeypatch):
    import subprocess
    import sys
    from urllib.parse import urlencode

    from browser_helpers import AppPage, install
    from conftest import run_streamlit
    from dashboard.ingest.pipeline import ingest_paths
    from dashboard.screen import Filters, load_view

    location, local, _ = team_lake
    monkeypatch.setenv("DASHBOARD_CATALOG", location.catalog_uri)
    monkeypatch.setenv("DASHBOARD_WAREHOUSE", location.warehouse)
    # The new articles are ingested locally first; only the publish runs under the readers.
    rows = [{"title": f"Lake load article {i}", "source": "Load Wire", "tags": ["Alibaba"],
             "published": f"2025-11-15T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}+00:00",
             "url": f"https://example.com/load/{i}", "companies": ["alibaba"]} for i in range(LOAD_ARTICLES)]
    batches = []  # under ingest's per-file size limit
    for start in range(0, LOAD_ARTICLES, 10_000):
        batches.append(tmp_path / f"load-{start}.jsonl")
        batches[-1].write_text("\n".join(json.dumps(r) for r in rows[start:start + 10_000]) + "\n", encoding="utf-8")
    assert not ingest_paths(local, batches).rejections
    filters = Filters.from_query_params(WINDOW)[0]
    expected = load_view(store.Database(local, read_only=True), filters).total_articles
    query = "/?" + urlencode(WINDOW)

    with run_streamlit(tmp_path / "no-such.duckdb") as first, run_streamlit(tmp_path / "no-such.duckdb") as second:
        context = browser.new_context(viewport={"width": 1400, "height": 1200})
        install(context)
        apps = [AppPage(context.new_page()) for _ in range(3)]
        pages = [app.page for app in apps]
        for page, url in zip(pages, (first, second, first)):
            page.goto(url + query)
        try:
            states = [_page_state(app) for app in apps]
        finally:
            for i, page in enumerate(pages):
                page.screenshot(path=str(config.PROJECT_ROOT / "test-output" / f"lake-start-{i}.png"))
        assert all(not s["exception"] and not s["busy"] and not s["lake_error"] for s in states)
        shapes = [page.evaluate(CHART_SHAPE_JS) for page in pages[:2]]
        assert shapes[0] and shapes[0] == shapes[1]  # the same chart from both replicas
        before = _articles_tab(pages[0])
        assert before == _articles_tab(pages[1])

        publisher = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "publish", "--db", str(local),
             "--catalog", location.catalog_uri, "--warehouse", location.warehouse],
            cwd=config.PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        loads = 0
        while publisher.poll() is None:  # K=3 sessions keep reloading both replicas meanwhile
            for app in apps:
                app.page.reload()
                state = _page_state(app)
                assert not state["exception"] and not state["busy"] and not state["lake_error"], state["text"][:500]
                loads += 1
        output = publisher.communicate()[0]
        assert publisher.returncode == 0, output
        assert loads >= 3
        for app in apps:  # the next load shows the new publish, with the exact count
            app.page.reload()
            assert not _page_state(app)["exception"]
            assert _articles_tab(app.page) == f"{expected:,} articles"
        assert before != f"{expected:,} articles"
        assert pages[0].evaluate(CHART_SHAPE_JS) == pages[1].evaluate(CHART_SHAPE_JS)
        pages[1].screenshot(path=str(config.PROJECT_ROOT / "test-output" / "lake-replica.png"), full_page=False)
        context.close()
