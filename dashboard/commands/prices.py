"""`prices`: fetch from Yahoo, import vendor files, load the synthetic sample, list the cache,
refresh the windows around stored events."""
from __future__ import annotations

import sys

from dashboard import config
from dashboard.commands._args import LazyChoices, add_format, database, lake_options
from dashboard.commands._output import emit

COVERAGE_TABLE = [("symbol", 12), ("interval", 8), ("source", 16), ("first_bar", 20), ("last_bar", 20),
                  ("rows", 12), ("label", 40)]


def register(subparsers, common) -> None:
    prices = subparsers.add_parser("prices", help="price bars: fetch, import, sample, list, refresh")
    sub = prices.add_subparsers(dest="prices_command", metavar="SUBCOMMAND")
    sub.required = True

    p = sub.add_parser("fetch", parents=[common], help="fetch bars from Yahoo into the cache")
    p.add_argument("symbols", nargs="+", metavar="SYMBOL")
    p.add_argument("--start", required=True, help="first day (YYYY-MM-DD) or UTC time")
    p.add_argument("--end", required=True, help="last day, inclusive (YYYY-MM-DD) or UTC time")
    p.add_argument("--interval", default="auto", metavar="INTERVAL",
                   choices=LazyChoices("dashboard.prices.policy", "INTERVALS", first=("auto",)),
                   help="bar interval: %(choices)s (default auto)")
    p.set_defaults(func=run_fetch)

    p = sub.add_parser("import", parents=[common],
                       help="import bar files: yfinance/pandas CSV, Parquet, bar-API JSON, flat CSV")
    p.add_argument("files", nargs="+", metavar="FILE", help="bar files: .csv, .parquet or .json")
    p.add_argument("--symbol", help="symbol of a file that does not name its own (or the one to take from a file of several)")
    p.add_argument("--interval", help="bar interval (default: inferred from the spacing, per symbol)")
    p.add_argument("--tz", help="IANA zone of times without a UTC offset, e.g. America/New_York "
                                "(default: the exchange of a known listing)")
    p.set_defaults(func=run_import)

    p = sub.add_parser("sample", parents=[common],
                       help=f"load the offline sample bars from {config.SAMPLE_DIR} ({config.SYNTHETIC_LABEL})")
    p.add_argument("--regenerate", action="store_true",
                   help=f"rewrite {config.SAMPLE_DIR} from the seeded generator first")
    p.set_defaults(func=run_sample)

    p = sub.add_parser("list", parents=[common, lake_options()], help="what is cached, per symbol/interval/source")
    add_format(p)
    p.set_defaults(func=run_list)

    p = sub.add_parser("refresh", parents=[common], help="fetch uncached windows around stored events")
    p.add_argument("--offline-ok", action="store_true",
                   help="without a network, say so and exit 0 (serve cached bars)")
    p.set_defaults(func=run_refresh)


def run_fetch(args) -> int:
    from dashboard.prices import yahoo

    result = yahoo.fetch(args.symbols, args.start, args.end, args.interval, db=args.db,
                         progress=lambda line: print(line, flush=True))
    for line in result.lines():
        print(line, file=sys.stdout if any(r.ok and r.message == line for r in result.reports) else sys.stderr)
    return 0 if result.ok else 1


def run_import(args) -> int:
    """Each file in its own transaction: a file that cannot be read leaves the others stored."""
    from dashboard import store
    from dashboard.prices import importer

    try:
        importer.check_options(args.tz, args.interval)
    except importer.ImportFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    database = store.as_database(args.db)
    failed = False
    for path in args.files:
        try:
            with database.write() as con:  # one transaction per file
                result = importer.import_file(con, path, args.symbol, args.interval, args.tz)
        except importer.ImportFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed = True
            continue
        for line in result.problems + result.warnings:
            print(line, file=sys.stderr)
        for series in result.series:
            print(f"{result.path.name}: {series.symbol}: stored {series.stored} {series.interval} bars "
                  f"{series.first:%Y-%m-%d %H:%M}Z..{series.last:%Y-%m-%d %H:%M}Z as {result.source}")
        nothing = "" if result.series else "no bars stored; "
        print(f"{result.path.name}: {result.shape}; {nothing}rejected {len(result.problems)} row(s)")
        failed = failed or bool(result.problems)
    return 1 if failed else 0


def run_sample(args) -> int:
    from dashboard import store
    from dashboard.prices import sample

    if args.regenerate:
        for path in sample.write(config.SAMPLE_DIR):
            print(f"wrote {path.relative_to(config.PROJECT_ROOT) if path.is_relative_to(config.PROJECT_ROOT) else path}")
    with store.as_database(args.db).write() as con:
        written = sample.load(con, config.SAMPLE_DIR)
    for symbol, rows in written.items():
        print(f"{symbol}: {rows} 1m bars loaded ({config.SYNTHETIC_LABEL})")
    return 0


def run_list(args) -> int:
    from dashboard.store import bars as bar_store

    db = database(args)
    if not db.exists():
        print(f"{db.name}: no database yet (run `python -m dashboard prices sample`)", file=sys.stderr)
        return 1
    with db.read() as con:
        coverage = bar_store.coverage(con)
    frame = coverage.rename(columns={"first_ts": "first_bar", "last_ts": "last_bar"})
    frame["label"] = [config.SYNTHETIC_LABEL if source == bar_store.SYNTHETIC else ""
                      for source in frame["source"]]
    if frame.empty and args.format == "table":
        print("no bars cached")
        return 0
    emit(frame[[name for name, _ in COVERAGE_TABLE]], args.format, table_columns=COVERAGE_TABLE,
         what="cached series", time_columns=("first_bar", "last_bar"))
    return 0


def run_refresh(args) -> int:
    from dashboard.prices import refresh

    result = refresh.refresh(args.db, echo=lambda line: print(line, flush=True))
    if result.offline:
        if args.offline_ok:
            print(refresh.OFFLINE_LINE)
            return 0
        for report in result.fetched:
            if report.status == "unreachable":
                print(report.message, file=sys.stderr)
        return 1
    return 0 if (result.ok or args.offline_ok) else 1
