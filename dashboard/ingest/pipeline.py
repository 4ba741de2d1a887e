"""One ingest batch: find files, parse them, resolve times and links, store in one transaction.

Parsing happens before the database is opened, so the write lock is held only while storing.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import threading
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from dashboard import config, store
from dashboard.ingest import ParseError
from dashboard.ingest.companies import Registry, parse_registry
from dashboard.ingest.csvfmt import parse_article_csv
from dashboard.records import Article, Event
from dashboard.store.articles import save_articles
from dashboard.store.companies import upsert_registry
from dashboard.store.events import save_events
from dashboard.ingest.events import parse_events_csv
from dashboard.ingest.feeds import parse_feed
from dashboard.ingest.files import LINE_KINDS, Found, discover, read_bytes, read_text
from dashboard.ingest.jsonfmt import unknown_fields
from dashboard.ingest.mapping import Format, parse_formats
from dashboard.ingest.newsfields import Skipped
from dashboard.ingest.shapes import is_own, parse_json_document, parse_json_lines
from dashboard.ingest.build import (
    build_article, event_content_hash, merge_duplicate, publication_event,
)
from dashboard.ingest.tagrules import RuleSet, load_rules
from dashboard.ingest.text import parse_text
from dashboard.ingest.zones import zone_info

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
class IngestReport:
    articles: Counts = field(default_factory=Counts)
    events: Counts = field(default_factory=Counts)  # includes each article's publication event
    rejections: list[str] = field(default_factory=list)  # "file[:line]: field: reason"
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "file: reason"
    files: list[str] = field(default_factory=list)  # files read
    items_skipped: int = 0  # records left out on purpose (not a story, removed placeholders)

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
        if self.items_skipped:
            lines.append(f"items skipped (not stories, removed): {self.items_skipped}")
        return lines


@dataclass
class Context:
    """What resolving a record needs besides the record: shipped to parsing workers once."""

    registry: Registry = field(default_factory=Registry)
    source_zones: dict[str, str] = field(default_factory=dict)
    formats: list[Format] = field(default_factory=list)
    rules: RuleSet = field(default_factory=lambda: RuleSet([]))


def load_source_settings(path: str | Path | None, report: IngestReport) -> tuple[dict[str, str], list[Format]]:
    """(source name (case-folded) → default IANA zone, user formats) from sources.toml."""
    if not path or not Path(path).exists():
        return {}, []
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        report.reject(f"{path}: toml: {exc}")
        return {}, []
    formats, problems = parse_formats(document, str(path))
    for problem in problems:
        report.reject(problem)
    zones: dict[str, str] = {}
    for name, settings in (document.get("source") or {}).items():
        zone = settings.get("zone") if isinstance(settings, dict) else None
        if not zone:
            continue
        try:
            zone_info(zone)
        except ParseError as exc:
            report.reject(f"{path}: source.{name}.zone: {exc.reason}")
            continue
        zones[name.casefold()] = zone
    return zones, formats


# --- the batch -------------------------------------------------------------------------------------

@dataclass
class ParsedBatch:
    registry: Registry = field(default_factory=Registry)
    articles: dict[str, Article] = field(default_factory=dict)  # by article_id, first seen first
    repeats: int = 0  # same article again within this batch, nothing new
    events: list[Event] = field(default_factory=list)

    def add_article(self, article: Article, report: IngestReport) -> None:
        """Keep the first copy of an article; a later copy only fills its gaps."""
        first = self.articles.get(article.article_id)
        if first is None:
            self.articles[article.article_id] = article
            return
        merged, warnings = merge_duplicate(first, article)
        report.warnings.extend(warnings)
        self.articles[article.article_id] = merged
        self.repeats += 1

    def collect(self, outcomes, report: IngestReport) -> None:
        """Take one file's outcomes (see ``build_outcomes``) into the batch and the report."""
        for outcome in outcomes:
            if isinstance(outcome, ParseError):
                report.reject(outcome, report.articles)
            elif isinstance(outcome, _FileNote):
                report.items_skipped += outcome.skipped
                report.warnings.append(outcome.text)
            elif isinstance(outcome, str):  # a file-level warning
                report.warnings.append(outcome)
            else:
                article, warnings = outcome
                report.warnings.extend(warnings)
                self.add_article(article, report)


def _parse_articles(found: Found, document, formats: list[Format]) -> Iterable:
    """RawArticle, ParseError or Skipped for every record of one file. Line-oriented files are
    opened here and read lazily (``document`` is None for them)."""
    origin = str(found.path)
    if found.kind == "text":
        try:
            yield parse_text(document, origin)
        except ParseError as exc:
            yield exc
    elif found.kind == "json":
        yield from parse_json_document(document, origin, formats)
    elif found.kind == "feed":
        yield from parse_feed(document, origin)
    elif found.kind == "jsonl":
        with found.path.open("rb") as handle:
            yield from parse_json_lines(handle, origin, formats)
    elif found.kind == "articles-csv":
        with found.path.open(encoding="utf-8-sig", newline="") as handle:
            yield from parse_article_csv(handle, origin, formats)


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
            parsed.events.extend(events_file.events)
            report.warnings.extend(events_file.warnings)
            for error in events_file.rejected:
                report.reject(error, report.events)
            continue
        article_files.append((item, documents[index]))

    # Results come back in file order whichever way they were made, so "first seen wins" and the
    # report read the same as a run in one process.
    for outcomes in _articles_of_files(article_files, context):
        parsed.collect(outcomes, report)
    return parsed


@dataclass
class _FileNote:
    """A file-level warning that also counts items skipped on purpose."""

    text: str
    skipped: int


