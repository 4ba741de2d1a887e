"""SQL for what re-ingest keeps (migration 013): revisions, origins, tag origins, retractions.

Articles and events are kept the same way; :class:`Kind` names the tables of each. The merge
rule itself is not here (``dashboard.ingest.merge``): this module loads what is current and
writes what the rule decided.

Revision 1 of a record with a single version is implicit in its current row (migration 023):
a new record costs one row in its table, not a second copy of its text in the revisions table.
:func:`first_revision_sql` is the one definition of that revision; :func:`history` reads it when a
record has no revision rows, and :func:`keep_first_revisions` writes it out, from the row as it
was, when a second version arrives (from then on every revision is a row, as before).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

import duckdb
import pandas as pd


@dataclass(frozen=True)
class Kind:
    """The tables of one kind of record (fixed names, never user input)."""

    table: str
    key: str
    tags: str
    revisions: str
    origins: str
    fields: tuple[str, ...]  # the full field set a revision holds, besides tags (and companies)
    lists: tuple[str, ...]  # the list columns a revision holds
    first_ingested_sql: str  # when revision 1 was stored, as SQL over the current row ``t``


# An article row keeps its first ``ingested_at`` and stamps ``updated_at`` on each later version
# (migration 013 dated revision 1 of an older, updated row by ``updated_at``); an event row's
# ``ingested_at`` is its latest version's. For a single version both are revision 1's time.
ARTICLES = Kind("articles", "article_id", "article_tags", "article_revisions", "article_origins", (
    "title", "source", "region", "published_at", "published_raw", "published_zone",
    "published_precision", "subtitle", "summary", "background", "insights", "body", "url", "stance"),
    ("tags", "company_ids"), "coalesce(t.updated_at, t.ingested_at)")
EVENTS = Kind("events", "event_id", "event_tags", "event_revisions", "event_origins", (
    "ts", "ts_raw", "ts_zone", "precision", "kind", "stance", "actor", "source", "headline", "detail",
    "source_url", "article_id", "company_id", "symbol", "value"), ("tags",), "t.ingested_at")


def first_revision_sql(kind: Kind) -> str:
    """SELECT of the implicit revision 1 of every record of ``kind`` that has no revision rows,
    in the revisions table's columns (``t``: the record table; add ``AND …`` to narrow it)."""
    columns = ", ".join(f"t.{name}" for name in (*kind.fields, *kind.lists))
    return (f"SELECT t.{kind.key}, CAST(1 AS INTEGER) AS revision, {columns}, t.content_hash, t.origin, "
            f"{kind.first_ingested_sql} AS ingested_at, CAST([] AS VARCHAR[]) AS changed "
            f"FROM {kind.table} t WHERE NOT EXISTS "
            f"(SELECT 1 FROM {kind.revisions} r WHERE r.{kind.key} = t.{kind.key})")


@dataclass
class Stored:
    """What the store holds for one record: its current row (as a dict), its tags with origins,
    how many revisions it has, the content hashes of every copy delivered so far."""

    row: dict[str, Any]
    tags: list[str] = field(default_factory=list)
    tag_origins: dict[str, str] = field(default_factory=dict)  # case-folded tag → origin
    revisions: int = 1
    first_implicit: bool = True  # no revision rows: revision 1 is the current row
    copy_hashes: set[str] = field(default_factory=set)
    record: Any = None  # the row as an Article or Event (set by store.articles / store.events)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params=()) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def _utc(value):
    return None if value is None else pd.Timestamp(value).tz_convert("UTC")


