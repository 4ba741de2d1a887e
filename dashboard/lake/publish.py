"""`publish`: copy the local DuckDB store into Iceberg tables, one commit per changed table, then
one row per table in the publish log.

Incremental by partition: each table's Iceberg snapshot carries, in its summary, a fingerprint
per partition (bars: symbol x month; articles and events: month; other tables: the whole table).
A publish compares those with fingerprints of the local file and rewrites only the partitions
that differ (dropping partitions that vanished) in ONE overwrite snapshot. The data and its
fingerprints land in the same atomic commit, so a publish that dies part-way leaves every table
either before or after, and the next publish redoes exactly what is left.

Readers follow the publish log (dashboard/lake/log.py), not the tables' heads: a table committed
by a publish that died before its log row is invisible until a later publish completes.
"""
from __future__ import annotations

import datetime as dt
import json
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa

from dashboard import store
from dashboard.lake import log
from dashboard.lake.catalog import LakeError, LakeLocation, open_catalog
from dashboard.store import tables as local_tables

# (column, transform) per table; tables not named here are published whole.
PARTITIONS: dict[str, list[tuple[str, str]]] = {
    "bars": [("symbol", "identity"), ("ts", "month")],
    "articles": [("published_at", "month")],
    "events": [("ts", "month")],
}
FINGERPRINTS = "dashboard.partition-fingerprints"  # snapshot summary property
COMMIT_ATTEMPTS = 4


@dataclass
class TableResult:
    name: str
    snapshot_id: int | None
    rows: int  # rows in the table after this publish
    written_rows: int = 0
    written_partitions: int = 0
    dropped_partitions: int = 0
    partitions: int = 0
    retries: int = 0
    seconds: float = 0.0

    @property
    def committed(self) -> bool:
        return bool(self.written_partitions or self.dropped_partitions)

    def line(self) -> str:
        if not self.committed:
            return f"{self.name}: unchanged ({self.rows} rows, snapshot {self.snapshot_id})"
        retried = f", after {self.retries} retr{'y' if self.retries == 1 else 'ies'}" if self.retries else ""
        return (f"{self.name}: {self.written_partitions} of {self.partitions} partitions written "
                f"({self.written_rows} rows), {self.dropped_partitions} dropped, "
                f"snapshot {self.snapshot_id}{retried}, {self.seconds:.1f} s")


@dataclass
class PublishResult:
    publish_id: str
    published_at: dt.datetime
    log_snapshot_id: int
    tables: list[TableResult] = field(default_factory=list)


def _identifier(location: LakeLocation, table: str) -> tuple[str, str]:
    return (location.namespace, table)


def _partition_key(record) -> str:
    return "|".join(str(record[i]) for i in range(len(record)))


def _spec(schema, parts):
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import IdentityTransform, MonthTransform

    fields = []
    for i, (column, transform) in enumerate(parts):
        source = schema.find_field(column)
        kind = MonthTransform() if transform == "month" else IdentityTransform()
        name = f"{column}_month" if transform == "month" else column
        fields.append(PartitionField(source_id=source.field_id, field_id=1000 + i, transform=kind, name=name))
    return PartitionSpec(*fields)


def _load_or_create(catalog, ident, schema: pa.Schema, parts):
    from pyiceberg.exceptions import NoSuchTableError, TableAlreadyExistsError
    from pyiceberg.schema import assign_fresh_schema_ids

    try:
        table = catalog.load_table(ident)
    except NoSuchTableError:
        # Field ids first, so the partition spec can name its source columns by id.
        iceberg_schema = assign_fresh_schema_ids(catalog._convert_schema_if_needed(schema))
        try:
            return catalog.create_table(ident, schema=iceberg_schema,
                                        partition_spec=_spec(iceberg_schema, parts))
        except TableAlreadyExistsError:  # another publisher created it a moment ago
            return catalog.load_table(ident)
    missing = [f.name for f in schema if f.name not in table.schema().column_names]
    if missing:  # a local migration added columns: add them to the lake table (old files: null)
        with table.update_schema() as update:
            update.union_by_name(schema)
        table = catalog.load_table(ident)
    return table


def _previous_fingerprints(table) -> dict[str, str] | None:
    snapshot = table.current_snapshot()
    if snapshot is None:
        return None
    text = snapshot.summary[FINGERPRINTS] if snapshot.summary else None
    return json.loads(text) if text else {}


