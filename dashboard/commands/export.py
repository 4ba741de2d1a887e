"""`export chart|data|report`: the app's export buttons, headless.

The figure comes from the same `view.load_view` + `charts.overlay_figure` the app uses, so the
same filters give the same figure; tables are the same filters at full resolution.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dashboard.commands._args import (LazyChoices, add_filters, database, date, lake_options, positive_float,
                                      positive_int, zone)

CHART_FORMATS = ("png", "svg", "html")
DATA_FORMATS = ("csv", "parquet")
TABLES = ("bars", "events", "articles", "reactions", "claims", "parity", "study")
# The help names dashboard.export.DEFAULT_WIDTH without importing it (plotly, pandas);
# tests/test_cli_output.py checks the two agree.
WIDTH_HELP = "pixels (default 1400)"


def filter_options() -> argparse.ArgumentParser:
    """The screen's filters, with the same meaning as in the app."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("filters (as in the app)")
    add_filters(group, one_company=True, since_until=False)
    group.add_argument("--start", type=date, metavar="YYYY-MM-DD", help="first day shown")
    group.add_argument("--end", type=date, metavar="YYYY-MM-DD", help="last day shown (inclusive)")
    group.add_argument("--zone", type=zone, default="UTC",
                       help="display zone: UTC, America/New_York, Asia/Hong_Kong (or utc, ny, hk)")
    group.add_argument("--interval", choices=LazyChoices("dashboard.screen", "INTERVALS"), default="auto",
                       metavar="INTERVAL", help="bar interval: %(choices)s (default auto)")
    group.add_argument("--price-mode", choices=LazyChoices("dashboard.screen", "PRICE_MODES"),
                       default="price", metavar="MODE",
                       help="price (listing currency), pct (%% change) or usd (USD per ADS)")
    group.add_argument("--reference", metavar="TIME",
                       help="pct mode's base: the price at this time (UTC unless an offset is given, "
                            "e.g. 2025-11-14T18:00Z; default: the window's start)")
    group.add_argument("--parity", action="store_true",
                       help="add the ADR parity rows (ADR vs home listing × shares per ADS ÷ FX, and the premium)")
    group.add_argument("--regular-only", action="store_true",
                       help="leave out US pre-market and after-hours bars (the app's 'extended hours' off)")
    return parent


def image_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("image size")
    group.add_argument("--width", type=positive_int, default=None, help=WIDTH_HELP)
    group.add_argument("--height", type=positive_int, default=None,
                       help="pixels (default: the figure's own height)")
    group.add_argument("--scale", type=positive_float, default=1.0, help="pixel multiplier (default 1)")
    return parent


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "export", help="export the chart, its data or a report bundle",
        description="Export what the app shows: the chart (PNG/SVG/HTML), the data behind it "
                    "(CSV/Parquet) or a report ZIP. Works offline.",
    )
    what = parser.add_subparsers(dest="export_what", metavar="WHAT")
    what.required = True
    filters = filter_options()
    images = image_options()

    chart = what.add_parser("chart", parents=[common, lake_options(), filters, images], help="the overlay chart as PNG, SVG or HTML")
    chart.add_argument("--format", choices=CHART_FORMATS,
                       help="png, svg or html (default: from --out's suffix, else png)")
    chart.add_argument("--out", metavar="FILE", help="file or existing directory (default: a descriptive name here)")
    chart.set_defaults(func=run_chart)

    data = what.add_parser("data", parents=[common, lake_options(), filters], help="the data behind the chart as CSV or Parquet")
    data.add_argument("--table", choices=TABLES, default="bars", help="which table (default bars)")
    data.add_argument("--format", choices=DATA_FORMATS, help="csv or parquet (default: from --out, else csv)")
    data.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 BOM (for Excel)")
    data.add_argument("--out", metavar="FILE", help="file or existing directory (default: a descriptive name here)")
    data.set_defaults(func=run_data)

    report = what.add_parser("report", parents=[common, lake_options(), filters, images],
                             help="ZIP: chart (PNG/SVG/HTML), events, bars, articles, manifest.json, README.txt")
    report.add_argument("--no-images", action="store_true", help="leave out PNG/SVG (no browser needed)")
    report.add_argument("--out", metavar="FILE", help="file or existing directory (default: a descriptive name here)")
    report.set_defaults(func=run_report)


# ---------------------------------------------------------------------------------------------


# The flag of each Filters field: screen.build_filters names a value it cannot use by it.
FLAGS = {"company": "--company", "tags": "--tag", "sources": "--source", "kinds": "--kind", "start": "--start",
         "end": "--end", "zone": "--zone", "interval": "--interval", "price_mode": "--price-mode",
         "reference": "--reference", "parity": "--parity", "extended_hours": "--regular-only"}


