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
from dashboard.store.events import event_day_counts, event_facets, query_events
from dashboard.screen import bar_span, default_window

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
    changed[0]["tags"] = ["Earnings", "cloud"]             # a tag added ("cloud" is "Cloud")
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
        # tags accumulate (docs/ingest.md): a copy without a tag does not remove it
        assert "Alibaba cloud deal" in set(query_articles(con, tags=["ai"]).title)
        assert set(query_articles(con, tags=["markets"]).title) == {
            "Alibaba cloud deal", "Tencent games", "Untagged market wrap"}
        assert "Tencent games" in set(query_articles(con, companies=["alibaba"]).title)
        publication = query_events(con, tags=["EARNINGS"])
        assert list(publication.headline) == ["Alibaba cloud deal"]
        assert publication.tags.iloc[0] == ["Cloud", "Markets", "AI", "Earnings"]
        record = get_article(con, query_articles(con, tags=["earnings"]).article_id.iloc[0])
    assert record["tags"] == ["Cloud", "Markets", "AI", "Earnings"]


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
        title, content_hash = con.execute(
            "SELECT title, content_hash FROM articles WHERE article_id = 'a-old'").fetchone()
        assert title == "Older story" and len(content_hash) == 64  # rehashed by 021
        assert set(query_articles(con, tags=["ai"], companies=["Alibaba Group"]).article_id) == {"a-new"}
        assert list(query_events(con, tags=["TECH WAR"]).event_id) == ["pub-a-new"]
        assert query_events(con).tags.tolist() == [[], ["Tech War", "AI"]]
        # Still one row per article and per event (the keys are kept by the writers since 022).
        assert con.execute("SELECT count(*) = count(DISTINCT article_id) FROM articles").fetchone()[0]
        assert con.execute("SELECT count(*) = count(DISTINCT event_id) FROM events").fetchone()[0]


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


# --- aggregates for the sidebar and the default window (no events loaded into pandas) ----------

EVENTS_HEADER = ("event_id,ts_local,precision,zone,kind,stance,actor,source,headline,detail,company,"
                 "symbol,value,tags,source_url")
# Around New York's fall-back (2025-11-02 02:00 EDT → 01:00 EST) and reported from three zones:
# the same instant is a different local day in UTC, New York and Hong Kong.
DST_EVENTS = [
    ("ny-sat-late", "2025-11-01T23:30:00-04:00", "minute", "America/New_York", "market", "Wire A", "Cloud;AI"),
    ("ny-midnight", "2025-11-02T00:00:00-04:00", "minute", "America/New_York", "denial", "Wire B", "cloud"),
    ("ny-first-0130", "2025-11-02T01:30:00-04:00", "minute", "America/New_York", "market", "Wire A", "Tech War"),
    ("ny-second-0130", "2025-11-02T01:30:00-05:00", "minute", "America/New_York", "market", "", "tech war;AI"),
    ("ny-sun-last", "2025-11-02T23:59:00-05:00", "minute", "America/New_York", "context", "Wire C", "AI;ai"),
    ("ny-mon-midnight", "2025-11-03T00:00:00-05:00", "minute", "America/New_York", "market", "Wire B", ""),
    ("ny-day", "2025-11-02", "day", "America/New_York", "context", "Wire C", "Markets"),
    ("hk-morning", "2025-11-03T07:45:00+08:00", "minute", "Asia/Hong_Kong", "market", "Wire A", "markets;Cloud"),
    ("hk-day", "2025-11-04", "day", "Asia/Hong_Kong", "context", "Wire A", "Policy"),
    ("utc-late", "2025-11-04T23:10:00+00:00", "minute", "UTC", "denial", "Wire B", "POLICY"),
    ("ny-week-later", "2025-11-09T10:00:00-05:00", "minute", "America/New_York", "market", "Wire A", "AI"),
    ("tencent-only", "2025-11-02T12:00:00+08:00", "minute", "Asia/Hong_Kong", "market", "Wire D", "Games"),
]
ZONES_TO_CHECK = ["UTC", "America/New_York", "Asia/Hong_Kong"]


