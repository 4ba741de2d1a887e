"""`ingest`, `articles`, `events`: load files into the database and list what is there."""
from __future__ import annotations

import sys

from dashboard import config
from dashboard.commands._args import database, lake_options, listing_options, positive_int
from dashboard.commands._output import emit, table_cell
from dashboard.commands.records import add_actions
from dashboard.commands.search import add_search_option, search_articles, search_events

# The pipeline's limit (dashboard.ingest.pipeline.DEFAULT_MAX_BYTES), written out so `--help`
# needs no import; tests/test_cli_output.py checks the two agree.
MAX_BYTES_HELP = ("reject whole documents (JSON, feeds, text) larger than this many bytes "
                  "(default 5242880, 5 MiB); JSON Lines and CSV have no limit")

ARTICLE_TABLE = [("published_at", 20), ("source", 18), ("stance", 10), ("companies", 12),
                 ("tags", 40), ("title", 70)]
EVENT_TABLE = [("ts", 20), ("precision", 9), ("kind", 11), ("stance", 10), ("source", 22),
               ("value", 14), ("headline", 70)]


def register(subparsers, common) -> None:
    p = subparsers.add_parser("ingest", parents=[common],
                              help="load article files, data/events.csv and companies.toml (files or folders)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--max-bytes", type=positive_int, default=None, help=MAX_BYTES_HELP)
    p.add_argument("--companies", default=str(config.COMPANIES_FILE), metavar="FILE",
                   help=f"companies registry (default {config.COMPANIES_FILE})")
    p.add_argument("--sources", default=str(config.SOURCES_FILE), metavar="FILE",
                   help=f"per-source default zones (default {config.SOURCES_FILE})")
    p.add_argument("--tags", default=str(config.TAGS_FILE), metavar="FILE",
                   help=f"tagging rules (default {config.TAGS_FILE})")
    p.add_argument("--wait", type=float, default=5.0, metavar="SECONDS",
                   help="how long to wait for a busy database (default 5)")
    p.add_argument("--quiet", action="store_true", help="print only the counts and rejections")
    p.add_argument("--dry-run", action="store_true",
                   help="parse and merge, say what would be added/updated, write nothing")
    p.set_defaults(func=run_ingest)

    a = subparsers.add_parser("articles", parents=[common, lake_options(), listing_options(kinds=False)],
                              help="list stored articles; `articles show|retract ID`")
    a.add_argument("--limit", type=positive_int)
    a.add_argument("--include-retracted", action="store_true", help="also list retracted articles")
    add_search_option(a)
    a.set_defaults(func=run_articles)
    add_actions(a, "article")

    e = subparsers.add_parser("events", parents=[common, lake_options(), listing_options(kinds=True)],
                              help="list the event timeline; `events show|retract ID`")
    e.add_argument("--include-retracted", action="store_true", help="also list retracted events")
    add_search_option(e)
    e.set_defaults(func=run_events)
    add_actions(e, "event")


# --- ingest ------------------------------------------------------------------------------------

def run_ingest(args) -> int:
    from dashboard.ingest.pipeline import DEFAULT_MAX_BYTES, ingest_paths

    from dashboard import store

    db = store.Database(config.resolve_db_path(args.db), wait_seconds=args.wait)
    report = ingest_paths(db, args.paths, companies_file=args.companies or None,
                          sources_file=args.sources or None, tags_file=args.tags or None,
                          max_bytes=args.max_bytes or DEFAULT_MAX_BYTES, dry_run=args.dry_run)
    if not args.quiet:
        for line in report.skipped:
            print(f"skipped: {line}")
        for line in report.warnings:
            print(f"warning: {line}", file=sys.stderr)
        # A real run names what it updated; a dry run also what it would add.
        verb = "would be " if args.dry_run else ""
        for change in report.changes:
            if change.status == "updated" or args.dry_run:
                fields = f" ({', '.join(change.changed)})" if change.changed else ""
                print(f"{verb}{change.status}: {change.what} {change.key}{fields}: "
                      f"{table_cell(change.title, 70)} [{table_cell(change.origin, 120)}]")
    for line in report.rejections:
        print(f"rejected: {line}", file=sys.stderr)
    for line in report.summary_lines():
        print(line)
    print(f"database: {db.name}")
    return 0 if report.ok else 1


# --- listing -----------------------------------------------------------------------------------

def run_articles(args) -> int:
    from dashboard.store.articles import query_articles

    if args.search is not None:
        return search_articles(args, _filters(args), lambda frame, columns: _emit(
            args, frame, columns, "articles", "published_at"))
    return _list(args, lambda con: query_articles(con, **_filters(args), limit=args.limit),
                 ARTICLE_TABLE, "articles", "published_at")


def run_events(args) -> int:
    from dashboard.store.events import query_events

    if args.search is not None:
        return search_events(args, dict(kinds=args.kind, **_filters(args)), lambda frame, columns: _emit(
            args, frame, columns or EVENT_TABLE, "events", "ts"))
    return _list(args, lambda con: query_events(con, kinds=args.kind, **_filters(args)),
                 EVENT_TABLE, "events", "ts")


def _filters(args) -> dict:
    return dict(tags=args.tag, companies=args.company, sources=args.source,
                since=args.since, until=args.until, include_retracted=args.include_retracted)


def _list(args, query, table_columns, what: str, time_column: str) -> int:
    """Run `query(con)` on a read-only connection and print the frame in the chosen format."""

    with database(args).read() as con:
        frame = query(con)
    _emit(args, frame, table_columns, what, time_column)
    return 0


def _emit(args, frame, table_columns, what: str, time_column: str) -> None:
    if args.include_retracted:  # say which rows are retracted, in every format
        table_columns = [*table_columns, ("retracted_at", 20)]
        time_columns = (time_column, "retracted_at")
    else:
        time_columns = (time_column,)
    emit(frame, args.format, table_columns=table_columns, what=what, time_columns=time_columns)
