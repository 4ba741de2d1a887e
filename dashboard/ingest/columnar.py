"""The columnar parse of a well-formed JSON Lines file of our own records: the whole file read
by Arrow's JSON reader into columns, checked and resolved over the columns, handed on as one
table of rows (``store.bulk.rows_table``) instead of an Article per record.

It gives exactly what the per-record parse (``jsonfmt.record_from_mapping`` then
``build.build_article``) gives for the same file — the same identities, times, zones, links,
stance, rule tags and warnings — and ``test_ingest_columnar.py`` compares the stored tables.
It only takes files it can read exactly so; for anything else it answers None and the file
goes through the per-record parse, whose messages name the line and field:

- a field we do not read, a value of another type than our record's (a number for a title, a
  comma-separated string for tags), ``retracted``, or a line that is not one JSON object
  (Arrow's reader refuses these; so does a check that every non-blank line is one object);
- a record the per-record parse would reject (a missing title, an unknown precision, a time it
  cannot read), or that is not UTF-8;
- a file over ``MAX_BYTES`` (read whole here; the per-record parse streams it).

Times in the common form (``2025-11-14T18:30:00+08:00`` or ``…Z``, no source zone, minute or
hour precision) are converted over the column; every other time goes through
``zones.resolve_time`` one by one. Links, stance and rule tags use the same function as the
per-record parse (``build.derived_fields``), with the same compiled rules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from dashboard.ingest import PRECISIONS, ParseError, clean_tags, limits
from dashboard.ingest.build import IDENTITY_MINUTE, derived_fields, identity_of_minute, safe_url
from dashboard.ingest.context import Context
from dashboard.ingest.jsonfmt import TEXT_FIELDS
from dashboard.ingest.zones import resolve_time
from dashboard.records import Article
from dashboard.store.bulk import rows_table

# Read whole: larger files take the streaming per-record parse (memory stays bounded).
MAX_BYTES = 64 * 1024 * 1024

_LIST_FIELDS = ("tags", "companies")
_SCHEMA = pa.schema([("title", pa.string()), ("source", pa.string()), ("published", pa.string()),
                     ("precision", pa.string()), *((name, pa.string()) for name in TEXT_FIELDS),
                     *((name, pa.list_(pa.string())) for name in _LIST_FIELDS)])
_OPTIONS = pa_json.ParseOptions(explicit_schema=_SCHEMA, unexpected_field_behavior="error")
# The common time form: converted over the column (anything else: zones.resolve_time per row).
_PLAIN_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)")
# Bytes Python's str.strip() takes for whitespace but JSON does not (a line of them is blank
# to the per-record parse): such a file takes that parse.
_ODD_SPACE = re.compile(rb"[\x0b\x0c\x1c-\x1f]")
_UTC_RANGE = (pd.Timestamp("1990-01-01", tz="UTC").value // 1000, pd.Timestamp("2100-01-01", tz="UTC").value // 1000)


@dataclass
class ColumnarArticles:
    """One file's articles as rows (``store.bulk.rows_table``) and its warnings in record order."""

    table: pa.Table
    warnings: list[str] = field(default_factory=list)


class _NotHere(Exception):
    """The file is not one this path reads exactly: the per-record parse takes it."""


def columnar_articles(path: Path, context: Context) -> ColumnarArticles | None:
    """The file's articles read column-wise, or None when the per-record parse must read it."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        data = path.read_bytes()
        lines = _record_lines(data)
        try:
            table = pa_json.read_json(pa.py_buffer(data), parse_options=_OPTIONS)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if table.num_rows != len(lines) or not lines:
            return None
        return _resolved(table, lines, str(path), context)
    except (_NotHere, ParseError, OSError):
        return None


def _record_lines(data: bytes) -> list[int]:
    """Line numbers (1-based) of the non-blank lines, each of which must hold one object."""
    if _ODD_SPACE.search(data):
        raise _NotHere
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise _NotHere from None
    numbers = []
    for number, line in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        line = line.strip()
        if not line:
            continue
        if not (line.startswith(b"{") and line.endswith(b"}")):
            raise _NotHere
        numbers.append(number)
    return numbers


def _text(value: str | None) -> str | None:
    """``jsonfmt._text`` for a value that is text or None: stripped, blank is None."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _required(value: str | None) -> str:
    value = _text(value)
    if value is None:
        raise _NotHere  # "missing": the per-record parse says so with the line
    return value


def _items(values: list | None) -> list[str]:
    """``jsonfmt._string_list`` for a list of text."""
    if values is None:
        return []
    if any(item is None for item in values):
        raise _NotHere
    return [item.strip() for item in values if item.strip()]


def _times(published: list[str], sources: list[str], precisions: list, context: Context):
    """(UTC microseconds, zone label, precision, warnings) per record."""
    count = len(published)
    utc: list = [None] * count
    zones: list = [None] * count
    warnings: list = [[] for _ in range(count)]
    plain = [n for n in range(count) if precisions[n] in (None, "minute", "hour")
             and _PLAIN_ISO.fullmatch(published[n]) and sources[n].casefold() not in context.source_zones]
    if plain:
        try:
            stamps = pd.to_datetime(pd.Series([published[n] for n in plain]), format="ISO8601", utc=True)
        except (ValueError, OverflowError):
            plain = []  # e.g. a 30 February: resolve_time words it
        else:
            for n, micros in zip(plain, stamps.dt.as_unit("us").astype("int64").tolist()):
                if not _UTC_RANGE[0] <= micros < _UTC_RANGE[1]:
                    raise _NotHere
                offset = published[n][19:]
                utc[n] = micros
                zones[n] = "UTC" if offset in ("Z", "+00:00", "-00:00") else f"UTC{offset}"
    for n in range(count):
        if utc[n] is not None:
            continue
        resolved = resolve_time(published[n], precision=precisions[n], field_name="published",
                                default_zone=context.source_zones.get(sources[n].casefold()))
        utc[n], zones[n], precisions[n] = resolved.utc.value // 1000, resolved.zone, resolved.precision
        warnings[n] = list(resolved.warnings)
    return utc, zones, [p or "minute" for p in precisions], warnings


