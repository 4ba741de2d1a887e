"""`articles show|retract ID` and `events show|retract ID`: one record with its tags (each with
its origin), origins and revisions; an explicit, reasoned retraction."""
from __future__ import annotations

import argparse
import sys

from dashboard.commands._output import plain_value, print_json, table_cell

# Each kind: the store's history tables, the reader of its current row, its field names.
_KINDS = {
    "article": ("ARTICLES", "dashboard.store.articles", "get_article"),
    "event": ("EVENTS", "dashboard.store.events", "get_event"),
}
_WIDTH = 240


def add_actions(parser: argparse.ArgumentParser, what: str) -> None:
    """`show ID` and `retract ID --reason TEXT` under the `articles`/`events` listing command."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = False
    show = actions.add_parser("show", help=f"one {what}: fields, tags with their origin, origins, revisions")
    show.add_argument("record_id", metavar="ID")
    show.add_argument("--format", choices=("table", "json"), default="table")
    show.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS)
    show.set_defaults(func=lambda args: run_show(args, what))
    retract = actions.add_parser("retract", help=f"hide one {what} from views and exports, keeping it")
    retract.add_argument("record_id", metavar="ID")
    retract.add_argument("--reason", required=True, help="why (kept with the retraction)")
    retract.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS)
    retract.set_defaults(func=lambda args: run_retract(args, what))


def _load(con, what: str, record_id: str) -> dict | None:
    import importlib

    from dashboard.store import history

    kind_name, module, reader = _KINDS[what]
    current = getattr(importlib.import_module(module), reader)(con, record_id)
    if current is None:
        return None
    record = {name: plain_value(value) for name, value in current.items()
              if name not in ("retracted_at", "retracted_reason")}
    past = history.history(con, getattr(history, kind_name), record_id)
    record.update(
        retracted_at=plain_value(past["retracted_at"]), retracted_reason=past["retracted_reason"],
        tags=[{"tag": t["tag"], "origin": t["origin"]} for t in past["tags"]],
        origins=[{name: plain_value(value) for name, value in o.items()} for o in past["origins"]],
        revisions=[{name: plain_value(value) for name, value in r.items()} for r in past["revisions"]],
    )
    return record


def run_show(args, what: str) -> int:
    from dashboard.commands._args import database

    with database(args).read() as con:  # the local file, or a lake publish with --catalog
        record = _load(con, what, args.record_id)
    if record is None:
        print(f"error: no {what} {args.record_id!r}", file=sys.stderr)
        return 1
    if args.format == "json":
        print_json(record)
    else:
        print_record(record, what)
    return 0


def print_record(record: dict, what: str) -> None:
    """The record as text for a terminal (untrusted text without control characters)."""
    from dashboard.versions import as_text, change_rows, origin_rows, retraction_line

    skip = {"tags", "origins", "revisions", "retracted_at", "retracted_reason", "company_links"}
    notice = retraction_line(record["retracted_at"], record["retracted_reason"])
    print(f"{what} {table_cell(as_text(record.get(what + '_id')), _WIDTH)}"
          + (f"  ({table_cell(notice, _WIDTH)})" if notice else ""))
    for name, value in record.items():
        if name not in skip and name != what + "_id" and as_text(value):
            print(f"  {name}: {table_cell(as_text(value), _WIDTH)}")
    print("tags:")
    for tag in record["tags"]:
        print(f"  {table_cell(tag['tag'], 60)}  (from {table_cell(as_text(tag['origin']), 120)})")
    print("delivered by:")
    for row in origin_rows(record["origins"]):
        print(f"  {table_cell(row['origin'], 120)}  first {row['first_seen']}  last {row['last_seen']}"
              f"  ({row['copies']} {'copy' if row['copies'] == '1' else 'different copies'})")
    print(f"revisions (oldest first, {len(record['revisions'])}):")
    for row in change_rows(record["revisions"]):
        if row["field"] == "(first version)":
            print(f"  {row['version']}  {row['when']}  {table_cell(row['origin'], 120)}  first version")
            continue
        print(f"  {row['version']}  {row['when']}  {table_cell(row['origin'], 120)}  {row['field']}:")
        print(f"      before: {table_cell(row['before'], _WIDTH)}")
        print(f"      after:  {table_cell(row['after'], _WIDTH)}")


def run_retract(args, what: str) -> int:
    from datetime import datetime, timezone

    from dashboard import store
    from dashboard.store import history

    kind = getattr(history, _KINDS[what][0])
    with store.as_database(args.db).write() as con:
        past = history.history(con, kind, args.record_id)
        if past is None:
            print(f"error: no {what} {args.record_id!r}", file=sys.stderr)
            return 1
        if past["retracted_at"] is not None:
            print(f"{what} {args.record_id} was already retracted "
                  f"({plain_value(past['retracted_at'])}: {table_cell(past['retracted_reason'] or '', _WIDTH)})")
            return 0
        history.retract(con, kind, args.record_id, args.reason, datetime.now(timezone.utc))
    _follow_search(args)
    print(f"retracted {what} {args.record_id}: hidden from views and exports, kept in the database "
          f"(list it with --include-retracted)")
    return 0


def _follow_search(args) -> None:
    """The search index follows the retraction in the same run (dashboard/search/index.py)."""
    from dashboard import search, store

    warning = search.follow(store.as_database(args.db))
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
