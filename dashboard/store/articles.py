"""SQL for articles, their tags and company links."""
from __future__ import annotations

import re
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.records import Article
from dashboard.store import history
from dashboard.store.companies import company_ids_matching
from dashboard.timeutil import to_utc

ARTICLE_COLUMNS = [
    "article_id", "title", "source", "region", "published_at", "published_raw", "published_zone",
    "published_precision", "subtitle", "summary", "background", "insights", "body", "url", "stance",
    "origin",
]
_STORED = ARTICLE_COLUMNS + ["content_hash"]
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- time bounds shared with store.events -----------------------------------------------------

def _as_bound(value) -> tuple[pd.Timestamp, bool]:
    """(UTC instant, given as a whole date?)"""
    if isinstance(value, str):
        text = value.strip()
        if _DATE_ONLY.match(text):
            return pd.Timestamp(text, tz="UTC"), True
        value = pd.Timestamp(text)
    elif isinstance(value, date) and not isinstance(value, datetime):
        return pd.Timestamp(value).tz_localize("UTC"), True
    return to_utc(value), False


def time_clauses(column: str, since=None, until=None) -> tuple[list[str], list]:
    """WHERE fragments for since/until; a date ``until`` includes its whole (UTC) day."""
    clauses, params = [], []
    if since is not None:
        lower, _ = _as_bound(since)
        clauses.append(f"{column} >= ?")
        params.append(lower.to_pydatetime())
    if until is not None:
        upper, whole_day = _as_bound(until)
        if whole_day:
            clauses.append(f"{column} < ?")
            params.append((upper + pd.Timedelta(days=1)).to_pydatetime())
        else:
            clauses.append(f"{column} <= ?")
            params.append(upper.to_pydatetime())
    return clauses, params


def lower_list(values) -> list[str]:
    if isinstance(values, str):
        values = [values]
    return [str(v).strip().lower() for v in values or () if str(v).strip()]


def as_python_lists(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """DuckDB LIST columns arrive as numpy arrays (or NULL): make them plain lists."""
    for column in columns:
        values = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else [] for v in frame[column]]
        frame[column] = pd.Series(values, index=frame.index, dtype=object)
    return frame


# --- writes --------------------------------------------------------------------------------------

def _company_ids(article: Article) -> list[str]:
    """The article's distinct company ids, sorted (as the row's ``company_ids`` list holds them)."""
    return sorted({company_id for company_id, _ in article.company_links})


# The row's key lists are lower-cased by DuckDB's lower(), as the filters always compared them, so
# a stored key and a migrated one (011) are the same for every spelling.
# Each takes the SQL of the list it derives from (a column or a ``?``).
TAG_KEYS_SQL = "[lower(t) for t in CAST({} AS VARCHAR[])]"
COMPANY_KEYS_SQL = "list_sort(list_distinct([lower(c) for c in CAST({} AS VARCHAR[])]))"


def stored_articles(con: duckdb.DuckDBPyConnection, ids) -> dict[str, history.Stored]:
    """The stored version of each of ``ids`` that exists, its ``record`` an Article."""
    found = history.load_stored(con, history.ARTICLES, ids)
    if not found:
        return found
    links: dict[str, list[tuple[str, str]]] = {}
    con.register("link_ids", pd.DataFrame({"id": list(found)}, dtype=object))
    try:
        for article_id, company_id, how in con.execute(
                "SELECT c.article_id, c.company_id, c.how FROM article_companies c "
                "JOIN link_ids w ON w.id = c.article_id ORDER BY c.article_id, c.rowid").fetchall():
            links.setdefault(article_id, []).append((company_id, how))
    finally:
        con.unregister("link_ids")
    for article_id, stored in found.items():
        row = stored.row
        stored.record = Article(
            **{c: row[c] for c in ARTICLE_COLUMNS}, content_hash=row["content_hash"],
            tags=list(stored.tags), tag_origins=dict(stored.tag_origins),
            company_links=links.get(article_id, []), retracted=row["retracted_reason"]
            if row["retracted_at"] is not None else None)
    return found


