"""A read-only store backed by the lake: the store's own SQL, run unchanged in an in-memory DuckDB
whose tables are the Iceberg tables of one publish.

Each table becomes a pyarrow dataset over that snapshot's Parquet files, with every file tagged by
what the manifests already say about it (its partition values and the min/max of its timestamp
columns). Tables up to MATERIALIZE_ROWS rows (articles, events, their tags, listings ...) are
loaded once per publish into an in-memory DuckDB, where repeated filters run as fast as on the
local file. Bigger ones (bars) stay datasets: DuckDB pushes each query's filters into the scan and
pyarrow skips every file whose tags rule it out without opening it, so a chart window reads the
files of one symbol and the months it spans. Nothing is locked, and a publish running meanwhile
cannot change what this reader sees.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
from typing import Iterator

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from dashboard.lake import log
from dashboard.lake.catalog import READ_ONLY_MESSAGE, LakeError, LakeLocation, LakeReadOnly, open_catalog
from dashboard.store.tables import quote


def _month_bounds(ordinal: int) -> tuple[dt.datetime, dt.datetime]:
    year, month = divmod(ordinal, 12)
    start = dt.datetime(1970 + year, month + 1, 1, tzinfo=dt.timezone.utc)
    year, month = divmod(ordinal + 1, 12)
    return start, dt.datetime(1970 + year, month + 1, 1, tzinfo=dt.timezone.utc)


def _file_guarantee(data_file, table_schema, spec, arrow_schema: pa.Schema):
    """What the manifest guarantees about every row of `data_file`, as a pyarrow expression."""
    from pyiceberg.conversions import from_bytes
    from pyiceberg.transforms import IdentityTransform, MonthTransform
    from pyiceberg.types import TimestampType, TimestamptzType

    terms = []
    for i, part in enumerate(spec.fields):
        value = data_file.partition[i]
        column = table_schema.find_field(part.source_id).name
        if value is None or column not in arrow_schema.names:
            continue
        if isinstance(part.transform, IdentityTransform):
            terms.append(ds.field(column) == pa.scalar(value, arrow_schema.field(column).type))
        elif isinstance(part.transform, MonthTransform):
            start, end = _month_bounds(value)
            kind = arrow_schema.field(column).type
            terms.append((ds.field(column) >= pa.scalar(start, kind)) & (ds.field(column) < pa.scalar(end, kind)))
    for field in table_schema.fields:
        if not isinstance(field.field_type, (TimestampType, TimestamptzType)) or field.name not in arrow_schema.names:
            continue
        low = (data_file.lower_bounds or {}).get(field.field_id)
        high = (data_file.upper_bounds or {}).get(field.field_id)
        kind = arrow_schema.field(field.name).type
        if low is not None:
            terms.append(ds.field(field.name) >= pa.scalar(from_bytes(field.field_type, low), kind))
        if high is not None:
            terms.append(ds.field(field.name) <= pa.scalar(from_bytes(field.field_type, high), kind))
    guarantee = ds.scalar(True)
    for term in terms:
        guarantee = guarantee & term
    return guarantee


def table_dataset(table, snapshot_id: int | None):
    """The table at `snapshot_id` as something DuckDB can scan with filter pushdown."""
    from pyiceberg.io.pyarrow import schema_to_pyarrow

    arrow_schema = schema_to_pyarrow(table.schema(), include_field_ids=False)
    if snapshot_id is None:
        return arrow_schema.empty_table()
    scan = table.scan(snapshot_id=snapshot_id)
    tasks = list(scan.plan_files())
    snapshot_schema = table.schema()
    if any(t.delete_files for t in tasks):
        # Delete files (another engine's merge-on-read): let pyiceberg
        # apply them and hand DuckDB the result. (Columns added since a file was written read as null.)
        return scan.to_arrow()
    if not tasks:
        return arrow_schema.empty_table()
    spec = table.spec()
    paths, guarantees = [], []
    for task in tasks:
        paths.append(task.file.file_path)
        guarantees.append(_file_guarantee(task.file, snapshot_schema, table.specs()[task.file.spec_id]
                                          if task.file.spec_id in table.specs() else spec, arrow_schema))
    filesystem, paths = _filesystem(table, paths)
    return ds.FileSystemDataset.from_paths(paths, schema=arrow_schema, format=ds.ParquetFileFormat(),
                                           filesystem=filesystem, partitions=guarantees)


def _filesystem(table, paths: list[str]):
    """A pyarrow filesystem for the warehouse, with the same credentials and endpoint pyiceberg uses."""
    from urllib.parse import urlparse

    first = urlparse(paths[0])
    io = table.io
    fs = io.fs_by_scheme(first.scheme, first.netloc)
    if first.scheme in ("file", ""):
        return fs, [urlparse(p).path for p in paths]
    return fs, [f"{urlparse(p).netloc}{urlparse(p).path}" for p in paths]


MATERIALIZE_ROWS = 2_000_000


def materialize_rows() -> int:
    """Tables up to this many rows are loaded into memory once per publish; bigger ones (bars)
    are scanned per query, reading only the files the query's filters leave
    ($DASHBOARD_LAKE_MATERIALIZE_ROWS overrides)."""
    return int(os.environ.get("DASHBOARD_LAKE_MATERIALIZE_ROWS", MATERIALIZE_ROWS))


def _time_order(table) -> str | None:
    """The column a table is partitioned by month on, if any: its natural read order."""
    from pyiceberg.transforms import MonthTransform

    for part in table.spec().fields:
        if isinstance(part.transform, MonthTransform):
            return table.schema().find_field(part.source_id).name
    return None


class LakeDatabase:
    """The store seam, read from one publish of the lake (see `open_lake`).

    `read()` yields an in-memory DuckDB connection with the store's table names and columns;
    `write()` refuses; `cache_key()` names the publish (its log snapshot id).
    """

    def __init__(self, location: LakeLocation, entry: log.LogEntry, catalog):
        self.location = location
        self.entry = entry
        self._memory = duckdb.connect()  # this publish's small tables, shared by every read()
        self._memory.execute("SET TimeZone = 'UTC'")
        self._scanned: dict[str, object] = {}  # big tables, scanned per query with pushdown
        for name, snapshot_id in entry.snapshots.items():
            table = catalog.load_table((location.namespace, name))
            dataset = table_dataset(table, snapshot_id)
            if entry.rows.get(name, 0) > materialize_rows():
                self._scanned[name] = dataset
                continue
            # Held as a DuckDB table in time order, like the local file, so a date window skips
            # row groups by their min/max the same way.
            order = _time_order(table)
            self._memory.register("incoming", dataset)
            self._memory.execute(f"CREATE TABLE {quote(name)} AS SELECT * FROM incoming"
                                 + (f" ORDER BY {quote(order)}" if order else ""))
            self._memory.unregister("incoming")

    @property
    def snapshot_id(self) -> int:
        return self.entry.log_snapshot_id

    @property
    def published_at(self) -> dt.datetime:
        return self.entry.published_at

    @property
    def name(self) -> str:
        """Where the data lives, for messages and cache keys (credentials masked)."""
        return self.location.describe()

    @property
    def local_file(self) -> None:
        """No DuckDB file behind a publish (``store.Database.local_file`` has one)."""
        return None

    def exists(self) -> bool:
        return True  # resolving the publish already proved it

    def cache_key(self) -> str:
        return f"lake:{self.snapshot_id}"

    def describe(self) -> str:
        """One line for the screen: which publish, and when it was published."""
        when = self.published_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"Lake snapshot {self.snapshot_id}, published {when}"

    def source_info(self) -> dict:
        """What a report records so it can be rebuilt from exactly this data."""
        return {
            "kind": "iceberg",
            "snapshot_id": self.snapshot_id,
            "publish_id": self.entry.publish_id,
            "published_at": self.published_at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
            "catalog": self.location.describe(),
            "table_snapshots": dict(sorted(self.entry.snapshots.items())),
        }

    @contextlib.contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own (one per thread) on this publish's tables."""
        con = self._memory.cursor()
        try:
            con.execute("SET TimeZone = 'UTC'")
            for name, dataset in self._scanned.items():
                con.register(name, dataset)
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def write(self):
        raise LakeReadOnly(READ_ONLY_MESSAGE)
        yield  # pragma: no cover (a generator, so `with` reaches the raise)


