"""What an app reader sees while an ingest writes: how long it waited to open the database; and
how much memory the ingest's processes held together.

``python -m dashboard.bench.busy DB``, started by the ingest being measured, opens ``DB``
read-only the way the app does (``store.connect``: waiting behind a writer, and telling it so, for
up to 5 s before "database busy"), reads, and closes it again, every 250 ms from the moment the
file exists until its stdin is closed. It prints "probing" when it starts looking (the ingest waits
for it), then one JSON line: attempts, how many had to wait, how many gave up ("database busy"),
the longest wait, and the peak proportional set size of its parent with all the parent's
children (the ingest and its parse workers; sampled from here, since a thread in the ingest would
stop it forking workers).

``python -m dashboard.bench.busy DB --app [--sessions N]`` is a desk reloading the page instead:
the app's read (``screen.load_view`` of the default view, newest ``MAX_TABLE_ROWS`` articles) back
to back, no pause, in N threads as one Streamlit server serves N sessions; it prints "reading"
once each has read once, then the same JSON line (no memory), plus ``errors`` (reads that failed
other than "busy", with the first message).
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

PROBE_EVERY_S = 0.25
# An open that took longer than this waited for the writer (an uncontended open takes ~10 ms).
WAITED_S = 0.05


def probe(path: Path, stop: threading.Event, watched_pid: int, ready=lambda: None) -> dict:
    """Opens ``path`` as the app does every PROBE_EVERY_S once it exists; ``ready`` runs once
    the imports are done, before the first look."""
    from dashboard import store

    ready()

    attempts = waited = busy = 0
    longest = peak_mb = 0.0
    own = os.getpid()
    while not stop.is_set():
        peak_mb = max(peak_mb, process_tree_pss_mb(watched_pid, skip=own))
        if not path.exists():  # the ingest has not made the file yet: look again soon, not in 250 ms
            stop.wait(0.01)
            continue
        started = time.perf_counter()  # after the memory sample: the wait is the open's alone
        attempts += 1
        try:
            con = store.connect(path, read_only=True)
            wait = time.perf_counter() - started
            con.execute("SELECT count(*) FROM articles").fetchone()
            con.close()
            longest = max(longest, wait)
            waited += wait > WAITED_S
        except store.DatabaseBusy:
            busy += 1
            longest = max(longest, time.perf_counter() - started)
        except Exception:  # noqa: BLE001 - a file being created has no tables yet: not "busy"
            pass
        stop.wait(max(0.0, PROBE_EVERY_S - (time.perf_counter() - started)))
    return {"attempts": attempts, "waited": waited, "busy": busy, "longest_wait_s": longest,
            "tree_peak_mb": peak_mb}


def probe_as_app(path: Path, stop: threading.Event, *, sessions: int = 1, ready=lambda: None) -> dict:
    """The app's read in a loop, in ``sessions`` threads as a Streamlit server serves sessions;
    each wait is the time a read took to open the database. ``ready`` runs once every session
    has read once."""
    import contextlib

    from dashboard import screen, store

    waits: list[float] = []
    counts = {"attempts": 0, "busy": 0, "errors": 0}
    errors: list[str] = []
    lock = threading.Lock()
    first_reads = threading.Barrier(sessions + 1)

    class TimedDatabase(store.Database):
        @contextlib.contextmanager
        def read(self, **kwargs):
            started = time.perf_counter()
            with super().read(**kwargs) as con:
                with lock:
                    waits.append(time.perf_counter() - started)
                yield con

    db = TimedDatabase(path, read_only=True)
    filters = screen.Filters.from_query_params({})[0]

    def session() -> None:
        first = True
        while first or not stop.is_set():
            if not path.exists():  # the ingest beside it has not made the file yet
                if stop.wait(0.05):
                    break
                continue
            outcome = "attempts"
            started = time.perf_counter()
            try:
                screen.load_view(db, filters, max_articles=screen.MAX_TABLE_ROWS)
            except store.DatabaseBusy:
                outcome = "busy"
            except Exception as exc:  # noqa: BLE001 - counted and shown: any of these is a failure
                outcome = "errors"
                errors.append(f"{type(exc).__name__}: {exc}")
            with lock:
                counts["attempts"] += 1
                if outcome != "attempts":
                    counts[outcome] += 1
                if outcome == "busy":
                    waits.append(time.perf_counter() - started)
            if first:
                first = False
                first_reads.wait()
        if first:  # stopped before the file was there
            first_reads.wait()

    threads = [threading.Thread(target=session, daemon=True) for _ in range(sessions)]
    for thread in threads:
        thread.start()
    first_reads.wait()
    ready()
    for thread in threads:
        thread.join()
    return {**counts, "sessions": sessions, "waited": sum(w > WAITED_S for w in waits),
            "first_error": errors[0] if errors else None, "longest_wait_s": max(waits, default=0.0)}


def process_tree_pss_mb(pid: int, skip: int | None = None) -> float:
    """Proportional set size of a process and all its descendants but ``skip`` (shared pages
    split between the processes that share them, so forked workers are not counted twice)."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        if current == skip:
            continue
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    break
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total_kb / 1024


def main(argv: list[str]) -> int:
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    if "--app" in argv[1:]:
        sessions = int(argv[argv.index("--sessions") + 1]) if "--sessions" in argv else 1
        result = probe_as_app(Path(argv[0]), stop, sessions=sessions,
                              ready=lambda: print("reading", flush=True))
    else:
        # The ingest starts after "probing": a short one is not over before the first open.
        result = probe(Path(argv[0]), stop, os.getppid(), ready=lambda: print("probing", flush=True))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
