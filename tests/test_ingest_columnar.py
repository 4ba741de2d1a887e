"""The columnar parse of JSON Lines (``ingest.columnar``) gives exactly what the per-record parse
gives: the same stored rows and the same report for a file it reads, and for a file it cannot
read exactly it steps aside, so every rejection message is the per-record parse's own.
"""
from __future__ import annotations

import json

import pytest

from dashboard import config
from dashboard.ingest.columnar import columnar_articles
from dashboard.ingest.companies import load_registry
from dashboard.ingest.context import Context
from dashboard.ingest.pipeline import ingest_paths
from test_ingest_bulk import _report, _snapshot, duplicate_keys

# Records our own shape allows, with what the per-record parse treats specially: zones (a
# source's own zone, an abbreviation, an offset that disagrees with the source's zone, a date,
# epoch seconds), precision, CJK text, whitespace, repeated tags, a dropped URL, an unknown
# company, rule tags, stance from the body when there is no summary.
AWKWARD = [
    {"title": "  Alibaba   denies  report ", "source": "Reuters", "published": "2025-11-14T18:30:00+08:00",
     "tags": [" Alibaba ", "alibaba", "Tech  War", ""], "summary": "Alibaba denied it; completely false."},
    {"title": "阿里巴巴 回应", "source": "Caixin", "published": "2025-11-14T10:00:00+08:00",
     "summary": "阿里巴巴 said nothing.", "region": "Greater China"},
    {"title": "Offset not the source's", "source": "Caixin", "published": "2025-11-14T10:00:00+09:00"},
    {"title": "EST in July", "source": "Wire", "published": "07/14/2025, 09:30:00 EST", "precision": "hour"},
    {"title": "A day", "source": "South China Morning Post", "published": "2025-11-14"},
    {"title": "Epoch", "source": "Wire", "published": "1763145000", "url": "javascript:alert(1)"},
    {"title": "Zulu", "source": "Wire", "published": "2025-11-14T18:30:00Z", "companies": ["alibaba", "Nobody Inc"],
     "body": "The memo alleges Alibaba helps the Chinese military.", "subtitle": "Pentagon 1260H list"},
    {"title": "Plain", "source": "Wire", "published": "2025-11-14T18:30:00-05:00", "precision": "day"},
    {"title": "Kept fields", "source": "Wire", "published": "2025-11-14T18:30:00+00:00", "background": "b",
     "insights": " i ", "url": "https://example.com/a", "tags": ["Chinese military company"]},
]


def _write(path, records, *, prefix="", between="\n"):
    path.write_text(prefix + between.join(json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                    encoding="utf-8")
    return path


def _context():
    return Context(registry=load_registry(config.COMPANIES_FILE),
                   source_zones={"caixin": "Asia/Shanghai", "south china morning post": "Asia/Hong_Kong"})


def _both_ways(tmp_path, paths):
    results = {}
    for columnar in (True, False):
        db = tmp_path / f"{columnar}.duckdb"
        reports = [_report(ingest_paths(db, paths, columnar=columnar, dry_run=True)),
                   _report(ingest_paths(db, paths, columnar=columnar)),
                   _report(ingest_paths(db, paths, columnar=columnar))]  # again: all unchanged
        assert set(duplicate_keys(db).values()) == {0}
        results[columnar] = (_snapshot(db), reports)
    return results


def test_a_well_formed_file_is_read_column_wise_and_stored_as_record_by_record(tmp_path):
    awkward = _write(tmp_path / "awkward.jsonl", AWKWARD, prefix="\ufeff", between="\r\n\n")
    assert columnar_articles(awkward, _context()) is not None
    results = _both_ways(tmp_path, [awkward])
    (columnar_tables, columnar_reports), (record_tables, record_reports) = results[True], results[False]
    for table in record_tables:
        assert columnar_tables[table] == record_tables[table], table
    assert columnar_reports == record_reports
    _, stored, again = record_reports
    assert stored[0].startswith(f"{len(AWKWARD)} added") and again[0].startswith(f"0 added, 0 updated, {len(AWKWARD)} unchanged")
    warnings = " ".join(stored[3])
    assert "contradicts" in warnings and "only http(s) links" in warnings and "Nobody Inc" in warnings


GOOD = {"title": "Good", "source": "Wire", "published": "2025-11-14T18:30:00Z"}


@pytest.mark.parametrize("lines", [
    [json.dumps(GOOD), json.dumps({"title": "", "source": "Wire", "published": "2025-11-14T18:30:00Z"})],
    [json.dumps(GOOD), json.dumps(dict(GOOD, title=5))],
    [json.dumps(GOOD), json.dumps(dict(GOOD, tags="a, b"))],  # a comma-separated string: fine, not columnar
    [json.dumps(GOOD), json.dumps(dict(GOOD, precision="second"))],
    [json.dumps(GOOD), json.dumps(dict(GOOD, published="2025-02-30T10:00:00Z"))],
    [json.dumps(GOOD), json.dumps(dict(GOOD, published="10:00"))],
    [json.dumps(GOOD), json.dumps(dict(GOOD, extra="field"))],
    [json.dumps(GOOD), json.dumps(dict(GOOD, retracted=True))],
    [json.dumps(GOOD) + " " + json.dumps(dict(GOOD, title="Second"))],  # two objects on one line
    [json.dumps(GOOD)[:-1], '"tags": []}'],  # one object over two lines
    [json.dumps(GOOD), "not json"],
    [json.dumps(dict(GOOD, tags=["a", None]))],
    # fields over their limits: the per-record parse cuts them and warns with the line
    [json.dumps(GOOD), json.dumps(dict(GOOD, title="T" * 1_001))],
    [json.dumps(GOOD), json.dumps(dict(GOOD, body="b" * 1_000_001))],
    [json.dumps(GOOD), json.dumps(dict(GOOD, url="https://example.com/" + "a" * 2_048))],
    [json.dumps(GOOD), json.dumps(dict(GOOD, tags=["t" * 201]))],
])
def test_a_file_it_cannot_read_exactly_takes_the_per_record_parse(tmp_path, lines):
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert columnar_articles(path, _context()) is None
    db = tmp_path / "store.duckdb"
    report = ingest_paths(db, [path])
    assert _report(report) == _report(ingest_paths(tmp_path / "reference.duckdb", [path], columnar=False))


def test_a_rejection_names_the_line_and_field_and_the_good_records_are_kept(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([json.dumps(GOOD), "", json.dumps(dict(GOOD, title=5))]) + "\n", encoding="utf-8")
    report = ingest_paths(tmp_path / "store.duckdb", [path])
    assert report.rejections == [f"{path}:3: title: expected text, got int"]
    assert report.articles.added == 1
