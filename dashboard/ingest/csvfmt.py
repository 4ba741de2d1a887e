"""CSV files: article records (header of article field names) or the events timeline."""
from __future__ import annotations

import csv
import io
from typing import Iterator

from dashboard.ingest import ParseError
from dashboard.ingest.jsonfmt import Parsed, record_from_mapping

EVENTS_HEADER = (
    "event_id", "ts_local", "precision", "zone", "kind", "stance", "actor", "source", "headline",
    "detail", "company", "symbol", "value", "tags", "source_url",
)
ARTICLE_REQUIRED = {"title", "source", "published"}

csv.field_size_limit(10 * 1024 * 1024)


def header_of(text: str) -> list[str]:
    """The first row of a CSV text, names trimmed and lower-cased."""
    try:
        row = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return []
    return [name.strip().lower() for name in row]


def csv_kind(text: str) -> str | None:
    """'events', 'articles' or None (some other CSV, e.g. price bars)."""
    header = header_of(text)
    if set(EVENTS_HEADER) <= set(header):
        return "events"
    if ARTICLE_REQUIRED <= set(header):
        return "articles"
    return None


def rows(text: str, origin: str) -> Iterator[tuple[int, dict[str, str]] | ParseError]:
    """(line number where the row starts, row dict with lower-case keys) or a ParseError."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        yield ParseError("content", "file is empty", origin=origin)
        return
    except csv.Error as exc:
        yield ParseError("csv", str(exc), origin=origin, line=1)
        return
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ParseError("csv", str(exc), origin=origin, line=line)
            return
        if any(cell.strip() for cell in row):
            if len(row) > len(header):
                yield ParseError("csv", f"{len(row)} cells but the header has {len(header)}",
                                 origin=origin, line=line)
            else:
                yield line, {name: cell for name, cell in zip(header, row)}
        line = reader.line_num + 1


def parse_article_csv(text: str, origin: str) -> Iterator[Parsed]:
    """Article records from CSV; ``tags`` and ``companies`` separated by ``;`` in one cell."""
    for item in rows(text, origin):
        if isinstance(item, ParseError):
            yield item
            continue
        line, row = item
        try:
            yield record_from_mapping(row, origin, line, list_separator=";")
        except ParseError as exc:
            yield exc
