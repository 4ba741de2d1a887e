"""SQL for timeline events and their tags."""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from dashboard.records import Event
from dashboard.store.articles import (
    TAG_KEYS_SQL, as_python_lists, bulk_insert, lower_list, classify_by_hash, time_clauses,
)
from dashboard.store.companies import company_ids_matching

EVENT_COLUMNS = [
    "event_id", "ts", "ts_raw", "ts_zone", "precision", "kind", "stance", "actor", "source",
    "headline", "detail", "source_url", "article_id", "company_id", "symbol", "value",
]
_STORED = EVENT_COLUMNS + ["origin", "content_hash"]


def save_events(con: duckdb.DuckDBPyConnection, events: list[Event], now: datetime) -> list[str]:
    """Store events; returns 'added', 'updated' or 'unchanged' for each (by content hash)."""
    statuses, added, changed = classify_by_hash(con, "events", "event_id", events)
    for event in changed:
        values = [getattr(event, c) for c in _STORED]
        values[EVENT_COLUMNS.index("ts")] = event.ts.to_pydatetime()
        assignments = ", ".join(f"{c} = ?" for c in _STORED if c != "event_id")
        tags = list(event.tags)
        con.execute(
            f"UPDATE events SET {assignments}, ingested_at = ?, "
            f" tags = CAST(? AS VARCHAR[]), tag_keys = {TAG_KEYS_SQL.format('?')} WHERE event_id = ?",
            values[1:] + [now, tags, tags, event.event_id])
        con.execute("DELETE FROM event_tags WHERE event_id = ?", [event.event_id])
    _insert_events(con, added, now)
    bulk_insert(con, "event_tags", pd.DataFrame(
        [(e.event_id, tag, n) for e in added + changed for n, tag in enumerate(e.tags)],
        columns=["event_id", "tag", "position"]))
    return statuses


def _insert_events(con: duckdb.DuckDBPyConnection, added: list[Event], now: datetime) -> None:
    """One bulk insert in ts order (time order keeps windows cheap), tag lists on the row (012)."""
    if not added:
        return
    rows = pd.DataFrame([{c: getattr(e, c) for c in _STORED} for e in added], columns=_STORED)
    rows["ingested_at"] = pd.Timestamp(now)
    rows["tags"] = pd.Series([list(e.tags) for e in added], dtype=object)
    rows["arrival"] = range(len(rows))
    columns = ", ".join(_STORED + ["ingested_at"])
    con.register("new_events", rows)
    try:
        # CAST: a batch whose lists are all empty would otherwise arrive as a list of NULL type.
        con.execute(
            f"INSERT INTO events ({columns}, tags, tag_keys) "
            f"SELECT {columns}, CAST(tags AS VARCHAR[]), {TAG_KEYS_SQL.format('tags')} "
            "FROM new_events ORDER BY ts, arrival"
        )
    finally:
        con.unregister("new_events")


def _where(con, *, kinds=(), companies=(), tags=(), sources=(), since=None, until=None) -> tuple[str, list]:
    clauses, params = [], []
    # The time bounds go first: rows are kept in ts order, so they prune whole row groups.
    time_sql, time_params = time_clauses("e.ts", since, until)
    clauses += time_sql
    params += time_params
    wanted_kinds = lower_list(kinds)
    if wanted_kinds:
        clauses.append("list_contains(?, e.kind)")
        params.append(wanted_kinds)
    if lower_list(companies):
        clauses.append("list_contains(?, lower(e.company_id))")
        params.append(lower_list(company_ids_matching(con, companies)))
    wanted_tags = lower_list(tags)
    if wanted_tags:
        clauses.append("list_has_any(e.tag_keys, ?)")  # mirrors event_tags, lower-cased
        params.append(wanted_tags)
    wanted_sources = lower_list(sources)
    if wanted_sources:
        clauses.append("list_contains(?, lower(e.source))")
        params.append(wanted_sources)
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


def query_events(con: duckdb.DuckDBPyConnection, *, kinds=(), companies=(), tags=(), sources=(),
                 since=None, until=None) -> pd.DataFrame:
    """Events matching the filters (docs/architecture.md "Filters"), oldest first."""
    where, params = _where(con, kinds=kinds, companies=companies, tags=tags, sources=sources,
                           since=since, until=until)
    frame = con.execute(
        f"SELECT {', '.join('e.' + c for c in EVENT_COLUMNS)}, e.tags "
        f"FROM events e {where} ORDER BY e.ts, e.event_id",
        params,
    ).df()
    return as_python_lists(frame, ["tags"])


