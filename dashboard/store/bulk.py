"""The columnar write path: articles seen for the first time, each from a single copy, written
with one ``INSERT … SELECT`` per table instead of record by record.

It stores exactly what the per-record path (``save_articles`` + ``save_events`` after the merge
rule) stores for such an article — its row, tags, company links and origin (its revision 1 is
implicit in the row, ``store.history``), and its publication event with the event's own tags
and origin — and ``test_ingest_bulk.py`` compares every table after ingesting one corpus both
ways. Content hashes come with the rows
(``rows_table``: the column form of ``store.hashes``, run in the parse workers for a file parsed
column-wise, ``ingest.columnar``). Articles already stored, several copies of one
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

# The publication event of an article row (``ingest.build.publication_event``): the event
# fields that copy one of the row's columns, and the rest, as SQL over the row.
_PUBLICATION_COPIES = {
    "ts": "published_at", "ts_raw": "published_raw", "ts_zone": "published_zone",
    "precision": "published_precision", "stance": "stance", "actor": "source", "source": "source",
    "headline": "title", "detail": "subtitle", "source_url": "url", "article_id": "article_id",
    "tags": "tags",
}
PUBLICATION_EVENT = {
    **_PUBLICATION_COPIES, "event_id": "'pub-' || article_id", "kind": "'publication'",
    "company_id": "link_ids[1]", "symbol": "CAST(NULL AS VARCHAR)", "value": "CAST(NULL AS VARCHAR)",
}


_LISTS = ("tags", "tag_origins", "link_ids", "link_hows", "company_ids")
# The columns the bulk insert reads, one row per article: its fields, its tags with each tag's
# origin, its company links (in order), its distinct company ids (sorted), and its place in the
# batch (``arrival``: rows of one publication time are stored in the order they came).
ROWS_SCHEMA = pa.schema([*((name, pa.string()) for name in _TEXT),
                         ("published_at", pa.timestamp("us", tz="UTC")),
                         *((name, pa.list_(pa.string())) for name in _LISTS), ("arrival", pa.int64()),
                         ("content_hash", pa.string()), ("event_hash", pa.string())])


def rows_table(columns: dict) -> pa.Table:
    """The bulk insert's table from Python lists per column (``published_at`` as microseconds
    since the epoch, UTC); ``arrival`` is their order. Both parse paths build rows here, with
    the article's and its publication event's content hashes (``store.hashes``; in the parse
    workers for a file parsed column-wise, so the writer does not spend its time on them)."""
    count = len(columns["article_id"])
    columns = dict(columns, arrival=range(count),
                   content_hash=hashes.content_hashes(columns, hashes.ARTICLE_FIELDS))
    event = {name: columns[column] for name, column in _PUBLICATION_COPIES.items()}
    event.update(kind=["publication"] * count, symbol=[None] * count, value=[None] * count,
                 company_id=[ids[0] if ids else None for ids in columns["link_ids"]])
    columns["event_hash"] = hashes.content_hashes(event, hashes.EVENT_FIELDS)
    arrays = [pa.array(columns[field.name], field.type) for field in ROWS_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=ROWS_SCHEMA)


def new_articles_table(articles: list[Article]) -> pa.Table:
    """The rows of ``articles`` (merged Article records) for the bulk insert."""
    columns = {name: [getattr(a, name) for a in articles] for name in _TEXT}
    columns["published_at"] = [a.published_at.value // 1000 for a in articles]
    columns["tags"] = [list(a.tags) for a in articles]
    columns["tag_origins"] = [[a.tag_origins.get(t.casefold(), a.origin or "") for t in a.tags] for a in articles]
    columns["link_ids"] = [[c for c, _ in a.company_links] for a in articles]
    columns["link_hows"] = [[h for _, h in a.company_links] for a in articles]
    columns["company_ids"] = [sorted({c for c, _ in a.company_links}) for a in articles]
    return rows_table(columns)


def in_batch_order(tables: list[pa.Table], picks: list[tuple[int, int]]) -> pa.Table:
    """One table of the rows ``picks`` names as (table, row), in that order, ``arrival`` renumbered."""
    offsets, total = [], 0
    for table in tables:
        offsets.append(total)
        total += table.num_rows
    combined = pa.concat_tables([t.select(ROWS_SCHEMA.names).cast(ROWS_SCHEMA) for t in tables])
    taken = combined.take(pa.array([offsets[t] + i for t, i in picks], pa.int64()))
    return taken.set_column(ROWS_SCHEMA.get_field_index("arrival"), "arrival",
                            pa.array(range(len(picks)), pa.int64()))


def insert_new_articles(con: duckdb.DuckDBPyConnection, articles: list[Article] | pa.Table,
                        now: datetime) -> None:
    """Store ``articles`` (none of them stored yet, one copy each, not retracted; Article
    records or their ``rows_table``) and their publication events, as the merge rule would have
    added them."""
    rows = new_articles_table(articles) if isinstance(articles, list) else articles
    if rows is None or rows.num_rows == 0:
        return
    con.register("bulk_articles", rows)
    try:
        _insert_all(con, pd.Timestamp(now).to_pydatetime())
    finally:
        con.unregister("bulk_articles")


def _insert_all(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
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
    con.execute(f"INSERT INTO {EVENTS.origins} SELECT {event['event_id']}, coalesce(origin, ''), event_hash, $now, $now "
                "FROM bulk_articles", {"now": now})
