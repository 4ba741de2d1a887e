"""`python -m dashboard …`: argparse front end. Each command group lives in dashboard/commands/.

Exit codes: 0 success; 1 some input rejected (the good part is kept and reported) or the
database is busy; 2 usage error.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from dashboard import config

# Command modules, each with register(subparsers, common) adding its subcommands.
COMMAND_MODULES = [
    "dashboard.commands.ingest",
    "dashboard.commands.prices",
    "dashboard.commands.analysis",
    "dashboard.commands.study",
    "dashboard.commands.export",
    "dashboard.commands.serve",
    "dashboard.commands.bench",
    "dashboard.commands.news",
    "dashboard.commands.lake",
    "dashboard.commands.search",
]


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        help=f"DuckDB file (default: $DASHBOARD_DB, else {config.DEFAULT_DB})",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard",
        description="Event-overlay dashboard: news events on intraday prices of every listing.",
        epilog=f"Data folder: {config.DATA_DIR} ($DASHBOARD_DATA, else ./data); cache: {config.CACHE_DIR} "
               f"($DASHBOARD_CACHE); synthetic sample bars: {config.SAMPLE_DIR}.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    common = common_options()
    for name in COMMAND_MODULES:
        # A missing or misspelt module is an ImportError here, never a subcommand quietly gone.
        importlib.import_module(name).register(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from dashboard.lake.catalog import LakeError
    from dashboard.store import DatabaseBusy, DatabaseMissing, DatabaseOutdated  # after parsing: --help stays light

    try:
        return int(args.func(args) or 0)
    except (DatabaseBusy, DatabaseMissing, DatabaseOutdated, LakeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `… | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
