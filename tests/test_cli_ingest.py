"""`python -m dashboard ingest / articles / events` end to end, through subprocess, on a temp db."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SEED_TAGS = ["Alibaba", "US-China Relations", "Artificial Intelligence", "Tech War", "Geopolitical Risk"]


def cli(*args, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", *args, "--db", str(db)],
                          cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def data_db(tmp_path_factory) -> Path:
    """The project's own data/ folder, ingested twice."""
    db = tmp_path_factory.mktemp("cli") / "data.duckdb"
    first = cli("ingest", str(config.DATA_DIR), db=db)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    return db


def test_second_ingest_of_data_changes_nothing(data_db):
    again = cli("ingest", str(config.DATA_DIR), db=data_db)
    assert again.returncode == 0, again.stderr
    lines = dict(line.split(": ", 1) for line in again.stdout.splitlines()
                 if line.startswith(("articles:", "events:")))
    assert lines["articles"].startswith("0 added, 0 updated,")
    assert lines["events"].startswith("0 added, 0 updated,")
    assert lines["articles"].endswith("unchanged, 0 rejected")


def test_articles_tag_filter_prints_the_seed_as_json(data_db):
    result = cli("articles", "--tag", "tech war", "--format", "json", db=data_db)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert isinstance(records, list) and records
    seed = [r for r in records if r["source"] == "CNBC" and r["title"].startswith("Alibaba is helping")]
    assert len(seed) == 1
    assert seed[0]["published_at"] == "2025-11-17T04:08:17Z"
    assert seed[0]["tags"] == SEED_TAGS
    assert seed[0]["companies"] == ["alibaba"]
    for record in records:
        assert {"article_id", "title", "source", "published_at", "tags", "companies", "stance", "url"} <= set(record)
        assert record["published_at"].endswith("Z")
        assert "tech war" in [t.lower() for t in record["tags"]]


def test_events_json_lists_the_timeline_with_sources(data_db):
    result = cli("events", "--format", "json", db=data_db)
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)
    curated = [e for e in events if e["kind"] != "publication"]
    assert len(curated) >= 20
    assert all(e["source_url"] and e["source"] for e in curated)
    assert all(e["ts"].endswith("Z") for e in events)
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    denials = cli("events", "--kind", "denial", "--kind", "allegation", "--format", "json", db=data_db)
    assert {e["kind"] for e in json.loads(denials.stdout)} == {"denial", "allegation"}


def test_articles_csv_is_neutralised_and_table_is_readable(tmp_path):
    db = tmp_path / "db.duckdb"
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_text(json.dumps({"title": "=HYPERLINK(\"http://x\")", "source": "@Wire",
                                   "published": "2025-11-14T10:00:00Z", "tags": ["+cmd", "plain"],
                                   "summary": "\x1b[31mred\x1b[0m text"}) + "\n", encoding="utf-8")
    assert cli("ingest", str(hostile), db=db).returncode == 0
    out = cli("articles", "--format", "csv", db=db).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["title"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["source"] == "'@Wire"
    assert rows[0]["tags"] == "'+cmd;plain"
    assert rows[0]["published_at"] == "2025-11-14T10:00:00Z"
    table = cli("articles", db=db).stdout
    assert "=HYPERLINK" in table and "\x1b" not in table
    assert "(1 articles)" in table


def test_rejections_exit_1_and_name_file_line_field(tmp_path):
    db = tmp_path / "db.duckdb"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "ok", "source": "s", "published": "2025-11-14T10:00:00Z"}\n'
                   '{"title": "no date", "source": "s"}\n', encoding="utf-8")
    result = cli("ingest", str(bad), db=db)
    assert result.returncode == 1
    assert f"rejected: {bad}:2: published: missing" in result.stderr
    assert "articles: 1 added, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [
    ["events", "--kind", "rumour"],
    ["articles", "--since", "not-a-date"],
    ["articles", "--format", "xml"],
    ["ingest"],
])
def test_usage_errors_exit_2(tmp_path, args):
    result = cli(*args, db=tmp_path / "db.duckdb")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_listing_a_missing_database_is_a_clear_error(tmp_path):
    result = cli("articles", db=tmp_path / "none.duckdb")
    assert result.returncode == 1
    assert "no database here yet" in result.stderr
