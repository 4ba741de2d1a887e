"""Store queries for articles, tags, sources and events: the filter semantics of architecture.md."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from dashboard import store
from dashboard.ingest.pipeline import ingest_paths
from dashboard.store.articles import count_articles, list_sources, query_articles, tag_counts
from dashboard.store.events import query_events

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "store.duckdb"
    report = ingest_paths(path, [FIXTURES], companies_file=FIXTURES / "companies.toml",
                          sources_file=FIXTURES / "sources.toml")
    assert report.ok, report.rejections
    return path


@pytest.fixture
def con(db):
    with store.reader(db) as connection:
        yield connection


def titles(frame) -> set[str]:
    return set(frame.title)


def test_schema_is_migrated(con):
    assert store.schema_version(con) >= 2


def test_articles_frame_columns_and_types(con):
    frame = query_articles(con)
    assert list(frame.columns) == [
        "article_id", "title", "source", "region", "published_at", "published_raw", "published_zone",
        "published_precision", "subtitle", "summary", "background", "insights", "body", "url", "stance",
        "origin", "tags", "companies"]
    assert str(frame.published_at.dtype).endswith("UTC]")
    assert frame.published_at.is_monotonic_decreasing  # newest first
    assert all(isinstance(t, list) for t in frame.tags)
    assert all(isinstance(c, list) for c in frame.companies)


def test_tags_match_case_insensitively_and_any_of(con):
    tech = query_articles(con, tags=["tech war"])
    assert titles(tech) == {"Memo says Alibaba aids PLA", "Epoch-stamped item",
                            "Alibaba is helping Chinese military target the U.S., White House memo claims: FT"}
    either = query_articles(con, tags=["TECH WAR", "qwen"])
    assert titles(either) == titles(tech) | {"Hong Kong shares of 9988 rise"}
    assert count_articles(con, tags=["tech war", "qwen"]) == 4
    assert query_articles(con, tags=["no such tag"]).empty


@pytest.mark.parametrize("company", ["alibaba", "ALIBABA GROUP", "baba", "阿里巴巴"])
def test_company_by_id_name_or_alias(con, company):
    frame = query_articles(con, companies=[company])
    assert "Tencent unaffected" not in titles(frame)
    assert "BABA slips in New York" in titles(frame)


def test_sources_match_exactly_ignoring_case(con):
    assert titles(query_articles(con, sources=["wire one"])) == {"Memo says Alibaba aids PLA", "Day-only report"}
    assert query_articles(con, sources=["Wire"]).empty
    assert "Wire One" in list_sources(con) and "CNBC" in list_sources(con)
    assert "ETNet" in list_sources(con)  # event sources too


def test_until_date_includes_the_whole_day(con):
    # "Epoch-stamped item" and the seed are at 2025-11-17 04:08:17Z
    frame = query_articles(con, since="2025-11-17", until="2025-11-17")
    assert titles(frame) == {"Epoch-stamped item", "Tencent unaffected", "Hong Kong shares of 9988 rise",
                             "Alibaba is helping Chinese military target the U.S., White House memo claims: FT"}
    assert titles(query_articles(con, since=dt.date(2025, 11, 17), until=dt.date(2025, 11, 17))) == titles(frame)
    # a time bound is exact
    assert titles(query_articles(con, since="2025-11-17T04:08:17Z", until="2025-11-17T04:08:17Z")) == {
        "Epoch-stamped item", "Alibaba is helping Chinese military target the U.S., White House memo claims: FT"}
    before = query_articles(con, until=pd.Timestamp("2025-11-14T18:02:10", tz="UTC"))
    assert titles(before) == set()


def test_limit_and_count(con):
    assert len(query_articles(con, limit=2)) == 2
    assert count_articles(con) == 8


def test_tag_counts(con):
    counts = tag_counts(con)
    assert list(counts.columns) == ["tag", "articles"]
    as_dict = dict(zip(counts.tag, counts.articles))
    assert as_dict["Tech War"] == 3
    assert as_dict["Markets"] == 4
    assert counts.articles.is_monotonic_decreasing
    only_tencent = tag_counts(con, companies=["tencent"])
    assert dict(zip(only_tencent.tag, only_tencent.articles)) == {"Markets": 1}


def test_events_frame_and_filters(con):
    events = query_events(con)
    assert list(events.columns) == [
        "event_id", "ts", "ts_raw", "ts_zone", "precision", "kind", "stance", "actor", "source",
        "headline", "detail", "source_url", "article_id", "company_id", "symbol", "value", "tags"]
    assert events.ts.is_monotonic_increasing  # oldest first
    assert len(events) == 3 + 8
    assert set(query_events(con, kinds=["denial", "market"]).event_id) == {"alibaba-denial", "hk-move"}
    tagged = query_events(con, tags=["markets"], kinds=["market"])
    assert list(tagged.event_id) == ["hk-move"]
    assert set(query_events(con, sources=["reuters"]).event_id) == {"alibaba-denial"}
    assert "ft-report" not in set(query_events(con, companies=["tencent"]).event_id)
    day = query_events(con, since="2025-11-14", until="2025-11-14", kinds=["report", "denial"])
    assert set(day.event_id) == {"ft-report", "alibaba-denial"}


def test_hostile_filter_values_are_data(con):
    hostile = "x'); DROP TABLE articles; --"
    assert query_articles(con, tags=[hostile], companies=[hostile], sources=[hostile]).empty
    assert query_events(con, tags=[hostile], kinds=[hostile]).empty
    assert count_articles(con) == 8


def test_hostile_article_text_is_stored_verbatim(tmp_path):
    path = tmp_path / "hostile.jsonl"
    title = "Robert'); DROP TABLE articles;-- <script>alert(1)</script>"
    path.write_text('{"title": %s, "source": "S", "published": "2025-11-14T10:00:00Z", "tags": ["=1+1"]}\n'
                    % __import__("json").dumps(title), encoding="utf-8")
    db = tmp_path / "db.duckdb"
    assert ingest_paths(db, [path], companies_file=None, sources_file=None).ok
    with store.reader(db) as con:
        frame = query_articles(con, tags=["=1+1"])
    assert list(frame.title) == [title]


def test_company_ids_matching_returns_stored_ids(con):
    from dashboard.store.companies import company_ids_matching

    assert company_ids_matching(con, ["BABA", "Alibaba Group", "alibaba"]) == ["alibaba"]
    assert company_ids_matching(con, ["Tencent", "nobody"]) == ["tencent", "nobody"]
    assert company_ids_matching(con, []) == []