def _skip_note(origin: str, reasons: dict[str, int]) -> _FileNote:
    total = sum(reasons.values())
    return _FileNote(f"{origin}: {total} item{'s' if total != 1 else ''} skipped: "
                     + ", ".join(f"{reason} ×{n}" for reason, n in sorted(reasons.items())), total)


def build_outcomes(records: Iterable, context: Context, origin: str) -> list:
    """(Article, warnings), ParseError, or a note of skipped items, for parsed records."""
    outcomes: list = []
    skipped: dict[str, int] = {}
    for record in records:
        if isinstance(record, ParseError):
            outcomes.append(record)
        elif isinstance(record, Skipped):
            skipped[str(record)] = skipped.get(str(record), 0) + 1
        else:
            try:
                outcomes.append(build_article(record, context.registry, context.source_zones,
                                              context.rules))
            except ParseError as exc:
                outcomes.append(exc)
    if skipped:
        outcomes.append(_skip_note(origin, skipped))
    return outcomes


def _articles_of_file(item: Found, document, context: Context) -> list:
    """Everything one article file yields, in order: (Article, warnings), ParseError, or a
    file-level warning (str). Pure, so it can run in a worker process."""
    outcomes: list = []
    if item.kind in ("json", "jsonl"):
        outcomes.extend(_unknown_field_warnings(item, document))
    outcomes.extend(build_outcomes(_parse_articles(item, document, context.formats), context,
                                   str(item.path)))
    if item.kind in LINE_KINDS and not outcomes:
        outcomes.append(ParseError("content", "no records (the file holds only blank lines)",
                                   origin=str(item.path)))
    return outcomes


_WORKER_CONTEXT: Context | None = None


def _init_worker(context: Context) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context


def _articles_of_file_in_worker(item_and_document) -> list:
    return _articles_of_file(*item_and_document, _WORKER_CONTEXT)


def _articles_of_files(article_files, context: Context):
    """Per-file outcomes, in file order: in worker processes for a batch of many files (parsing
    is pure Python and CPU-bound; one core per worker), else here."""
    workers = min(len(article_files), os.cpu_count() or 1)
    # fork is only safe in a process with no other threads (a lock held by one would stay held
    # in the child), e.g. the CLI; an embedding app with threads parses here, in one process.
    can_fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if len(article_files) < PARALLEL_MIN_FILES or workers < 2 or not can_fork:
        return [_articles_of_file(item, document, context) for item, document in article_files]
    from concurrent.futures import ProcessPoolExecutor

    # fork: the workers start with this process's imports, nothing to re-import.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=_init_worker, initargs=(context,)) as pool:
        return list(pool.map(_articles_of_file_in_worker, article_files, chunksize=1))


def _unknown_field_warnings(item: Found, document) -> list[str]:
    """Fields of our own record shape that we do not read (other shapes map what they know)."""
    names: set[str] = set()
    try:
        if item.kind == "jsonl":
            with item.path.open("rb") as handle:
                for _, line in zip(range(1000), handle):
                    obj = json.loads(line) if line.strip() else None
                    if is_own(obj):
                        names |= unknown_fields(obj)
        else:
            parsed = json.loads(document)
            for obj in parsed if isinstance(parsed, list) else [parsed]:
                if is_own(obj):
                    names |= unknown_fields(obj)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return []  # the parser reports syntax errors
    return [f"{item.path}: fields ignored: {', '.join(sorted(names))}"] if names else []


def load_context(report: IngestReport, *, sources_file, tags_file) -> Context:
    """Source zones, user formats and tagging rules for one batch (problems go to ``report``)."""
    zones, formats = load_source_settings(sources_file, report)
    try:
        rules = load_rules(tags_file)
    except (ParseError, UnicodeDecodeError, OSError) as exc:
        report.reject(exc.message if isinstance(exc, ParseError) else f"{tags_file}: file: {exc}")
        rules = RuleSet([])
    return Context(source_zones=zones, formats=formats, rules=rules)


def ingest_paths(db: store.Database | str | Path, paths: Iterable[str | Path], *,
                 companies_file: str | Path | None = config.COMPANIES_FILE,
                 sources_file: str | Path | None = config.SOURCES_FILE,
                 tags_file: str | Path | None = config.TAGS_FILE,
                 max_bytes: int = DEFAULT_MAX_BYTES,
                 progress: Progress | None = None) -> IngestReport:
    """Ingest files and folders into ``db`` (a Database or a path) as one transaction.

    Bad records are reported (``report.rejections``) and the rest is stored. Raises
    store.DatabaseBusy when another process holds the database.
    """
    report = IngestReport()
    context = load_context(report, sources_file=sources_file, tags_file=tags_file)
    found = discover(paths, report, context.formats)
    parsed = parse_batch(found, report, companies_file=companies_file, context=context,
                         max_bytes=max_bytes)
    store_parsed(db, parsed, report, progress=progress)
    return report


def store_parsed(db: store.Database | str | Path, parsed: ParsedBatch, report: IngestReport, *,
                 progress: Progress | None = None, also: Callable | None = None) -> None:
    """Write a parsed batch in one transaction; ``also(con)`` runs inside it (e.g. a fetch log)."""
    now = datetime.now(timezone.utc)
    with store.as_database(db).write() as con:
        upsert_registry(con, parsed.registry)
        articles = list(parsed.articles.values())
        for status in save_articles(con, articles, now):
            report.articles.count(status)
        report.articles.unchanged += parsed.repeats
        if progress:
            progress("articles", len(articles))
        for event in parsed.events:
            event.content_hash = event_content_hash(event)
        events = [publication_event(a) for a in articles] + parsed.events
        for status in save_events(con, events, now):
            report.events.count(status)
        if progress:
            progress("events", len(events))
        if also:
            also(con)
