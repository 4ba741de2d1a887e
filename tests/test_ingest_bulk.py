"""The columnar write path stores exactly what the per-record path stores.

One corpus — the bundled articles and timeline, generated JSONL linked to generated companies,
and a second batch that brings new articles beside corrected and repeated copies of stored ones —
is ingested twice into fresh databases: once with the columnar path, once record by record. Every
table must hold the same rows (the time of ingest aside), and both reports must say the same.
"""
from __future__ import annotations

import json

import pytest

from dashboard import config, store
from dashboard.bench import generate
from dashboard.ingest.pipeline import ingest_paths

TABLES = {  # table → columns that hold the time of the ingest itself (not compared)
    "articles": ("ingested_at", "updated_at"), "article_tags": (), "article_companies": (),
    "article_revisions": ("ingested_at",), "article_origins": ("first_seen", "last_seen"),
    "events": ("ingested_at",), "event_tags": (), "event_revisions": ("ingested_at",),
    "event_origins": ("first_seen", "last_seen"), "companies": (), "company_aliases": (), "listings": (),
}


def _snapshot(path) -> dict:
    with store.writer(path) as con:
        tables = {}
        for table, clock in TABLES.items():
            exclude = f" EXCLUDE ({', '.join(clock)})" if clock else ""
            tables[table] = con.execute(f"SELECT *{exclude} FROM {table} ORDER BY ALL").fetchall()
        # The order of an article's company links is shown as stored.
        tables["link order"] = con.execute(
            "SELECT article_id, list(company_id || '/' || how ORDER BY rowid) FROM article_companies "
            "GROUP BY 1 ORDER BY 1").fetchall()
    return tables


KEYS = {  # the key of each record table (kept unique by the writers, not by an index: 022)
    "articles": "article_id", "article_tags": "article_id, tag", "article_companies": "article_id, company_id, how",
    "article_revisions": "article_id, revision", "article_origins": "article_id, origin, copy_hash",
    "events": "event_id", "event_tags": "event_id, tag", "event_revisions": "event_id, revision",
    "event_origins": "event_id, origin, copy_hash",
}


def duplicate_keys(path) -> dict[str, int]:
    with store.writer(path) as con:
        return {table: con.execute(f"SELECT count(*) - count(DISTINCT ({key})) FROM {table}").fetchone()[0]
                for table, key in KEYS.items()}


def _report(report) -> tuple:
    return (str(report.articles), str(report.events), report.rejections, report.warnings,
            [(c.what, c.key, c.status, c.changed, c.origin, c.title) for c in report.changes])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    frame, corpus = generate.generate_articles(400, seed=7)
    _, iso = generate._local_strings(frame)
    generated = generate.write_jsonl(frame, iso, root / "jsonl")
    generate.write_companies_toml(corpus, root / "companies.toml")
    # Fields over their limits are cut before the identity and hash (ingest/limits.py): stored
    # column-wise at first, then met again record by record in the second batch (unchanged).
    oversize = {"title": "Oversize " + "t" * 5_000, "source": "Oversize Wire", "published": "2025-11-14T10:00:00Z",
                "summary": "s " * 15_000, "body": "b" * 1_200_000, "url": "https://example.com/" + "u" * 3_000,
                "tags": ["Alibaba", "x" * 300]}
    (root / "oversize.jsonl").write_text(json.dumps(oversize) + "\n", encoding="utf-8")
    first = [config.ARTICLES_DIR, config.EVENTS_FILE, root / "companies.toml", *generated[:-1], root / "oversize.jsonl"]

    later = root / "later"
    later.mkdir()
    stored = [json.loads(line) for line in generated[0].read_text(encoding="utf-8").splitlines()]
    corrected = [dict(record, summary=record["summary"] + " Corrected.", tags=record["tags"] + ["Correction"])
                 for record in stored[:20]]
    sparse = [{"title": r["title"], "source": r["source"], "published": r["published"]} for r in stored[20:30]]
    twice = [dict(r, url=f"https://example.com/second/{n}") for n, r in enumerate(stored[30:35])]
    (later / "changes.jsonl").write_text(
        "\n".join(json.dumps(r) for r in corrected + sparse + stored[40:60] + twice) + "\n", encoding="utf-8")
    (later / "again.jsonl").write_text("\n".join(json.dumps(r) for r in twice + [oversize]) + "\n", encoding="utf-8")
    second = [later, generated[-1], root / "companies.toml"]
    return first, second


def _ingest_both_ways(tmp_path, batches):
    results = {}
    for columnar in (True, False):
        db = tmp_path / f"{'columnar' if columnar else 'per_record'}.duckdb"
        reports = []
        for batch in batches:
            # A dry run first: it reports every article it would add, not only the updates.
            reports.append(_report(ingest_paths(db, batch, columnar=columnar, dry_run=True)))
            reports.append(_report(ingest_paths(db, batch, columnar=columnar)))
        assert set(duplicate_keys(db).values()) == {0}, duplicate_keys(db)
        results[columnar] = (_snapshot(db), reports)
    return results


def test_both_paths_store_the_same_rows_and_report_the_same(tmp_path, corpus):
    first, second = corpus
    results = _ingest_both_ways(tmp_path, [first, second])
    (columnar_tables, columnar_reports), (record_tables, record_reports) = results[True], results[False]
    for table in columnar_tables:
        assert columnar_tables[table] == record_tables[table], table
    assert columnar_reports == record_reports
    # The batches exercised what they were built for.
    _, first_report, dry_second, second_report = record_reports
    assert sum(change[2] == "added" for change in dry_second[4]) >= 100
    # one update: data/articles/seed-article-url.jsonl gives the seed article its source page
    assert first_report[0].endswith(" added, 1 updated, 0 unchanged, 0 rejected")
    added, updated, unchanged = (int(part.split()[0]) for part in second_report[0].split(", ")[:3])
    assert added >= 100 and updated >= 25 and unchanged >= 20, second_report[0]
    # Revision rows only for the articles a copy changed: revisions 1..n, n ≥ 2 (one version is
    # implicit in the row, store.history).
    numbers: dict[str, list[int]] = {}
    for row in columnar_tables["article_revisions"]:
        numbers.setdefault(row[0], []).append(row[1])
    assert len(numbers) >= 25 and all(sorted(n) == list(range(1, len(n) + 1)) and len(n) >= 2
                                      for n in numbers.values())
    # The oversize article was stored cut, and its second copy, read record by record, is the same.
    assert any(w.endswith("title: 5,009 characters, over the 1,000-character limit; kept the first 1,000")
               for w in first_report[3])
    assert not [c for c in second_report[4] if c[5].startswith("Oversize")]


def test_every_new_article_has_its_whole_record(tmp_path, corpus):
    """No article is half-written: each has its origin and publication event, and its one
    version (implicit in its row: no revision row unless a copy changed it)."""
    first, _ = corpus
    db = tmp_path / "store.duckdb"
    assert ingest_paths(db, first).ok
    with store.writer(db) as con:
        missing = con.execute(
            "SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM article_origins o "
            "WHERE o.article_id = a.article_id) OR NOT EXISTS (SELECT 1 FROM events e "
            "WHERE e.event_id = 'pub-' || a.article_id)").fetchone()[0]
        assert missing == 0
        # the one update of the first corpus (the seed article's source page) is two rows
        assert con.execute("SELECT count(DISTINCT article_id), count(*) FROM article_revisions").fetchone() == (1, 2)
        assert con.execute("SELECT count(*) FROM article_tags t ANTI JOIN articles a USING (article_id)"
                           ).fetchone()[0] == 0