_CATALOGS: dict[LakeLocation, object] = {}
_OPENED: dict[tuple[LakeLocation, int], LakeDatabase] = {}
_KEEP = 2  # publishes kept open per process (a reader may still hold the previous one)


def open_lake(location: LakeLocation, as_of: dt.datetime | None = None) -> LakeDatabase:
    """The store as of `as_of` (default: the latest complete publish). Cheap when nothing was
    published since the last call: the catalog and each publish's file lists are kept."""
    catalog = _CATALOGS.get(location)
    if catalog is None:
        catalog = _CATALOGS[location] = open_catalog(location)
    entry = log.resolve(catalog, location, as_of)
    key = (location, entry.log_snapshot_id)
    database = _OPENED.get(key)
    if database is None:
        database = _OPENED[key] = LakeDatabase(location, entry, catalog)
        while len(_OPENED) > _KEEP:
            _OPENED.pop(next(iter(_OPENED)))
    return database


def parse_as_of(text: str | None) -> dt.datetime | None:
    """`--as-of` / `?as_of=`: an ISO time (UTC unless an offset is given) or a date (its end)."""
    if not text:
        return None
    import pandas as pd

    from dashboard.timeutil import to_utc

    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise LakeError(f"--as-of {text!r}: not a date or ISO time") from None
    stamp = to_utc(stamp)
    if len(text.strip()) == 10:  # a bare date: as of the end of that day
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return stamp.to_pydatetime()