def query_event_times(con: duckdb.DuckDBPyConnection, *, kinds=(), companies=(), tags=(), sources=(),
                      since=None, until=None) -> pd.DataFrame:
    """Only the ``ts`` (UTC, oldest first) of the events query_events would return.

    For callers that need when things happened, not what (e.g. the busiest day): at 187k events
    it is a numeric fetch instead of building 17 columns of Python strings and tag lists.
    """
    where, params = _where(con, kinds=kinds, companies=companies, tags=tags, sources=sources,
                           since=since, until=until)
    numbers = con.execute(f"SELECT epoch_us(e.ts) AS ts_us FROM events e {where} ORDER BY e.ts, e.event_id",
                          params).fetchnumpy()
    return pd.DataFrame({"ts": pd.to_datetime(numbers["ts_us"], unit="us", utc=True)})


def event_day_counts(con: duckdb.DuckDBPyConnection, *, zone: str = "UTC", kinds=(), companies=(),
                     tags=(), sources=(), since=None, until=None) -> pd.DataFrame:
    """How many matching events fall on each local day in ``zone``: columns ``day``
    (datetime.date) and ``events``, oldest day first. Days without events are absent.

    The count is done in DuckDB, so finding the busiest day of 187k events reads two columns
    instead of loading every event into pandas.
    """
    where, params = _where(con, kinds=kinds, companies=companies, tags=tags, sources=sources,
                           since=since, until=until)
    rows = con.execute(
        f"SELECT CAST(timezone(?, e.ts) AS DATE) AS day, count(*) AS events FROM events e {where} "
        "GROUP BY day ORDER BY day",
        [zone] + params,
    ).fetchall()
    return pd.DataFrame(rows, columns=["day", "events"]).astype({"events": "int64"})


def event_facets(con: duckdb.DuckDBPyConnection, *, companies=()) -> dict[str, pd.DataFrame]:
    """What the events of ``companies`` (all when empty) offer to filter on, with counts.

    ``kinds``: ``kind, events``, ``sources``: ``source, events`` (events without a source are
    left out), both sorted by name; ``tags``: ``tag, events``, one row per spelling as stored
    (a tag twice on one event counts twice), in the order the spellings first appear in
    ``query_events`` (by ts, event_id, then position in the event's list), so a caller that
    merges spellings keeps the first one it would have met there.
    """
    where, params = _where(con, companies=companies)
    kinds = con.execute(
        f"SELECT e.kind, count(*) AS events FROM events e {where} GROUP BY e.kind ORDER BY e.kind",
        params).df()
    sources_where = f"{where} AND e.source IS NOT NULL" if where else "WHERE e.source IS NOT NULL"
    sources = con.execute(
        f"SELECT e.source, count(*) AS events FROM events e {sources_where} "
        "GROUP BY e.source ORDER BY e.source", params).df()
    # The row's tag list (012) unnested beside its positions: no join with event_tags.
    tags = con.execute(
        "SELECT t.tag, count(*) AS events "
        "FROM (SELECT e.ts, e.event_id, unnest(e.tags) AS tag, "
        "             unnest(generate_series(1, len(e.tags))) AS position "
        f"      FROM events e {where}) t "
        "GROUP BY t.tag ORDER BY min((t.ts, t.event_id, t.position))",
        params).df()
    for frame in (kinds, sources, tags):
        frame["events"] = frame["events"].astype("int64")
    return {"kinds": kinds, "sources": sources, "tags": tags}


def count_events(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM events").fetchone()[0]


def rebuild_event_lists(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every event row's tag lists from event_tags and rewrite the table in ts order
    (see store.articles.rebuild_article_lists). Run it inside a transaction."""
    con.execute(
        """
        CREATE TEMP TABLE events_rebuilt AS
        SELECT e.* REPLACE (coalesce(t.tags, []) AS tags, coalesce(t.tag_keys, []) AS tag_keys)
        FROM events e
        LEFT JOIN (
            SELECT event_id, list(tag ORDER BY position, tag) AS tags,
                   list(lower(tag) ORDER BY position, tag) AS tag_keys
            FROM event_tags GROUP BY event_id
        ) t ON t.event_id = e.event_id
        ORDER BY e.ts, e.event_id
        """
    )
    try:
        con.execute("DELETE FROM events")
        con.execute("INSERT INTO events SELECT * FROM events_rebuilt ORDER BY ts, event_id")
    finally:
        con.execute("DROP TABLE events_rebuilt")
