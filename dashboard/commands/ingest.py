"""`ingest`, `articles`, `events`: load files into the database and list what is there."""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys

import pandas as pd

from dashboard import config, store
from dashboard.ingest import EVENT_KINDS
from dashboard.csvsafe import neutralise_csv_cell
from dashboard.ingest.pipeline import DEFAULT_MAX_BYTES, ingest_paths

FORMATS = ("table", "json", "csv")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def register(subparsers, common) -> None:
    p = subparsers.add_parser("ingest", parents=[common],
                              help="load article files, data/events.csv and companies.toml (files or folders)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--max-bytes", type=_positive_int, default=DEFAULT_MAX_BYTES,
                   help=f"reject files larger than this (default {DEFAULT_MAX_BYTES})")
    p.add_argument("--companies", default=str(config.COMPANIES_FILE), metavar="FILE",
                   help="companies registry (default data/companies.toml)")
    p.add_argument("--sources", default=str(config.SOURCES_FILE), metavar="FILE",
                   help="per-source default zones (default data/sources.toml)")
    p.add_argument("--wait", type=float, default=5.0, metavar="SECONDS",
                   help="how long to wait for a busy database (default 5)")
    p.add_argument("--quiet", action="store_true", help="print only the counts and rejections")
    p.set_defaults(func=run_ingest)

    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--tag", action="append", default=[], help="any of these tags (repeatable)")
    filters.add_argument("--company", action="append", default=[], help="company id or name (repeatable)")
    filters.add_argument("--source", action="append", default=[], help="exact source name (repeatable)")
    filters.add_argument("--since", type=_when, help="from this date/time (UTC unless an offset is given)")
    filters.add_argument("--until", type=_when, help="up to this date (inclusive) or time")
    filters.add_argument("--format", choices=FORMATS, default="table")

    a = subparsers.add_parser("articles", parents=[common, filters], help="list stored articles")
    a.add_argument("--limit", type=_positive_int)
    a.set_defaults(func=run_articles)

    e = subparsers.add_parser("events", parents=[common, filters], help="list the event timeline")
    e.add_argument("--kind", action="append", default=[], choices=EVENT_KINDS, help="event kind (repeatable)")
    e.set_defaults(func=run_events)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _when(text: str) -> str:
    try:
        pd.Timestamp(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD) or ISO time") from None
    return text


# --- ingest ------------------------------------------------------------------------------------

def run_ingest(args) -> int:
    db_path = config.resolve_db_path(args.db)
    report = ingest_paths(db_path, args.paths, companies_file=args.companies or None,
                          sources_file=args.sources or None, max_bytes=args.max_bytes,
                          wait_seconds=args.wait)
    if not args.quiet:
        for line in report.skipped:
            print(f"skipped: {line}")
        for line in report.warnings:
            print(f"warning: {line}", file=sys.stderr)
    for line in report.rejections:
        print(f"rejected: {line}", file=sys.stderr)
    for line in report.summary_lines():
        print(line)
    print(f"database: {db_path}")
    return 0 if report.ok else 1


# --- listing -----------------------------------------------------------------------------------

def _iso_z(value) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _records(frame: pd.DataFrame, time_columns) -> list[dict]:
    records = []
    for row in frame.to_dict(orient="records"):
        for column, value in row.items():
            if column in time_columns:
                row[column] = _iso_z(value)
            elif not isinstance(value, list) and pd.isna(value):
                row[column] = None
        records.append(row)
    return records


def _print_json(records: list[dict]) -> None:
    json.dump(records, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _print_csv(records: list[dict], columns: list[str]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        cells = []
        for column in columns:
            value = record.get(column)
            if isinstance(value, list):
                value = ";".join(str(v) for v in value)
            cells.append(neutralise_csv_cell("" if value is None else value))
        writer.writerow(cells)


def _plain(value, width: int) -> str:
    """One table cell: untrusted text with control characters (terminal escapes) removed."""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = _CONTROL.sub(" ", "" if value is None else str(value))
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_table(records: list[dict], columns: list[tuple[str, int]], what: str) -> None:
    if not records:
        print(f"no {what} match")
        return
    rows = [[_plain(r.get(name), width) for name, width in columns] for r in records]
    widths = [max(len(name), *(len(row[i]) for row in rows)) for i, (name, _) in enumerate(columns)]
    print("  ".join(name.ljust(w) for (name, _), w in zip(columns, widths)).rstrip())
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    print(f"({len(records)} {what})")


ARTICLE_TABLE = [("published_at", 20), ("source", 18), ("stance", 10), ("companies", 12),
                 ("tags", 40), ("title", 70)]
EVENT_TABLE = [("ts", 20), ("precision", 9), ("kind", 11), ("stance", 10), ("source", 22),
               ("value", 14), ("headline", 70)]


def run_articles(args) -> int:
    from dashboard.store.articles import query_articles

    with store.reader(config.resolve_db_path(args.db)) as con:
        frame = query_articles(con, tags=args.tag, companies=args.company, sources=args.source,
                               since=args.since, until=args.until, limit=args.limit)
    records = _records(frame, {"published_at"})
    if args.format == "json":
        _print_json(records)
    elif args.format == "csv":
        _print_csv(records, list(frame.columns))
    else:
        _print_table(records, ARTICLE_TABLE, "articles")
    return 0


def run_events(args) -> int:
    from dashboard.store.events import query_events

    with store.reader(config.resolve_db_path(args.db)) as con:
        frame = query_events(con, kinds=args.kind, companies=args.company, tags=args.tag,
                             sources=args.source, since=args.since, until=args.until)
    records = _records(frame, {"ts"})
    if args.format == "json":
        _print_json(records)
    elif args.format == "csv":
        _print_csv(records, list(frame.columns))
    else:
        _print_table(records, EVENT_TABLE, "events")
    return 0
