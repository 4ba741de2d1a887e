"""argparse pieces shared by the command modules: value types and the filter options.

Every command module's `register` runs on every invocation (even `--help`), so nothing here
imports pandas or a core module at import time: choices that live in the core are read on first
use, and the date/time check imports pandas only when a date is given.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
from collections.abc import Sequence

from dashboard.commands._output import FORMATS

ZONE_ALIASES = {
    "utc": "UTC",
    "ny": "America/New_York",
    "america/new_york": "America/New_York",
    "hk": "Asia/Hong_Kong",
    "asia/hong_kong": "Asia/Hong_Kong",
}


class LazyChoices(Sequence):
    """argparse `choices` read from `module.name` the first time they are checked or shown.

    Give the option a `metavar`: without one argparse lists the choices while the parser is built.
    """

    def __init__(self, module: str, name: str, *, first: tuple[str, ...] = ()):
        self.module, self.name, self.first = module, name, first
        self._values: tuple | None = None

    def _load(self) -> tuple:
        if self._values is None:
            self._values = self.first + tuple(getattr(importlib.import_module(self.module), self.name))
        return self._values

    def __getitem__(self, index):
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())


EVENT_KINDS = LazyChoices("dashboard.ingest", "EVENT_KINDS")


# --- value types ---------------------------------------------------------------------------------

def when(text: str) -> str:
    """A date or ISO time, checked here (timeutil.shown_time) and passed on as given (the store
    reads it)."""
    from dashboard.timeutil import shown_time

    try:
        shown_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} {exc}") from None
    return text


def date(text: str) -> dt.date:
    """A calendar day, YYYY-MM-DD, that a window can show (timeutil.shown_day)."""
    from dashboard.timeutil import shown_day

    try:
        return shown_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} {exc}") from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def zone(text: str) -> str:
    """One of the three display zones, by IANA name or short alias."""
    name = ZONE_ALIASES.get(text.strip().lower())
    if name is None:
        raise argparse.ArgumentTypeError(
            f"--zone {text!r}: use UTC, America/New_York or Asia/Hong_Kong (or utc, ny, hk)"
        )
    return name


# --- options -------------------------------------------------------------------------------------

def add_filters(container, *, kinds: bool = True, one_company: bool = False,
                since_until: bool = True) -> None:
    """The filters with one meaning everywhere (docs/architecture.md, "Filters").

    `container` is a parser or an argument group. `one_company` gives a single `--company`
    (default: the app's company) instead of a repeatable one.
    """
    container.add_argument("--tag", action="append", default=[], metavar="TAG",
                           help="any of these tags (repeatable)")
    if one_company:
        container.add_argument("--company", help="company id or name (default: alibaba)")
    else:
        container.add_argument("--company", action="append", default=[], metavar="COMPANY",
                               help="company id or name (repeatable)")
    container.add_argument("--source", action="append", default=[], metavar="SOURCE",
                           help="exact source name (repeatable)")
    if kinds:
        # Lower-cased first: the store matches kinds case-insensitively.
        container.add_argument("--kind", action="append", default=[], type=str.lower,
                               choices=EVENT_KINDS, metavar="KIND",
                               help="event kind (repeatable): %(choices)s")
    if since_until:
        container.add_argument("--since", type=when, metavar="WHEN",
                               help="from this date/time (UTC unless an offset is given)")
        container.add_argument("--until", type=when, metavar="WHEN",
                               help="up to this date (inclusive) or time")


def listing_options(*, kinds: bool = True) -> argparse.ArgumentParser:
    """Parent parser for a listing command: the filters and `--format table|json|csv`."""
    parent = argparse.ArgumentParser(add_help=False)
    add_filters(parent, kinds=kinds)
    add_format(parent)
    return parent


def add_format(parser, choices=FORMATS) -> None:
    parser.add_argument("--format", choices=choices, default=choices[0])


def lake_options(*, required: bool = False) -> argparse.ArgumentParser:
    """Parent parser for a command that can read (or, for `publish`, write) the Iceberg lake."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("team mode (an Iceberg lake instead of the local file)")
    group.add_argument("--catalog", metavar="URI", required=required,
                       help="SQL catalog: sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB")
    group.add_argument("--warehouse", metavar="URI", required=required,
                       help="where the table files live: file:///DIR or s3://BUCKET/PREFIX")
    group.add_argument("--namespace", default=None, metavar="NAME",
                       help="Iceberg namespace (default dashboard)")
    group.add_argument("--s3-endpoint", default=None, metavar="URL",
                       help="S3-compatible endpoint (default $AWS_ENDPOINT_URL); credentials from the AWS_* variables")
    if not required:
        group.add_argument("--as-of", default=None, metavar="WHEN",
                           help="read the publish current at this time (default: the latest)")
    return parent


def database(args):
    """What a read command reads: the lake's latest (or --as-of) publish when --catalog and
    --warehouse are given, else the local DuckDB file (--db › $DASHBOARD_DB › data/)."""
    from dashboard import store

    catalog, warehouse = getattr(args, "catalog", None), getattr(args, "warehouse", None)
    if not catalog and not warehouse:
        if getattr(args, "as_of", None):
            import sys

            print("error: --as-of reads a lake: give --catalog and --warehouse too", file=sys.stderr)
            raise SystemExit(2)
        return store.as_database(args.db)
    from dashboard.lake.read import open_lake, parse_as_of

    return open_lake(lake_location(args), parse_as_of(getattr(args, "as_of", None)))


def lake_location(args):
    from dashboard.lake.catalog import DEFAULT_NAMESPACE, LakeError, LakeLocation

    if not (args.catalog and args.warehouse):
        raise LakeError("give both --catalog and --warehouse")
    return LakeLocation(args.catalog, args.warehouse, args.namespace or DEFAULT_NAMESPACE, args.s3_endpoint)