def filters_from_args(args):
    """The app's ``Filters`` for these flags, by the builder the URL and the sidebar use."""
    from dashboard.screen import DEFAULT_COMPANY, Spelling, build_filters

    spelling = Spelling("", FLAGS, quote=False, separator=" ")
    filters, unusable = build_filters({
        "company": args.company or DEFAULT_COMPANY, "tags": args.tag, "sources": args.source, "kinds": args.kind,
        "start": args.start, "end": args.end, "zone": args.zone, "interval": args.interval,
        "price_mode": args.price_mode, "reference": args.reference, "parity": args.parity,
        "extended_hours": not args.regular_only,
    }, spelling)
    if unusable:
        raise UsageError("; ".join(u.problem for u in unusable))
    return filters


class UsageError(ValueError):
    """A flag combination that cannot work; exit code 2."""


def _format_for(out: str | None, given: str | None, allowed: tuple[str, ...], default: str) -> str:
    if given:
        return given
    if out:
        suffix = Path(out).suffix.lower().lstrip(".")
        if suffix in allowed:
            return suffix
    return default


def _target(out: str | None, default_name: str) -> Path:
    if not out:
        return Path(default_name)
    path = Path(out)
    return path / default_name if path.is_dir() else path


def _write(path: Path, data: bytes) -> None:
    if path.parent and not path.parent.exists():
        raise UsageError(f"--out {path}: folder {path.parent} does not exist")
    path.write_bytes(data)


def _chart_view_and_figure(db, filters):
    from dashboard.charts import overlay_figure
    from dashboard.screen import load_view

    view = load_view(db, filters)
    return view, overlay_figure(view)


def _print_notices(view) -> None:
    for notice in view.notices:
        print(f"note: {notice}", file=sys.stderr)


def _guarded(handler):
    """Turn the errors a user can act on into a message and an exit code."""

    def run(args) -> int:
        from dashboard import export

        try:
            return handler(args)
        except UsageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except export.StaticExportUnavailable as exc:
            print(f"error: {exc}\n(HTML, CSV and Parquet exports work without a browser.)", file=sys.stderr)
            return 1

    return run


@_guarded
def run_chart(args) -> int:
    from dashboard import export

    fmt = _format_for(args.out, args.format, CHART_FORMATS, "png")
    width = args.width or export.DEFAULT_WIDTH
    filters = filters_from_args(args)
    db = database(args)
    view, fig = _chart_view_and_figure(db, filters)
    _print_notices(view)
    fig = export.ensure_synthetic_label(fig, view.synthetic)
    target = _target(args.out, export.export_filename(filters, "chart", fmt, view=view))
    if fmt == "html":
        stem = export.export_filename(filters, "chart", "x", view=view).rsplit(".", 1)[0]
        data = export.figure_to_html(fig, filename_stem=stem, title=stem).encode("utf-8")
    elif fmt == "svg":
        data = export.figure_to_svg(fig, width=width, height=args.height, scale=args.scale)
    else:
        data = export.figure_to_png(fig, width=width, height=args.height, scale=args.scale)
    _write(target, data)
    print(f"wrote {target} ({len(data):,} bytes{', synthetic prices labelled' if view.synthetic else ''})")
    return 0


@_guarded
def run_data(args) -> int:
    from dashboard import export

    fmt = _format_for(args.out, args.format, DATA_FORMATS, "csv")
    if args.bom and fmt != "csv":
        raise UsageError("--bom applies to CSV only")
    filters = filters_from_args(args)
    db = database(args)
    view = export.full_resolution_view(db, filters)
    _print_notices(view)
    if args.table == "bars":
        frame = export.bars_frame(view)
    elif args.table == "events":
        frame = view.events
    elif args.table == "articles":
        frame = view.articles
    else:  # reactions, claims, parity, study: computed from the stored bars by dashboard.analysis
        frame = export.analysis_table_for(db, view, args.table)
        if frame is None:
            print(f"error: no {args.table} table for {view.company_name}: it has no ADR and home-listing pair",
                  file=sys.stderr)
            return 1
    data = export.frame_to_csv(frame, bom=args.bom) if fmt == "csv" else export.frame_to_parquet(frame)
    target = _target(args.out, export.export_filename(filters, args.table, fmt, view=view))
    _write(target, data)
    labelled = args.table == "bars" and export.is_synthetic(frame)
    print(f"wrote {target} ({len(frame):,} rows{', source column marks synthetic bars' if labelled else ''})")
    return 0


@_guarded
def run_report(args) -> int:
    from dashboard import export

    filters = filters_from_args(args)
    db = database(args)
    view, fig = _chart_view_and_figure(db, filters)
    _print_notices(view)
    problem = export.static_export_problem() if not args.no_images else None
    if problem:
        print(f"note: the bundle has no PNG/SVG: {problem}", file=sys.stderr)
    bundle = export.report_for(
        db, view, fig, width=args.width or export.DEFAULT_WIDTH, height=args.height, scale=args.scale,
        include_static=not args.no_images,
    )
    target = _target(args.out, export.export_filename(filters, "report", "zip", view=view))
    _write(target, bundle)
    print(f"wrote {target} ({len(bundle):,} bytes)")
    return 0
