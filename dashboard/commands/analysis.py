"""`reactions`, `claims`, `parity`: the analysis tables on the command line.

JSON is one array of objects with ISO 8601 UTC ``Z`` timestamps; CSV has the same columns (text
cells neutralised against spreadsheet formulas); ``table`` is for reading in a terminal.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import re
import sys

import pandas as pd

from dashboard import config, store
from dashboard.ingest import EVENT_KINDS
from dashboard.csvsafe import neutralise_csv_cell

FORMATS = ("table", "json", "csv")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

REACTION_TABLE = [("event_ts", 17), ("precision", 6), ("symbol", 7), ("first_bar_ts", 17),
                  ("ref_price", 9), ("ret_5m", 7), ("ret_15m", 7), ("ret_30m", 7), ("ret_60m", 7),
                  ("ret_session_close", 8), ("ret_next_close", 8), ("abn_session_close", 8),
                  ("volume_ratio", 6), ("adr_premium_at_event", 7), ("adr_premium_at_first_bar", 7),
                  ("headline", 50), ("note", 60)]
CLAIM_TABLE = [("published_at", 17), ("source", 16), ("listing", 7), ("size_pct", 8), ("price", 8),
               ("measure", 11), ("session", 10), ("verdict", 12), ("verdict_text", 90), ("quote", 70)]
PARITY_TABLE = [("ts", 17), ("adr", 8), ("hk", 8), ("usdhkd", 7), ("parity", 8), ("premium", 8),
                ("hk_ts", 17)]
_PERCENT_OF_ONE = ("ret_", "abn_", "premium", "adr_premium_")


def register(subparsers, common) -> None:
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--tag", action="append", default=[], help="any of these tags (repeatable)")
    filters.add_argument("--company", action="append", default=[], help="company id or name (repeatable)")
    filters.add_argument("--source", action="append", default=[], help="exact source name (repeatable)")
    filters.add_argument("--kind", action="append", default=[], choices=EVENT_KINDS,
                         help="event kind (repeatable)")
    filters.add_argument("--since", type=_when, help="from this date/time (UTC unless an offset is given)")
    filters.add_argument("--until", type=_when, help="up to this date (inclusive) or time")
    filters.add_argument("--format", choices=FORMATS, default="table")

    r = subparsers.add_parser("reactions", parents=[common, filters],
                              help="how each listing moved after each event (returns, abnormal, volume)")
    r.set_defaults(func=run_reactions)
    c = subparsers.add_parser("claims", parents=[common, filters],
                              help="reported moves in articles/events checked against the bars")
    c.set_defaults(func=run_claims)
    p = subparsers.add_parser("parity", parents=[common],
                              help="ADR price vs its home-market parity, and the premium")
    p.add_argument("--company", default="alibaba", help="company id or name (default alibaba)")
    p.add_argument("--since", type=_when, required=True, help="from this date/time")
    p.add_argument("--until", type=_when, required=True, help="up to this date (inclusive) or time")
    p.add_argument("--every", default=None, metavar="INTERVAL",
                   help="keep the last row per interval, e.g. 30min (table default 30min; json/csv every bar)")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=run_parity)


def _when(text: str) -> str:
    try:
        pd.Timestamp(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD) or ISO time") from None
    return text


def _filters(args):
    from dashboard.analysis.load import Filters

    return Filters(tags=args.tag, companies=args.company, sources=args.source, kinds=args.kind,
                   since=args.since, until=args.until)


def run_reactions(args) -> int:
    from dashboard.analysis import load

    with store.reader(config.resolve_db_path(args.db)) as con:
        frame = load.reactions(con, _filters(args))
    _emit(frame, args.format, REACTION_TABLE, "reactions")
    return 0


def run_claims(args) -> int:
    from dashboard.analysis import load

    with store.reader(config.resolve_db_path(args.db)) as con:
        frame = load.claims(con, _filters(args))
    _emit(frame, args.format, CLAIM_TABLE, "claims")
    return 0


def run_parity(args) -> int:
    from dashboard.analysis import load
    from dashboard.store.companies import company_ids_matching

    with store.reader(config.resolve_db_path(args.db)) as con:
        ids = company_ids_matching(con, [args.company])
        frame = None
        for company_id in ids:
            frame = load.company_parity(con, company_id, args.since, args.until)
            if frame is not None:
                break
    if frame is None:
        print(f"error: {args.company!r} has no ADR with a home listing in the registry", file=sys.stderr)
        return 1
    every = args.every or ("30min" if args.format == "table" else None)
    if every and not frame.empty:
        try:
            buckets = frame["ts"].dt.floor(every)
        except ValueError:
            print(f"error: --every {every!r} is not an interval (try 30min, 1h)", file=sys.stderr)
            return 2
        frame = frame.groupby(buckets, sort=True).tail(1).reset_index(drop=True)
    _emit(frame, args.format, PARITY_TABLE, "parity rows")
    return 0


# --- output ------------------------------------------------------------------------------------

def _iso_z(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain_value(value):
    """A JSON/CSV-ready value: ISO Z for times, ISO date for dates, None for missing."""
    if isinstance(value, pd.Timestamp):
        return _iso_z(value)
    if isinstance(value, dt.datetime):
        return _iso_z(pd.Timestamp(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return list(value)
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if value is pd.NaT:
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _emit(frame: pd.DataFrame, fmt: str, table_columns, what: str) -> None:
    records = _records(frame)
    if fmt == "json":
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(list(frame.columns))
        for record in records:
            writer.writerow([neutralise_csv_cell(_csv_cell(record.get(c))) for c in frame.columns])
    else:
        _print_table(records, table_columns, what)
        if "bars_source" in frame and frame["bars_source"].fillna("").str.contains("synthetic").any():
            print(f"bars: {config.SYNTHETIC_LABEL}")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def _cell(name: str, value, width: int) -> str:
    if value is None:
        text = ""
    elif isinstance(value, float) and any(name.startswith(p) for p in _PERCENT_OF_ONE):
        text = f"{value * 100:+.2f}%"
    elif isinstance(value, float) and name.endswith("_pct") or name == "size_pct":
        text = f"{value:+.2f}%"
    elif isinstance(value, float):
        text = f"{value:.4g}" if abs(value) < 10 else f"{value:.2f}"
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value):
        text = value[:16].replace("T", " ") + "Z"
    else:
        text = str(value)
    text = " ".join(_CONTROL.sub(" ", text).split())  # untrusted text: no terminal escapes
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_table(records: list[dict], columns, what: str) -> None:
    if not records:
        print(f"no {what} match")
        return
    rows = [[_cell(name, r.get(name), width) for name, width in columns] for r in records]
    widths = [max(len(name), *(len(row[i]) for row in rows)) for i, (name, _) in enumerate(columns)]
    print("  ".join(name.ljust(w) for (name, _), w in zip(columns, widths)).rstrip())
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    print(f"({len(records)} {what})")
