"""`news fetch` (yfinance) and `tags apply` (tagging rules over stored articles)."""
from __future__ import annotations

import sys

from dashboard import config
from dashboard.commands._args import positive_int


def register(subparsers, common) -> None:
    news = subparsers.add_parser("news", help="fetch news from Yahoo through yfinance")
    sub = news.add_subparsers(dest="news_command", metavar="SUBCOMMAND")
    sub.required = True
    p = sub.add_parser("fetch", parents=[common],
                       help="fetch news for listings (default: every listing in the database)")
    p.add_argument("symbols", nargs="*", metavar="SYMBOL")
    p.add_argument("--company", metavar="ID", help="every listing of this company")
    p.add_argument("--count", type=positive_int, default=20, metavar="N",
                   help="news items to ask for per listing (default 20)")
    p.add_argument("--offline-ok", action="store_true",
                   help="when Yahoo cannot be reached, say so and exit 0 (for `make run`)")
    p.set_defaults(func=run_fetch)

    tags = subparsers.add_parser("tags", help=f"tagging rules ({config.TAGS_FILE})")
    sub = tags.add_subparsers(dest="tags_command", metavar="SUBCOMMAND")
    sub.required = True
    p = sub.add_parser("apply", parents=[common],
                       help="apply the tagging rules to stored articles (no files re-read)")
    p.add_argument("--tags", default=str(config.TAGS_FILE), metavar="FILE",
                   help=f"tagging rules (default {config.TAGS_FILE})")
    p.set_defaults(func=run_tags_apply)


def _symbols(args, db) -> list[str]:
    from dashboard import store
    from dashboard.store.companies import listings

    if args.symbols and not args.company:
        return list(dict.fromkeys(args.symbols))
    if not db.exists():
        return list(args.symbols)
    with store.as_database(db).read() as con:
        frame = listings(con, company_id=args.company)
    return list(dict.fromkeys([*args.symbols, *frame["symbol"]]))


def run_fetch(args) -> int:
    from dashboard.news.yahoo import NewsFetchFailed, fetch_news

    db = config.resolve_db_path(args.db)
    symbols = _symbols(args, db)
    if not symbols:
        what = f"company {args.company!r} has no listings" if args.company else "no listings stored"
        print(f"error: {what}; name symbols or run `python -m dashboard ingest data/` first",
              file=sys.stderr)
        return 1
    try:
        result = fetch_news(symbols, count=args.count, db=db)
    except NewsFetchFailed as exc:
        print(f"{'news' if args.offline_ok else 'error'}: {exc}", file=sys.stderr)
        unreachable = "unreachable" in str(exc)
        return 0 if args.offline_ok and unreachable else 1
    for line in result.report.warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in result.report.rejections:
        print(f"rejected: {line}", file=sys.stderr)
    for line in result.lines():
        print(line)
    return 0 if result.report.ok else 1


def run_tags_apply(args) -> int:
    from dashboard.ingest import ParseError
    from dashboard.ingest.retag import apply_rules
    from dashboard.ingest.tagrules import load_rules

    try:
        rules = load_rules(args.tags)
    except ParseError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    result = apply_rules(config.resolve_db_path(args.db), rules)
    print(f"tags: {len(rules.rules)} rule(s) over {result.articles} articles; "
          f"{result.tags_added} tag(s) added to {result.changed} article(s)")
    return 0
