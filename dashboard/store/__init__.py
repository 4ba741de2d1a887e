"""The DuckDB record: :class:`Database`, connections, migrations, transactions.

All SQL lives in this package (``store/*.py`` and ``store/migrations/*.sql``); callers pass
Python values and get DataFrames back, always through bound parameters. Code outside the store
holds a :class:`Database` and never opens DuckDB itself: ``db.read()`` yields a read-only
connection, ``db.write()`` one transaction on the one writer. The query functions in
``store/*.py`` take that connection as their first argument.

DuckDB locks a database file against every other process while it is open read-write (even a
read-only open elsewhere fails), so nothing here keeps a connection longer than one unit of work:
``reader()`` / ``writer()`` open, yield and close. A lock held by someone else is retried
briefly, then reported as :class:`DatabaseBusy` with a sentence a user can act on.

DuckDB's lock never waits, so the order among waiters is kept by two ``flock`` locks beside the
file (``store/locks.py``): a writer announces itself (``<db>.write-intent``) and new readers wait
behind it, so readers cannot hold a writer off; a waiting reader says so (``<db>.readers-waiting``)
and the next write lets it in first (``READER_HANDOFF_S``), so a chunked writer cannot shut readers
out.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import time
from importlib import resources
from pathlib import Path
from typing import Iterator

import duckdb

from dashboard import config
from dashboard.store import locks

BUSY_MESSAGE = "database busy: another ingest/refresh is writing"
READER_BUSY_MESSAGE = "database busy: a reader has it open"
# A refused open retries at most this far apart: a failed open costs about a millisecond, and a
# reader waiting for a writer's gap between transactions must notice the gap.
RETRY_MAX_DELAY_S = 0.05
# How often a reader waiting behind an announced writer looks again.
INTENT_POLL_S = 0.01
# The longest a write waits for waiting readers to get in before it announces itself anyway.
READER_HANDOFF_S = 1.0
# Rows per row group written by this store (DuckDB's default is 122,880). A checkpoint rewrites the
# table's last, partly filled row group: with the default, each 10,000-article transaction of a
# large ingest rewrote up to 120k rows of every table; at this size it rewrites at most 10k
# (docs/ingest.md has the measurement). DuckDB does not keep the size in the file, so every
# writer opens with it: a writer with another size would merge the small row groups again.
ROW_GROUP_SIZE = 10_240


class DatabaseBusy(RuntimeError):
    """Someone else holds the database file: ``holder`` is "writer", "reader" or "this process"."""

    def __init__(self, message: str, holder: str = "writer"):
        super().__init__(message)
        self.holder = holder


class DatabaseMissing(FileNotFoundError):
    """A read-only open of a database file that does not exist."""


class DatabaseOutdated(RuntimeError):
    """A read-only open that may not upgrade a file written by an older release."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return (
        "Could not set lock" in text
        or "Conflicting lock" in text
        or "different configuration" in text
        or "Unique file handle conflict" in text
    )


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait_seconds: float = 5.0,
    upgrade: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Open ``path``; a writable open also applies pending migrations. A read-only open of an
    older file migrates it first, unless ``upgrade`` is False (then DatabaseOutdated).

    Retries for ``wait_seconds`` when another process holds the lock, then raises DatabaseBusy.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise DatabaseMissing(f"{path}: no database here yet (run `make data` or `python -m dashboard ingest data/`)")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open_reader(path, wait_seconds) if read_only else _open_writer_waiting(path, wait_seconds)
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        migrate(con)
    elif schema_version(con) < latest_version():
        # A file written by an older release: migrate it once through a brief writer, then read.
        con.close()
        if not upgrade:
            raise DatabaseOutdated(f"{path}: written by an older release; any command without "
                                   "--dry-run upgrades it (e.g. `python -m dashboard articles`)")
        with writer(path, wait_seconds=wait_seconds):
            pass
        return connect(path, read_only=True, wait_seconds=wait_seconds)
    return con


_LOCK_ERRORS = (duckdb.IOException, duckdb.ConnectionException, duckdb.ResourceInUseException)
# IOException: another process holds the file. ConnectionException or ResourceInUseException:
# this process already has it open in another way.


