"""Crash safety and concurrent access: a killed batch leaves nothing behind; readers and a busy
database are handled without tracebacks."""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from dashboard import store
from dashboard.ingest.pipeline import ingest_paths

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def _ingest(db, *paths, **kwargs):
    return ingest_paths(db, paths, companies_file=FIXTURES / "companies.toml",
                        sources_file=FIXTURES / "sources.toml", **kwargs)


def _counts(db) -> dict[str, int]:
    with store.reader(db) as con:
        return {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("articles", "article_tags", "article_companies", "events", "event_tags")}


def _python(code: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stdin=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def _kill_while_writing(db: Path, batch: Path, companies_file: str | None, *, chunk: int = 1,
                        chunk_articles: int | None = 10_000) -> None:
    """Ingest ``batch`` in a child process and kill -9 it once the articles of its ``chunk``-th
    transaction are written, inside that open transaction (it announces that, then blocks on
    stdin until it is killed)."""
    child = _python(f"""
        import sys
        from dashboard.ingest.pipeline import ingest_paths
        chunks = 0
        def progress(stage, written):
            global chunks
            chunks += stage == "articles"
            if stage == "articles" and chunks == {chunk}:
                print("writing", flush=True)
                sys.stdin.read()
        ingest_paths({str(db)!r}, [{str(batch)!r}], companies_file={companies_file!r},
                     sources_file=None, progress=progress, chunk_articles={chunk_articles!r})
        print("finished", flush=True)
    """)
    try:
        assert child.stdout.readline().strip() == "writing"
        workers = _children(child.pid)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    # Its parse workers die with it (they would otherwise wait forever on a pipe nobody reads).
    deadline = time.monotonic() + 60
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"parse workers {workers} outlived the killed ingest"
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for its parent to collect it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_killed_batch_leaves_database_as_it_was(tmp_path):
    db = tmp_path / "db.duckdb"
    _ingest(db, FIXTURES / "seed.txt")
    before = _counts(db)
    big = tmp_path / "big.jsonl"
    with big.open("w", encoding="utf-8") as handle:
        for n in range(2000):
            handle.write(json.dumps({
                "title": f"Generated story {n}", "source": "Generator",
                "published": f"2025-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
                "tags": ["Generated", f"tag{n % 7}"], "summary": "Alibaba shares moved.",
            }) + "\n")
    _kill_while_writing(db, big, companies_file=str(FIXTURES / "companies.toml"))
    assert _counts(db) == before
    # and the file is healthy: the same batch goes through afterwards
    report = _ingest(db, big)
    assert report.articles.added == 2000
    assert _counts(db)["articles"] == before["articles"] + 2000


_RECORD_TABLES = ("articles", "article_tags", "article_companies", "article_revisions", "article_origins",
                  "events", "event_tags", "event_revisions", "event_origins")


# Columns holding the time of the ingest itself.
_CLOCK = {"articles": "ingested_at, updated_at", "article_revisions": "ingested_at", "events": "ingested_at",
          "event_revisions": "ingested_at", "article_origins": "first_seen, last_seen",
          "event_origins": "first_seen, last_seen"}


def _every_row(db, *, without_clock: bool = False) -> dict[str, list]:
    with store.reader(db) as con:
        return {table: con.execute(
            f"SELECT *{f' EXCLUDE ({_CLOCK[table]})' if without_clock and table in _CLOCK else ''} "
            f"FROM {table} ORDER BY ALL").fetchall() for table in _RECORD_TABLES}


def test_killed_merge_leaves_every_table_as_it_was_including_revisions(tmp_path):
    """kill -9 while a batch of new versions of stored articles is being merged and written."""
    db = tmp_path / "db.duckdb"

    def batch(path: Path, summary: str, tag: str) -> Path:
        with path.open("w", encoding="utf-8") as handle:
            for n in range(2000):
                handle.write(json.dumps({
                    "title": f"Generated story {n}", "source": "Generator",
                    "published": f"2025-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
                    "tags": [tag], "summary": f"{summary} {n}",
                }) + "\n")
        return path

    _ingest(db, batch(tmp_path / "first.jsonl", "First version", "Generated"))
    _ingest(db, batch(tmp_path / "second.jsonl", "Second version", "Revised"))
    before = _every_row(db)
    assert len(before["article_revisions"]) == 4000
    third = batch(tmp_path / "third.jsonl", "Third version", "Third")
    _kill_while_writing(db, third, companies_file=None)
    assert _every_row(db) == before
    report = _ingest(db, third)
    assert report.articles.updated == 2000
    assert len(_every_row(db)["article_revisions"]) == 6000


def test_killed_chunked_ingest_keeps_whole_chunks_and_a_rerun_completes_it(tmp_path):
    """An ingest is written in chunks of whole files: killed in its second chunk, the first stays,
    every stored article is whole, and running it again adds exactly the rest."""
    folder = tmp_path / "batch"
    folder.mkdir()
    for part in range(6):
        with (folder / f"part-{part}.jsonl").open("w", encoding="utf-8") as handle:
            for n in range(part * 300, part * 300 + 300):
                handle.write(json.dumps({
                    "title": f"Generated story {n}", "source": "Generator",
                    "published": f"2025-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
                    "tags": ["Generated", f"tag{n % 7}"], "summary": "Alibaba shares moved.",
                }) + "\n")
    db, clean = tmp_path / "db.duckdb", tmp_path / "clean.duckdb"
    _kill_while_writing(db, folder, companies_file=str(FIXTURES / "companies.toml"), chunk=2,
                        chunk_articles=600)
    kept = _every_row(db)
    assert len(kept["articles"]) == 600  # the first chunk: two whole files
    ids = {row[0] for row in kept["articles"]}
    assert {row[0] for row in kept["article_origins"]} == ids
    assert kept["article_revisions"] == []  # one version each: implicit in the row
    assert {row[0] for row in kept["events"]} == {f"pub-{key}" for key in ids}
    assert len(kept["article_tags"]) == 2 * 600

    report = _ingest(db, folder, chunk_articles=600)
    assert (report.articles.added, report.articles.unchanged, report.articles.updated) == (1200, 600, 0)
    _ingest(clean, folder, chunk_articles=None)

    assert _every_row(db, without_clock=True) == _every_row(clean, without_clock=True)


def test_a_writer_held_in_the_same_process_makes_ingest_busy_not_a_second_writer(tmp_path):
    """Writers attach the file with this store's row group size, so DuckDB refuses a second
    writer of the same file in one process; that is reported as busy, never a shared write."""
    db = tmp_path / "db.duckdb"
    _ingest(db, FIXTURES / "seed.txt")
    con = store.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        with pytest.raises(store.DatabaseBusy, match="database busy"):
            _ingest(store.Database(db, wait_seconds=0.3), FIXTURES / "reports.jsonl")
    finally:
        con.close()
    assert _ingest(db, FIXTURES / "reports.jsonl").articles.added == 4
    assert _counts(db)["articles"] == 5


def test_read_only_connection_in_the_same_process_is_reported_as_busy(tmp_path):
    db = tmp_path / "db.duckdb"
    _ingest(db, FIXTURES / "seed.txt")
    with store.reader(db):
        with pytest.raises(store.DatabaseBusy, match="database busy"):  # after the (shortened) wait
            _ingest(store.Database(db, wait_seconds=0.3), FIXTURES / "reports.jsonl")
    assert _ingest(db, FIXTURES / "reports.jsonl").articles.added == 4


def _reader_process(db: Path) -> subprocess.Popen:
    reader = _python(f"""
        import sys
        from dashboard import store
        con = store.connect({str(db)!r}, read_only=True)
        print("open", flush=True)
        sys.stdin.readline()
        con.close()
        print("closed", flush=True)
    """)
    assert reader.stdout.readline().strip() == "open"
    return reader


def _cli(*args) -> list[str]:
    return [sys.executable, "-m", "dashboard", *args]


def test_other_process_reader_makes_ingest_report_busy(tmp_path):
    db = tmp_path / "db.duckdb"
    _ingest(db, FIXTURES / "seed.txt")
    reader = _reader_process(db)
    try:
        result = subprocess.run(_cli("ingest", str(FIXTURES / "reports.jsonl"), "--db", str(db), "--wait", "0.2"),
                                cwd=ROOT, capture_output=True, text=True)
    finally:
        reader.communicate("\n")
    assert result.returncode == 1
    # It says who holds the file (a reader, not a writer that does not exist) and what it kept.
    assert f"database busy: a reader has it open ({db}, PID {reader.pid})" in result.stderr
    assert "this ingest stored nothing" in result.stderr
    assert "Traceback" not in result.stderr
    assert _counts(db)["articles"] == 1


def test_ingest_waits_for_a_reader_to_close(tmp_path):
    db = tmp_path / "db.duckdb"
    _ingest(db, FIXTURES / "seed.txt")
    reader = _reader_process(db)
    ingest = subprocess.Popen(_cli("ingest", str(FIXTURES / "reports.jsonl"), "--db", str(db), "--wait", "60"),
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reader.communicate("\n")
    out, err = ingest.communicate()
    assert ingest.returncode == 0, err
    assert "articles: 4 added" in out
    assert _counts(db)["articles"] == 5


def test_a_waiting_reader_gets_in_between_a_writers_transactions(tmp_path):
    """A chunked ingest reconnects the instant it commits, so a reader retrying beside it would
    lose every race for the lock. A waiting reader says so; the writer's next transaction lets it
    in first (store.locks.let_waiting_readers_in)."""
    db = tmp_path / "db.duckdb"
    with store.writer(db) as con:
        con.execute("CREATE TABLE ticks (n INTEGER)")
    writer = _python(f"""
        import sys
        from dashboard import store
        store.READER_HANDOFF_S = 120  # the reader getting in ends the wait, not a clock
        db = store.Database({str(db)!r}, wait_seconds=120)
        for n in (1, 2):
            with db.write() as con:
                con.execute("INSERT INTO ticks VALUES (?)", [n])
                print(f"in {{n}}", flush=True)
                sys.stdin.readline()
    """)
    seen = {}

    def read():
        with store.reader(db, wait_seconds=120) as con:
            seen["ticks"] = con.execute("SELECT count(*) FROM ticks").fetchone()[0]

    reader = threading.Thread(target=read)
    try:
        assert writer.stdout.readline().strip() == "in 1"
        reader.start()
        deadline = time.monotonic() + 60
        while not store.locks.readers_waiting(db):  # the reader was kept out and said so
            assert time.monotonic() < deadline, "the refused reader never flagged itself"
            time.sleep(0.01)
        writer.stdin.write("\n")
        writer.stdin.flush()  # transaction 1 commits; the writer goes straight for the next
        assert writer.stdout.readline().strip() == "in 2", writer.stderr.read()
        # The reader was in and out before the writer took the lock again.
        reader.join(timeout=60)
        assert seen == {"ticks": 1}
        assert not store.locks.readers_waiting(db)
    finally:
        writer.communicate("\n", timeout=60)
        reader.join(timeout=60)
    assert writer.returncode == 0


def _jsonl_folder(folder: Path, files: int, per_file: int) -> Path:
    folder.mkdir()
    for part in range(files):
        with (folder / f"part-{part:02d}.jsonl").open("w", encoding="utf-8") as handle:
            for n in range(part * per_file, (part + 1) * per_file):
                handle.write(json.dumps({
                    "title": f"Generated story {n}", "source": "Generator",
                    "published": f"2025-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
                    "tags": ["Generated", f"tag{n % 7}"], "summary": "Alibaba shares moved.",
                }) + "\n")
    return folder


def test_a_writer_that_gives_up_says_who_holds_the_database_and_what_it_kept(tmp_path, monkeypatch):
    from dashboard.ingest import pipeline

    db = tmp_path / "db.duckdb"
    folder = _jsonl_folder(tmp_path / "batch", files=2, per_file=300)
    real_store_parsed, readers = pipeline.store_parsed, []

    def store_then_a_reader_keeps_it_open(*args, **kwargs):
        real_store_parsed(*args, **kwargs)
        if not readers:  # after the first chunk: a reader opens the file and keeps it open
            readers.append(_reader_process(db))

    monkeypatch.setattr(pipeline, "store_parsed", store_then_a_reader_keeps_it_open)
    try:
        with pytest.raises(store.DatabaseBusy) as busy:
            _ingest(store.Database(db, wait_seconds=0.3), folder, chunk_articles=300)
    finally:
        for reader in readers:
            reader.communicate("\n")
    assert busy.value.holder == "reader"
    assert f"a reader has it open ({db}, PID {readers[0].pid})" in str(busy.value)
    assert "the 300 articles this ingest stored before are kept, and running it again adds the rest" in str(busy.value)
    assert _counts(db)["articles"] == 300
    monkeypatch.undo()
    assert _ingest(db, folder, chunk_articles=300).articles.added == 300


def test_the_bench_reader_opens_the_file_beside_an_ingest_shorter_than_its_interval(tmp_path):
    """The bench's reader (dashboard/bench/busy.py) says "probing" once it is ready, and opens
    the file as soon as the ingest has made it: a 2-article ingest (well under its 250 ms between
    opens) still gets a reader beside it. It used to start looking after the ingest was over."""
    db, folder = tmp_path / "probed.duckdb", _jsonl_folder(tmp_path / "in", files=1, per_file=2)
    reader = subprocess.Popen([sys.executable, "-m", "dashboard.bench.busy", str(db)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ready, _, _ = select.select([reader.stdout], [], [], 60)
    if not ready:  # it would otherwise wait for stdin to close, as it did before it said "probing"
        reader.kill()
    assert ready and reader.stdout.readline().strip() == "probing", reader.communicate()[1]
    assert _ingest(db, folder).articles.added == 2
    probe = json.loads(reader.communicate("")[0])
    assert probe["attempts"] >= 1 and probe["busy"] == 0, probe


def _app_readers(db: Path, count: int, sessions: int) -> list[subprocess.Popen]:
    """Desks reloading the page: processes running the app's read of the default view back to
    back, in ``sessions`` threads each as a Streamlit server serves sessions
    (dashboard/bench/busy.py --app); each says "reading" once every session has read once."""
    readers = [subprocess.Popen([sys.executable, "-m", "dashboard.bench.busy", str(db), "--app", "--sessions", str(sessions)],
                                cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE) for _ in range(count)]
    for reader in readers:
        assert reader.stdout.readline().strip() == "reading", reader.stderr.read()
    return readers


@pytest.mark.slow
def test_an_ingest_of_many_files_completes_while_readers_loop_over_the_apps_reads(tmp_path):
    """Readers that re-open the file for every read used to keep a writer out until it gave up
    ("database busy"): it now announces itself and new readers wait behind it (store/locks.py).
    (Three processes of three sessions each made the old code give up; one session each keeps
    this test short, and the relay test below leaves the writer no gap at all.)"""
    db = tmp_path / "db.duckdb"
    _ingest(db, FIXTURES / "seed.txt")
    folder = _jsonl_folder(tmp_path / "batch", files=6, per_file=50)
    readers = _app_readers(db, 3, sessions=1)
    try:
        ingest = _python(f"""
            import sys
            from dashboard.ingest.pipeline import ingest_paths
            report = ingest_paths({str(db)!r}, [{str(folder)!r}], companies_file={str(FIXTURES / "companies.toml")!r},
                                  sources_file=None, chunk_articles=100)  # a transaction per 100
            print(report.articles)
            sys.exit(0 if report.ok else 1)
        """)
        out, err = ingest.communicate(timeout=300)
    finally:
        seen = [json.loads(reader.communicate("", timeout=120)[0]) for reader in readers]
    assert ingest.returncode == 0, err
    assert out.startswith("300 added, 0 updated, 0 unchanged, 0 rejected"), out
    assert _counts(db)["articles"] == 301
    for reader, probe in zip(readers, seen):
        assert reader.returncode == 0
        assert (probe["busy"], probe["errors"], probe["first_error"]) == (0, 0, None), probe
        assert probe["attempts"] >= 2


def test_readers_whose_reads_overlap_without_a_gap_cannot_keep_a_writer_out(tmp_path):
    """The file never free: each read opens the next connection before it closes its own (up to
    0.2 s later: a slow read). DuckDB alone would refuse the writer for as long as that goes on."""
    db = tmp_path / "db.duckdb"
    with store.writer(db) as con:
        con.execute("CREATE TABLE ticks (n INTEGER)")
    relay = _python(f"""
        import concurrent.futures, json, sys, threading
        from dashboard import store
        stop = threading.Event()
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        pool = concurrent.futures.ThreadPoolExecutor(1)
        held, reads, failed = store.connect({str(db)!r}, read_only=True), 0, []
        print("reading", flush=True)
        while not stop.is_set():
            following = pool.submit(store.connect, {str(db)!r}, read_only=True)
            try:
                following.result(timeout=0.2)
            except concurrent.futures.TimeoutError:
                pass  # a writer came first: this read ends, the next one waits behind it
            held.execute("SELECT count(*) FROM ticks").fetchone()
            held.close()
            try:
                held = following.result()
            except store.DatabaseBusy as exc:
                failed.append(str(exc))
                held = store.connect({str(db)!r}, read_only=True)
            reads += 1
        print(json.dumps({{"reads": reads, "failed": failed}}), flush=True)
    """)
    try:
        assert relay.stdout.readline().strip() == "reading", relay.stderr.read()
        for n in range(3):
            with store.Database(db, wait_seconds=2).write() as con:
                con.execute("INSERT INTO ticks VALUES (?)", [n])
    finally:
        out, err = relay.communicate("", timeout=60)
    assert relay.returncode == 0, err
    assert json.loads(out)["failed"] == []
    with store.reader(db) as con:
        assert con.execute("SELECT count(*) FROM ticks").fetchone()[0] == 3
