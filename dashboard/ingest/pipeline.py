"""One ingest batch: find files, parse them, merge each copy into what is stored, store it all in
one transaction.

Parsing happens before the database is opened, so the write lock is held only while storing.
``dry_run`` runs the same parse and merge against a read-only connection and writes nothing.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from dashboard import config, store
from dashboard.ingest import ParseError, RawArticle
from dashboard.ingest.build import (
    build_article, event_content_hash, load_source_zones, publication_event,
)
from dashboard.ingest.companies import Registry, parse_registry
from dashboard.ingest.csvfmt import parse_article_csv
from dashboard.ingest.events import parse_events_csv
from dashboard.ingest.files import Found, discover, read_text
from dashboard.ingest.jsonfmt import parse_json_document, parse_json_lines, unknown_fields
from dashboard.ingest.merge import Step, merge_article_copies, merge_event_copies
from dashboard.ingest.text import parse_text
from dashboard.records import Article, Event
from dashboard.store.articles import save_articles, stored_articles
from dashboard.store.companies import upsert_registry
from dashboard.store.events import save_events, stored_events

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Article files are parsed in worker processes when a batch has at least this many of them (a
# small batch is faster in one process than the cost of starting workers).
PARALLEL_MIN_FILES = 4

Progress = Callable[[str, int], None]


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def count(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    def __str__(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.rejected} rejected")


@dataclass
class Change:
    """One copy that added or changed a record."""

    what: str  # article | event
    key: str
    status: str  # added | updated
    changed: list[str]  # the fields an update changed
    origin: str
    title: str


@dataclass
class IngestReport:
    articles: Counts = field(default_factory=Counts)
    events: Counts = field(default_factory=Counts)  # includes each article's publication event
    rejections: list[str] = field(default_factory=list)  # "file[:line]: field: reason"
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "file: reason"
    files: list[str] = field(default_factory=list)  # files read
    changes: list[Change] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejections

    @property
    def changed(self) -> bool:
        return any((c.added, c.updated) != (0, 0) for c in (self.articles, self.events))

    def reject(self, error: ParseError | str, counts: Counts | None = None) -> None:
        self.rejections.append(error.message if isinstance(error, ParseError) else error)
        if counts is not None:
            counts.rejected += 1

    def summary_lines(self) -> list[str]:
        lines = [f"articles: {self.articles}", f"events: {self.events}",
                 f"files: {len(self.files)} read, {len(self.skipped)} skipped"]
        return lines + (["dry run: nothing was written"] if self.dry_run else [])


# --- the batch -------------------------------------------------------------------------------------

@dataclass
class _Parsed:
    registry: Registry = field(default_factory=Registry)
    articles: dict[str, list[Article]] = field(default_factory=dict)  # id → copies, in file order
    events: dict[str, list[Event]] = field(default_factory=dict)  # id → copies, in file order

def _parse_articles(found: Found, text: str) -> Iterable[RawArticle | ParseError]:
    origin = str(found.path)
    if found.kind == "text":
        try:
            yield parse_text(text, origin)
        except ParseError as exc:
            yield exc
    elif found.kind == "jsonl":
        yield from parse_json_lines(text, origin)
    elif found.kind == "json":
        yield from parse_json_document(text, origin)
    elif found.kind == "articles-csv":
        yield from parse_article_csv(text, origin)


def parse_batch(found: list[Found], report: IngestReport, *, companies_file, sources_file,
                max_bytes: int) -> _Parsed:
    parsed = _Parsed()
    if companies_file and Path(companies_file).exists():
        try:
            parsed.registry = parse_registry(read_text(Path(companies_file), max_bytes), str(companies_file))
        except ParseError as exc:
            report.reject(exc)
    source_zones = load_source_zones(sources_file, report.reject)
    texts: dict[int, str] = {}
    # Registry files first: links in this same batch should see their aliases.
    for index, item in enumerate(found):
        try:
            texts[index] = read_text(item.path, max_bytes)
        except ParseError as exc:
            report.reject(exc, report.events if item.kind == "events" else
                          None if item.kind == "companies" else report.articles)
            continue
        except OSError as exc:
            report.reject(f"{item.path}: file: cannot read ({exc.strerror or exc})")
            continue
        report.files.append(str(item.path))
        if item.kind == "companies" and (not companies_file or
                                         item.path.resolve() != Path(companies_file).resolve()):
            try:
                parsed.registry = parsed.registry.merged(parse_registry(texts[index], str(item.path)))
            except ParseError as exc:
                report.reject(exc)

    article_files = []
    for index, item in enumerate(found):
        if index not in texts or item.kind == "companies":
            continue
        text = texts[index]
        if item.kind == "events":
            events_file = parse_events_csv(text, str(item.path), parsed.registry)
            for event in events_file.events:
                event.content_hash = event_content_hash(event)
                parsed.events.setdefault(event.event_id, []).append(event)
            report.warnings.extend(events_file.warnings)
            for error in events_file.rejected:
                report.reject(error, report.events)
            continue
        article_files.append((item, text))

    # Results come back in file order whichever way they were made, so copies merge in the same
    # order and the report reads the same as a run in one process.
    for outcomes in _articles_of_files(article_files, parsed.registry, source_zones):
        for outcome in outcomes:
            if isinstance(outcome, ParseError):
                report.reject(outcome, report.articles)
                continue
            if isinstance(outcome, str):  # a file-level warning
                report.warnings.append(outcome)
                continue
            article, warnings = outcome
            report.warnings.extend(warnings)
            parsed.articles.setdefault(article.article_id, []).append(article)
    return parsed

def _articles_of_file(item: Found, text: str, registry: Registry, source_zones) -> list:
    """Everything one article file yields, in order: (Article, warnings), ParseError, or a
    file-level warning (str). Pure, so it can run in a worker process."""
    outcomes: list = []
    if item.kind in ("json", "jsonl"):
        outcomes.extend(_unknown_field_warnings(item, text))
    for record in _parse_articles(item, text):
        if isinstance(record, ParseError):
            outcomes.append(record)
            continue
        try:
            outcomes.append(build_article(record, registry, source_zones))
        except ParseError as exc:
            outcomes.append(exc)
    return outcomes


_WORKER_CONTEXT: tuple[Registry, object] | None = None


def _init_worker(registry: Registry, source_zones) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = (registry, source_zones)


def _articles_of_file_in_worker(item_and_text) -> list:
    registry, source_zones = _WORKER_CONTEXT
    return _articles_of_file(*item_and_text, registry, source_zones)


def _articles_of_files(article_files, registry: Registry, source_zones):
    """Per-file outcomes, in file order: in worker processes for a batch of many files (parsing
    is pure Python and CPU-bound; one core per worker), else here."""
    workers = min(len(article_files), os.cpu_count() or 1)
    # fork is only safe in a process with no other threads (a lock held by one would stay held
    # in the child), e.g. the CLI; an embedding app with threads parses here, in one process.
    can_fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if len(article_files) < PARALLEL_MIN_FILES or workers < 2 or not can_fork:
        return [_articles_of_file(item, text, registry, source_zones) for item, text in article_files]
    from concurrent.futures import ProcessPoolExecutor

    # fork: the workers start with this process's imports, nothing to re-import.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=_init_worker, initargs=(registry, source_zones)) as pool:
        return list(pool.map(_articles_of_file_in_worker, article_files, chunksize=1))


def _unknown_field_warnings(item: Found, text: str) -> list[str]:
    names: set[str] = set()
    try:
        if item.kind == "jsonl":
            for line in text.splitlines()[:1000]:
                if line.strip():
                    names |= unknown_fields(json.loads(line))
        else:
            document = json.loads(text)
            for obj in document if isinstance(document, list) else [document]:
                names |= unknown_fields(obj)
    except (json.JSONDecodeError, RecursionError):
        return []  # the parser reports syntax errors
    return [f"{item.path}: fields ignored: {', '.join(sorted(names))}"] if names else []


# --- merging into what is stored ---------------------------------------------------------------------

@dataclass
class _Plan:
    """What the merge rule decided for a batch: id → steps, beside what was stored before."""

    article_steps: dict[str, list[Step]]
    stored_articles: dict
    event_steps: dict[str, list[Step]]
    stored_events: dict


def _merge(con, parsed: _Parsed, report: IngestReport) -> _Plan:
    """Every copy merged into the stored version (``con`` None: nothing stored yet), counted and
    reported; the publication events follow each article's final version."""
    before_articles = stored_articles(con, parsed.articles) if con is not None else {}
    article_steps = _steps(parsed.articles, before_articles, merge_article_copies, report,
                           report.articles, "article", lambda a: a.title)
    copies: dict[str, list[Event]] = {}
    for steps in article_steps.values():
        event = publication_event(steps[-1].record)
        copies[event.event_id] = [event]
    for event_id, events in parsed.events.items():
        copies.setdefault(event_id, []).extend(events)
    before_events = stored_events(con, copies) if con is not None else {}
    event_steps = _steps(copies, before_events, merge_event_copies, report, report.events,
                         "event", lambda e: e.headline)
    return _Plan(article_steps, before_articles, event_steps, before_events)


