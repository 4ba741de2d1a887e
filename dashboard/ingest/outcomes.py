"""One article file's outcomes, in order: each record as (Article, warnings), a located
ParseError, or a note of what was skipped; pure, so the pipeline can run it in worker processes."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

from dashboard.ingest import ParseError
from dashboard.ingest.build import build_article
from dashboard.ingest.columnar import columnar_articles
from dashboard.ingest.context import Context
from dashboard.ingest.csvfmt import parse_article_csv
from dashboard.ingest.feeds import parse_feed
from dashboard.ingest.files import LINE_KINDS, Found
from dashboard.ingest.jsonfmt import unknown_fields
from dashboard.ingest.mapping import Format
from dashboard.ingest.newsfields import Skipped
from dashboard.ingest.shapes import is_own, parse_json_document, parse_json_lines
from dashboard.ingest.text import parse_text


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


@dataclass
class FileNote:
    """A file-level warning that also counts items skipped on purpose."""

    text: str
    skipped: int


def _skip_note(origin: str, reasons: dict[str, int]) -> FileNote:
    total = sum(reasons.values())
    return FileNote(f"{origin}: {total} item{'s' if total != 1 else ''} skipped: "
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


def articles_of_file(item: Found, document, context: Context) -> list:
    """Everything one article file yields, in order: (Article, warnings), ParseError, or a
    file-level warning (str); or, for a well-formed JSON Lines file, its ColumnarArticles alone.
    Pure, so it can run in a worker process."""
    if item.kind == "jsonl" and context.columnar:
        columns = columnar_articles(item.path, context)
        if columns is not None:  # else a record it cannot read exactly: parse record by record
            return [columns]
    outcomes: list = []
    if item.kind in ("json", "jsonl"):
        outcomes.extend(_unknown_field_warnings(item, document))
    outcomes.extend(build_outcomes(_parse_articles(item, document, context.formats), context,
                                   str(item.path)))
    if item.kind in LINE_KINDS and not outcomes:
        outcomes.append(ParseError("content", "no records (the file holds only blank lines)",
                                   origin=str(item.path)))
    return outcomes


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