def _within_limits(texts: dict[str, list], tags: list) -> None:
    """A field over its limit (``ingest.limits``) sends the file to the per-record parse, which
    cuts it where every path does and warns with the line."""
    for name, values in texts.items():
        limit = limits.URL_LIMIT if name == "url" else limits.FIELD_LIMITS.get(name)
        if limit is not None and any(v is not None and len(v) > limit for v in values):
            raise _NotHere
    if any(len(tag) > limits.TAG_LIMIT for items in tags if items for tag in items if tag):
        raise _NotHere


def _resolved(table: pa.Table, lines: list[int], origin: str, context: Context) -> ColumnarArticles:
    column = {name: table[name].to_pylist() for name in _SCHEMA.names}
    titles = [" ".join(_required(t).split()) for t in column["title"]]
    sources = [" ".join(_required(s).split()) for s in column["source"]]
    published = column["published"]
    for value in published:
        _required(value)
    precisions = [_text(p) for p in column["precision"]]
    if any(p is not None and p not in PRECISIONS for p in precisions):
        raise _NotHere
    utc, zones, precisions, time_warnings = _times(published, sources, precisions, context)
    minutes = pc.strftime(pa.array(utc, pa.timestamp("us", tz="UTC")), format=IDENTITY_MINUTE[:-1]).to_pylist()
    texts = {name: [_text(v) for v in column[name]] for name in TEXT_FIELDS}
    _within_limits({"title": titles, "source": sources, **texts}, column["tags"])

    rows: dict[str, list] = {name: [] for name in (
        "article_id", "title", "source", "published_at", "published_raw", "published_zone",
        "published_precision", *TEXT_FIELDS, "stance", "origin", "tags", "tag_origins", "link_ids",
        "link_hows", "company_ids")}
    warnings = []
    registry, rules = context.registry, context.rules
    for n, line in enumerate(lines):
        where = f"{origin}:{line}"
        url, url_warnings = safe_url(texts["url"][n], "url")
        record_tags = clean_tags(_items(column["tags"][n]))
        subtitle, summary, body = texts["subtitle"][n], texts["summary"][n], texts["body"][n]
        links, link_warnings, stance, tags, tag_origins = derived_fields(
            registry, rules, title=titles[n], subtitle=subtitle, summary=summary, body=body,
            tags=record_tags, companies=_items(column["companies"][n]), tickers=[])
        warnings += [f"{where}: published: {w}" for w in time_warnings[n]]
        warnings += [f"{where}: {w}" for w in url_warnings + link_warnings]
        for name in ("region", "background", "insights", "subtitle", "summary", "body"):
            rows[name].append(texts[name][n])
        rows["url"].append(url)
        rows["article_id"].append(identity_of_minute(sources[n], titles[n], minutes[n] + "Z"))
        rows["title"].append(titles[n])
        rows["source"].append(sources[n])
        rows["published_raw"].append(published[n])
        rows["stance"].append(stance)
        rows["origin"].append(where)
        rows["tags"].append(tags)
        rows["tag_origins"].append([tag_origins.get(t.casefold(), where) for t in tags])
        rows["link_ids"].append([c for c, _ in links])
        rows["link_hows"].append([h for _, h in links])
        rows["company_ids"].append(sorted({c for c, _ in links}))
    rows["published_at"], rows["published_zone"], rows["published_precision"] = utc, zones, precisions
    return ColumnarArticles(rows_table(rows), warnings)


def articles_of_rows(table: pa.Table, indices: list[int]) -> list[Article]:
    """Rows of a ``ColumnarArticles`` table as the Articles the per-record parse makes, for the
    merge rule (copies of stored articles, or several copies of one in a batch)."""
    result = []
    for row in table.take(pa.array(indices, pa.int64())).to_pylist():
        tags, origins = row["tags"], row["tag_origins"]
        article = Article(
            article_id=row["article_id"], title=row["title"], source=row["source"],
            published_at=pd.Timestamp(row["published_at"]).tz_convert("UTC"),
            published_raw=row["published_raw"], published_zone=row["published_zone"],
            published_precision=row["published_precision"], region=row["region"],
            subtitle=row["subtitle"], summary=row["summary"], background=row["background"],
            insights=row["insights"], body=row["body"], url=row["url"], stance=row["stance"],
            origin=row["origin"], tags=list(tags), company_links=list(zip(row["link_ids"], row["link_hows"])))
        # Tags not from the record itself (rule tags) name their origin, as in build_article.
        article.tag_origins = {tag.casefold(): origin for tag, origin in zip(tags, origins)
                               if origin != row["origin"]}
        result.append(article)
    return result


class TableRow(NamedTuple):
    """A copy in a batch that is row ``index`` of the batch's table ``table`` (a
    ``ColumnarArticles`` table), standing where an Article would (``ingest.plan``)."""

    table: int
    index: int
    retracted = None  # the columnar parse takes no retractions
