"""Our own article record (JSON, JSON Lines, CSV rows); shapes.py decides which shape a file holds.

Fields: ``title``, ``source``, ``published`` (ISO 8601 with offset or ``Z``, a date, or epoch
seconds) required; ``precision`` (minute|hour|day), ``tags`` (list, or one comma-separated
string), ``url``, ``region``, ``subtitle``, ``summary``, ``background``, ``insights``, ``body``,
``companies`` (list or comma-separated string) optional.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

from dashboard.ingest import PRECISIONS, ParseError, RawArticle, clean_tags

TEXT_FIELDS = ("region", "subtitle", "summary", "background", "insights", "body", "url")
KNOWN_FIELDS = {"title", "source", "published", "precision", "tags", "companies", *TEXT_FIELDS}

Parsed = RawArticle | ParseError


def _text(obj: dict, name: str, *, required: bool = False) -> str | None:
    value = obj.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ParseError(name, "missing")
        return None
    if not isinstance(value, str):
        raise ParseError(name, f"expected text, got {type(value).__name__}")
    return value.strip()


def _string_list(obj: dict, name: str, separator: str) -> list[str]:
    value = obj.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(separator)) if part]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value if item.strip()]
    raise ParseError(name, f"expected a list of text or one {separator!r}-separated string")


def record_from_mapping(obj: Any, origin: str, line: int | None, *, list_separator: str = ",") -> RawArticle:
    """One JSON/CSV record → RawArticle; raises a located ParseError."""
    try:
        if not isinstance(obj, dict):
            raise ParseError("record", f"expected an object, got {type(obj).__name__}")
        title = _text(obj, "title", required=True)
        source = _text(obj, "source", required=True)
        published = obj.get("published")
        if published is None or (isinstance(published, str) and not published.strip()):
            raise ParseError("published", "missing")
        if isinstance(published, bool) or not isinstance(published, (str, int, float)):
            raise ParseError("published", f"expected text or epoch seconds, got {type(published).__name__}")
        precision = _text(obj, "precision")
        if precision is not None and precision not in PRECISIONS:
            raise ParseError("precision", f"{precision!r} is not one of {', '.join(PRECISIONS)}")
        texts = {name: _text(obj, name) for name in TEXT_FIELDS}
        return RawArticle(
            title=title, source=source, published=published, precision=precision,
            origin=origin, line=line,
            tags=clean_tags(_string_list(obj, "tags", list_separator)),
            companies=_string_list(obj, "companies", list_separator),
            **texts,
        )
    except ParseError as exc:
        raise exc.located(origin, line) from None


def unknown_fields(obj: Any) -> set[str]:
    return set(obj) - KNOWN_FIELDS if isinstance(obj, dict) else set()


def element_lines(text: str) -> Iterator[int]:
    """Line number where each element of a (valid) top-level JSON array starts."""
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    length = len(text)
    while position < length:
        while position < length and text[position] in " \t\r\n,":
            position += 1
        if position >= length or text[position] == "]":
            return
        yield text.count("\n", 0, position) + 1
        _, position = decoder.raw_decode(text, position)