def save_articles(con: duckdb.DuckDBPyConnection, steps_by_id: dict[str, list],
                  stored: dict[str, history.Stored], now: datetime) -> None:
    """Store what merging each article's copies gave (``dashboard.ingest.merge``): ``steps_by_id``
    maps each article id to its steps in order, ``stored`` is what was current before.

    New articles go in as one bulk insert in published_at order (a batch may hold thousands; time
    order keeps date windows cheap to filter); changed rows are rewritten in one UPDATE, keeping their
    first ``ingested_at``. Every version is kept as a revision (the only one of a new article
    in its row, ``store.history``), every copy as an origin.
    """
    added = [steps[-1].record for key, steps in steps_by_id.items() if key not in stored]
    changed = [steps[-1].record for key, steps in steps_by_id.items()
               if key in stored and any(step.status != "unchanged" for step in steps)]
    history.keep_first_revisions(con, history.ARTICLES, steps_by_id, stored)
    rows = _article_rows(changed)
    rows["updated_at"] = pd.Timestamp(now)
    history.update_rows(con, history.ARTICLES, rows, list_columns=("tags", "company_ids"), derived={
        "tag_keys": TAG_KEYS_SQL.format("n.tags"), "company_keys": COMPANY_KEYS_SQL.format("n.company_ids")})
    history.delete_rows(con, "article_companies", "article_id", [a.article_id for a in changed])
    _insert_articles(con, added, now)
    history.insert_frame(con, "article_companies", pd.DataFrame(
        [(a.article_id, company_id, how) for a in added + changed for company_id, how in a.company_links],
        columns=["article_id", "company_id", "how"]))
    history.write_history(con, history.ARTICLES, steps_by_id, stored, now,
                          lambda article: {"company_ids": _company_ids(article)})


def _article_rows(articles: list[Article]) -> pd.DataFrame:
    """The stored columns of ``articles`` with their tag and company-id lists."""
    rows = pd.DataFrame([{c: getattr(a, c) for c in _STORED} for a in articles], columns=_STORED)
    rows["tags"] = pd.Series([list(a.tags) for a in articles], dtype=object)
    rows["company_ids"] = pd.Series([_company_ids(a) for a in articles], dtype=object)
    return rows


def _insert_articles(con: duckdb.DuckDBPyConnection, added: list[Article], now: datetime) -> None:
    if not added:
        return
    rows = _article_rows(added)
    rows["ingested_at"] = pd.Timestamp(now)
    rows["arrival"] = range(len(rows))
    columns = ", ".join(_STORED + ["ingested_at"])
    con.register("new_articles", rows)
    try:
        # CAST: a batch whose lists are all empty would otherwise arrive as a list of NULL type.
        con.execute(
            f"INSERT INTO articles ({columns}, tags, tag_keys, company_ids, company_keys) "
            f"SELECT {columns}, CAST(tags AS VARCHAR[]), {TAG_KEYS_SQL.format('tags')}, "
            f" CAST(company_ids AS VARCHAR[]), {COMPANY_KEYS_SQL.format('company_ids')} "
            "FROM new_articles ORDER BY published_at, arrival"
        )
    finally:
        con.unregister("new_articles")


# --- reads ---------------------------------------------------------------------------------------

