"""The content hash of an article or event: one definition, computed in Python (a record) or in
SQL (a whole column at once), with the same bytes either way.

A record's content is a fixed list of fields; each is encoded so that the concatenation cannot be
read two ways, then hashed with SHA-256:

- NULL → ``~``;
- text → its UTF-8 length in bytes, ``:``, the text (``5:Hello``);
- a time → its microseconds since the epoch, encoded as text;
- a list of text → ``[``, the number of items, then each item encoded as text.

The merge rule (``ingest.build``) hashes one record, the bulk write (``store.bulk``) a column of
rows in the parse workers (``content_hashes``), and migrations in SQL (``content_hash_sql``),
so a file read by either path gives the same hash, and re-ingest reports ``unchanged`` whichever
path read it first. Migration 021 rewrote the hashes stored under the earlier (JSON) definition;
``test_hashes.py`` holds the migration to this module.
"""
from __future__ import annotations

import hashlib
from typing import Any, Mapping

import pandas as pd

VERSION = "v2|"

# (field, kind): kind is text | time | list. The order is part of the definition.
ARTICLE_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "text"), ("source", "text"), ("region", "text"), ("published_at", "time"),
    ("published_precision", "text"), ("subtitle", "text"), ("summary", "text"),
    ("background", "text"), ("insights", "text"), ("body", "text"), ("url", "text"),
    ("stance", "text"), ("tags", "list"), ("company_ids", "list"),
)
# Where a copy came from and whether it is withdrawn are not what it says.
EVENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("ts", "time"), ("ts_raw", "text"), ("ts_zone", "text"), ("precision", "text"),
    ("kind", "text"), ("stance", "text"), ("actor", "text"), ("source", "text"),
    ("headline", "text"), ("detail", "text"), ("source_url", "text"), ("article_id", "text"),
    ("company_id", "text"), ("symbol", "text"), ("value", "text"), ("tags", "list"),
)


def _text(value) -> str:
    if value is None:
        return "~"
    text = value if isinstance(value, str) else str(value)
    return f"{len(text.encode('utf-8')) if not text.isascii() else len(text)}:{text}"


def _time(value) -> str:
    if value is None:
        return "~"
    stamp = value if isinstance(value, pd.Timestamp) else pd.Timestamp(value)
    return _text(str(stamp.value // 1000))


def _list(value) -> str:
    items = list(value or ())
    return f"[{len(items)}" + "".join([_text(item) for item in items])


def _micros(value) -> str:
    return "~" if value is None else _text(str(value))


_ENCODERS = {"text": _text, "time": _time, "list": _list}


def content_hash(values: Mapping[str, Any], fields: tuple[tuple[str, str], ...]) -> str:
    """The hash of one record given as field → value (lists for list fields)."""
    payload = VERSION + "".join([_ENCODERS[kind](values.get(name)) for name, kind in fields])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _encode_column(values: list, kind: str) -> list[str]:
    """``_text`` / ``_micros`` / ``_list`` over a column, inlined for text (the common case)."""
    if kind == "text":
        return ["~" if v is None else f"{len(v) if v.isascii() else len(v.encode('utf-8'))}:{v}"
                if isinstance(v, str) else _text(v) for v in values]
    return [(_micros if kind == "time" else _ENCODERS[kind])(value) for value in values]


def content_hashes(columns: Mapping[str, list], fields: tuple[tuple[str, str], ...]) -> list[str]:
    """The hash of every row of ``columns`` (field → one value per row; times as microseconds
    since the epoch): what ``content_hash`` gives for each row, without a record per row."""
    encoded = [_encode_column(columns[name], kind) for name, kind in fields]
    return [hashlib.sha256((VERSION + "".join(parts)).encode("utf-8")).hexdigest() for parts in zip(*encoded)]


def _text_sql(expression: str) -> str:
    return f"coalesce(CAST(strlen({expression}) AS VARCHAR) || ':' || {expression}, '~')"


def _encode_sql(expression: str, kind: str) -> str:
    if kind == "list":
        items = f"coalesce({expression}, CAST([] AS VARCHAR[]))"
        return (f"('[' || CAST(len({items}) AS VARCHAR) || array_to_string("
                f"list_transform({items}, lambda item: {_text_sql('item')}), ''))")
    if kind == "time":
        return _text_sql(f"CAST(epoch_us({expression}) AS VARCHAR)")
    return _text_sql(expression)


def content_hash_sql(fields: tuple[tuple[str, str], ...], columns: Mapping[str, str] | None = None) -> str:
    """The same hash as SQL over a row: each field read from the column of its name, or from the
    SQL expression ``columns`` gives for it (fixed names from this code, never user input)."""
    columns = columns or {}
    parts = " || ".join(_encode_sql(columns.get(name, name), kind) for name, kind in fields)
    return f"sha256('{VERSION}' || {parts})"
