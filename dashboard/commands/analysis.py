"""`reactions`, `claims`, `parity`: the analysis tables on the command line.

JSON is one array of objects with ISO 8601 UTC ``Z`` timestamps; CSV has the same columns (text
cells neutralised against spreadsheet formulas); ``table`` is for reading in a terminal, with
returns as percentages (see dashboard/commands/_output.py).
"""
from __future__ import annotations

import re
import sys

from dashboard import config
from dashboard.commands._args import add_format, database, lake_options, listing_options, when
from dashboard.commands._output import emit

REACTION_TABLE = [("event_ts", 17), ("precision", 6), ("symbol", 7), ("first_bar_ts", 17),
                  ("session_part", 7), ("ref_price", 9), ("last_close", 9), ("from_close_5m", 7), ("ret_5m", 7), ("ret_15m", 7), ("ret_30m", 7), ("ret_60m", 7),
                  ("ret_session_close", 8), ("ret_next_close", 8), ("abn_session_close", 8),
                  ("volume_ratio", 6), ("adr_premium_at_event", 7), ("adr_premium_at_first_bar", 7),
                  ("headline", 50), ("note", 60)]
CLAIM_TABLE = [("published_at", 17), ("source", 16), ("listing", 7), ("size_pct", 8), ("price", 8),
               ("measure", 11), ("session", 10), ("verdict", 12), ("verdict_text", 90), ("quote", 70)]
PARITY_TABLE = [("ts", 17), ("adr", 8), ("hk", 8), ("usdhkd", 7), ("parity", 8), ("premium", 8),
                ("hk_ts", 17)]
_PERCENT_OF_ONE = ("ret_", "abn_", "from_close_", "premium", "adr_premium_")


def register(subparsers, common) -> None:
    filters = listing_options(kinds=True)
    r = subparsers.add_parser("reactions", parents=[common, lake_options(), filters],
                              help="how each listing moved after each event (returns, abnormal, volume)")
    r.add_argument("--regular-only", action="store_true",
                   help="leave pre-market and after-hours bars out (regular-session figures)")
    r.set_defaults(func=run_reactions)
    c = subparsers.add_parser("claims", parents=[common, lake_options(), filters],
                              help="reported moves in articles/events checked against the bars")
    c.set_defaults(func=run_claims)
    p = subparsers.add_parser("parity", parents=[common, lake_options()],
                              help="ADR price vs its home-market parity, and the premium")
    p.add_argument("--company", default="alibaba", help="company id or name (default alibaba)")
    p.add_argument("--since", type=when, required=True, help="from this date/time")
    p.add_argument("--until", type=when, required=True, help="up to this date (inclusive) or time")
    p.add_argument("--regular-only", action="store_true",
                   help="ADR bars of the regular session only (no pre-market or after-hours rows)")
    p.add_argument("--every", default=None, metavar="INTERVAL",
                   help="keep the last row per interval, e.g. 30min (table default 30min; json/csv every bar)")
    add_format(p)
    p.set_defaults(func=run_parity)


def _filters(args):
    from dashboard.analysis.load import EventSelection

    return EventSelection(tags=args.tag, companies=args.company, sources=args.source, kinds=args.kind,
                   since=args.since, until=args.until)


def _run_filtered(args, table: str) -> int:
    """`reactions` or `claims`: the filtered table from dashboard.analysis.load."""
    from dashboard.analysis import load

    compute, columns = {"reactions": (load.reactions, REACTION_TABLE),
                        "claims": (load.claims, CLAIM_TABLE)}[table]
    options = {"extended": not args.regular_only} if table == "reactions" else {}
    with database(args).read() as con:
        frame = compute(con, _filters(args), **options)
    _emit(frame, args.format, columns, table)
    return 0


def run_reactions(args) -> int:
    return _run_filtered(args, "reactions")


def run_claims(args) -> int:
    return _run_filtered(args, "claims")


def run_parity(args) -> int:
    from dashboard.analysis import load
    from dashboard.store.companies import company_ids_matching

    with database(args).read() as con:
        ids = company_ids_matching(con, [args.company])
        frame = None
        for company_id in ids:
            frame = load.company_parity(con, company_id, args.since, args.until,
                                        extended=not args.regular_only)
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

_ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _emit(frame, fmt: str, table_columns, what: str) -> None:
    emit(frame, fmt, table_columns=table_columns, what=what, cell_text=_reading_text)
    synthetic = "bars_source" in frame and frame["bars_source"].fillna("").str.contains("synthetic").any()
    if fmt == "table" and synthetic:
        print(f"bars: {config.SYNTHETIC_LABEL}")


def _reading_text(name: str, value) -> str:
    """Table text: returns and premiums as percentages, prices rounded, times to the minute."""
    if value is None:
        return ""
    if isinstance(value, float) and name.startswith(_PERCENT_OF_ONE):
        return f"{value * 100:+.2f}%"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name.endswith("_pct"):
        return f"{value:+.2f}%"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 10 else f"{value:.2f}"
    if isinstance(value, str) and _ISO_Z.fullmatch(value):
        return value[:16].replace("T", " ") + "Z"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