def _where(con, *, tags=(), companies=(), sources=(), since=None, until=None,
           include_retracted: bool = False, article_ids=None) -> tuple[str, list]:
    # A retracted article is kept, but no view or export shows it unless asked (013).
    clauses, params = ([] if include_retracted else ["a.retracted_at IS NULL"]), []
    if article_ids is not None:  # e.g. a search's matches; IN over a subquery is a hash join
        clauses.append("a.article_id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(article_ids))
    wanted_tags = lower_list(tags)
    # The row's key lists (011) mirror article_tags/article_companies, lower-cased: one table
    # to scan, and the date clause below prunes row groups since rows are kept in time order.
    if wanted_tags:
        clauses.append("list_has_any(a.tag_keys, ?)")
        params.append(wanted_tags)
    if lower_list(companies):
        clauses.append("list_has_any(a.company_keys, ?)")
        params.append(lower_list(company_ids_matching(con, companies)))
    wanted_sources = lower_list(sources)
    if wanted_sources:
        clauses.append("list_contains(?, lower(a.source))")
        params.append(wanted_sources)
    time_sql, time_params = time_clauses("a.published_at", since, until)
    clauses += time_sql
    params += time_params
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


_SELECTED = f"{', '.join('a.' + c for c in ARTICLE_COLUMNS)}, a.tags, a.company_ids AS companies"
_SELECT = f"SELECT {_SELECTED} FROM articles a "
_SELECT_WITH_RETRACTION = f"SELECT {_SELECTED}, a.retracted_at, a.retracted_reason FROM articles a "


def query_articles(con: duckdb.DuckDBPyConnection, *, tags=(), companies=(), sources=(),
                   since=None, until=None, limit: int | None = None,
                   include_retracted: bool = False, article_ids=None) -> pd.DataFrame:
    """Articles matching the filters (docs/architecture.md "Filters"), newest first; with
    ``include_retracted`` also the retracted ones, with ``retracted_at`` and ``retracted_reason``;
    with ``article_ids`` only those (a search's matches)."""
    where, params = _where(con, tags=tags, companies=companies, sources=sources,
                           since=since, until=until, include_retracted=include_retracted,
                           article_ids=article_ids)
    select = _SELECT_WITH_RETRACTION if include_retracted else _SELECT
    limit_sql = ""
    if limit is not None:
        limit_sql = "LIMIT ?"
        params.append(int(limit))
    frame = con.execute(
        f"{select} {where} ORDER BY a.published_at DESC, a.article_id {limit_sql}", params
    ).df()
    return as_python_lists(frame, ["tags", "companies"])


def best_of_ranked(con: duckdb.DuckDBPyConnection, ranked_ids: list[str], *, limit: int | None = None,
                   tags=(), companies=(), sources=(), since=None, until=None,
                   include_retracted: bool = False) -> tuple[list[int], int]:
    """Of ``ranked_ids`` (a search's matches, best first), the places (indexes into it) of the
    first ``limit`` (None: all) that pass the filters, in order, and how many pass in all. Only
    places cross over: the caller reads the full rows of the few it shows
    (``query_articles(article_ids=...)``)."""
    where, params = _where(con, tags=tags, companies=companies, sources=sources, since=since,
                           until=until, include_retracted=include_retracted)
    limit_sql = "" if limit is None else f"LIMIT {int(limit)}"
    # An Arrow table, not a list parameter: 100k ids cross over in a few ms.
    con.register("ranked_ids", pa.table({"article_id": pa.array(ranked_ids, pa.string()),
                                         "place": pa.array(np.arange(len(ranked_ids)))}))
    try:
        rows = con.execute(
            f"SELECT r.place, count(*) OVER () FROM articles a JOIN ranked_ids r ON r.article_id = a.article_id "
            f"{where} ORDER BY r.place {limit_sql}", params).fetchall()
    finally:
        con.unregister("ranked_ids")
    return [int(place) for place, _ in rows], (int(rows[0][1]) if rows else 0)


def count_articles(con: duckdb.DuckDBPyConnection, *, tags=(), companies=(), sources=(),
                   since=None, until=None, article_ids=None) -> int:
    where, params = _where(con, tags=tags, companies=companies, sources=sources,
                           since=since, until=until, article_ids=article_ids)
    return con.execute(f"SELECT count(*) FROM articles a {where}", params).fetchone()[0]


def tag_counts(con: duckdb.DuckDBPyConnection, *, companies=()) -> pd.DataFrame:
    """Tags with how many articles carry them (spellings that differ in case count as one, shown
    by their smallest spelling), most used first."""
    where, params = _where(con, companies=companies)
    # From the row's own lists (011) rather than joining article_tags: half the time at 1M articles.
    # tags and tag_keys unnest side by side (same order); DISTINCT keeps an article that carries
    # two spellings of one tag at one count.
    return con.execute(
        "SELECT min(t.tag) AS tag, count(DISTINCT t.article_id) AS articles "
        "FROM (SELECT a.article_id, unnest(a.tags) AS tag, unnest(a.tag_keys) AS tag_key "
        f"      FROM articles a {where}) t "
        "GROUP BY t.tag_key ORDER BY articles DESC, lower(min(t.tag))",
        params,
    ).df()


def list_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every source name of articles and events, sorted case-insensitively."""
    rows = con.execute(
        "SELECT source FROM articles WHERE retracted_at IS NULL UNION "
        "SELECT source FROM events WHERE source IS NOT NULL AND retracted_at IS NULL "
        "ORDER BY lower(source), source"
    ).fetchall()
    return [r[0] for r in rows]


def get_article(con: duckdb.DuckDBPyConnection, article_id: str) -> dict | None:
    """One article (retracted or not: ``retracted_at``/``retracted_reason``) with its tags,
    companies and how each company was linked."""
    frame = as_python_lists(
        con.execute(f"{_SELECT_WITH_RETRACTION} WHERE a.article_id = ?", [article_id]).df(), ["tags", "companies"]
    )
    if frame.empty:
        return None
    record = frame.iloc[0].to_dict()
    record["company_links"] = [
        {"company_id": c, "how": h}
        for c, h in con.execute(
            "SELECT company_id, how FROM article_companies WHERE article_id = ? "
            "ORDER BY company_id, how",
            [article_id],
        ).fetchall()
    ]
    return record


def rebuild_article_lists(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every row's tag/company lists from article_tags/article_companies and rewrite
    the table in published_at order.

    For writers that bulk-load the record tables directly (the benchmark generator) and after a
    large back-fill ingested out of time order. Run it inside a transaction.
    """
    con.execute(
        f"""
        CREATE TEMP TABLE articles_rebuilt AS
        SELECT a.* REPLACE (
                   coalesce(t.tags, []) AS tags, coalesce(t.tag_keys, []) AS tag_keys,
                   coalesce(c.company_ids, []) AS company_ids, coalesce(c.company_keys, []) AS company_keys)
        FROM articles a
        LEFT JOIN (
            SELECT article_id, list(tag ORDER BY position, tag) AS tags,
                   list(lower(tag) ORDER BY position, tag) AS tag_keys
            FROM article_tags GROUP BY article_id
        ) t ON t.article_id = a.article_id
        LEFT JOIN (
            SELECT article_id, list(DISTINCT company_id ORDER BY company_id) AS company_ids,
                   {COMPANY_KEYS_SQL.format('list(company_id)')} AS company_keys
            FROM article_companies GROUP BY article_id
        ) c ON c.article_id = a.article_id
        ORDER BY a.published_at, a.article_id
        """
    )
    try:
        con.execute("DELETE FROM articles")
        con.execute("INSERT INTO articles SELECT * FROM articles_rebuilt ORDER BY published_at, article_id")
    finally:
        con.execute("DROP TABLE articles_rebuilt")


def every_stored_article(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every stored article as a dict of its columns, ``tags`` and ``company_links`` (company_id,
    how) — enough to rebuild its record without the file it came from (``tags apply``)."""
    frame = con.execute(
        f"SELECT {', '.join('a.' + c for c in ARTICLE_COLUMNS)}, a.tags, "
        "  coalesce(l.links, []) AS company_links "
        "FROM articles a LEFT JOIN ("
        "  SELECT article_id, list([company_id, how] ORDER BY company_id, how) AS links "
        "  FROM article_companies GROUP BY article_id) l ON l.article_id = a.article_id "
        "ORDER BY a.published_at, a.article_id"
    ).df()
    frame = as_python_lists(frame, ["tags", "company_links"])
    records = frame.to_dict("records")
    for record in records:
        record["company_links"] = [tuple(link) for link in record["company_links"]]
        for key, value in record.items():
            if not isinstance(value, (list, tuple)) and pd.isna(value):
                record[key] = None
        record["published_at"] = pd.Timestamp(record["published_at"]).tz_convert("UTC")
    return records
