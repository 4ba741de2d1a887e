"""One ingest batch: find files, parse them, resolve times and links, store in one transaction.

Parsing happens before the database is opened, so the write lock is held only while storing.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import threading
import tomllib
import unicodedata
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from dashboard import config, store
from dashboard.ingest import ParseError, RawArticle
from dashboard.records import Article, Event
from dashboard.store.articles import save_articles
from dashboard.store.companies import upsert_registry
from dashboard.store.events import save_events
from dashboard.ingest.companies import Registry, link_companies, parse_registry
from dashboard.ingest.csvfmt import csv_kind, parse_article_csv
from dashboard.ingest.events import parse_events_csv
from dashboard.ingest.jsonfmt import parse_json_document, parse_json_lines, unknown_fields
from dashboard.ingest.stance import article_stance
from dashboard.ingest.text import decode, parse_text
from dashboard.ingest.zones import resolve_time, zone_info

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Article files are parsed in worker processes when a batch has at least this many of them (a
# small batch is faster in one process than the cost of starting workers).
PARALLEL_MIN_FILES = 4
_SNIFF_BYTES = 64 * 1024

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
        return [f"articles: {self.articles}", f"events: {self.events}",
                f"files: {len(self.files)} read, {len(self.skipped)} skipped"]


# --- finding files -------------------------------------------------------------------------------

@dataclass
class Found:
    path: Path
    kind: str  # text | jsonl | json | articles-csv | events | companies


def _sniff(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.decode("utf-8", errors="replace")


def classify(path: Path) -> tuple[str | None, str]:
    """(kind, reason when None) for one file, by extension and, for CSV/JSON, content."""
    name = path.name.lower()
    suffix = path.suffix.lower()
    if name == "companies.toml":
        return "companies", ""
    if suffix == ".txt":
        return "text", ""
    if suffix == ".jsonl":
        return "jsonl", ""
    if suffix == ".json":
        head = _sniff(path).lstrip()
        if head.startswith("[") or (head.startswith("{") and '"title"' in head):
            return "json", ""
        return None, "JSON that is not an article array or record"
    if suffix == ".csv":
        kind = csv_kind(_sniff(path))
        if kind == "events":
            return "events", ""
        if kind == "articles":
            return "articles-csv", ""
        return None, "CSV header is neither the events header nor article fields (title, source, published)"
    if name == "sources.toml":
        return None, "source settings (read from the configured sources file)"
    return None, f"not an article, events or companies file ({suffix or 'no extension'})"


def discover(paths: Iterable[str | Path], report: IngestReport) -> list[Found]:
    """Files to read; folders are walked recursively, skipping hidden entries and other files."""
    found: list[Found] = []
    seen: set[Path] = set()

    def add(path: Path, explicit: bool) -> None:
        resolved = path.resolve()
        if resolved in seen:
            return
        seen.add(resolved)
        try:
            kind, reason = classify(path)
        except OSError as exc:
            report.reject(f"{path}: file: cannot read ({exc.strerror or exc})")
            return
        if kind:
            found.append(Found(path, kind))
        elif explicit:
            report.reject(f"{path}: format: {reason}")
        else:
            report.skipped.append(f"{path}: {reason}")

    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if any(part.startswith(".") for part in relative.parts) or not child.is_file():
                    continue
                add(child, explicit=False)
        elif path.is_file():
            add(path, explicit=True)
        else:
            report.reject(f"{path}: path: no such file or folder")
    return found


def read_text(path: Path, max_bytes: int) -> str:
    """The file's text; ParseError for size, emptiness or encoding."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ParseError("size", f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit",
                         origin=str(path))
    data = path.read_bytes()
    if not data.strip():
        raise ParseError("content", "file is empty", origin=str(path))
    try:
        return decode(data)
    except ParseError as exc:
        raise exc.located(str(path)) from None


# --- resolving records -----------------------------------------------------------------------------

def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def article_identity(source: str, title: str, published_utc) -> str:
    """Stable id: normalised source + title + UTC publication minute."""
    minute = published_utc.tz_convert("UTC").strftime("%Y-%m-%dT%H:%MZ")
    key = f"{_normalise(source)}\n{_normalise(title)}\n{minute}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _content_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def article_content_hash(article: Article) -> str:
    """What counts as the article's content; the raw timestamp text, zone and file are left out,
    so the same article in another format is ``unchanged``."""
    return _content_hash({
        "title": article.title, "source": article.source, "region": article.region,
        "published_at": article.published_at.isoformat(), "precision": article.published_precision,
        "subtitle": article.subtitle, "summary": article.summary, "background": article.background,
        "insights": article.insights, "body": article.body, "url": article.url,
        "stance": article.stance, "tags": article.tags, "companies": sorted(article.company_links),
    })


def event_content_hash(event: Event) -> str:
    payload = {f.name: getattr(event, f.name) for f in fields(Event)
               if f.name not in ("origin", "content_hash")}
    payload["ts"] = event.ts.isoformat()
    return _content_hash(payload)


def load_source_zones(path: str | Path | None, report: IngestReport) -> dict[str, str]:
    """source name (case-folded) → default IANA zone, from sources.toml."""
    if not path or not Path(path).exists():
        return {}
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        report.reject(f"{path}: toml: {exc}")
        return {}
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
    return zones


