"""`search rebuild|status`, and the `--search QUERY` of `articles` and `events`."""
from __future__ import annotations

import sys
import time

from dashboard.commands._args import database, lake_options

SEARCH_HELP = ('full-text search: words, "exact phrases", AND/OR/NOT, prefix* (e.g. Pentag*), '
               "field:word; articles come best first with a snippet and score")
# Snippets are made from the store's text of each row printed: at most this many rows get one.
SNIPPET_ROWS = 500
ARTICLE_TABLE = [("score", 7), ("published_at", 20), ("source", 18), ("title", 50), ("snippet", 90),
                 ("matched", 24)]


def register(subparsers, common) -> None:
    p = subparsers.add_parser("search", help="the full-text search index: `search rebuild`, `search status`")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    rebuild = actions.add_parser("rebuild", parents=[common, lake_options()],
                                 help="build the search index from every stored article")
    rebuild.set_defaults(func=run_rebuild)
    state = actions.add_parser("status", parents=[common, lake_options()],
                               help="whether the search index covers what the database holds")
    state.set_defaults(func=run_status)


def add_search_option(parser) -> None:
    parser.add_argument("--search", metavar="QUERY", help=SEARCH_HELP)


def run_rebuild(args) -> int:
    from dashboard import search

    db = database(args)
    started = time.perf_counter()
    try:
        done = search.sync(db, full=True)
    except search.IndexBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"search index: {done.articles:,} articles ({done.documents:,} texts with older revisions) "
          f"indexed in {time.perf_counter() - started:.1f} s at {search.index_dir(db)}")
    return 0


def run_status(args) -> int:
    from dashboard import search

    found = search.status(database(args))
    print(f"{found.state}: {found.message}")
    return 0 if found.state == "current" else 1


def _matches(args, db):
    """The search's matches, or an exit code after saying what is wrong."""
    from dashboard import search

    try:
        found = search.ready(db)
    except search.IndexBusy as exc:
        print(f"error: {exc}; try again in a moment", file=sys.stderr)
        return 1
    if found.state == "missing":
        print(f"error: {found.message}", file=sys.stderr)
        return 1
    elif found.state == "stale":
        print(f"warning: {found.message}", file=sys.stderr)
    try:
        matches = search.find(db, args.search, include_retracted=args.include_retracted)
    except search.QueryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if matches.note():
        print(f"note: {matches.note()}", file=sys.stderr)
    return matches


def search_articles(args, filters: dict, emit_frame) -> int:
    """`articles --search`: the matching articles (with the other filters), best first."""
    from dashboard import search
    from dashboard.store.articles import best_of_ranked, query_articles

    db = database(args)
    matches = _matches(args, db)
    if isinstance(matches, int):
        return matches
    with db.read() as con:
        places, _ = best_of_ranked(con, matches.article_ids, limit=args.limit, **filters)
        frame = query_articles(con, article_ids=[matches.article_ids[p] for p in places],
                               include_retracted=filters["include_retracted"])
    frame = search.ranked(frame, matches, places)
    marked = search.snippets(db, args.search, [matches.hit_at(p) for p in places[:SNIPPET_ROWS]])
    frame["snippet"] = [marked[key].as_text() if key in marked else "" for key in frame["article_id"]]
    emit_frame(frame, ARTICLE_TABLE)
    return 0


def search_events(args, filters: dict, emit_frame) -> int:
    """`events --search`: the events linked to matching articles (with the other filters)."""
    from dashboard.store.events import query_events

    db = database(args)
    matches = _matches(args, db)
    if isinstance(matches, int):
        return matches
    with db.read() as con:
        frame = query_events(con, **filters, article_ids=matches.article_ids)
    emit_frame(frame, None)
    return 0
