"""The publish log: one Iceberg table, one snapshot per completed publish, one row per published
table (publish id, time, publisher, table, that table's snapshot id, its row count).

It is how a reader picks a consistent set of snapshots. Each table commits on its own, so table
heads taken at one instant may mix two publishes, or include a table committed by a publish that
died before finishing. The log is appended last, so "the snapshot current at T" is the newest log
snapshot committed at or before T; its rows name the snapshot of every table as one set. The log
table's snapshot id is the lake's version number, shown on screen and used as the cache key.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from dashboard.lake.catalog import LakeError, LakeLocation

TABLE = "publish_log"
PUBLISH_ID = "dashboard.publish-id"  # snapshot summary property of each log snapshot
SCHEMA = pa.schema([
    pa.field("publish_id", pa.string()),
    pa.field("published_at", pa.timestamp("us", tz="UTC")),  # when its log row was written
    pa.field("publisher", pa.string()),
    pa.field("table_name", pa.string()),
    pa.field("snapshot_id", pa.int64()),
    pa.field("row_count", pa.int64()),
])


@dataclass(frozen=True)
class LogEntry:
    publish_id: str
    published_at: dt.datetime
    publisher: str
    snapshots: dict[str, int | None]
    rows: dict[str, int]
    log_snapshot_id: int | None = None


def append(catalog, location: LakeLocation, entry: LogEntry) -> tuple[int, dt.datetime]:
    """Append one publish; returns the log's new snapshot id and its commit time (the moment the
    publish became visible: what --as-of compares with). An append never conflicts with another
    append, so a lost race is simply retried."""
    from pyiceberg.exceptions import CommitFailedException, NoSuchTableError, TableAlreadyExistsError

    ident = (location.namespace, TABLE)
    names = sorted(entry.snapshots)
    rows = pa.Table.from_pydict({
        "publish_id": [entry.publish_id] * len(names),
        "published_at": [entry.published_at] * len(names),
        "publisher": [entry.publisher] * len(names),
        "table_name": names,
        "snapshot_id": [entry.snapshots[n] for n in names],
        "row_count": [entry.rows[n] for n in names],
    }, schema=SCHEMA)
    for _ in range(8):
        try:
            table = catalog.load_table(ident)
        except NoSuchTableError:
            try:
                table = catalog.create_table(ident, schema=SCHEMA)
            except TableAlreadyExistsError:
                table = catalog.load_table(ident)
        try:
            table.append(rows, snapshot_properties={PUBLISH_ID: entry.publish_id})
        except CommitFailedException:
            continue
        for snapshot in reversed(table.metadata.snapshots):
            if snapshot.summary and snapshot.summary[PUBLISH_ID] == entry.publish_id:
                return snapshot.snapshot_id, _time(snapshot.timestamp_ms)
    raise LakeError("the publish log kept changing under this publish; run publish again")


def _time(millis: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(millis / 1000, dt.timezone.utc)


def _millis(when: dt.datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return int(when.timestamp() * 1000)


def resolve(catalog, location: LakeLocation, as_of: dt.datetime | None = None) -> LogEntry:
    """The publish current at `as_of` (default: the latest), with every table's snapshot id."""
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError
    from pyiceberg.expressions import EqualTo

    try:
        table = catalog.load_table((location.namespace, TABLE))
    except (NoSuchTableError, NoSuchNamespaceError):
        raise LakeError(f"nothing published yet at {location.describe()} "
                        "(run `python -m dashboard publish` first)") from None
    candidates = [s for s in table.metadata.snapshots if s.summary and s.summary[PUBLISH_ID]]
    if as_of is not None:
        limit = _millis(as_of)
        candidates = [s for s in candidates if s.timestamp_ms <= limit]
    if not candidates:
        first = min((s.timestamp_ms for s in table.metadata.snapshots), default=None)
        since = _time(first).isoformat() if first else "never"
        raise LakeError(f"--as-of {as_of.isoformat() if as_of else ''}: nothing was published by then "
                        f"(first publish: {since})")
    snapshot = max(candidates, key=lambda s: (s.timestamp_ms, s.sequence_number or 0))
    publish_id = snapshot.summary[PUBLISH_ID]
    rows = table.scan(snapshot_id=snapshot.snapshot_id,
                      row_filter=EqualTo("publish_id", publish_id)).to_arrow().to_pylist()
    return LogEntry(
        publish_id=publish_id,
        published_at=_time(snapshot.timestamp_ms),
        publisher=rows[0]["publisher"] if rows else "",
        snapshots={r["table_name"]: r["snapshot_id"] for r in rows},
        rows={r["table_name"]: r["row_count"] for r in rows},
        log_snapshot_id=snapshot.snapshot_id,
    )
