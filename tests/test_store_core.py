"""The store's core promises: migrations, one-transaction batches, a clear 'busy' on lock conflicts."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import duckdb
import pytest

from dashboard import store

DESIGN_TABLES = {
    "articles", "article_tags", "article_companies", "companies", "company_aliases",
    "listings", "events", "event_tags", "bars", "schema_version",
}


def tables(con) -> set[str]:
    return {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def old_database(path):
    """A file as the first release wrote it: only the first migration, and one company row."""
    first_version, first_name, first_sql = store.migrations()[0]
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")
    raw.execute(first_sql)
    raw.execute("INSERT INTO schema_version VALUES (?, ?, now())", [first_version, first_name])
    raw.execute("INSERT INTO companies VALUES ('acme', 'Acme Corp')")
    raw.close()
    return path


def test_new_database_gets_every_migration(tmp_path):
    with store.writer(tmp_path / "new.duckdb") as con:
        assert DESIGN_TABLES <= tables(con)
        assert store.schema_version(con) == store.migrations()[-1][0]
        applied = [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()]
        assert applied == [v for v, _, _ in store.migrations()]


def test_older_database_is_migrated_and_keeps_its_rows(tmp_path):
    path = old_database(tmp_path / "old.duckdb")

    with store.writer(path) as con:
        assert store.schema_version(con) == store.migrations()[-1][0]
        assert con.execute("SELECT name FROM companies WHERE company_id = ?", ["acme"]).fetchone() == ("Acme Corp",)


def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "db.duckdb"
    with store.writer(path):
        pass
    with store.writer(path) as con:
        count = con.execute("SELECT count(*) FROM schema_version").fetchone()[0]
    assert count == len(store.migrations())


def test_failed_batch_leaves_nothing_behind(tmp_path):
    path = tmp_path / "db.duckdb"
    with store.writer(path) as con:
        with pytest.raises(ValueError):
            with store.transaction(con):
                con.execute("INSERT INTO companies VALUES (?, ?)", ["half", "Half Written"])
                raise ValueError("parser failed mid-batch")
        assert con.execute("SELECT count(*) FROM companies").fetchone()[0] == 0


def test_connections_speak_utc(tmp_path):
    with store.writer(tmp_path / "db.duckdb") as con:
        assert con.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "UTC"


def test_read_only_open_of_a_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(store.DatabaseMissing, match="no database here yet"):
        store.connect(tmp_path / "absent.duckdb", read_only=True)


def test_lock_held_by_another_process_is_reported_as_busy_then_clears(tmp_path):
    path = tmp_path / "locked.duckdb"
    with store.writer(path):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, duckdb
            con = duckdb.connect({str(path)!r})
            print("holding", flush=True)
            sys.stdin.readline()
            con.close()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(store.DatabaseBusy, match="database busy: another ingest/refresh is writing"):
            store.connect(path, read_only=True, wait_seconds=0.3)
        # It told writers it was waiting while it waited, and stopped saying so when it gave up.
        assert not store.locks.readers_waiting(path)
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    with store.reader(path) as con:  # the lock is gone once the writer closes
        assert "bars" in tables(con)


def _holding(code: str) -> subprocess.Popen:
    """A child running ``code``, which prints "holding" and then blocks until it is killed."""
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "holding"
    return child


def _kill(child: subprocess.Popen) -> None:
    child.kill()  # SIGKILL: nothing of its own runs on the way out
    child.wait(timeout=30)


def test_a_reader_killed_while_waiting_does_not_hold_up_a_write(tmp_path):
    path = tmp_path / "db.duckdb"
    with store.writer(path):
        pass
    waiting = _holding(f"""
        import sys
        from pathlib import Path
        from dashboard.store import locks
        assert locks.wait_as_reader(Path({str(path)!r})) is not None
        print("holding", flush=True)
        sys.stdin.read()
    """)
    assert store.locks.readers_waiting(path)
    _kill(waiting)
    assert not store.locks.readers_waiting(path)  # the kernel let go of its lock with it
    with store.Database(path).write() as con:
        con.execute("SELECT 1")


def test_a_writer_keeps_new_readers_out_and_a_killed_one_locks_nobody_out(tmp_path):
    path = tmp_path / "db.duckdb"
    with store.writer(path):
        pass
    child = _holding(f"""
        import sys
        from dashboard import store
        with store.Database({str(path)!r}).write() as con:
            print("holding", flush=True)
            sys.stdin.read()
    """)
    try:
        assert store.locks.writer_announced(path)
        with pytest.raises(store.DatabaseBusy, match=rf"another ingest/refresh is writing \(.*PID {child.pid}\)") as busy:
            store.connect(path, read_only=True, wait_seconds=0.2)
        assert busy.value.holder == "writer"
    finally:
        _kill(child)
    assert not store.locks.writer_announced(path)
    with store.reader(path) as con:  # at once: nothing is left to wait for
        assert "bars" in tables(con)


def test_a_writer_behind_a_reader_that_keeps_the_file_open_says_so(tmp_path):
    path = tmp_path / "db.duckdb"
    with store.writer(path):
        pass
    child = _holding(f"""
        import sys
        from dashboard import store
        con = store.connect({str(path)!r}, read_only=True)
        print("holding", flush=True)
        sys.stdin.read()
    """)
    try:
        with pytest.raises(store.DatabaseBusy, match=rf"a reader has it open \(.*PID {child.pid}\)") as busy:
            with store.Database(path, wait_seconds=0.2).write():
                pass
        assert busy.value.holder == "reader"
    finally:
        _kill(child)
    # It gave up its announcement: readers are not kept out by a writer that is gone.
    assert not store.locks.writer_announced(path)


def test_writer_in_a_process_that_holds_a_reader_gets_busy_not_a_traceback(tmp_path):
    path = tmp_path / "db.duckdb"
    with store.writer(path):
        pass
    with store.reader(path):
        with pytest.raises(store.DatabaseBusy, match="database busy"):
            store.connect(path, wait_seconds=0.2)


def test_a_reader_of_an_older_database_migrates_it_first(tmp_path):
    path = old_database(tmp_path / "old.duckdb")

    with store.reader(path) as con:  # e.g. the app or an export, on a file from an older release
        assert store.schema_version(con) == store.latest_version()
        assert "refresh_log" in tables(con)
