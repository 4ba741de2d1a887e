"""The fast read paths keep the store's promises: the tag/company lists on each article and event
row (migrations 011/012) always say what article_tags / article_companies / event_tags say, the
filters built on them match the same rows as the record, and an older database keeps every row
when it is migrated."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import store
from dashboard.ingest.pipeline import ingest_paths
from dashboard.store.articles import count_articles, get_article, query_articles, tag_counts
from dashboard.store.companies import company_ids_matching
from dashboard.store.events import query_event_times, query_events

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
COMPANIES = FIXTURES / "companies.toml"

RECORDS = [
    {"title": "Alibaba cloud deal", "source": "Wire One", "published": "2025-11-14T10:00:00Z",
     "tags": ["Cloud", "Markets", "AI"], "companies": ["alibaba"]},
    {"title": "Tencent games", "source": "Wire Two", "published": "2025-11-12T08:30:00Z",
     "tags": ["Games", "markets"], "companies": ["Tencent"]},
    {"title": "Both giants in one note", "source": "Wire One", "published": "2025-11-16T23:59:00Z",
     "tags": ["ai", "Tech War"], "companies": ["alibaba", "tencent"]},
    {"title": "Untagged market wrap", "source": "Wire Three", "published": "2025-11-13T12:00:00Z",
     "tags": []},
    {"title": "Alibaba mentioned only in text", "source": "Wire Two", "published": "2025-11-11T09:00:00Z",
     "tags": ["TECH WAR"], "summary": "Analysts discussed Alibaba and BABA."},
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def ingest(db: Path, path: Path):
    report = ingest_paths(db, [path], companies_file=COMPANIES, sources_file=None)
    assert report.ok, report.rejections
    return report


def article_lists_vs_record(con) -> tuple[list, list]:
    """(lists on the rows, the same lists rebuilt from the record tables), one entry per article."""
    on_rows = con.execute(
        "SELECT article_id, tags, tag_keys, company_ids, company_keys FROM articles ORDER BY article_id"
    ).fetchall()
    from_record = con.execute(
        """
        SELECT a.article_id,
               coalesce((SELECT list(t.tag ORDER BY t.position, t.tag) FROM article_tags t
                         WHERE t.article_id = a.article_id), []),
               coalesce((SELECT list(lower(t.tag) ORDER BY t.position, t.tag) FROM article_tags t
                         WHERE t.article_id = a.article_id), []),
               coalesce((SELECT list(DISTINCT c.company_id ORDER BY c.company_id) FROM article_companies c
                         WHERE c.article_id = a.article_id), []),
               coalesce((SELECT list(DISTINCT lower(c.company_id) ORDER BY lower(c.company_id))
                         FROM article_companies c WHERE c.article_id = a.article_id), [])
        FROM articles a ORDER BY a.article_id
        """
    ).fetchall()
    return on_rows, from_record


def event_lists_vs_record(con) -> tuple[list, list]:
    on_rows = con.execute("SELECT event_id, tags, tag_keys FROM events ORDER BY event_id").fetchall()
    from_record = con.execute(
        """
        SELECT e.event_id,
               coalesce((SELECT list(t.tag ORDER BY t.position, t.tag) FROM event_tags t
                         WHERE t.event_id = e.event_id), []),
               coalesce((SELECT list(lower(t.tag) ORDER BY t.position, t.tag) FROM event_tags t
                         WHERE t.event_id = e.event_id), [])
        FROM events e ORDER BY e.event_id
        """
    ).fetchall()
    return on_rows, from_record


def record_article_ids(con, *, tags=(), companies=(), since=None, until=None) -> set[str]:
    """The filter semantics of docs/architecture.md, answered from the record tables (semi-joins)."""
    clauses, params = ["TRUE"], []
    if tags:
        clauses.append("a.article_id IN (SELECT article_id FROM article_tags WHERE list_contains(?, lower(tag)))")
        params.append([t.lower() for t in tags])
    if companies:
        clauses.append("a.article_id IN (SELECT article_id FROM article_companies "
                       "WHERE list_contains(?, lower(company_id)))")
        params.append([c.lower() for c in company_ids_matching(con, companies)])
    if since is not None:
        clauses.append("a.published_at >= ?")
        params.append(pd.Timestamp(since).to_pydatetime())
    if until is not None:
        clauses.append("a.published_at <= ?")
        params.append(pd.Timestamp(until).to_pydatetime())
    rows = con.execute(f"SELECT article_id FROM articles a WHERE {' AND '.join(clauses)}", params).fetchall()
    return {r[0] for r in rows}


def record_event_ids(con, *, tags=()) -> set[str]:
    rows = con.execute(
        "SELECT event_id FROM events WHERE event_id IN "
        "(SELECT event_id FROM event_tags WHERE list_contains(?, lower(tag)))",
        [[t.lower() for t in tags]],
    ).fetchall()
    return {r[0] for r in rows}


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "perf.duckdb"
    ingest(path, write_jsonl(tmp_path / "batch.jsonl", RECORDS))
    return path


def test_lists_on_rows_equal_the_record_after_add(db):
    with store.reader(db) as con:
        on_rows, from_record = article_lists_vs_record(con)
        assert len(on_rows) == len(RECORDS)
        assert on_rows == from_record
        events_on_rows, events_from_record = event_lists_vs_record(con)
        assert events_on_rows == events_from_record
        frame = query_articles(con)
    by_title = dict(zip(frame.title, frame.tags))
    assert by_title["Alibaba cloud deal"] == ["Cloud", "Markets", "AI"]  # as written, not sorted
    assert by_title["Untagged market wrap"] == []
    companies = dict(zip(frame.title, frame.companies))
    assert companies["Both giants in one note"] == ["alibaba", "tencent"]
    assert companies["Alibaba mentioned only in text"] == ["alibaba"]  # linked by alias


def test_lists_follow_an_update_and_a_reingest(db, tmp_path):
    changed = [dict(r) for r in RECORDS]
    changed[0]["tags"] = ["Earnings", "cloud"]             # tags replaced
    changed[1]["companies"] = ["Tencent", "Alibaba Group"]  # a company added
    changed[3]["tags"] = ["Markets"]                       # first tag on an untagged article
    path = write_jsonl(tmp_path / "batch.jsonl", changed)
    report = ingest(db, path)
    assert report.articles.updated == 3
    ingest(db, path)  # the same file again: nothing changes, lists stay right
    with store.reader(db) as con:
        on_rows, from_record = article_lists_vs_record(con)
        assert on_rows == from_record
        assert event_lists_vs_record(con)[0] == event_lists_vs_record(con)[1]
        assert set(query_articles(con, tags=["earnings"]).title) == {"Alibaba cloud deal"}
        assert "Alibaba cloud deal" not in set(query_articles(con, tags=["ai"]).title)
        assert set(query_articles(con, tags=["markets"]).title) == {"Tencent games", "Untagged market wrap"}
        assert "Tencent games" in set(query_articles(con, companies=["alibaba"]).title)
        publication = query_events(con, tags=["EARNINGS"])
        assert list(publication.headline) == ["Alibaba cloud deal"]
        assert publication.tags.iloc[0] == ["Earnings", "cloud"]
        record = get_article(con, query_articles(con, tags=["earnings"]).article_id.iloc[0])
    assert record["tags"] == ["Earnings", "cloud"]


FILTERS = [
    {"tags": ["ai"]},
    {"tags": ["AI", "games"]},
    {"tags": ["tech war"]},
    {"tags": ["MARKETS"], "companies": ["tencent"]},
    {"companies": ["Alibaba Group"]},
    {"companies": ["baba", "TENCENT"]},
    {"companies": ["阿里巴巴"], "tags": ["tech war", "cloud"]},
    {"tags": ["markets", "ai"], "since": "2025-11-13T00:00:00Z", "until": "2025-11-16T23:59:00Z"},
    {"tags": ["no such tag"]},
    {"companies": ["nobody"]},
]


@pytest.mark.parametrize("spec", FILTERS, ids=[json.dumps(f, ensure_ascii=False) for f in FILTERS])
def test_article_filters_match_the_record_semantics(db, spec):
    with store.reader(db) as con:
        expected = record_article_ids(con, **spec)
        found = query_articles(con, **spec)
        assert set(found.article_id) == expected
        assert count_articles(con, **spec) == len(expected)


@pytest.mark.parametrize("tags", [["ai"], ["Markets", "GAMES"], ["tech war"], ["nothing"]])
def test_event_tag_filter_matches_the_record_semantics(db, tags):
    with store.reader(db) as con:
        assert set(query_events(con, tags=tags).event_id) == record_event_ids(con, tags=tags)


def test_event_times_are_the_events_times(db):
    with store.reader(db) as con:
        for args in [{}, {"companies": ["alibaba"]}, {"tags": ["ai"], "since": "2025-11-13"}]:
            events = query_events(con, **args)
            times = query_event_times(con, **args)
            assert list(times.columns) == ["ts"]
            pd.testing.assert_series_equal(times["ts"], events["ts"].astype(times["ts"].dtype),
                                           check_names=False)
            assert str(times["ts"].dt.tz) == "UTC"


def test_a_batch_is_stored_in_time_order(db):
    # Row order is what lets a date window skip the rest of a big table; the batch was in no order.
    with store.reader(db) as con:
        articles = [r[0] for r in con.execute("SELECT published_at FROM articles ORDER BY rowid").fetchall()]
        events = [r[0] for r in con.execute("SELECT ts FROM events ORDER BY rowid").fetchall()]
    assert articles == sorted(articles) and articles != [pd.Timestamp(r["published"]) for r in RECORDS]
    assert events == sorted(events)


def test_tag_counts_still_come_from_the_record(db):
    with store.reader(db) as con:
        counts = dict(zip(*tag_counts(con).pipe(lambda f: (f.tag.str.lower(), f.articles))))
    assert counts["ai"] == 2 and counts["markets"] == 2 and counts["tech war"] == 2


# --- a database from before the list columns (built at migration 010) --------------------------

def _database_at_010(path: Path) -> None:
    raw = duckdb.connect(str(path))
    raw.execute("SET TimeZone = 'UTC'")
    raw.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL)")
    for version, name, sql in store.migrations():
        if version <= 10:
            raw.execute(sql)
            raw.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, name])
    raw.execute("INSERT INTO companies VALUES ('alibaba', 'Alibaba Group'), ('tencent', 'Tencent')")
    article = ("INSERT INTO articles (article_id, title, source, published_at, content_hash, ingested_at) "
               "VALUES (?, ?, ?, ?, ?, now())")
    # Newer first, so the migration has something to put in order.
    raw.execute(article, ["a-new", "Newer story", "Wire", "2025-11-15T10:00:00Z", "h1"])
    raw.execute(article, ["a-old", "Older story", "Wire", "2025-11-10T10:00:00Z", "h2"])
    raw.execute(article, ["a-bare", "No tags at all", "Wire", "2025-11-12T10:00:00Z", "h3"])
    raw.executemany("INSERT INTO article_tags VALUES (?, ?, ?)",
                    [["a-new", "Tech War", 0], ["a-new", "AI", 1], ["a-old", "markets", 0]])
    raw.executemany("INSERT INTO article_companies VALUES (?, ?, ?)",
                    [["a-new", "alibaba", "tag"], ["a-new", "alibaba", "alias"], ["a-new", "tencent", "explicit"],
                     ["a-old", "tencent", "alias"]])
    event = ("INSERT INTO events (event_id, ts, precision, kind, headline, article_id, company_id, "
             "content_hash, ingested_at) VALUES (?, ?, 'minute', ?, ?, ?, ?, 'h', now())")
    raw.execute(event, ["pub-a-new", "2025-11-15T10:00:00Z", "publication", "Newer story", "a-new", "alibaba"])
    raw.execute(event, ["denial", "2025-11-14T12:00:00Z", "denial", "Company denies", None, "alibaba"])
    raw.executemany("INSERT INTO event_tags VALUES (?, ?, ?)",
                    [["pub-a-new", "Tech War", 0], ["pub-a-new", "AI", 1]])
    raw.execute("INSERT INTO bars VALUES ('BABA', '1m', '2025-11-14T14:30:00Z', 1, 2, 0.5, 1.5, 10, 'yahoo', now())")
    raw.close()


def test_database_at_010_is_migrated_with_every_row_and_its_lists(tmp_path):
    path = tmp_path / "old.duckdb"
    _database_at_010(path)
    with store.writer(path) as con:
        assert store.schema_version(con) == store.latest_version()
        counts = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ["articles", "article_tags", "article_companies", "events", "event_tags", "bars",
                                "companies"]}
        assert counts == {"articles": 3, "article_tags": 3, "article_companies": 4, "events": 2,
                          "event_tags": 2, "bars": 1, "companies": 2}
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT article_id, tags, tag_keys, company_ids, company_keys FROM articles").fetchall()}
        assert rows["a-new"] == (["Tech War", "AI"], ["tech war", "ai"], ["alibaba", "tencent"],
                                 ["alibaba", "tencent"])
        assert rows["a-old"] == (["markets"], ["markets"], ["tencent"], ["tencent"])
        assert rows["a-bare"] == ([], [], [], [])
        on_rows, from_record = article_lists_vs_record(con)
        assert on_rows == from_record
        events_on_rows, events_from_record = event_lists_vs_record(con)
        assert events_on_rows == events_from_record
        in_row_order = [r[0] for r in con.execute("SELECT article_id FROM articles ORDER BY rowid").fetchall()]
        assert in_row_order == ["a-old", "a-bare", "a-new"]
        assert con.execute("SELECT title, content_hash FROM articles WHERE article_id = 'a-old'").fetchone() == (
            "Older story", "h2")
        assert set(query_articles(con, tags=["ai"], companies=["Alibaba Group"]).article_id) == {"a-new"}
        assert list(query_events(con, tags=["TECH WAR"]).event_id) == ["pub-a-new"]
        assert query_events(con).tags.tolist() == [[], ["Tech War", "AI"]]
        with pytest.raises(duckdb.ConstraintException):  # the article id is still the key
            con.execute("INSERT INTO articles (article_id, title, source, published_at, content_hash, "
                        "ingested_at) VALUES ('a-old', 'dup', 'Wire', now(), 'h', now())")


def test_migrated_database_takes_new_articles_in_sync(tmp_path):
    path = tmp_path / "old.duckdb"
    _database_at_010(path)
    ingest(path, write_jsonl(tmp_path / "new.jsonl", RECORDS[:2]))
    with store.reader(path) as con:
        on_rows, from_record = article_lists_vs_record(con)
        assert len(on_rows) == 5 and on_rows == from_record
        assert set(query_articles(con, tags=["markets"]).title) == {
            "Older story", "Alibaba cloud deal", "Tencent games"}


def test_rebuild_restores_lists_and_time_order_after_a_direct_bulk_load(db):
    # What the benchmark generator does: rows straight into the tables, lists left at their default.
    from dashboard.store.articles import rebuild_article_lists
    from dashboard.store.events import rebuild_event_lists

    with store.writer(db) as con:
        expected_articles = article_lists_vs_record(con)[1]
        expected_events = event_lists_vs_record(con)[1]
        with store.transaction(con):
            con.execute("UPDATE articles SET tags = [], tag_keys = [], company_ids = [], company_keys = []")
            con.execute("UPDATE events SET tags = [], tag_keys = []")
        assert query_articles(con, tags=["ai"]).empty
        with store.transaction(con):
            rebuild_article_lists(con)
            rebuild_event_lists(con)
        assert article_lists_vs_record(con) == (expected_articles, expected_articles)
        assert event_lists_vs_record(con) == (expected_events, expected_events)
        times = [r[0] for r in con.execute("SELECT published_at FROM articles ORDER BY rowid").fetchall()]
        assert times == sorted(times)
        assert set(query_articles(con, tags=["ai"]).title) == {"Alibaba cloud deal", "Both giants in one note"}