@pytest.fixture(scope="module")
def dst_db(tmp_path_factory) -> Path:
    """Events on several days around the DST change (and their articles' publication events),
    plus bars for BABA covering part of them. Built once: every test here only reads it."""
    tmp_path = tmp_path_factory.mktemp("dst")
    from dashboard.store.bars import upsert_bars

    lines = [EVENTS_HEADER]
    for event_id, local, precision, zone, kind, source, tags in DST_EVENTS:
        company = "tencent" if event_id.startswith("tencent") else "alibaba"
        lines.append(f"{event_id},{local},{precision},{zone},{kind},neutral,,{source},Headline {event_id},,"
                     f"{company},,,{tags},https://example.com/{event_id}")
    events_csv = tmp_path / "events.csv"
    events_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = tmp_path / "dst.duckdb"
    ingest(path, write_jsonl(tmp_path / "batch.jsonl", RECORDS + [
        {"title": "Two spellings of one tag", "source": "Wire One", "published": "2025-11-02T05:10:00Z",
         "tags": ["Cloud", "cloud", "AI"], "companies": ["alibaba"]}]))
    ingest(path, events_csv)
    # Ingest folds a tag's spellings into one; a direct bulk load (the benchmark generator) may not.
    from dashboard.store.articles import rebuild_article_lists
    from dashboard.store.events import rebuild_event_lists

    with store.writer(path) as con, store.transaction(con):
        con.execute("INSERT INTO article_tags (article_id, tag, position) SELECT article_id, 'cloud', 9 FROM articles "
                    "WHERE title = 'Two spellings of one tag'")
        con.execute("INSERT INTO event_tags (event_id, tag, position) "
                    "VALUES ('ny-sun-last', 'ai', 9), ('ny-day', 'markets', 9)")
        rebuild_article_lists(con)
        rebuild_event_lists(con)
    bars = pd.DataFrame({"ts": pd.date_range("2025-11-02T14:30Z", "2025-11-04T21:00Z", freq="6h")})
    bars = bars.assign(open=1.0, high=1.0, low=1.0, close=1.0, volume=1.0)
    with store.writer(path) as con:
        upsert_bars(con, bars, symbol="BABA", interval="1m", source="yahoo")
    return path


@pytest.fixture(params=["generated", "case", "rich"])
def any_db(request):
    """The generated DST database and the two databases built from the real data files."""
    if request.param == "generated":
        return request.getfixturevalue("dst_db")
    return request.getfixturevalue(f"{request.param}_db")


def pandas_day_counts(events: pd.DataFrame, zone: str) -> pd.DataFrame:
    """The old way: every event loaded, its ts converted to ``zone``, days counted."""
    days = pd.to_datetime(events["ts"], utc=True).dt.tz_convert(zone).dt.date
    counts = days.value_counts().sort_index()
    return pd.DataFrame({"day": pd.Series(list(counts.index), dtype=object),
                         "events": counts.to_numpy(dtype="int64")})


@pytest.mark.parametrize("zone", ZONES_TO_CHECK)
@pytest.mark.parametrize("spec", [{}, {"companies": ["alibaba"]}, {"companies": ["Tencent Holdings"]},
                                  {"since": "2025-11-02T04:30:00Z", "until": "2025-11-04"},
                                  {"tags": ["ai"], "kinds": ["market"]}])
def test_event_day_counts_equal_the_pandas_count(any_db, zone, spec):
    with store.reader(any_db) as con:
        expected = pandas_day_counts(query_events(con, **spec), zone)
        found = event_day_counts(con, zone=zone, **spec)
    pd.testing.assert_frame_equal(found, expected)


def test_event_days_follow_new_york_across_the_fall_back(dst_db):
    with store.reader(dst_db) as con:
        ids_by_day = {}
        for row in query_events(con, companies=["alibaba"]).itertuples():
            ids_by_day.setdefault(row.ts.tz_convert("America/New_York").date(), set()).add(row.event_id)
        counts = event_day_counts(con, zone="America/New_York", companies=["alibaba"])
        utc_counts = event_day_counts(con, zone="UTC", companies=["alibaba"])
    per_day = dict(zip(counts["day"], counts["events"]))
    # Both 01:30s of the repeated hour, local midnight and 23:59 EST are all Sunday Nov 2 in New York.
    sunday = ids_by_day[pd.Timestamp("2025-11-02").date()]
    assert {"ny-midnight", "ny-first-0130", "ny-second-0130", "ny-sun-last", "ny-day"} <= sunday
    assert "ny-sat-late" not in sunday and "ny-mon-midnight" not in sunday
    assert per_day[pd.Timestamp("2025-11-02").date()] == len(sunday)
    # The day holds 25 hours in New York, so its count differs from UTC's Nov 2.
    assert dict(zip(utc_counts["day"], utc_counts["events"])) != per_day


def pandas_facets(events: pd.DataFrame) -> dict:
    """The old way: counts and first-met tag spellings from the loaded events."""
    tags: dict[str, int] = {}
    for event_tags in events["tags"]:
        for tag in event_tags:
            tags[tag] = tags.get(tag, 0) + 1  # dicts keep first-insertion order
    kinds = events["kind"].value_counts().sort_index()
    sources = events["source"].dropna().value_counts().sort_index()
    return {"kinds": list(zip(kinds.index, kinds.tolist())),
            "sources": list(zip(sources.index, sources.tolist())),
            "tags": list(tags.items())}


@pytest.mark.parametrize("companies", [(), ("alibaba",), ("TENCENT",), ("nobody",)])
def test_event_facets_equal_the_pandas_count(any_db, companies):
    with store.reader(any_db) as con:
        expected = pandas_facets(query_events(con, companies=companies))
        facets = event_facets(con, companies=companies)
    found = {name: list(zip(frame.iloc[:, 0], frame["events"].tolist())) for name, frame in facets.items()}
    assert found == expected