def _steps(copies_by_id, stored, merge_copies, report: IngestReport, counts: Counts, what: str,
           title_of) -> dict[str, list[Step]]:
    result = {}
    for key, copies in copies_by_id.items():
        before = stored.get(key)
        steps = merge_copies(before.record if before else None,
                             before.copy_hashes if before else (), copies)
        for step in steps:
            counts.count(step.status)
            if step.status != "unchanged":
                report.changes.append(Change(what, key, step.status, step.changed, step.copy_origin,
                                             title_of(step.record)))
        result[key] = steps
    return result


def ingest_paths(db: store.Database | str | Path, paths: Iterable[str | Path], *,
                 companies_file: str | Path | None = config.COMPANIES_FILE,
                 sources_file: str | Path | None = config.SOURCES_FILE,
                 max_bytes: int = DEFAULT_MAX_BYTES, progress: Progress | None = None,
                 dry_run: bool = False) -> IngestReport:
    """Ingest files and folders into ``db`` (a Database or a path) as one transaction.

    Bad records are reported (``report.rejections``) and the rest is stored. ``dry_run``: the same
    parse and merge, reported the same way, with nothing written (the file stays byte-identical).
    Raises store.DatabaseBusy when another process holds the database.
    """
    db = store.as_database(db)
    report = IngestReport(dry_run=dry_run)
    found = discover(paths, report)
    parsed = parse_batch(found, report, companies_file=companies_file, sources_file=sources_file,
                         max_bytes=max_bytes)
    if dry_run:
        if not db.exists():
            _merge(None, parsed, report)
            return report
        with db.read(upgrade=False) as con:
            _merge(con, parsed, report)
        return report
    now = datetime.now(timezone.utc)
    with db.write() as con:
        upsert_registry(con, parsed.registry)
        plan = _merge(con, parsed, report)
        save_articles(con, plan.article_steps, plan.stored_articles, now)
        if progress:
            progress("articles", len(plan.article_steps))
        save_events(con, plan.event_steps, plan.stored_events, now)
        if progress:
            progress("events", len(plan.event_steps))
    return report