def load_stored(con: duckdb.DuckDBPyConnection, kind: Kind, ids: Iterable[str]) -> dict[str, Stored]:
    """id → Stored for the ids already in the store (read in a few set queries, not per id)."""
    wanted = pd.DataFrame({"id": sorted(set(ids))}, dtype=object)
    if wanted.empty:
        return {}
    con.register("wanted_ids", wanted)
    try:
        join = f"JOIN wanted_ids w ON w.id = t.{kind.key}"
        # Keys first: a join that projects t.* reads every column of every stored row (bodies
        # included); the key column alone is cheap, and a batch of new records stops here.
        present = con.execute(f"SELECT t.{kind.key} FROM {kind.table} t {join}").fetchall()
        if not present:  # tags, revisions and origins exist only for stored records
            return {}
        con.unregister("wanted_ids")
        con.register("wanted_ids", pd.DataFrame({"id": [key for (key,) in present]}, dtype=object))
        found = {row[kind.key]: Stored(row=row)
                 for row in _rows(con, f"SELECT t.* FROM {kind.table} t {join}")}
        for row in (stored.row for stored in found.values()):
            for name in ("published_at", "ts", "retracted_at"):
                if name in row:
                    row[name] = _utc(row[name])
        for key, tag, origin in con.execute(
                f"SELECT t.{kind.key}, t.tag, t.origin FROM {kind.tags} t {join} "
                f"ORDER BY t.{kind.key}, t.position, t.tag").fetchall():
            found[key].tags.append(tag)
            found[key].tag_origins[tag.casefold()] = origin or found[key].row.get("origin") or ""
        for key, count in con.execute(
                f"SELECT t.{kind.key}, max(t.revision) FROM {kind.revisions} t {join} GROUP BY 1").fetchall():
            found[key].revisions, found[key].first_implicit = count, False
        for key, copy_hash in con.execute(
                f"SELECT t.{kind.key}, t.copy_hash FROM {kind.origins} t {join}").fetchall():
            found[key].copy_hashes.add(copy_hash)
    finally:
        con.unregister("wanted_ids")
    return found


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame,
                 list_columns: Iterable[str] = ()) -> None:
    """INSERT every row of ``frame`` in one statement; ``list_columns`` are cast to VARCHAR[]
    (a batch whose lists are all empty would otherwise arrive as a list of NULL type)."""
    if frame.empty:
        return
    lists = set(list_columns)
    select = ", ".join(f"CAST({c} AS VARCHAR[])" if c in lists else c for c in frame.columns)
    con.register("new_rows", frame)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) SELECT {select} FROM new_rows")
    finally:
        con.unregister("new_rows")


def update_rows(con: duckdb.DuckDBPyConnection, kind: Kind, frame: pd.DataFrame,
                derived: dict[str, str] | None = None, list_columns: Iterable[str] = ()) -> None:
    """Rewrite the rows of ``frame`` (keyed by ``kind.key``) in one UPDATE; ``derived`` maps
    further columns to SQL over the new row ``n`` (e.g. a list's lower-cased keys)."""
    if frame.empty:
        return
    lists = set(list_columns)
    assignments = [f"{c} = CAST(n.{c} AS VARCHAR[])" if c in lists else f"{c} = n.{c}"
                   for c in frame.columns if c != kind.key]
    assignments += [f"{c} = {sql}" for c, sql in (derived or {}).items()]
    con.register("changed_rows", frame)
    try:
        con.execute(f"UPDATE {kind.table} SET {', '.join(assignments)} FROM changed_rows n "
                    f"WHERE {kind.table}.{kind.key} = n.{kind.key}")
    finally:
        con.unregister("changed_rows")


def delete_rows(con: duckdb.DuckDBPyConnection, table: str, key: str, ids: list[str]) -> None:
    """DELETE the rows of ``table`` whose ``key`` is one of ``ids`` (fixed names, not input)."""
    if not ids:
        return
    con.register("deleted_ids", pd.DataFrame({"id": ids}, dtype=object))
    try:
        con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT id FROM deleted_ids)")
    finally:
        con.unregister("deleted_ids")


def keep_first_revisions(con: duckdb.DuckDBPyConnection, kind: Kind, steps_by_id: dict[str, list],
                         stored: dict[str, Stored]) -> None:
    """Write out the implicit revision 1 of each stored record this batch gives a second version,
    from its current row; call it before that row is rewritten."""
    keys = [key for key, steps in steps_by_id.items()
            if key in stored and stored[key].first_implicit
            and any(step.status != "unchanged" for step in steps)]
    if not keys:
        return
    con.register("first_revision_ids", pd.DataFrame({"id": keys}, dtype=object))
    try:
        con.execute(f"INSERT INTO {kind.revisions} {first_revision_sql(kind)} "
                    f"AND t.{kind.key} IN (SELECT id FROM first_revision_ids)")
    finally:
        con.unregister("first_revision_ids")


def write_history(con: duckdb.DuckDBPyConnection, kind: Kind, steps_by_id: dict[str, list],
                  stored: dict[str, Stored], now: datetime, extra_lists) -> None:
    """Revisions (one per step that added or updated, except the only one of a new record,
    which its row holds), origins (every copy: first/last seen), tag rows of every written
    record, and retractions a copy asked for. A stored record's implicit revision 1 must have
    been written out first (:func:`keep_first_revisions`).

    ``steps_by_id``: id → the merge steps (``dashboard.ingest.merge.Step``) of this batch, in
    order; ``extra_lists(record)`` → further list columns of a revision (an article's companies).
    """
    revisions, deliveries, tag_rows, written, retractions = [], {}, [], [], []
    for key, steps in steps_by_id.items():
        before = stored.get(key)
        number = before.revisions if before else 0
        written_before = len(revisions)
        for step in steps:
            deliveries.setdefault((key, step.copy_origin, step.copy_hash), now)
            if step.status == "unchanged":
                continue
            number += 1
            record = step.record
            revisions.append({kind.key: key, "revision": number,
                              **{name: getattr(record, name) for name in kind.fields},
                              "tags": list(record.tags), **extra_lists(record),
                              "content_hash": record.content_hash, "origin": record.origin,
                              "ingested_at": pd.Timestamp(now), "changed": list(step.changed)})
        if before is None and number == 1:  # one version: implicit in the new row
            del revisions[written_before:]
        final = steps[-1].record
        if any(step.status != "unchanged" for step in steps):
            written.append(key)
            tag_rows += [(key, tag, n, final.tag_origins.get(tag.casefold(), final.origin))
                         for n, tag in enumerate(final.tags)]
        was_retracted = before is not None and before.row.get("retracted_at") is not None
        if final.retracted is not None and not was_retracted:
            retractions.append((key, final.retracted))
    if revisions:
        frame = pd.DataFrame(revisions)
        insert_frame(con, kind.revisions, frame,
                     [c for c in frame.columns if c in ("tags", "changed", "company_ids")])
    _replace_tags(con, kind, written, tag_rows)
    _record_deliveries(con, kind, deliveries)
    for key, reason in retractions:
        retract(con, kind, key, reason, now)