def record_tag_counts(con, companies=()) -> pd.DataFrame:
    """Article tag counts the old way: article_tags (the record) joined to the filtered articles."""
    clause, params = "", []
    if companies:
        clause = "WHERE list_has_any(a.company_keys, ?)"
        params = [[c.lower() for c in company_ids_matching(con, companies)]]
    return con.execute(
        "SELECT min(t.tag) AS tag, count(DISTINCT t.article_id) AS articles "
        f"FROM article_tags t JOIN articles a ON a.article_id = t.article_id {clause} "
        "GROUP BY lower(t.tag) ORDER BY articles DESC, lower(min(t.tag))", params).df()


@pytest.mark.parametrize("companies", [(), ("alibaba",), ("Tencent",), ("nobody",)])
def test_tag_counts_equal_the_record_join(any_db, companies):
    with store.reader(any_db) as con:
        pd.testing.assert_frame_equal(tag_counts(con, companies=companies), record_tag_counts(con, companies))


def test_an_article_with_two_spellings_of_a_tag_counts_once(dst_db):
    with store.reader(dst_db) as con:
        counts = tag_counts(con, companies=["alibaba"])
        carrying = query_articles(con, companies=["alibaba"], tags=["cloud"])
        spellings = con.execute("SELECT tags FROM articles WHERE title = 'Two spellings of one tag'").fetchone()[0]
    assert spellings == ["Cloud", "AI", "cloud"]
    cloud = counts[counts["tag"].str.lower() == "cloud"]
    assert cloud["tag"].tolist() == ["Cloud"] and cloud["articles"].tolist() == [len(carrying)]


def pandas_default_window(coverage, events, symbols, zone):
    """The old default_window, which read every event of the company into pandas."""
    import datetime as dt

    from dashboard.screen import DAYS_BEFORE_PEAK, DEFAULT_WINDOW_DAYS

    symbols = set(symbols)
    first = last = None
    if coverage is not None and len(coverage):
        cov = coverage[coverage["symbol"].isin(symbols)]
        if len(cov):
            first = pd.to_datetime(cov["first_ts"], utc=True).min()
            last = pd.to_datetime(cov["last_ts"], utc=True).max()
    days = pd.Series(dtype="object")
    if events is not None and len(events):
        ts = pd.to_datetime(events["ts"], utc=True)
        if first is not None:
            ts = ts[(ts >= first.normalize()) & (ts <= last)]
        days = ts.dt.tz_convert(zone).dt.date
    span = dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    if len(days):
        counts = days.value_counts()
        peak = min(d for d, n in counts.items() if n == counts.max())
        start_day = peak - dt.timedelta(days=DAYS_BEFORE_PEAK)
        if first is not None:
            start_day = max(start_day, first.tz_convert(zone).date())
            start_day = min(start_day, max(last.tz_convert(zone).date() - span, first.tz_convert(zone).date()))
        end_day = start_day + span
        if last is not None:
            end_day = min(end_day, last.tz_convert(zone).date())
        return start_day, end_day
    if first is not None:
        last_day = last.tz_convert(zone).date()
        return max(first.tz_convert(zone).date(), last_day - span), last_day
    return None


@pytest.mark.parametrize("zone", ZONES_TO_CHECK)
@pytest.mark.parametrize("company, symbols", [("alibaba", ["BABA", "9988.HK"]), ("alibaba", []),
                                              ("tencent", ["0700.HK"]), ("nobody", ["BABA"])])
def test_default_window_equals_the_pandas_one(any_db, zone, company, symbols):
    from dashboard.store.bars import coverage

    with store.reader(any_db) as con:
        expected = pandas_default_window(coverage(con), query_events(con, companies=[company]), symbols, zone)
        found = default_window(con, [company], symbols, zone)
        has_bars = bar_span(coverage(con), symbols) is not None
    assert found == expected
    assert (found is None) == (not has_bars and not query_events_exist(any_db, company))


def query_events_exist(db: Path, company: str) -> bool:
    with store.reader(db) as con:
        return len(query_events(con, companies=[company])) > 0


def test_every_write_keeps_row_groups_small_enough_for_cheap_checkpoints(tmp_path):
    """A chunked ingest commits every ~10,000 articles; each checkpoint rewrites the table's last,
    partly filled row group, so every writer must open with the store's row group size (DuckDB
    does not keep it in the file; a writer with the default would merge them again)."""
    db = tmp_path / "rows.duckdb"
    records = [{"title": f"Row group article {i}", "source": "Wire", "tags": ["A", "B"],
                "published": f"2025-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"}
               for i in range(3 * store.ROW_GROUP_SIZE)]
    files = [write_jsonl(tmp_path / f"part-{n}.jsonl", records[n::3]) for n in range(3)]
    report = ingest_paths(db, files, companies_file=None, sources_file=None, tags_file=None,
                          chunk_articles=store.ROW_GROUP_SIZE // 2)
    assert report.articles.added == len(records)
    with store.reader(db) as con:
        for table in ("articles", "article_tags", "events", "article_origins"):
            groups = con.execute(
                f"SELECT row_group_id, max(count) FROM pragma_storage_info('{table}') "
                "WHERE column_id = 0 GROUP BY 1").fetchall()
            assert len(groups) > 1, table  # several groups, none above the store's size
            assert max(rows for _, rows in groups) <= store.ROW_GROUP_SIZE, (table, groups)