def _open_reader(path: Path, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """Open read-only once no writer has announced itself; while waiting, say so to the writer."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.005
    waiting = refused = None
    try:
        while True:
            if not locks.writer_announced(path):
                try:
                    return duckdb.connect(str(path), read_only=True)
                except _LOCK_ERRORS as exc:
                    if not _is_lock_error(exc):
                        raise
                    refused = exc
            else:
                refused = None
            if waiting is None:
                waiting = locks.wait_as_reader(path)
            if time.monotonic() >= deadline:
                raise _busy(path, refused, wait_seconds)
            # Behind an announced writer, look often (a look costs microseconds): the writer's
            # handoff waits for this reader to get in.
            time.sleep(delay if refused else min(delay, INTENT_POLL_S))
            delay = min(delay * 2, RETRY_MAX_DELAY_S)
    finally:
        locks.release(waiting)


def _open_writer_waiting(path: Path, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """Open read-write, retrying while the file is held (by the readers already in, once this
    writer has announced itself: see ``writer``)."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.005
    while True:
        try:
            return _open_writer(path)
        except _LOCK_ERRORS as exc:
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise _busy(path, exc, wait_seconds) from None
        time.sleep(delay)
        delay = min(delay * 2, RETRY_MAX_DELAY_S)


_HELD_BY_PID = re.compile(r"\(PID (\d+)\)")


def _busy(path: Path, refused: Exception | None, waited: float) -> DatabaseBusy:
    """Who holds the file, in a sentence: ``refused`` is DuckDB's refusal (None: the file was
    never tried, a writer has announced itself)."""
    text = str(refused or "")
    if "different configuration" in text or "Unique file handle" in text:
        return DatabaseBusy(f"{BUSY_MESSAGE} ({path}: this process holds another connection to it; "
                            "close it first)", holder="this process")
    pid = _HELD_BY_PID.search(text)
    if pid and "read-only mode" in text:  # DuckDB adds that only when the holder reads
        return DatabaseBusy(f"{READER_BUSY_MESSAGE} ({path}, PID {pid.group(1)}) and kept it open "
                            f"for the {waited:g} s waited; try again once it has closed it", holder="reader")
    holder_pid = pid.group(1) if pid else locks.announced_writer_pid(path)
    who = f", PID {holder_pid}" if holder_pid else ""
    return DatabaseBusy(f"{BUSY_MESSAGE} ({path}{who}); try again in a moment", holder="writer")


def _open_writer(path: Path) -> duckdb.DuckDBPyConnection:
    """The file attached read-write with this store's row group size, as the default catalog."""
    con = duckdb.connect()
    try:
        quoted = str(path).replace("'", "''")  # ATTACH takes no bound parameter for the path
        con.execute(f"ATTACH '{quoted}' AS store (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
        con.execute("USE store")
    except BaseException:
        con.close()
        raise
    return con


@contextlib.contextmanager
def reader(path: str | Path, *, wait_seconds: float = 5.0,
           upgrade: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection (``upgrade``: see connect)."""
    con = connect(path, read_only=True, wait_seconds=wait_seconds, upgrade=upgrade)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def writer(path: str | Path, *, wait_seconds: float = 5.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection (the one writer): waiting readers are let in first
    (at most ``READER_HANDOFF_S``), then the writer announces itself, so no new reader comes in,
    and opens once the readers already in have closed (``store/locks.py``). ``wait_seconds``
    bounds each wait for a holder: another writer, or a reader that keeps the file open."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    locks.let_waiting_readers_in(path, READER_HANDOFF_S)
    intent = locks.announce_writer(path, wait_seconds)
    if intent is None:
        raise _busy(path, None, wait_seconds)
    try:
        con = connect(path, read_only=False, wait_seconds=wait_seconds)
        try:
            yield con
        finally:
            con.close()
    finally:
        locks.release(intent)


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One batch, one transaction: all of it lands or none of it does."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


class Database:
    """One database: the only seam between the rest of the code and storage (datasette-style).

    ``read()`` yields a short-lived read-only connection (TimeZone UTC); ``write()`` yields the
    one writer inside one transaction (all of it lands or none of it does). Lock conflicts come
    out as :class:`DatabaseBusy`, a missing file on read as :class:`DatabaseMissing`.

    Callers must not assume a file behind it: a lake-backed implementation (Iceberg scanned into
    an in-memory DuckDB with the same tables) offers the same ``read()`` / ``cache_key()`` /
    ``name``.
    """

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False, wait_seconds: float = 5.0):
        self._path = Path(path)
        self.read_only = read_only
        self.wait_seconds = wait_seconds

    def __repr__(self) -> str:
        return f"Database({str(self._path)!r}{', read_only=True' if self.read_only else ''})"

    @property
    def name(self) -> str:
        """Where the data lives, for messages and cache keys."""
        return str(self._path)

    def exists(self) -> bool:
        return self._path.exists()

    @property
    def local_file(self) -> Path | None:
        """The DuckDB file behind this database (a lake publish has none): what keeps files of
        its own beside it, such as the search index."""
        return self._path

    @contextlib.contextmanager
    def read(self, *, upgrade: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived read-only connection (``upgrade`` False: an older file is not migrated,
        DatabaseOutdated instead, so nothing is written)."""
        with reader(self._path, wait_seconds=self.wait_seconds, upgrade=upgrade) as con:
            yield con

    @contextlib.contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The one writer, as one transaction."""
        if self.read_only:
            raise PermissionError(f"{self.name}: opened read-only")
        with writer(self._path, wait_seconds=self.wait_seconds) as con, transaction(con):
            yield con

    def cache_key(self) -> float:
        """Changes whenever the data is written (the file's or its WAL's write time)."""
        stamp = 0.0
        for candidate in (self._path, self._path.with_name(self._path.name + ".wal")):
            try:
                stamp = max(stamp, candidate.stat().st_mtime)
            except OSError:
                pass
        return stamp


def as_database(db: "Database | str | os.PathLike | None" = None, *, read_only: bool = False) -> Database:
    """``db`` itself, or a Database for a path; None means ``--db`` / $DASHBOARD_DB / the default.
    Another implementation of the seam (the lake's read-only store, dashboard/lake/read.py) is
    passed through as it is."""
    if isinstance(db, Database) or hasattr(db, "cache_key"):
        return db
    return Database(config.resolve_db_path(db), read_only=read_only)


# ---------------------------------------------------------------------------------------------
# Migrations: store/migrations/NNN_name.sql, applied in order, each in its own transaction.

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every bundled migration, ordered by version."""
    return list(_bundled_migrations())


@functools.cache
def _bundled_migrations() -> tuple[tuple[int, str, str], ...]:
    """Read once per process: the files ship with the package and do not change under it."""
    found = []
    for entry in resources.files("dashboard.store").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version number: {versions}")
    return tuple(found)


def latest_version() -> int:
    """The version a database has once every bundled migration is applied."""
    return migrations()[-1][0]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    has_table = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not has_table:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration newer than the database; returns the resulting version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    current = schema_version(con)
    for version, name, sql in migrations():
        if version <= current:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, now())", [version, name]
            )
        current = version
    return current