def _replace_tags(con, kind: Kind, keys: list[str], rows: list[tuple]) -> None:
    delete_rows(con, kind.tags, kind.key, keys)
    insert_frame(con, kind.tags, pd.DataFrame(rows, columns=[kind.key, "tag", "position", "origin"]))


def _record_deliveries(con, kind: Kind, deliveries: dict[tuple[str, str, str], datetime]) -> None:
    """Every copy's (record, origin, copy hash): a new row, or a later ``last_seen``."""
    if not deliveries:
        return
    frame = pd.DataFrame([(k, o, h, pd.Timestamp(t)) for (k, o, h), t in deliveries.items()],
                         columns=[kind.key, "origin", "copy_hash", "seen"])
    con.register("deliveries", frame)
    try:
        con.execute(
            f"UPDATE {kind.origins} SET last_seen = d.seen FROM deliveries d "
            f"WHERE {kind.origins}.{kind.key} = d.{kind.key} AND {kind.origins}.origin = d.origin "
            f"AND {kind.origins}.copy_hash = d.copy_hash")
        con.execute(
            f"INSERT INTO {kind.origins} SELECT d.{kind.key}, d.origin, d.copy_hash, d.seen, d.seen "
            f"FROM deliveries d ANTI JOIN {kind.origins} o "
            f"ON o.{kind.key} = d.{kind.key} AND o.origin = d.origin AND o.copy_hash = d.copy_hash")
    finally:
        con.unregister("deliveries")


def retract(con: duckdb.DuckDBPyConnection, kind: Kind, key: str, reason: str, now: datetime) -> bool:
    """Hide one record from views and exports, keeping it with the reason and time. An article's
    publication event goes with it. False when there is no such record."""
    found = con.execute(
        f"UPDATE {kind.table} SET retracted_at = ?, retracted_reason = ? WHERE {kind.key} = ? "
        "RETURNING 1", [now, reason, key]).fetchall()
    if found and kind is ARTICLES:
        retract(con, EVENTS, f"pub-{key}", reason, now)
    return bool(found)


# --- reads: one record with everything it went through ----------------------------------------

def history(con: duckdb.DuckDBPyConnection, kind: Kind, key: str) -> dict[str, Any] | None:
    """``tags`` (each with its origin), ``origins`` (each origin with first and last seen) and
    ``revisions`` (oldest first; each with its full fields and the fields it changed) of one
    record, plus ``retracted_at``/``retracted_reason``; None when there is no such record."""
    state = _rows(con, f"SELECT retracted_at, retracted_reason, origin FROM {kind.table} "
                       f"WHERE {kind.key} = ?", [key])
    if not state:
        return None
    tags = _rows(con, f"SELECT tag, coalesce(origin, ?) AS origin FROM {kind.tags} "
                      f"WHERE {kind.key} = ? ORDER BY position, tag", [state[0]["origin"] or "", key])
    origins = _rows(con, f"SELECT origin, min(first_seen) AS first_seen, max(last_seen) AS last_seen, "
                         f"count(*) AS copies FROM {kind.origins} WHERE {kind.key} = ? "
                         "GROUP BY origin ORDER BY first_seen, origin", [key])
    revisions = _rows(con, f"SELECT * EXCLUDE ({kind.key}) FROM {kind.revisions} "
                           f"WHERE {kind.key} = ? ORDER BY revision", [key])
    if not revisions:  # a single version: revision 1 is the current row
        revisions = _rows(con, f"SELECT * EXCLUDE ({kind.key}) FROM ({first_revision_sql(kind)} "
                               f"AND t.{kind.key} = ?)", [key])
    return {"retracted_at": state[0]["retracted_at"], "retracted_reason": state[0]["retracted_reason"],
            "tags": tags, "origins": origins, "revisions": revisions}
