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

BUSY_MESSAGE = "database busy: another ingest/refresh is writing"


class DatabaseBusy(RuntimeError):
    """Another process holds the database file's lock."""


class DatabaseMissing(FileNotFoundError):
    """A read-only open of a database file that does not exist."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return (
        "Could not set lock" in text
        or "Conflicting lock" in text
        or "different configuration" in text
    )


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait_seconds: float = 5.0,
) -> duckdb.DuckDBPyConnection:
    """Open ``path``; a writable open also applies pending migrations.

    Retries for ``wait_seconds`` when another process holds the lock, then raises DatabaseBusy.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise DatabaseMissing(f"{path}: no database here yet (run `make data` or `python -m dashboard ingest data/`)")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            # IOException: another process holds the file. ConnectionException: this process
            # already has it open with another configuration (read-only vs read-write).
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(f"{BUSY_MESSAGE} ({path}); try again in a moment") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        migrate(con)
    elif schema_version(con) < latest_version():
        # A file written by an older release: migrate it once through a brief writer, then read.
        con.close()
        connect(path, read_only=False, wait_seconds=wait_seconds).close()
        return connect(path, read_only=True, wait_seconds=wait_seconds)
    return con


@contextlib.contextmanager
def reader(path: str | Path, *, wait_seconds: float = 5.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection."""
    con = connect(path, read_only=True, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def writer(path: str | Path, *, wait_seconds: float = 5.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection (the one writer)."""
    con = connect(path, read_only=False, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


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

    @contextlib.contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived read-only connection."""
        with reader(self._path, wait_seconds=self.wait_seconds) as con:
            yield con

    @contextlib.contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The one writer, as one transaction."""
        if self.read_only:
            raise PermissionError(f"{self.name}: opened read-only")
        try:
            with writer(self._path, wait_seconds=self.wait_seconds) as con, transaction(con):
                yield con
        except duckdb.ConnectionException as exc:
            # This process already has the file open read-only (DuckDB refuses a second configuration).
            if "different configuration" not in str(exc):
                raise
            raise DatabaseBusy(
                f"{BUSY_MESSAGE} ({self.name}: this process holds a read-only connection; close it first)"
            ) from None

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
