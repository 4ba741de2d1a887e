"""The columnar write path: articles seen for the first time, each from a single copy, written
with one ``INSERT … SELECT`` per table instead of record by record.

It stores exactly what the per-record path (``save_articles`` + ``save_events`` after the merge
rule) stores for such an article — its row, tags, company links, revision 1, origin, and its
publication event with the event's own tags, revision and origin — and ``test_ingest_bulk.py``
compares every table after ingesting one corpus both ways. Content hashes are computed here in
SQL by the one definition of ``store.hashes``. Articles already stored, several copies of one
article in a batch, and retractions go through the merge rule instead (``ingest.pipeline``).
"""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd
import pyarrow as pa

from dashboard.records import Article
from dashboard.store import hashes
from dashboard.store.articles import COMPANY_KEYS_SQL, TAG_KEYS_SQL
from dashboard.store.history import ARTICLES, EVENTS

_TEXT = ("article_id", "title", "source", "region", "published_raw", "published_zone",
         "published_precision", "subtitle", "summary", "background", "insights", "body", "url",
         "stance", "origin")

# The publication event of an article row (``ingest.build.publication_event``), as SQL over it.
PUBLICATION_EVENT = {
    "event_id": "'pub-' || article_id", "ts": "published_at", "ts_raw": "published_raw",
    "ts_zone": "published_zone", "precision": "published_precision", "kind": "'publication'",
    "stance": "stance", "actor": "source", "source": "source", "headline": "title",
    "detail": "subtitle", "source_url": "url", "article_id": "article_id",
    "company_id": "link_ids[1]", "symbol": "CAST(NULL AS VARCHAR)", "value": "CAST(NULL AS VARCHAR)",
    "tags": "tags",
}


def new_articles_table(articles: list[Article]) -> pa.Table:
    """The columns the bulk insert reads: the article's fields, its tags with each tag's origin,
    its company links (in order) and its distinct company ids (sorted)."""
    columns = {name: pa.array([getattr(a, name) for a in articles], pa.string()) for name in _TEXT}
    columns["published_at"] = pa.array([a.published_at.value // 1000 for a in articles],
                                       pa.timestamp("us", tz="UTC"))
    columns["tags"] = pa.array([list(a.tags) for a in articles], pa.list_(pa.string()))
    columns["tag_origins"] = pa.array(
        [[a.tag_origins.get(t.casefold(), a.origin or "") for t in a.tags] for a in articles],
        pa.list_(pa.string()))
    columns["link_ids"] = pa.array([[c for c, _ in a.company_links] for a in articles], pa.list_(pa.string()))
    columns["link_hows"] = pa.array([[h for _, h in a.company_links] for a in articles], pa.list_(pa.string()))
    columns["company_ids"] = pa.array([sorted({c for c, _ in a.company_links}) for a in articles],
                                      pa.list_(pa.string()))
    columns["arrival"] = pa.array(range(len(articles)), pa.int64())
    return pa.table(columns)


def insert_new_articles(con: duckdb.DuckDBPyConnection, articles: list[Article], now: datetime) -> None:
    """Store ``articles`` (none of them stored yet, one copy each, not retracted) and their
    publication events, as the merge rule would have added them."""
    if not articles:
        return
    con.register("bulk_source", new_articles_table(articles))
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE bulk_articles AS SELECT *, "
            f"{hashes.content_hash_sql(hashes.ARTICLE_FIELDS)} AS content_hash, "
            f"{hashes.content_hash_sql(hashes.EVENT_FIELDS, PUBLICATION_EVENT)} AS event_hash "
            "FROM bulk_source")
    finally:
        con.unregister("bulk_source")
    stamp = pd.Timestamp(now).to_pydatetime()
    try:
        _insert_all(con, stamp)
    finally:
        con.execute("DROP TABLE IF EXISTS bulk_articles")


def _insert_all(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    article_fields = ", ".join(ARTICLES.fields)
    con.execute(
        "INSERT INTO articles (article_id, title, source, region, published_at, published_raw, "
        "published_zone, published_precision, subtitle, summary, background, insights, body, url, "
        "stance, origin, content_hash, ingested_at, tags, tag_keys, company_ids, company_keys) "
        "SELECT article_id, title, source, region, published_at, published_raw, published_zone, "
        "published_precision, subtitle, summary, background, insights, body, url, stance, origin, "
        f"content_hash, $now, tags, {TAG_KEYS_SQL.format('tags')}, company_ids, "
        f"{COMPANY_KEYS_SQL.format('company_ids')} FROM bulk_articles ORDER BY published_at, arrival",
        {"now": now})
    con.execute(
        "INSERT INTO article_tags (article_id, tag, position, origin) "
        "SELECT article_id, tags[n], CAST(n - 1 AS INTEGER), tag_origins[n] "
        "FROM (SELECT article_id, tags, tag_origins, unnest(range(1, len(tags) + 1)) AS n "
        "      FROM bulk_articles WHERE len(tags) > 0)")
    con.execute(
        "INSERT INTO article_companies (article_id, company_id, how) "
        "SELECT article_id, link_ids[n], link_hows[n] "
        "FROM (SELECT article_id, link_ids, link_hows, unnest(range(1, len(link_ids) + 1)) AS n, arrival "
        "      FROM bulk_articles WHERE len(link_ids) > 0) ORDER BY arrival, n")
    con.execute(
        f"INSERT INTO {ARTICLES.revisions} (article_id, revision, {article_fields}, tags, company_ids, "
        "content_hash, origin, ingested_at, changed) "
        f"SELECT article_id, 1, {article_fields}, tags, company_ids, content_hash, origin, $now, "
        "CAST([] AS VARCHAR[]) FROM bulk_articles", {"now": now})
    con.execute(f"INSERT INTO {ARTICLES.origins} SELECT article_id, coalesce(origin, ''), content_hash, $now, $now "
                "FROM bulk_articles", {"now": now})

    event = PUBLICATION_EVENT
    event_fields = ", ".join(EVENTS.fields)
    event_select = ", ".join(f"{event[name]} AS {name}" for name in EVENTS.fields)
    con.execute(
        f"INSERT INTO events (event_id, {event_fields}, origin, content_hash, ingested_at, tags, tag_keys) "
        f"SELECT {event['event_id']}, {event_select}, origin, event_hash, $now, tags, "
        f"{TAG_KEYS_SQL.format('tags')} FROM bulk_articles ORDER BY published_at, arrival", {"now": now})
    con.execute(
        "INSERT INTO event_tags (event_id, tag, position, origin) "
        "SELECT 'pub-' || article_id, tags[n], CAST(n - 1 AS INTEGER), tag_origins[n] "
        "FROM (SELECT article_id, tags, tag_origins, unnest(range(1, len(tags) + 1)) AS n "
        "      FROM bulk_articles WHERE len(tags) > 0)")
    con.execute(
        f"INSERT INTO {EVENTS.revisions} (event_id, revision, {event_fields}, tags, content_hash, "
        "origin, ingested_at, changed) "
        f"SELECT {event['event_id']}, 1, {event_select}, tags, event_hash, origin, $now, "
        "CAST([] AS VARCHAR[]) FROM bulk_articles", {"now": now})
    con.execute(f"INSERT INTO {EVENTS.origins} SELECT {event['event_id']}, coalesce(origin, ''), event_hash, $now, $now "
                "FROM bulk_articles", {"now": now})
