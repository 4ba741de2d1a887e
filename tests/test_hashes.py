"""One content-hash definition, the same in Python and in SQL, and the migration that moved stored
hashes onto it (021): re-ingest after the migration still reports ``unchanged``."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from dashboard import config, store
from dashboard.ingest.pipeline import ingest_paths
from dashboard.store import hashes

AWKWARD_TEXT = [None, "", " ", "3:abc", "~", "[2", "a\x00b", "阿里巴巴", "é" * 3, "line\nbreak", "x" * 5000,
                "'; DROP TABLE articles; --", "emoji 🚀"]


def _article_rows():
    rows = []
    for n, text in enumerate(AWKWARD_TEXT):
        rows.append({
            "title": f"T{n}" if text is None else text, "source": "S", "region": text,
            "published_at": pd.Timestamp("2025-11-14T18:03:07.123456Z") + pd.Timedelta(minutes=n),
            "published_precision": "minute", "subtitle": text, "summary": None, "background": text,
            "insights": None, "body": text, "url": None, "stance": "neutral",
            "tags": [] if n % 3 == 0 else [t for t in AWKWARD_TEXT[:n] if t is not None],
            "company_ids": [] if n % 2 else ["alibaba", "阿里"],
        })
    return rows


def _sql_hashes(rows, fields, list_columns):
    frame = pd.DataFrame(rows)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("source_rows", frame)
    select = ", ".join(f"CAST({c} AS VARCHAR[]) AS {c}" if c in list_columns else c for c in frame.columns)
    con.execute(f"CREATE TABLE t AS SELECT {select} FROM source_rows")
    return [h for (h,) in con.execute(f"SELECT {hashes.content_hash_sql(fields)} FROM t").fetchall()]


def test_python_and_sql_give_the_same_article_hashes():
    rows = _article_rows()
    python = [hashes.content_hash(row, hashes.ARTICLE_FIELDS) for row in rows]
    assert python == _sql_hashes(rows, hashes.ARTICLE_FIELDS, {"tags", "company_ids"})
    assert len(set(python)) == len(python)


def test_python_and_sql_give_the_same_event_hashes():
    rows = [{"ts": pd.Timestamp("2025-11-14T18:00Z"), "ts_raw": text, "ts_zone": "America/New_York",
             "precision": "minute", "kind": "denial", "stance": "denial", "actor": text, "source": None,
             "headline": "H" if text is None else text, "detail": text, "source_url": None,
             "article_id": None, "company_id": "alibaba", "symbol": None, "value": text,
             "tags": [] if text is None else [text]} for text in AWKWARD_TEXT]
    python = [hashes.content_hash(row, hashes.EVENT_FIELDS) for row in rows]
    assert python == _sql_hashes(rows, hashes.EVENT_FIELDS, {"tags"})


def test_the_column_form_gives_each_row_its_record_hash():
    """The bulk write hashes columns of rows (times as epoch microseconds) in the parse workers."""
    rows = _article_rows()
    columns = {name: [row[name] for row in rows] for name, _ in hashes.ARTICLE_FIELDS}
    columns["published_at"] = [row["published_at"].value // 1000 for row in rows]
    assert hashes.content_hashes(columns, hashes.ARTICLE_FIELDS) == [
        hashes.content_hash(row, hashes.ARTICLE_FIELDS) for row in rows]


@pytest.mark.parametrize("field, a, b", [
    ("title", "ab", "a"),           # a field's length is part of it: no run-on between fields
    ("tags", ["a", "b"], ["ab"]),   # nor between list items
    ("tags", ["a"], ["a", ""]),
    ("region", None, ""),           # NULL is not the empty text
    ("published_at", pd.Timestamp("2025-11-14T18:00:00Z"), pd.Timestamp("2025-11-14T18:00:00.000001Z")),
])
def test_different_content_gives_different_hashes(field, a, b):
    base = _article_rows()[1]
    assert (hashes.content_hash({**base, field: a}, hashes.ARTICLE_FIELDS)
            != hashes.content_hash({**base, field: b}, hashes.ARTICLE_FIELDS))


def _tables(con) -> dict[str, list]:
    return {table: con.execute(f"SELECT * EXCLUDE (first_seen, last_seen) FROM {table} ORDER BY ALL").fetchall()
            for table in ("article_origins", "event_origins")} | {
        table: con.execute(f"SELECT content_hash FROM {table} ORDER BY ALL").fetchall()
        for table in ("articles", "events", "article_revisions", "event_revisions")}


def test_migration_rewrites_stored_hashes_so_reingest_is_unchanged(tmp_path):
    db = tmp_path / "store.duckdb"
    # Full copies only: a sparse copy (data/articles/seed-article-url.jsonl, the seed article's
    # URL) is never a stored revision, so 021 leaves its old hash, as the migration says.
    sources = [*(p for p in config.ARTICLES_DIR.iterdir() if p.name != "seed-article-url.jsonl"), config.EVENTS_FILE]
    first = ingest_paths(db, sources)
    assert first.ok and first.articles.added > 0
    with store.writer(db) as con:
        expected = _tables(con)
        # The database as an older release left it: hashes under another definition.
        for table, column in (("articles", "content_hash"), ("events", "content_hash"),
                              ("article_revisions", "content_hash"), ("event_revisions", "content_hash"),
                              ("article_origins", "copy_hash"), ("event_origins", "copy_hash")):
            con.execute(f"UPDATE {table} SET {column} = 'json-' || {column}")
        con.execute("DELETE FROM schema_version WHERE version >= 21")  # and what came after
    with store.writer(db) as con:  # opening it migrates
        assert _tables(con) == expected
    again = ingest_paths(db, sources)
    assert (again.articles.added, again.articles.updated) == (0, 0)
    assert again.articles.unchanged == first.articles.added
    assert (again.events.added, again.events.updated) == (0, 0)
    with store.writer(db) as con:
        assert _tables(con) == expected  # no origin recorded twice under two hashes
