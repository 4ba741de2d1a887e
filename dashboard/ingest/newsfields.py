"""Small readers shared by the news-format mappers: optional text, nested fields, ticker lists.

Each raises an unlocated ParseError naming the field; the caller adds the file and line/item.
"""
from __future__ import annotations

from typing import Any

from dashboard.ingest import ParseError


def nested(obj: Any, path: str) -> Any:
    """``obj["a"]["b"]`` for the path ``"a.b"``; None when any step is missing."""
    for key in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def optional_text(obj: Any, path: str) -> str | None:
    value = nested(obj, path)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ParseError(path, f"expected text, got {type(value).__name__}")
    value = value.strip()
    return value or None


def required_text(obj: Any, path: str) -> str:
    value = optional_text(obj, path)
    if value is None:
        raise ParseError(path, "missing")
    return value


def required_time(obj: Any, path: str):
    """The raw time value (text or epoch number), or a ParseError when missing or not a time."""
    value = nested(obj, path)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ParseError(path, "missing")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ParseError(path, f"expected text or epoch seconds, got {type(value).__name__}")
    return value.strip() if isinstance(value, str) else value


def text_list(obj: Any, path: str, separator: str = ",") -> list[str]:
    """A list of text, or one ``separator``-separated string; ``{"symbol": …}`` items are read too
    (yfinance's stockTickers)."""
    value = nested(obj, path)
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(separator) if part.strip()]
    if not isinstance(value, list):
        raise ParseError(path, f"expected a list, got {type(value).__name__}")
    result = []
    for entry in value:
        if isinstance(entry, dict):
            entry = entry.get("symbol") or entry.get("ticker") or entry.get("name")
        if isinstance(entry, str) and entry.strip():
            result.append(entry.strip())
        elif entry is not None and not isinstance(entry, str):
            raise ParseError(path, f"expected text items, got {type(entry).__name__}")
    return result


class Skipped(str):
    """Why an item was left out on purpose (not a story, a removed placeholder): counted, not an
    error."""
