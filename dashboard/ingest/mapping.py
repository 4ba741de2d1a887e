"""User mappings for unknown vendors' CSV/JSON: ``[format."name"]`` tables in data/sources.toml.

::

    [format."my-vendor"]
    title = "headline"        # field holding the title (required)
    published = "ts"          # field holding the time (required)
    zone = "Asia/Shanghai"    # zone of naive times in this format
    source = "outlet"         # field holding the source name …
    source_name = "My Vendor" # … or one fixed source name for every record
    tags = "keywords"         # list, or text split by `separator` (default ",", CSV ";")
    records = "data.items"    # JSON: where the list of records is (default: the top-level list)

Further optional fields: url, summary, body, subtitle, region, tickers, companies, separator,
precision. Field names may be dotted paths into nested JSON (``meta.title``). A file matches a
format when its records (CSV header, JSON object keys) have the format's title and published
fields; our own field names and the known vendor shapes are tried first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dashboard.ingest import PRECISIONS, ParseError, RawArticle, clean_tags
from dashboard.ingest.htmltext import plain_text
from dashboard.ingest.newsfields import nested, optional_text, required_text, required_time, text_list
from dashboard.ingest.zones import zone_info

FIELD_KEYS = ("title", "published", "source", "url", "summary", "body", "subtitle", "region",
              "tags", "tickers", "companies")
SETTING_KEYS = ("zone", "source_name", "separator", "records", "precision")


@dataclass(frozen=True)
class Format:
    name: str
    fields: dict[str, str]  # our field → the vendor's field (path)
    zone: str | None = None
    source_name: str | None = None
    separator: str | None = None
    records: str | None = None
    precision: str | None = None
    origin: str = "sources.toml"

    def matches(self, keys) -> bool:
        """Whether a record with these top-level keys (or CSV header) is in this format."""
        keys = {str(k).strip().lower() for k in keys}
        return all(self.fields[name].split(".")[0].lower() in keys for name in ("title", "published"))


def parse_formats(document: dict, origin: str) -> tuple[list[Format], list[str]]:
    """The ``[format.*]`` tables of a parsed sources.toml → (formats, problems)."""
    formats, problems = [], []
    for name, table in (document.get("format") or {}).items():
        where = f"{origin}: format.{name}"
        if not isinstance(table, dict):
            problems.append(f"{where}: expected a table")
            continue
        unknown = set(table) - set(FIELD_KEYS) - set(SETTING_KEYS)
        if unknown:
            problems.append(f"{where}: unknown keys {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(FIELD_KEYS + SETTING_KEYS)})")
            continue
        if any(not isinstance(v, str) or not v.strip() for v in table.values()):
            problems.append(f"{where}: every value must be non-empty text")
            continue
        missing = [key for key in ("title", "published") if key not in table]
        if "source" not in table and "source_name" not in table:
            missing.append("source or source_name")
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if "zone" in table:
            try:
                zone_info(table["zone"])
            except ParseError as exc:
                problems.append(f"{where}.zone: {exc.reason}")
                continue
        if table.get("precision") and table["precision"] not in PRECISIONS:
            problems.append(f"{where}.precision: expected one of {', '.join(PRECISIONS)}")
            continue
        formats.append(Format(
            name=name, fields={k: table[k].strip() for k in FIELD_KEYS if k in table},
            zone=table.get("zone"), source_name=table.get("source_name"),
            separator=table.get("separator"), records=table.get("records"),
            precision=table.get("precision"), origin=origin,
        ))
    return formats, problems


def format_for(keys, formats: list[Format]) -> Format | None:
    return next((f for f in formats if f.matches(keys)), None)


def records_of(document: Any, fmt: Format) -> list:
    """The list of records in a JSON document of this format."""
    if fmt.records:
        found = nested(document, fmt.records)
        if not isinstance(found, list):
            raise ParseError(fmt.records, f"format {fmt.name!r}: expected a list of records here")
        return found
    if isinstance(document, list):
        return document
    return [document]


def mapped_record(obj: Any, fmt: Format, origin: str, *, csv: bool = False) -> RawArticle:
    """One vendor record → RawArticle; raises an unlocated ParseError naming the vendor's field."""
    if not isinstance(obj, dict):
        raise ParseError("record", f"expected an object, got {type(obj).__name__}")
    if csv:  # CSV headers are matched ignoring case
        obj = {str(k).strip().lower(): v for k, v in obj.items()}
    path = {name: (value.lower() if csv else value) for name, value in fmt.fields.items()}
    separator = fmt.separator or (";" if csv else ",")

    def text(name: str) -> str | None:
        return optional_text(obj, path[name]) if name in path else None

    def items(name: str) -> list[str]:
        return text_list(obj, path[name], separator) if name in path else []

    source = text("source") or fmt.source_name
    if not source:
        raise ParseError(path.get("source", "source"), "missing")
    published = required_time(obj, path["published"])
    return RawArticle(
        title=required_text(obj, path["title"]), source=source, published=published,
        origin=origin, precision=fmt.precision, zone=fmt.zone, url=text("url"),
        time_field=path["published"],
        summary=plain_text(text("summary")), body=plain_text(text("body")),
        subtitle=text("subtitle"), region=text("region"), tags=clean_tags(items("tags")),
        tickers=items("tickers"), companies=items("companies"),
    )
