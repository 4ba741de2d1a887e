"""SQL for timeline events and their tags."""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from dashboard.ingest import Event
from dashboard.store.articles import as_python_lists, bulk_insert, lower_list, stored_hashes, time_clauses
from dashboard.store.companies import company_ids_matching

EVENT_COLUMNS = [
    "event_id", "ts", "ts_raw", "ts_zone", "precision", "kind", "stance", "actor", "source",
    "headline", "detail", "source_url", "article_id", "company_id", "symbol", "value",
]
_STORED = EVENT_COLUMNS + ["origin", "content_hash"]


def save_events(con: duckdb.DuckDBPyConnection, events: list[Event], now: datetime) -> list[str]:
    """Store events; returns 'added', 'updated' or 'unchanged' for each (by content hash)."""
    previous = stored_hashes(con, "events", "event_id", [e.event_id for e in events])
    statuses, added, changed = [], [], []
    for event in events:
        old = previous.get(event.event_id)
        if old == event.content_hash:
            statuses.append("unchanged")
        elif old is None:
            statuses.append("added")
            added.append(event)
        else:
            statuses.append("updated")
            changed.append(event)
    for event in changed:
        values = [getattr(event, c) for c in _STORED]
        values[EVENT_COLUMNS.index("ts")] = event.ts.to_pydatetime()
        assignments = ", ".join(f"{c} = ?" for c in _STORED if c != "event_id")
        con.execute(f"UPDATE events SET {assignments}, ingested_at = ? WHERE event_id = ?",
                    values[1:] + [now, event.event_id])
        con.execute("DELETE FROM event_tags WHERE event_id = ?", [event.event_id])
    rows = pd.DataFrame([{c: getattr(e, c) for c in _STORED} for e in added], columns=_STORED)
    rows["ingested_at"] = pd.Timestamp(now)
    bulk_insert(con, "events", rows)
    bulk_insert(con, "event_tags", pd.DataFrame(
        [(e.event_id, tag, n) for e in added + changed for n, tag in enumerate(e.tags)],
        columns=["event_id", "tag", "position"]))
    return statuses


def query_events(con: duckdb.DuckDBPyConnection, *, kinds=(), companies=(), tags=(), sources=(),
                 since=None, until=None) -> pd.DataFrame:
    """Events matching the filters (docs/architecture.md "Filters"), oldest first."""
    clauses, params = [], []
    wanted_kinds = lower_list(kinds)
    if wanted_kinds:
        clauses.append("list_contains(?, e.kind)")
        params.append(wanted_kinds)
    if lower_list(companies):
        clauses.append("list_contains(?, lower(e.company_id))")
        params.append(lower_list(company_ids_matching(con, companies)))
    wanted_tags = lower_list(tags)
    if wanted_tags:
        clauses.append("e.event_id IN (SELECT event_id FROM event_tags WHERE list_contains(?, lower(tag)))")
        params.append(wanted_tags)
    wanted_sources = lower_list(sources)
    if wanted_sources:
        clauses.append("list_contains(?, lower(e.source))")
        params.append(wanted_sources)
    time_sql, time_params = time_clauses("e.ts", since, until)
    clauses += time_sql
    params += time_params
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    frame = con.execute(
        f"SELECT {', '.join('e.' + c for c in EVENT_COLUMNS)}, "
        " (SELECT list(t.tag ORDER BY t.position, t.tag) FROM event_tags t "
        "   WHERE t.event_id = e.event_id) AS tags "
        f"FROM events e {where} ORDER BY e.ts, e.event_id",
        params,
    ).df()
    return as_python_lists(frame, ["tags"])


def count_events(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM events").fetchone()[0]
