"""Writer priority across processes: two ``flock`` locks beside the database file.

DuckDB gives a file to one read-write process or to any number of read-only ones, and its own
lock never waits: an open that finds the file taken fails at once. Readers that re-open per query
overlap one another, so a writer retrying beside a few of them could find some reader in the file
at every try and give up, "busy" behind readers alone. Two lock files fix the order:

- ``<db>.write-intent``: a writer holds it exclusively from before it opens the file until it has
  closed it (one transaction). A reader opens the file only while nobody holds it (it takes it
  shared for an instant to look), so once a writer has announced itself no new reader comes in,
  and the writer waits only for the readers already in, whose reads are short. Writers queue on it
  among themselves: ``--wait`` bounds that wait, for a real second writer.
- ``<db>.readers-waiting``: a reader that has to wait holds it shared until it is in. Before its
  next transaction a writer waits until nobody holds it (every waiting reader got in) or
  ``store.READER_HANDOFF_S`` pass, so a chunked ingest, which would re-announce itself the instant it
  commits, lets the app in between its transactions: a reader waits at most about one
  transaction.

``flock`` locks belong to an open file description and the kernel drops them when the last
descriptor of it is closed, which a process killed with -9 does too: a killed writer never leaves
readers locked out, and a killed reader never holds a writer up. The files stay (removing a lock
file races with the next process opening it); they hold nothing but the last writer's PID.
"""
from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

# How often a writer looks again at a lock held by someone else.
POLL_S = 0.005


def intent_file(path: Path) -> Path:
    return path.with_name(path.name + ".write-intent")


def waiting_file(path: Path) -> Path:
    return path.with_name(path.name + ".readers-waiting")


def _open(lock: Path, *, create: bool) -> int | None:
    """A descriptor of ``lock`` (created if asked and the folder allows), or None."""
    try:
        return os.open(lock, os.O_RDWR | os.O_CREAT if create else os.O_RDWR, 0o666)
    except OSError:
        try:  # a folder or lock file this user may not write: looking is still possible
            return os.open(lock, os.O_RDONLY)
        except OSError:
            return None


def _try(fd: int, how: int) -> bool:
    """Take the lock without waiting: False when someone else holds it. Where the file system
    cannot lock at all (some network mounts), True: DuckDB's own lock still keeps writes safe,
    only the order among waiters is lost."""
    try:
        fcntl.flock(fd, how | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def _unlock(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        pass


def release(fd: int | None) -> None:
    """Unlock explicitly, then close: a forked child holding a copy of the descriptor must not
    keep the lock alive."""
    if fd is None or fd < 0:
        return
    try:
        _unlock(fd)
    finally:
        os.close(fd)


def announce_writer(path: Path, wait_seconds: float) -> int | None:
    """Hold ``<db>.write-intent`` exclusively, waiting up to ``wait_seconds`` for another writer to
    release it; the descriptor to :func:`release`, or None when the wait ran out. Where the lock
    file cannot be made (a read-only folder) nothing is announced: -1, and DuckDB's lock decides."""
    fd = _open(intent_file(path), create=True)
    if fd is None:
        return -1
    deadline = time.monotonic() + wait_seconds
    while not _try(fd, fcntl.LOCK_EX):
        if time.monotonic() >= deadline:
            os.close(fd)
            return None
        time.sleep(POLL_S)
    try:  # who holds it, for the "busy" message of whoever waits
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass
    return fd


def _held_by_another(lock_file: Path, probe: int) -> bool:
    """Whether another process holds ``lock_file`` against ``probe`` (taken for an instant)."""
    fd = _open(lock_file, create=False)
    if fd is None:
        return False
    try:
        if _try(fd, probe):
            _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)


def writer_announced(path: Path) -> bool:
    """Whether a writer holds ``<db>.write-intent`` (looked at by taking it shared for an instant)."""
    return _held_by_another(intent_file(path), fcntl.LOCK_SH)


def announced_writer_pid(path: Path) -> int | None:
    """The PID the last writer wrote into ``<db>.write-intent``, if any."""
    try:
        text = intent_file(path).read_text(encoding="ascii").strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


def wait_as_reader(path: Path) -> int | None:
    """Hold ``<db>.readers-waiting`` shared while this reader waits (None: not now, or the folder
    does not allow it; the caller tries again on its next round)."""
    fd = _open(waiting_file(path), create=True)
    if fd is None:
        return None
    if _try(fd, fcntl.LOCK_SH):
        return fd
    os.close(fd)  # a writer is looking, this instant
    return None


def readers_waiting(path: Path) -> bool:
    """Whether a reader holds ``<db>.readers-waiting`` (looked at by taking it for an instant)."""
    return _held_by_another(waiting_file(path), fcntl.LOCK_EX)


def let_waiting_readers_in(path: Path, handoff_seconds: float) -> None:
    """Before a writer announces itself: wait until no reader holds ``<db>.readers-waiting`` (each
    lets go once it is in), or ``handoff_seconds`` pass."""
    deadline = time.monotonic() + handoff_seconds
    while readers_waiting(path) and time.monotonic() < deadline:
        time.sleep(POLL_S)
