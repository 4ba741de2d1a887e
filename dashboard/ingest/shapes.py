"""Which news shape a JSON document or JSON Lines record is, and mapping its items to RawArticle.

Known shapes (tried in this order): our own records, yfinance news (both shapes), NewsAPI, GDELT
DOC 2.0 ArtList, Finnhub company-news, Polygon/Benzinga; then the user's ``[format.*]`` mappings
from data/sources.toml. Anything else is rejected with a message listing these and pointing to
the mapping.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Iterator

from dashboard.ingest import ParseError, RawArticle
from dashboard.ingest import newsapis, yfnews
from dashboard.ingest.jsonfmt import element_lines, record_from_mapping
from dashboard.ingest.mapping import Format, format_for, mapped_record, records_of
from dashboard.ingest.newsfields import Skipped

Outcome = RawArticle | ParseError | Skipped
Mapper = Callable[[Any, str], RawArticle | Skipped]

KNOWN_SHAPES = (
    'our records ({"title", "source", "published", …})',
    'yfinance news ([{"content": {"title", "pubDate", …}}] or [{"title", "providerPublishTime", …}])',
    'NewsAPI ({"status", "totalResults", "articles": […]})',
    'GDELT DOC 2.0 ArtList ({"articles": [{"seendate", "domain", …}]})',
    'Finnhub company-news ([{"datetime", "headline", …}])',
    'Polygon/Benzinga news ({"results": [{"published_utc", "publisher", …}]})',
)
MAPPING_HINT = ('for another vendor, map its fields in data/sources.toml: [format."my-vendor"] '
                'title = "headline", published = "ts", source = "outlet" (docs/ingest.md)')

# Keys whose presence in the first 64 KB makes a .json file worth parsing as news in a folder walk.
MARKER_KEYS = ('"title"', '"headline"', '"articles"', '"results"', '"content"', '"news"',
               '"providerPublishTime"', '"seendate"', '"published_utc"', '"status"', '"error"')


def unknown_shape(what: str = "JSON") -> str:
    return f"unknown {what} shape; known shapes: " + "; ".join(KNOWN_SHAPES) + f". {MAPPING_HINT}"


def _own(obj: Any, origin: str) -> RawArticle:
    return record_from_mapping(obj, origin, None)


def is_own(obj: Any) -> bool:
    return isinstance(obj, dict) and "title" in obj and "published" in obj


def item_mapper(obj: Any, formats: list[Format]) -> tuple[str, Mapper] | None:
    """(shape name, mapper) for one record, or None when no shape fits."""
    if not isinstance(obj, dict):
        return None
    if is_own(obj):
        return "own", _own
    if yfnews.is_item(obj):
        return "yfinance", yfnews.record
    if newsapis.is_gdelt_item(obj):
        return "gdelt", newsapis.gdelt_record
    if newsapis.is_polygon_item(obj):
        return "polygon", newsapis.polygon_record
    if newsapis.is_finnhub_item(obj):
        return "finnhub", newsapis.finnhub_record
    if newsapis.is_newsapi_item(obj):
        return "newsapi", newsapis.newsapi_record
    fmt = format_for(obj.keys(), formats)
    if fmt:
        return f"format {fmt.name}", lambda item, origin: mapped_record(item, fmt, origin)
    if {"title", "source", "published"} & set(obj):
        return "own", _own  # our record with a field missing: say which
    return None


def _mapped(obj: Any, mapper: Mapper, origin: str, *, line: int | None = None,
            item: int | None = None) -> Outcome:
    try:
        result = mapper(obj, origin)
    except ParseError as exc:
        return exc.located(origin, line=line, item=item if line is None else None)
    if isinstance(result, RawArticle):
        result.line, result.item = line, item if line is None else None
    return result


def _envelope(document: dict, formats: list[Format]) -> tuple[list, Mapper | None, bool]:
    """(items, one mapper for all or None to pick per item, items located by line?) of an object
    document; raises ParseError for API error envelopes and unknown shapes."""
    error = newsapis.finnhub_error(document)
    if newsapis.is_newsapi(document):
        error = newsapis.newsapi_error(document)
        if not error:
            return newsapis.nested_items(document, "articles"), newsapis.newsapi_record, False
    elif newsapis.is_polygon(document):
        error = newsapis.polygon_error(document)
        if not error:
            return newsapis.nested_items(document, "results"), newsapis.polygon_record, False
    elif newsapis.is_gdelt(document):
        return newsapis.nested_items(document, "articles"), newsapis.gdelt_record, False
    elif isinstance(document.get("news"), list):  # yfinance Search(...).news saved with its key
        return document["news"], yfnews.record, False
    if error:
        raise ParseError("status", f"{error}; this file holds an API error, not articles")
    for fmt in formats:
        if fmt.records and isinstance(records_of_or_none(document, fmt), list):
            return records_of(document, fmt), lambda o, origin, f=fmt: mapped_record(o, f, origin), False
    if item_mapper(document, formats):
        return [document], None, True
    raise ParseError("json", unknown_shape())


def records_of_or_none(document: Any, fmt: Format):
    try:
        return records_of(document, fmt)
    except ParseError:
        return None


def parse_json_document(text: str, origin: str, formats: list[Format] = ()) -> Iterator[Outcome]:
    """Every record of a whole JSON document, whichever known shape it is."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        yield ParseError("json", exc.msg, origin=origin, line=exc.lineno)
        return
    except RecursionError:
        yield ParseError("json", "nested too deeply", origin=origin)
        return
    if isinstance(document, list):
        items, mapper, by_line = document, None, True
        if items and not any(item_mapper(obj, formats) for obj in items):
            yield ParseError("json", unknown_shape(), origin=origin)
            return
    elif isinstance(document, dict):
        try:
            items, mapper, by_line = _envelope(document, formats)
        except ParseError as exc:
            yield exc.located(origin)
            return
    else:
        yield ParseError("json", "expected an array or an object of articles", origin=origin)
        return
    lines = element_lines(text) if by_line and isinstance(document, list) else iter(())
    for number, obj in enumerate(items, start=1):
        line = next(lines, None) if by_line else None
        if by_line and not isinstance(document, list):
            line = 1
        chosen = mapper
        if chosen is None:
            found = item_mapper(obj, formats)
            if found is None:
                yield ParseError("item", "no known news shape fits this record", origin=origin,
                                 line=line, item=number)
                continue
            chosen = found[1]
        yield _mapped(obj, chosen, origin, line=line, item=number)


def parse_json_lines(lines: Iterable[bytes | str], origin: str,
                     formats: list[Format] = ()) -> Iterator[Outcome]:
    """One record per non-blank line, any known item shape; read lazily (no size limit)."""
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield ParseError("encoding", f"not UTF-8 (byte 0x{line[exc.start:exc.start + 1].hex()} "
                                 f"at column {exc.start + 1})", origin=origin, line=number)
                continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ParseError("json", f"{exc.msg} (column {exc.colno})", origin=origin, line=number)
            continue
        except RecursionError:
            yield ParseError("json", "nested too deeply", origin=origin, line=number)
            continue
        found = item_mapper(obj, formats)
        if found is None:
            yield ParseError("record", unknown_shape("record"), origin=origin, line=number)
            continue
        yield _mapped(obj, found[1], origin, line=number)
