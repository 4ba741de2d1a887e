"""SQL for the full-text search index (``dashboard.search``): what it covers and the text it reads.

The index is kept beside the store, not in it, so it needs a cheap way to tell whether it still
covers what is stored: :func:`search_stamp` (a few aggregates over the article table). Every write
stamps the rows it touches (``ingested_at``, ``updated_at``, ``retracted_at``, all the writing
transaction's time), so the rows written since an index was synced are those stamped later than
the stamp it recorded (:func:`search_rows` with ``since``).
"""
from __future__ import annotations

from typing import Iterator

import duckdb
import pandas as pd

# The text the index reads, per article: the current row (revision 0) and each older revision.
TEXT_COLUMNS = ("title", "subtitle", "summary", "background", "insights", "body", "source")
_LATEST = "(SELECT article_id, max(revision) AS revisions FROM article_revisions GROUP BY article_id)"
_STAMP = "greatest(a.ingested_at, coalesce(a.updated_at, a.ingested_at), coalesce(a.retracted_at, a.ingested_at))"


def search_stamp(con: duckdb.DuckDBPyConnection) -> dict:
    """What the article table holds, as the index records it: row count, retracted count and the
    latest write stamp (ISO text, or None when empty)."""
    [(count, retracted, latest)] = con.execute(
        f"SELECT count(*), count(a.retracted_at), max({_STAMP}) FROM articles a").fetchall()
    return {"articles": int(count), "retracted": int(retracted),
            "latest": None if latest is None else pd.Timestamp(latest).tz_convert("UTC").isoformat()}


def search_rows(con: duckdb.DuckDBPyConnection, *, since: str | None = None,
                ids: list[str] | None = None, batch_rows: int = 20_000) -> Iterator[pd.DataFrame]:
    """The text of every article written after ``since`` (a :func:`search_stamp` ``latest``;
    None: every article), or of the articles ``ids``, in frames of about ``batch_rows``.

    Columns: ``article_id``, ``revision`` (0 for the current text, else the number of an older
    revision), ``revisions`` (how many the article has), the :data:`TEXT_COLUMNS`, ``tags`` (one
    string) and ``retracted``, in no particular order.
    """
    params: list = []
    chosen = "articles a"
    if ids is not None:
        con.register("search_ids", pd.DataFrame({"article_id": list(ids)}, dtype=object))
        chosen = "articles a JOIN search_ids USING (article_id)"
    elif since is not None:
        chosen = f"(SELECT a.* FROM articles a WHERE {_STAMP} > ?) a"
        params.append(pd.Timestamp(since).to_pydatetime())
    text = ", ".join(TEXT_COLUMNS)
    sql = (
        f"WITH chosen AS (SELECT a.article_id, a.retracted_at IS NOT NULL AS retracted, "
        f"       array_to_string(a.tags, ' ; ') AS tags, {', '.join('a.' + c for c in TEXT_COLUMNS)} "
        f"       FROM {chosen}), "
        f"latest AS (SELECT l.* FROM {_LATEST} l JOIN chosen USING (article_id)) "
        f"SELECT c.article_id, 0 AS revision, coalesce(l.revisions, 1) AS revisions, "
        f"       {', '.join('c.' + col for col in TEXT_COLUMNS)}, c.tags, c.retracted "
        f"FROM chosen c LEFT JOIN latest l USING (article_id) "
        # An older revision is every one but the latest (which the current row holds).
        f"UNION ALL SELECT r.article_id, r.revision, l.revisions, "
        f"       {', '.join('r.' + col for col in TEXT_COLUMNS)}, array_to_string(r.tags, ' ; '), c.retracted "
        f"FROM article_revisions r JOIN latest l USING (article_id) JOIN chosen c USING (article_id) "
        f"WHERE r.revision < l.revisions")
    try:
        reader = con.sql(sql, params=params).to_arrow_reader(batch_rows)
        for batch in reader:
            yield batch.to_pandas()
    finally:
        if ids is not None:
            con.unregister("search_ids")


def search_text(con: duckdb.DuckDBPyConnection, ids: list[str]) -> pd.DataFrame:
    """:func:`search_rows` of ``ids`` in one frame (the hits a page shows, for their snippets)."""
    frames = list(search_rows(con, ids=ids))
    if not frames:
        return pd.DataFrame(columns=["article_id", "revision", "revisions", *TEXT_COLUMNS, "tags", "retracted"])
    return pd.concat(frames, ignore_index=True)
