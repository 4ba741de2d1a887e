"""SQL for articles, their tags and company links."""
from __future__ import annotations

import re
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd

from dashboard.ingest import Article
from dashboard.store.companies import company_ids_matching

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
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert("UTC"), False


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

def stored_hashes(con: duckdb.DuckDBPyConnection, table: str, key: str, ids: list[str]) -> dict[str, str]:
    """id → content_hash for the ids already stored (``table``/``key`` are fixed names, not input)."""
    if not ids:
        return {}
    wanted = pd.DataFrame({"id": ids})
    con.register("wanted_ids", wanted)
    try:
        rows = con.execute(
            f"SELECT t.{key}, t.content_hash FROM {table} t JOIN wanted_ids w ON w.id = t.{key}"
        ).fetchall()
    finally:
        con.unregister("wanted_ids")
    return dict(rows)


def bulk_insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """INSERT every row of ``frame`` (columns named as in ``table``) in one statement."""
    if frame.empty:
        return
    con.register("new_rows", frame)
    try:
        columns = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM new_rows")
    finally:
        con.unregister("new_rows")


def save_articles(con: duckdb.DuckDBPyConnection, articles: list[Article], now: datetime) -> list[str]:
    """Store articles; returns 'added', 'updated' or 'unchanged' for each (by content hash).

    New rows go in as one bulk insert (a batch may hold thousands); changed rows are updated one
    by one, keeping their first ``ingested_at``.
    """
    previous = stored_hashes(con, "articles", "article_id", [a.article_id for a in articles])
    statuses, added, changed = [], [], []
    for article in articles:
        old = previous.get(article.article_id)
        if old == article.content_hash:
            statuses.append("unchanged")
        elif old is None:
            statuses.append("added")
            added.append(article)
        else:
            statuses.append("updated")
            changed.append(article)
    for article in changed:
        values = [getattr(article, c) for c in _STORED]
        values[ARTICLE_COLUMNS.index("published_at")] = article.published_at.to_pydatetime()
        assignments = ", ".join(f"{c} = ?" for c in _STORED if c != "article_id")
        con.execute(f"UPDATE articles SET {assignments}, updated_at = ? WHERE article_id = ?",
                    values[1:] + [now, article.article_id])
        con.execute("DELETE FROM article_tags WHERE article_id = ?", [article.article_id])
        con.execute("DELETE FROM article_companies WHERE article_id = ?", [article.article_id])
    rows = pd.DataFrame([{c: getattr(a, c) for c in _STORED} for a in added], columns=_STORED)
    rows["ingested_at"] = pd.Timestamp(now)
    bulk_insert(con, "articles", rows)
    written = added + changed
    bulk_insert(con, "article_tags", pd.DataFrame(
        [(a.article_id, tag, n) for a in written for n, tag in enumerate(a.tags)],
        columns=["article_id", "tag", "position"]))
    bulk_insert(con, "article_companies", pd.DataFrame(
        [(a.article_id, company_id, how) for a in written for company_id, how in a.company_links],
        columns=["article_id", "company_id", "how"]))
    return statuses


# --- reads ---------------------------------------------------------------------------------------

def _where(con, *, tags=(), companies=(), sources=(), since=None, until=None) -> tuple[str, list]:
    clauses, params = [], []
    wanted_tags = lower_list(tags)
    if wanted_tags:
        clauses.append("a.article_id IN (SELECT article_id FROM article_tags "
                       "WHERE list_contains(?, lower(tag)))")
        params.append(wanted_tags)
    if lower_list(companies):
        clauses.append("a.article_id IN (SELECT article_id FROM article_companies "
                       "WHERE list_contains(?, lower(company_id)))")
        params.append(lower_list(company_ids_matching(con, companies)))
    wanted_sources = lower_list(sources)
    if wanted_sources:
        clauses.append("list_contains(?, lower(a.source))")
        params.append(wanted_sources)
    time_sql, time_params = time_clauses("a.published_at", since, until)
    clauses += time_sql
    params += time_params
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


_SELECT = (
    f"SELECT {', '.join('a.' + c for c in ARTICLE_COLUMNS)}, "
    " (SELECT list(t.tag ORDER BY t.position, t.tag) FROM article_tags t "
    "   WHERE t.article_id = a.article_id) AS tags, "
    " (SELECT list(DISTINCT c.company_id ORDER BY c.company_id) FROM article_companies c "
    "   WHERE c.article_id = a.article_id) AS companies "
    "FROM articles a "
)


def query_articles(con: duckdb.DuckDBPyConnection, *, tags=(), companies=(), sources=(),
                   since=None, until=None, limit: int | None = None) -> pd.DataFrame:
    """Articles matching the filters (docs/architecture.md "Filters"), newest first."""
    where, params = _where(con, tags=tags, companies=companies, sources=sources,
                           since=since, until=until)
    limit_sql = ""
    if limit is not None:
        limit_sql = "LIMIT ?"
        params.append(int(limit))
    frame = con.execute(
        f"{_SELECT} {where} ORDER BY a.published_at DESC, a.article_id {limit_sql}", params
    ).df()
    return as_python_lists(frame, ["tags", "companies"])


def count_articles(con: duckdb.DuckDBPyConnection, *, tags=(), companies=(), sources=(),
                   since=None, until=None) -> int:
    where, params = _where(con, tags=tags, companies=companies, sources=sources,
                           since=since, until=until)
    return con.execute(f"SELECT count(*) FROM articles a {where}", params).fetchone()[0]


def tag_counts(con: duckdb.DuckDBPyConnection, *, companies=()) -> pd.DataFrame:
    """Tags with how many articles carry them (spellings that differ in case count as one)."""
    where, params = _where(con, companies=companies)
    return con.execute(
        "SELECT min(t.tag) AS tag, count(DISTINCT t.article_id) AS articles "
        f"FROM article_tags t JOIN articles a ON a.article_id = t.article_id {where} "
        "GROUP BY lower(t.tag) ORDER BY articles DESC, lower(min(t.tag))",
        params,
    ).df()


def list_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every source name of articles and events, sorted case-insensitively."""
    rows = con.execute(
        "SELECT source FROM articles UNION SELECT source FROM events WHERE source IS NOT NULL "
        "ORDER BY lower(source), source"
    ).fetchall()
    return [r[0] for r in rows]


def get_article(con: duckdb.DuckDBPyConnection, article_id: str) -> dict | None:
    """One article with its tags, companies and how each company was linked."""
    frame = as_python_lists(
        con.execute(f"{_SELECT} WHERE a.article_id = ?", [article_id]).df(), ["tags", "companies"]
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
