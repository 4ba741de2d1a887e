"""CSV files: article records (header of article field names) or the events timeline."""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

from dashboard.ingest import ParseError
from dashboard.ingest.jsonfmt import Parsed, record_from_mapping
from dashboard.ingest.mapping import Format, format_for, mapped_record

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


def csv_kind(text: str, formats: list[Format] = ()) -> str | None:
    """'events', 'articles' (our fields or a user format's) or None (e.g. price bars)."""
    header = header_of(text)
    if set(EVENTS_HEADER) <= set(header):
        return "events"
    if ARTICLE_REQUIRED <= set(header) or (header and format_for(header, formats)):
        return "articles"
    return None


def rows(text: str | Iterable[str], origin: str) -> Iterator[tuple[int, dict[str, str]] | ParseError]:
    """(line number where the row starts, row dict with lower-case keys) or a ParseError.

    ``text`` is the whole text or an iterable of lines (an open file: read lazily)."""
    reader = csv.reader(io.StringIO(text) if isinstance(text, str) else text)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        yield ParseError("content", "file is empty", origin=origin)
        return
    except csv.Error as exc:
        yield ParseError("csv", str(exc), origin=origin, line=1)
        return
    except UnicodeDecodeError as exc:
        yield ParseError("encoding", f"not UTF-8 ({exc.reason})", origin=origin, line=1)
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
        except UnicodeDecodeError as exc:
            yield ParseError("encoding", f"not UTF-8 ({exc.reason}); the rows before it are kept",
                             origin=origin, line=line)
            return
        if any(cell.strip() for cell in row):
            if len(row) > len(header):
                yield ParseError("csv", f"{len(row)} cells but the header has {len(header)}",
                                 origin=origin, line=line)
            else:
                yield line, {name: cell for name, cell in zip(header, row)}
        line = reader.line_num + 1


def parse_article_csv(text: str | Iterable[str], origin: str,
                      formats: list[Format] = ()) -> Iterator[Parsed]:
    """Article records from CSV (our field names, or a user format chosen by the header);
    ``tags`` and ``companies`` separated by ``;`` in one cell."""
    fmt = None
    for item in rows(text, origin):
        if isinstance(item, ParseError):
            yield item
            continue
        line, row = item
        try:
            if fmt is None and not ARTICLE_REQUIRED <= set(row):
                fmt = format_for(row.keys(), formats)
            if fmt is not None:
                record = mapped_record(row, fmt, origin, csv=True)
                record.line = line
                yield record
            else:
                yield record_from_mapping(row, origin, line, list_separator=";")
        except ParseError as exc:
            yield exc.located(origin, line)
