"""The search index on disk: where it lives, whether it covers the store, and keeping it so.

It lives beside the database file (``<db>.search/``; a lake publish's in the cache folder, one per
publish, keyed on its snapshot). With it, ``covers.json`` records what the index covers: the
store's ``search_stamp`` (article count, retracted count, latest write stamp) at its last sync.

Consistency without a shared transaction: the index is written after the store commits, and
``covers.json`` is replaced (atomically) only after the index commits. A run killed at any point
leaves the index covering an older stamp than the store's, which :func:`status` sees as stale and
the next :func:`sync` repairs: it re-indexes every article stamped after what the index covers
(delete by key, then add, so an article indexed twice before the kill is still there once).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import tantivy

from dashboard import config
from dashboard.search.fields import SCHEMA_VERSION, article_key, build_schema, document, register_tokenizers
from dashboard.store.search_rows import search_rows, search_stamp

COVERS_FILE = "covers.json"
# Set to 0 to leave the index alone on writes (a one-off bulk load indexed once afterwards with
# `search rebuild`; the test suite, whose hundreds of small ingests need no index): then the index
# is stale, and says so, until a sync.
FOLLOW_SWITCH = "DASHBOARD_SEARCH_FOLLOW"
WRITER_HEAP_BYTES = 256_000_000
WRITER_THREADS = 2


class IndexBusy(RuntimeError):
    """Another process is writing the search index."""


class IndexMissing(RuntimeError):
    """There is no search index for this database yet."""


@dataclass(frozen=True)
class Status:
    state: str  # "current", "stale" or "missing"
    message: str
    path: Path


def index_dir(db) -> Path:
    """Beside the database file; a lake publish (no file) under the cache folder, per snapshot."""
    path = db.local_file
    if path is not None:
        return Path(path).with_name(Path(path).name + config.SEARCH_INDEX_SUFFIX)
    key = str(db.cache_key())
    where = hashlib.sha256(db.name.encode("utf-8")).hexdigest()[:12]
    return config.CACHE_DIR / "search" / f"{where}-{key.replace(':', '-')}"


def _covers(path: Path) -> dict | None:
    try:
        covers = json.loads((path / COVERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return covers if covers.get("schema") == SCHEMA_VERSION else None


def _write_covers(path: Path, stamp: dict) -> None:
    temporary = path / (COVERS_FILE + ".tmp")
    temporary.write_text(json.dumps({"schema": SCHEMA_VERSION, **stamp}), encoding="utf-8")
    os.replace(temporary, path / COVERS_FILE)


def open_index(path: Path) -> tantivy.Index:
    """The index at ``path`` for searching; IndexMissing when there is none."""
    if not path.exists() or not tantivy.Index.exists(str(path)):
        raise IndexMissing(f"no search index at {path} yet: run `python -m dashboard search rebuild`")
    index = tantivy.Index.open(str(path))
    register_tokenizers(index)
    return index


def _index_for_writing(path: Path) -> tantivy.Index:
    path.mkdir(parents=True, exist_ok=True)
    try:
        index = tantivy.Index(build_schema(), path=str(path), reuse=True)
    except ValueError:  # made with another schema: nothing in it can be kept
        shutil.rmtree(path)
        path.mkdir(parents=True)
        index = tantivy.Index(build_schema(), path=str(path), reuse=True)
    register_tokenizers(index)
    return index


def status(db) -> Status:
    """Whether the index covers what the store holds now (one aggregate query on the store)."""
    path = index_dir(db)
    if not path.exists() or not tantivy.Index.exists(str(path)) or _covers(path) is None:
        return Status("missing", f"no search index for {db.name} yet: build it with "
                                 "`python -m dashboard search rebuild`", path)
    with db.read() as con:
        stamp = search_stamp(con)
    covers = _covers(path)
    if {k: covers.get(k) for k in stamp} != stamp:
        return Status("stale", f"the search index of {db.name} is behind the database (it covers "
                               f"{covers.get('articles', 0):,} articles, the database holds "
                               f"{stamp['articles']:,}): rebuild it with `python -m dashboard search rebuild`",
                      path)
    return Status("current", f"search index current ({stamp['articles']:,} articles)", path)


@contextlib.contextmanager
def _writer(index: tantivy.Index, path: Path):
    try:
        writer = index.writer(WRITER_HEAP_BYTES, WRITER_THREADS)
    except ValueError as exc:
        if "Lock" in str(exc):
            raise IndexBusy(f"{path}: another process is updating the search index") from None
        raise
    try:
        yield writer
    except BaseException:
        writer.rollback()
        raise


@dataclass(frozen=True)
class Synced:
    articles: int  # articles (re)indexed
    documents: int  # index documents written (current texts and older revisions)
    full: bool  # built from nothing


def ready(db) -> Status:
    """The index's status as a search finds it. A lake publish never changes, so its index is
    built here on its first search (each server once per publish; IndexBusy while another
    session builds it); a local file's index is only reported, since every write keeps it."""
    found = status(db)
    if found.state != "current" and db.local_file is None:
        sync(db)
        found = status(db)
    return found


def sync(db, *, full: bool = False) -> Synced:
    """Bring the index up to what the store holds: the articles written since what it covers
    (all of them when it has no record, its schema changed, or ``full``). Raises IndexBusy.

    The stamp and the rows are read on one connection, so they are one state of the store."""
    path = index_dir(db)
    covers = None if full else _covers(path)
    index = _index_for_writing(path)
    articles = documents = 0
    with db.read() as con:
        stamp = search_stamp(con)
        if covers is not None and {k: covers.get(k) for k in stamp} == stamp:
            return Synced(0, 0, False)
        if covers is not None and stamp["articles"] < covers.get("articles", 0):
            covers = None  # rows went away (another file in its place): start again
        with _writer(index, path) as writer:
            if covers is None:
                writer.delete_all_documents()
            seen: set[str] = set()
            for frame in search_rows(con, since=None if covers is None else covers.get("latest")):
                # Column lists zipped into rows: a quarter of what DataFrame.to_dict costs (its
                # per-cell boxing was ~2 s of a 200,000-article index build).
                columns = {name: frame[name].tolist() for name in frame.columns}
                rows = [dict(zip(columns, values)) for values in zip(*columns.values())]
                fresh = {row["article_id"] for row in rows} - seen
                if covers is not None and fresh:
                    # Delete, then add: a delete applies only to documents added before it. (By
                    # query: tantivy-py's delete by term reads a Python int as i64, not this u64.)
                    writer.delete_documents_by_query(tantivy.Query.term_set_query(
                        index.schema, "key", [article_key(article_id) for article_id in fresh]))
                for row in rows:
                    seen.add(row["article_id"])
                    writer.add_document(document(row))
                documents += len(rows)
            articles = len(seen)
            writer.commit()
            writer.wait_merging_threads()
    _write_covers(path, stamp)
    return Synced(articles, documents, covers is None)


def follow(db) -> str | None:
    """After a write to the store: sync the index (building it when there is none yet). Returns
    a warning when it could not; never raises for the index's sake, since the store's write is
    done and the next sync repairs the index."""
    if os.environ.get(FOLLOW_SWITCH, "1") == "0":
        return None
    try:
        sync(db)
    except IndexBusy as exc:
        return f"{exc}; it catches up on the next write or `search rebuild`"
    except (OSError, ValueError) as exc:
        return f"search index not updated ({exc}); run `python -m dashboard search rebuild`"
    return None
