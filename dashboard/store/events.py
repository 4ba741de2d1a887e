"""SQL for timeline events and their tags."""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from dashboard.records import Event
from dashboard.store import history
from dashboard.store.articles import TAG_KEYS_SQL, as_python_lists, lower_list, time_clauses
from dashboard.store.companies import company_ids_matching

EVENT_COLUMNS = [
    "event_id", "ts", "ts_raw", "ts_zone", "precision", "kind", "stance", "actor", "source",
    "headline", "detail", "source_url", "article_id", "company_id", "symbol", "value",
]
_STORED = EVENT_COLUMNS + ["origin", "content_hash"]


def stored_events(con: duckdb.DuckDBPyConnection, ids) -> dict[str, history.Stored]:
    """The stored version of each of ``ids`` that exists, its ``record`` an Event."""
    found = history.load_stored(con, history.EVENTS, ids)
    for stored in found.values():
        row = stored.row
        stored.record = Event(
            **{c: row[c] for c in _STORED}, tags=list(stored.tags), tag_origins=dict(stored.tag_origins),
            retracted=row["retracted_reason"] if row["retracted_at"] is not None else None)
    return found


def stored_event_ids(con: duckdb.DuckDBPyConnection, ids) -> set[str]:
    """Which of ``ids`` are stored events (one join, however many ids)."""
    wanted = pd.DataFrame({"id": list(ids)}, dtype=object)
    if wanted.empty:
        return set()
    con.register("wanted_event_ids", wanted)
    try:
        return {key for (key,) in con.execute(
            "SELECT e.event_id FROM events e JOIN wanted_event_ids w ON w.id = e.event_id").fetchall()}
    finally:
        con.unregister("wanted_event_ids")


def save_events(con: duckdb.DuckDBPyConnection, steps_by_id: dict[str, list],
                stored: dict[str, history.Stored], now: datetime) -> None:
    """Store what merging each event's copies gave (as store.articles.save_articles)."""
    added = [steps[-1].record for key, steps in steps_by_id.items() if key not in stored]
    changed = [steps[-1].record for key, steps in steps_by_id.items()
               if key in stored and any(step.status != "unchanged" for step in steps)]
    history.keep_first_revisions(con, history.EVENTS, steps_by_id, stored)
    rows = _event_rows(changed)
    rows["ingested_at"] = pd.Timestamp(now)
    history.update_rows(con, history.EVENTS, rows, list_columns=("tags",),
                        derived={"tag_keys": TAG_KEYS_SQL.format("n.tags")})
    _insert_events(con, added, now)
    history.write_history(con, history.EVENTS, steps_by_id, stored, now, lambda event: {})


def _event_rows(events: list[Event]) -> pd.DataFrame:
    rows = pd.DataFrame([{c: getattr(e, c) for c in _STORED} for e in events], columns=_STORED)
    rows["tags"] = pd.Series([list(e.tags) for e in events], dtype=object)
    return rows


def _insert_events(con: duckdb.DuckDBPyConnection, added: list[Event], now: datetime) -> None:
    """One bulk insert in ts order (time order keeps windows cheap), tag lists on the row (012)."""
    if not added:
        return
    rows = _event_rows(added)
    rows["ingested_at"] = pd.Timestamp(now)
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


def _where(con, *, kinds=(), companies=(), tags=(), sources=(), since=None, until=None,
           include_retracted: bool = False, article_ids=None) -> tuple[str, list]:
    clauses, params = [], []
    # The time bounds go first: rows are kept in ts order, so they prune whole row groups.
    time_sql, time_params = time_clauses("e.ts", since, until)
    clauses += time_sql
    params += time_params
    if article_ids is not None:  # the events linked to these articles (a search's matches)
        clauses.append("e.article_id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(article_ids))
    if not include_retracted:  # kept, but no view or export shows it unless asked (013)
        clauses.append("e.retracted_at IS NULL")
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
                 since=None, until=None, include_retracted: bool = False,
                 article_ids=None) -> pd.DataFrame:
    """Events matching the filters (docs/architecture.md "Filters"), oldest first; with
    ``include_retracted`` also the retracted ones, with ``retracted_at`` and ``retracted_reason``;
    with ``article_ids`` only the events linked to those articles."""
    where, params = _where(con, kinds=kinds, companies=companies, tags=tags, sources=sources,
                           since=since, until=until, include_retracted=include_retracted,
                           article_ids=article_ids)
    extra = ", e.retracted_at, e.retracted_reason" if include_retracted else ""
    frame = con.execute(
        f"SELECT {', '.join('e.' + c for c in EVENT_COLUMNS)}, e.tags{extra} "
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


def get_event(con: duckdb.DuckDBPyConnection, event_id: str) -> dict | None:
    """One event, retracted or not (``retracted_at``/``retracted_reason``), with its tags."""
    frame = con.execute(
        f"SELECT {', '.join('e.' + c for c in EVENT_COLUMNS)}, e.tags, e.retracted_at, "
        "e.retracted_reason FROM events e WHERE e.event_id = ?", [event_id]).df()
    return None if frame.empty else as_python_lists(frame, ["tags"]).iloc[0].to_dict()


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