def safe_url(url: str | None, field_name: str) -> tuple[str | None, list[str]]:
    """Keep only http(s) links: a ``javascript:`` or ``data:`` URL must never reach a link."""
    if url is None or re.match(r"https?://", url.strip(), re.IGNORECASE):
        return url, []
    return None, [f"{field_name}: only http(s) links are kept; dropped {url[:40]!r}"]


def build_article(raw: RawArticle, registry: Registry, source_zones: dict[str, str]) -> tuple[Article, list[str]]:
    """Resolve the timestamp, identity, company links and stance; raises a located ParseError."""
    title = " ".join(raw.title.split())
    source = " ".join(raw.source.split())
    try:
        resolved = resolve_time(raw.published, default_zone=source_zones.get(source.casefold()),
                                precision=raw.precision)
    except ParseError as exc:
        raise exc.located(raw.origin, raw.line) from None
    url, url_warnings = safe_url(raw.url, "url")
    links, link_warnings = link_companies(
        registry, tags=raw.tags, texts=[title, raw.subtitle, raw.summary], explicit=raw.companies)
    stance = article_stance(title=title, subtitle=raw.subtitle, summary=raw.summary, body=raw.body)
    where = raw.origin if raw.line is None else f"{raw.origin}:{raw.line}"
    article = Article(
        article_id=article_identity(source, title, resolved.utc), title=title, source=source,
        published_at=resolved.utc, published_raw=str(raw.published), published_zone=resolved.zone,
        published_precision=resolved.precision, region=raw.region, subtitle=raw.subtitle,
        summary=raw.summary, background=raw.background, insights=raw.insights, body=raw.body,
        url=url, stance=stance.stance, origin=where, tags=list(raw.tags), company_links=links,
    )
    article.content_hash = article_content_hash(article)
    warnings = [f"{where}: published: {w}" for w in resolved.warnings]
    warnings += [f"{where}: {w}" for w in url_warnings + link_warnings]
    return article, warnings


_MERGEABLE = ("region", "subtitle", "summary", "background", "insights", "body", "url")


def merge_duplicate(first: Article, later: Article) -> tuple[Article, list[str]]:
    """The same article twice in one batch: the first wins, the later one fills its gaps."""
    updates, conflicts = {}, []
    for name in _MERGEABLE:
        mine, theirs = getattr(first, name), getattr(later, name)
        if mine is None and theirs is not None:
            updates[name] = theirs
        elif theirs is not None and mine != theirs:
            conflicts.append(name)
    tags = list(first.tags) + [t for t in later.tags
                               if t.casefold() not in {x.casefold() for x in first.tags}]
    links = list(first.company_links) + [l for l in later.company_links if l not in first.company_links]
    merged = replace(first, tags=tags, company_links=links, **updates)
    merged.content_hash = article_content_hash(merged)
    warnings = []
    if conflicts:
        warnings.append(f"{later.origin}: same article as {first.origin}; its differing "
                        f"{', '.join(conflicts)} ignored (the first file wins)")
    return merged, warnings


def publication_event(article: Article) -> Event:
    """Every article is also a point on the timeline."""
    event = Event(
        event_id=f"pub-{article.article_id}", ts=article.published_at, ts_raw=article.published_raw,
        ts_zone=article.published_zone, precision=article.published_precision, kind="publication",
        stance=article.stance, headline=article.title, actor=article.source, source=article.source,
        detail=article.subtitle, source_url=article.url, article_id=article.article_id,
        company_id=article.companies[0] if article.companies else None, origin=article.origin,
        tags=list(article.tags),
    )
    event.content_hash = event_content_hash(event)
    return event


# --- the batch -------------------------------------------------------------------------------------

@dataclass
class _Parsed:
    registry: Registry = field(default_factory=Registry)
    articles: dict[str, Article] = field(default_factory=dict)  # by article_id, first seen first
    repeats: int = 0  # same article again within this batch, nothing new
    events: list[Event] = field(default_factory=list)


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
    source_zones = load_source_zones(sources_file, report)
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
            parsed.events.extend(events_file.events)
            report.warnings.extend(events_file.warnings)
            for error in events_file.rejected:
                report.reject(error, report.events)
            continue
        article_files.append((item, text))

    # Results come back in file order whichever way they were made, so "first seen wins" and the
    # report read the same as a run in one process.
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
            first = parsed.articles.get(article.article_id)
            if first is None:
                parsed.articles[article.article_id] = article
            else:
                merged, warnings = merge_duplicate(first, article)
                report.warnings.extend(warnings)
                parsed.articles[article.article_id] = merged
                parsed.repeats += 1
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


def ingest_paths(db: store.Database | str | Path, paths: Iterable[str | Path], *,
                 companies_file: str | Path | None = config.COMPANIES_FILE,
                 sources_file: str | Path | None = config.SOURCES_FILE,
                 max_bytes: int = DEFAULT_MAX_BYTES,
                 progress: Progress | None = None) -> IngestReport:
    """Ingest files and folders into ``db`` (a Database or a path) as one transaction.

    Bad records are reported (``report.rejections``) and the rest is stored. Raises
    store.DatabaseBusy when another process holds the database.
    """
    report = IngestReport()
    found = discover(paths, report)
    parsed = parse_batch(found, report, companies_file=companies_file, sources_file=sources_file,
                         max_bytes=max_bytes)
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
    return report
