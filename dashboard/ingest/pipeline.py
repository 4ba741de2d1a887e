"""One ingest batch: find files, parse them, resolve times and links, merge each copy into what
is stored (``dashboard.ingest.merge``), store it in transactions of whole files.

Parsing happens before the database is opened, so the write lock is held only while storing.
``dry_run`` runs the same parse and merge against a read-only connection and writes nothing.
"""
from __future__ import annotations

import contextlib
import gc
import multiprocessing
from collections import deque
import os
import signal
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from dashboard import config, search, store
from dashboard.ingest import ParseError
from dashboard.ingest.columnar import ColumnarArticles, TableRow
from dashboard.ingest.companies import Registry, parse_registry
from dashboard.ingest.context import Context, load_context
from dashboard.ingest.outcomes import FileNote, articles_of_file
from dashboard.records import Article, Event
from dashboard.store.articles import save_articles
from dashboard.store.bulk import insert_new_articles
from dashboard.store.companies import upsert_registry
from dashboard.store.events import save_events
from dashboard.ingest.events import parse_events_csv
from dashboard.ingest.files import LINE_KINDS, Found, discover, read_bytes, read_text
from dashboard.ingest.plan import plan_batch
from dashboard.ingest.report import IngestReport

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Article files are parsed in worker processes when a batch has at least this many of them (a
# small batch is faster in one process than the cost of starting workers).
PARALLEL_MIN_FILES = 4
# An ingest is written in transactions of about this many article copies (whole files; see
# ``ingest_paths``): memory stays bounded, and readers wait at most one chunk's write.
CHUNK_ARTICLES = 10_000
# The search index follows a chunked ingest every this many stored article copies and at its end,
# not after every chunk: each sync is a tantivy commit and a wait for its segment merges (~0.4 s a
# chunk at 200k articles, growing with the index), so between syncs a search may say the index
# is behind. A kill in between leaves it behind too, and the next write or sync catches it up.
FOLLOW_ARTICLES = 100_000

# During a batch the cyclic garbage collector runs once per this many allocations (Python's default
# is 700). A batch makes millions of short-lived objects that reference counting frees anyway,
# while the default pace kept scanning the chunk's live records: 133 s against 113.5 s for 1M
# articles (docs/ingest.md). Parse workers fork from inside the batch and inherit it.
GC_THRESHOLDS = (200_000, 20, 100)

Progress = Callable[[str, int], None]


@contextlib.contextmanager
def _fewer_collections():
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


# --- the batch -------------------------------------------------------------------------------------

@dataclass
class ParsedBatch:
    registry: Registry = field(default_factory=Registry)
    articles: dict[str, list[Article]] = field(default_factory=dict)  # id → copies, in file order
    events: dict[str, list[Event]] = field(default_factory=dict)  # id → copies, in file order
    copies: int = 0  # article copies collected
    tables: list = field(default_factory=list)  # ColumnarArticles tables; their rows are TableRow copies

    def add_article(self, article: Article) -> None:
        """Every copy is kept, in order: the merge rule decides what each one changes."""
        self.articles.setdefault(article.article_id, []).append(article)
        self.copies += 1

    def add_table(self, columns: ColumnarArticles) -> None:
        """A file parsed column-wise: each row is a copy like any other, in file order."""
        number = len(self.tables)
        self.tables.append(columns.table)
        for index, key in enumerate(columns.table["article_id"].to_pylist()):
            self.articles.setdefault(key, []).append(TableRow(number, index))
        self.copies += columns.table.num_rows

    def collect(self, outcomes, report: IngestReport) -> None:
        """Take one file's outcomes (see ``build_outcomes``) into the batch and the report."""
        for outcome in outcomes:
            if isinstance(outcome, ParseError):
                report.reject(outcome, report.articles)
            elif isinstance(outcome, FileNote):
                report.items_skipped += outcome.skipped
                report.warnings.append(outcome.text)
            elif isinstance(outcome, str):  # a file-level warning
                report.warnings.append(outcome)
            elif isinstance(outcome, ColumnarArticles):
                report.warnings.extend(outcome.warnings)
                self.add_table(outcome)
            else:
                article, warnings = outcome
                report.warnings.extend(warnings)
                self.add_article(article)


def _read_document(item: Found, max_bytes: int):
    """What a parser gets: text, bytes for a feed (its XML prolog names the encoding), or None
    for a line-oriented file (streamed by its parser, no size limit)."""
    if item.kind in LINE_KINDS:
        if item.path.stat().st_size == 0:
            raise ParseError("content", "file is empty", origin=str(item.path))
        return None
    if item.kind == "feed":
        return read_bytes(item.path, max_bytes)
    return read_text(item.path, max_bytes)


def parse_batch(found: list[Found], report: IngestReport, *, companies_file, context: Context,
                max_bytes: int) -> ParsedBatch:
    """The whole batch as one ParsedBatch."""
    return next(parse_chunks(found, report, companies_file=companies_file, context=context,
                             max_bytes=max_bytes, chunk_articles=None))


def parse_chunks(found: list[Found], report: IngestReport, *, companies_file, context: Context,
                 max_bytes: int, chunk_articles: int | None) -> Iterator[ParsedBatch]:
    """The batch in chunks, in file order: the first holds the registry and the timeline files,
    each holds whole article files, at least ``chunk_articles`` copies but the last (None: one
    chunk). Files are parsed ahead of the chunk being stored, a few at a time."""
    parsed = ParsedBatch()
    if companies_file and Path(companies_file).exists():
        try:
            parsed.registry = parse_registry(read_text(Path(companies_file), max_bytes), str(companies_file))
        except ParseError as exc:
            report.reject(exc)
    documents: dict[int, object] = {}
    # Registry files first: links in this same batch should see their aliases.
    for index, item in enumerate(found):
        try:
            documents[index] = _read_document(item, max_bytes)
        except ParseError as exc:
            report.reject_file(exc, report.events if item.kind == "events" else
                               None if item.kind == "companies" else report.articles)
            continue
        except OSError as exc:
            report.reject_file(f"{item.path}: file: cannot read ({exc.strerror or exc})")
            continue
        report.files.append(str(item.path))
        if item.kind == "companies" and (not companies_file or
                                         item.path.resolve() != Path(companies_file).resolve()):
            try:
                parsed.registry = parsed.registry.merged(parse_registry(documents[index], str(item.path)))
            except ParseError as exc:
                report.reject(exc)
    context.registry = parsed.registry

    article_files = []
    for index, item in enumerate(found):
        if index not in documents or item.kind == "companies":
            continue
        if item.kind == "events":
            events_file = parse_events_csv(documents[index], str(item.path), parsed.registry)
            for event in events_file.events:
                parsed.events.setdefault(event.event_id, []).append(event)
            report.warnings.extend(events_file.warnings)
            for error in events_file.rejected:
                report.reject(error, report.events)
            continue
        article_files.append((item, documents[index]))

    # Results come back in file order whichever way they were made, so copies merge in the same
    # order and the report reads the same as a run in one process.
    for outcomes in _articles_of_files(article_files, context):
        parsed.collect(outcomes, report)
        if chunk_articles and parsed.copies >= chunk_articles:
            yield parsed
            parsed = ParsedBatch()
    yield parsed


_WORKER_CONTEXT: Context | None = None


def _init_worker(context: Context, parent: int) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context
    _die_with(parent)


def _die_with(parent: int) -> None:
    """A parse worker must not outlive its ingest: an ingest killed with -9 cannot stop its pool,
    and a worker blocked writing a result nobody reads would wait forever. Linux kills it with
    its parent (PR_SET_PDEATHSIG); elsewhere the pool's own shutdown is all there is."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _articles_of_file_in_worker(item_and_document) -> list:
    return articles_of_file(*item_and_document, _WORKER_CONTEXT)


def _articles_of_files(article_files, context: Context) -> Iterator[list]:
    """Per-file outcomes, in file order, as they are needed: in worker processes for a batch of
    many files (parsing is pure Python and CPU-bound; one core per worker), else here."""
    workers = min(len(article_files), os.cpu_count() or 1)
    # fork is only safe in a process with no other threads (a lock held by one would stay held
    # in the child), e.g. the CLI; an embedding app with threads parses here, in one process.
    can_fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if len(article_files) < PARALLEL_MIN_FILES or workers < 2 or not can_fork:
        for item, document in article_files:
            yield articles_of_file(item, document, context)
        return
    from concurrent.futures import ProcessPoolExecutor

    # fork: the workers start with this process's imports, nothing to re-import. At most a few
    # files per worker are parsed ahead of the caller, so memory does not grow with the batch.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=_init_worker, initargs=(context, os.getpid())) as pool:
        pending = deque()
        for work in article_files:
            pending.append(pool.submit(_articles_of_file_in_worker, work))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@_fewer_collections()
def ingest_paths(db: store.Database | str | Path, paths: Iterable[str | Path], *,
                 companies_file: str | Path | None = config.COMPANIES_FILE,
                 sources_file: str | Path | None = config.SOURCES_FILE,
                 tags_file: str | Path | None = config.TAGS_FILE,
                 max_bytes: int = DEFAULT_MAX_BYTES,
                 progress: Progress | None = None, dry_run: bool = False,
                 columnar: bool = True, chunk_articles: int | None = CHUNK_ARTICLES) -> IngestReport:
    """Ingest files and folders into ``db`` (a Database or a path).

    Written in transactions of whole files, ``chunk_articles`` article copies or more each (None:
    one transaction): every article lands whole with its tags, links, history and publication
    event, or not at all; an ingest stopped part-way keeps the chunks it wrote, and running it
    again adds the rest (what was stored is ``unchanged``). The registry and timeline files go
    in the first chunk.

    Bad records are reported (``report.rejections``) and the rest is stored. ``dry_run``: the same
    parse and merge, reported the same way, with nothing written (the file stays byte-identical).
    ``columnar`` False parses and writes every article record by record (the tests compare both
    paths).
    Raises store.DatabaseBusy when another writer, or a reader that keeps the file open, holds the
    database past its wait; the message says who, and how many articles earlier chunks kept.
    """
    report = IngestReport(dry_run=dry_run)
    context = load_context(report, sources_file=sources_file, tags_file=tags_file)
    context.columnar = columnar
    found = discover(paths, report, context.formats)
    if not dry_run:
        unindexed = 0  # article copies stored since the index last followed, +1 a chunk
        for parsed in parse_chunks(found, report, companies_file=companies_file, context=context,
                                   max_bytes=max_bytes, chunk_articles=chunk_articles):
            before = report.articles.added + report.articles.updated
            try:
                store_parsed(db, parsed, report, progress=progress, columnar=columnar, follow=False)
            except store.DatabaseBusy as exc:
                if unindexed:
                    _follow(db, report)
                raise _busy_after(exc, report) from None
            unindexed += report.articles.added + report.articles.updated - before + 1
            if unindexed >= FOLLOW_ARTICLES:
                _follow(db, report)
                unindexed = 0
        if unindexed:
            _follow(db, report)
        return report
    # A dry run writes nothing, so later chunks could not see what earlier ones would store: it
    # plans the batch as one.
    parsed = parse_batch(found, report, companies_file=companies_file, context=context,
                         max_bytes=max_bytes)
    db = store.as_database(db)
    if not db.exists():
        plan_batch(None, parsed, report, columnar=columnar)
        return report
    with db.read(upgrade=False) as con:
        plan_batch(con, parsed, report, columnar=columnar)
    return report


def _busy_after(exc: store.DatabaseBusy, report: IngestReport) -> store.DatabaseBusy:
    """The busy message, plus what this ingest's committed transactions keep."""
    stored = report.articles.added + report.articles.updated
    if not stored:
        return store.DatabaseBusy(f"{exc}; this ingest stored nothing", holder=exc.holder)
    what = "1 article this ingest stored before is" if stored == 1 else \
        f"{stored:,} articles this ingest stored before are"
    return store.DatabaseBusy(f"{exc}; the {what} kept, and running it again adds the rest", holder=exc.holder)
    return store.DatabaseBusy(f"{exc}; {kept}", holder=exc.holder)


def store_parsed(db: store.Database | str | Path, parsed: ParsedBatch, report: IngestReport, *,
                 progress: Progress | None = None, also: Callable | None = None,
                 columnar: bool = True, follow: bool = True) -> None:
    """Merge a parsed batch into what is stored and write it in one transaction; ``also(con)``
    runs inside it (e.g. a fetch log). Every writer (ingest, ``news fetch``, ``tags apply``)
    comes through here, so the merge rule holds for all of them. ``follow`` False: the caller
    brings the search index up to date itself (``ingest_paths``, every ``FOLLOW_ARTICLES``)."""
    now = datetime.now(timezone.utc)
    with store.as_database(db).write() as con:
        upsert_registry(con, parsed.registry)
        plan = plan_batch(con, parsed, report, columnar=columnar)
        insert_new_articles(con, plan.new_articles, now)
        save_articles(con, plan.article_steps, plan.stored_articles, now)
        if progress:
            progress("articles", len(plan.new_articles) + len(plan.article_steps))
        save_events(con, plan.event_steps, plan.stored_events, now)
        if progress:
            progress("events", len(plan.new_articles) + len(plan.event_steps))
        if also:
            also(con)
    if follow:
        _follow(db, report)


def _follow(db, report: IngestReport) -> None:
    # The search index follows in the same run, after the commit (dashboard/search/index.py).
    warning = search.follow(store.as_database(db))
    if warning:
        report.warnings.append(warning)
