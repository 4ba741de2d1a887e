"""`study`: the intraday event study on the command line (dashboard.analysis.study).

JSON is one object: ``events`` (a row per event × listing × window), ``pooled`` (a row per
listing × window with every test and its p-value) and ``bars_source``; fractions, not percent.
``table`` and ``csv`` print one of the two tables (``--table``, default pooled); ``table`` shows
CARs as percentages and says when the bars are synthetic.
"""
from __future__ import annotations

from dashboard import config
from dashboard.commands._args import LazyChoices, database, lake_options, listing_options, positive_int
from dashboard.commands._output import emit, print_json, records

POOLED_TABLE = [("symbol", 7), ("window", 13), ("n_events", 4), ("caar", 8), ("t_cs", 6), ("p_cs", 6),
                ("z_patell", 6), ("p_patell", 6), ("z_bmp", 6), ("p_bmp", 6), ("z_kp", 6), ("p_kp", 6),
                ("z_rank", 6), ("p_rank", 6), ("z_sign", 6), ("p_sign", 6)]
EVENT_TABLE = [("event_ts", 17), ("symbol", 7), ("window", 13), ("car", 8), ("se", 7), ("t", 6), ("p", 6),
               ("beta", 5), ("n_estimation_bars", 5), ("overlaps", 5), ("headline", 40), ("note", 60)]
_PERCENT = ("car", "caar", "se")


def register(subparsers, common) -> None:
    s = subparsers.add_parser(
        "study", parents=[common, lake_options(), listing_options(kinds=True)],
        help="event study: is each move unusual for the listing at that time of day; CAAR and tests per listing",
        description="Abnormal returns after each event against a model estimated on the sessions before, "
                    "cumulated over the reaction windows and pooled per listing (docs/analysis.md).")
    s.add_argument("--model", choices=LazyChoices("dashboard.analysis.study", "MODELS"), default="market",
                   metavar="MODEL", help="market (default), market-adjusted or constant-mean")
    s.add_argument("--interval", choices=LazyChoices("dashboard.analysis.study", "STUDY_INTERVALS"),
                   default="5m", metavar="INTERVAL", help="bar interval of the study: 1m or 5m (default 5m)")
    s.add_argument("--estimation-sessions", type=positive_int, default=20, metavar="N",
                   help="sessions before the event's session to estimate the model on (default 20)")
    s.add_argument("--regular-only", action="store_true",
                   help="leave pre-market and after-hours bars out (as `reactions --regular-only`)")
    s.add_argument("--first-of-cluster", action="store_true",
                   help="of events whose windows overlap on a listing, keep only the first")
    s.add_argument("--table", choices=("pooled", "events"), default="pooled",
                   help="table/csv: the pooled tests (default) or the per-event rows (json has both)")
    s.add_argument("--out", metavar="FILE",
                   help="also write the study table (.csv, .parquet) or the CAAR figure (.png, .svg, .html)")
    s.set_defaults(func=run_study)


def options_from_args(args):
    from dashboard.analysis.study import StudyOptions

    return StudyOptions(model=args.model, interval=args.interval, estimation_sessions=args.estimation_sessions,
                        extended=not args.regular_only, first_of_cluster=args.first_of_cluster)


def run_study(args) -> int:
    from dashboard.analysis.load import EventSelection
    from dashboard.analysis.study.load import study
    from dashboard.analysis.study.table import public_events

    selection = EventSelection(tags=args.tag, companies=args.company, sources=args.source, kinds=args.kind,
                               since=args.since, until=args.until)
    with database(args).read() as con:
        result = study(con, selection, options_from_args(args))
    events = public_events(result)
    if args.out:
        code = _write_out(result, args.out)
        if code:
            return code
    if args.format == "json":
        print_json({"events": records(events), "pooled": records(result.pooled),
                    "bars_source": result.bars_source})
        return 0
    frame, columns, what = ((result.pooled.assign(bars_source=result.bars_source), POOLED_TABLE, "pooled rows")
                            if args.table == "pooled" else (events, EVENT_TABLE, "event rows"))
    emit(frame, args.format, table_columns=columns, what=what, cell_text=_reading_text)
    if args.format == "table" and args.table == "pooled" and result.pooled.empty and len(events):
        print(f"({events['event_id'].nunique()} events, none with statistics: `--table events` shows each one's note)")
    if args.format == "table" and result.synthetic:
        print(f"bars: {config.SYNTHETIC_LABEL} — these statistics describe made-up bars, nothing real")
    return 0


def _reading_text(name: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and name in _PERCENT:
        return f"{value * 100:+.2f}%"
    if isinstance(value, float) and name.startswith("p"):
        return f"{value:.3f}"
    if isinstance(value, float):
        return f"{value:+.2f}" if name.startswith(("t", "z_")) else f"{value:.3g}"
    if isinstance(value, str) and len(value) == 20 and value.endswith("Z") and "T" in value:
        return value[:16].replace("T", " ") + "Z"
    return str(value)


OUT_SUFFIXES = (".csv", ".parquet", ".png", ".svg", ".html")


def _write_out(result, out: str) -> int:
    """The study table or the CAAR figure to ``out``, by its suffix; a note on stderr."""
    import sys
    from pathlib import Path

    from dashboard import export
    from dashboard.export.study import study_figure, study_table

    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in OUT_SUFFIXES:
        print(f"error: --out {out}: use a file ending {', '.join(OUT_SUFFIXES)}", file=sys.stderr)
        return 2
    if not path.parent.exists():
        print(f"error: --out {out}: folder {path.parent} does not exist", file=sys.stderr)
        return 2
    if suffix in (".csv", ".parquet"):
        table = study_table(result)
        data = export.frame_to_csv(table) if suffix == ".csv" else export.frame_to_parquet(table)
    else:
        fig = export.ensure_synthetic_label(study_figure(result), result.synthetic)
        try:
            data = (export.figure_to_html(fig, filename_stem=path.stem, title=path.stem).encode("utf-8")
                    if suffix == ".html" else
                    export.figure_to_png(fig) if suffix == ".png" else export.figure_to_svg(fig))
        except export.StaticExportUnavailable as exc:
            print(f"error: {exc}\n(HTML, CSV and Parquet work without a browser.)", file=sys.stderr)
            return 1
    path.write_bytes(data)
    label = ", synthetic bars labelled" if result.synthetic else ""
    print(f"wrote {path} ({len(data):,} bytes{label})", file=sys.stderr)
    return 0
