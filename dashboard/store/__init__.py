"""The DuckDB record: connections, migrations, transactions.

All SQL lives in this package (``store/*.py`` and ``store/migrations/*.sql``); callers pass
Python values and get DataFrames back, always through bound parameters.

DuckDB locks a database file against every other process while it is open read-write (even a
read-only open elsewhere fails), so nothing here keeps a connection longer than one unit of work:
``reader()`` / ``writer()`` open, yield and close. A lock held by someone else is retried
briefly, then reported as :class:`DatabaseBusy` with a sentence a user can act on.
"""
from __future__ import annotations

import contextlib
import re
import time
from importlib import resources
from pathlib import Path
from typing import Iterator

import duckdb

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
    """A short-lived read-only connection.

    `path` may also be a read-only store object with its own `read()` (the lake,
    dashboard/lake/read.py): then its connection is yielded, so every reader runs unchanged.
    """
    if hasattr(path, "read"):
        with path.read() as con:
            yield con
        return
    con = connect(path, read_only=True, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def writer(path: str | Path, *, wait_seconds: float = 5.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection (the one writer). A read-only store refuses here."""
    if hasattr(path, "write"):
        with path.write() as con:
            yield con
        return
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


# ---------------------------------------------------------------------------------------------
# Migrations: store/migrations/NNN_name.sql, applied in order, each in its own transaction.

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every bundled migration, ordered by version."""
    found = []
    for entry in resources.files("dashboard.store").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version number: {versions}")
    return found


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