def _align(rows: pa.Table, table) -> pa.Table:
    """Columns in the lake table's order; columns the local file lacks are null."""
    target = table.schema().as_arrow()
    columns = []
    for f in target:
        if f.name in rows.column_names:
            columns.append(rows.column(f.name))
        else:
            columns.append(pa.nulls(rows.num_rows, f.type))
    return pa.Table.from_arrays(columns, names=target.names)


def _commit(table, rows: pa.Table, keys: set[str], fingerprints: dict[str, str],
            before_commit: Callable | None) -> None:
    """One overwrite snapshot: drop the data files of `keys`' partitions, add `rows`."""
    from pyiceberg.io.pyarrow import _dataframe_to_data_files

    whole_table = table.spec().is_unpartitioned()
    doomed = []
    if table.current_snapshot() is not None:
        for task in table.scan().plan_files():
            if task.delete_files:
                raise LakeError(f"{table.name()}: has delete files written by another engine; "
                                "compact it before publishing here")
            if whole_table or _partition_key(task.file.partition) in keys:
                doomed.append(task.file)
    props = {FINGERPRINTS: json.dumps(fingerprints, sort_keys=True, separators=(",", ":"))}
    tx = table.transaction()
    with tx.update_snapshot(snapshot_properties=props).overwrite() as overwrite:
        for data_file in doomed:
            overwrite.delete_data_file(data_file)
        if rows.num_rows:
            for data_file in _dataframe_to_data_files(table_metadata=tx.table_metadata, df=rows,
                                                      io=table.io, write_uuid=overwrite.commit_uuid):
                overwrite.append_data_file(data_file)
    if before_commit is not None:
        before_commit(table)
    tx.commit_transaction()


def publish_table(catalog, con, location: LakeLocation, name: str, *,
                  before_commit: Callable | None = None) -> TableResult:
    """Bring one lake table up to the local one, retrying when another publisher commits first."""
    from pyiceberg.exceptions import CommitFailedException, ValidationException

    parts = PARTITIONS.get(name, [])
    local = local_tables.partition_fingerprints(con, name, parts)
    total_rows = sum(int(v.split(":")[0]) for v in local.values())
    schema = local_tables.table_schema(con, name)
    ident = _identifier(location, name)
    for attempt in range(COMMIT_ATTEMPTS):
        table = _load_or_create(catalog, ident, schema, parts)
        previous = _previous_fingerprints(table)
        changed = sorted(k for k, v in local.items() if previous is None or previous.get(k) != v)
        gone = sorted(set(previous or {}) - set(local))
        if previous is not None and not changed and not gone:
            return TableResult(name, table.current_snapshot().snapshot_id, total_rows,
                               partitions=len(local), retries=attempt)
        rows = local_tables.partition_rows(con, name, parts, changed)
        try:
            _commit(table, _align(rows, table), set(changed) | set(gone), local, before_commit)
        except (CommitFailedException, ValidationException):
            # Someone else committed this table first (pyiceberg's own retry found their files in
            # our partitions): compare again with what they wrote.
            continue
        table = catalog.load_table(ident)
        return TableResult(name, table.current_snapshot().snapshot_id, total_rows,
                           written_rows=rows.num_rows, written_partitions=len(changed),
                           dropped_partitions=len(gone), partitions=len(local), retries=attempt)
    raise LakeError(f"{name}: another publish committed this table {COMMIT_ATTEMPTS} times while this "
                    "one was writing; run publish again when it has finished")


def publish(db: "store.Database | str | Path", location: LakeLocation, *,
            progress: Callable[[str], None] | None = None,
            before_commit: Callable | None = None) -> PublishResult:
    """Publish every table of the local file; returns what was written and the new log entry."""
    catalog = open_catalog(location)
    catalog.create_namespace_if_not_exists(location.namespace)
    publish_id = uuid.uuid4().hex
    results = []
    with store.as_database(db).read() as con:
        for name in local_tables.base_tables(con):
            started = time.perf_counter()
            result = publish_table(catalog, con, location, name, before_commit=before_commit)
            result.seconds = time.perf_counter() - started
            results.append(result)
            if progress:
                progress(result.line())
    entry = log.LogEntry(publish_id=publish_id, published_at=dt.datetime.now(dt.timezone.utc),
                         publisher=socket.gethostname(),
                         snapshots={r.name: r.snapshot_id for r in results},
                         rows={r.name: r.rows for r in results})
    log_snapshot, published_at = log.append(catalog, location, entry)
    return PublishResult(publish_id, published_at, log_snapshot, results)
