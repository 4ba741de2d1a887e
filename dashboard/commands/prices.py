"""`prices`: fetch from Yahoo, import vendor files, load the synthetic sample, list the cache,
refresh the windows around stored events."""
from __future__ import annotations

import json
import sys

from dashboard import config, store
from dashboard.prices import importer, policy, refresh, sample, yahoo
from dashboard.store import bars as bar_store


def register(subparsers, common) -> None:
    prices = subparsers.add_parser("prices", help="price bars: fetch, import, sample, list, refresh")
    sub = prices.add_subparsers(dest="prices_command", metavar="SUBCOMMAND")
    sub.required = True

    p = sub.add_parser("fetch", parents=[common], help="fetch bars from Yahoo into the cache")
    p.add_argument("symbols", nargs="+", metavar="SYMBOL")
    p.add_argument("--start", required=True, help="first day (YYYY-MM-DD) or UTC time")
    p.add_argument("--end", required=True, help="last day, inclusive (YYYY-MM-DD) or UTC time")
    p.add_argument("--interval", default="auto", choices=["auto"] + policy.INTERVALS)
    p.set_defaults(func=run_fetch)

    p = sub.add_parser("import", parents=[common], help="import a vendor CSV/Parquet file of bars")
    p.add_argument("file")
    p.add_argument("--symbol", required=True)
    p.add_argument("--interval", help="bar interval (default: inferred from the timestamps)")
    p.add_argument("--tz", help="IANA zone of naive timestamps, e.g. America/New_York")
    p.set_defaults(func=run_import)

    p = sub.add_parser("sample", parents=[common],
                       help=f"load the offline sample bars ({config.SYNTHETIC_LABEL})")
    p.add_argument("--regenerate", action="store_true",
                   help=f"rewrite {config.SAMPLE_DIR} from the seeded generator first")
    p.set_defaults(func=run_sample)

    p = sub.add_parser("list", parents=[common], help="what is cached, per symbol/interval/source")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=run_list)

    p = sub.add_parser("refresh", parents=[common], help="fetch uncached windows around stored events")
    p.add_argument("--offline-ok", action="store_true",
                   help="without a network, say so and exit 0 (serve cached bars)")
    p.set_defaults(func=run_refresh)


def run_fetch(args) -> int:
    result = yahoo.fetch(args.symbols, args.start, args.end, args.interval, db=args.db,
                         progress=lambda line: print(line, flush=True))
    for line in result.lines():
        print(line, file=sys.stdout if any(r.ok and r.message == line for r in result.reports) else sys.stderr)
    return 0 if result.ok else 1


def run_import(args) -> int:
    try:
        with store.writer(config.resolve_db_path(args.db)) as con, store.transaction(con):
            result = importer.import_file(con, args.file, args.symbol, args.interval, args.tz)
    except (importer.ImportFileError, KeyError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1
    for problem in result.problems:
        print(problem, file=sys.stderr)
    print(f"{result.path.name}: stored {result.stored} {result.interval} bars of {result.symbol} "
          f"as {result.source}; rejected {len(result.problems)} row(s)")
    return 1 if result.problems else 0


def run_sample(args) -> int:
    if args.regenerate:
        for path in sample.write(config.SAMPLE_DIR):
            print(f"wrote {path.relative_to(config.PROJECT_ROOT) if path.is_relative_to(config.PROJECT_ROOT) else path}")
    with store.writer(config.resolve_db_path(args.db)) as con, store.transaction(con):
        written = sample.load(con, config.SAMPLE_DIR)
    for symbol, rows in written.items():
        print(f"{symbol}: {rows} 1m bars loaded ({config.SYNTHETIC_LABEL})")
    return 0


def run_list(args) -> int:
    db = config.resolve_db_path(args.db)
    if not db.exists():
        print(f"{db}: no database yet (run `python -m dashboard prices sample`)", file=sys.stderr)
        return 1
    with store.reader(db) as con:
        cov = bar_store.coverage(con)
    records = [{
        "symbol": r.symbol, "interval": r.interval, "source": r.source,
        "first_bar": r.first_ts.isoformat(), "last_bar": r.last_ts.isoformat(), "rows": int(r.rows),
        "label": config.SYNTHETIC_LABEL if r.source == bar_store.SYNTHETIC else "",
    } for r in cov.itertuples()]
    if args.format == "json":
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    if not records:
        print("no bars cached")
        return 0
    headers = ["symbol", "interval", "source", "first_bar", "last_bar", "rows", "label"]
    rows = [[str(rec[h]) for h in headers] for rec in records]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in [headers] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
    return 0


def run_refresh(args) -> int:
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
