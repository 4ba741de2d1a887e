"""`publish`: write the local store to the Iceberg lake (dashboard/lake/publish.py).

Reading the lake needs no command of its own: every read command takes --catalog/--warehouse.
"""
from __future__ import annotations

from dashboard import store
from dashboard.commands._args import lake_location, lake_options


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "publish", parents=[common, lake_options(required=True)],
        help="publish the local store to Iceberg tables (only what changed since the last publish)")
    p.set_defaults(func=run_publish)


def run_publish(args) -> int:
    from dashboard.lake.publish import publish

    db = store.as_database(args.db)
    location = lake_location(args)
    print(f"publishing {db.name} to {location.describe()}", flush=True)
    result = publish(db, location, progress=lambda line: print(f"  {line}", flush=True))
    written = sum(1 for t in result.tables if t.committed)
    print(f"published {result.publish_id}: {written} of {len(result.tables)} tables changed; "
          f"lake snapshot {result.log_snapshot_id} at {result.published_at.isoformat(timespec='seconds')}")
    return 0
