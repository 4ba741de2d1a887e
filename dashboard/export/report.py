"""The report ZIP (figure, data, analysis tables, manifest, README) and what the app's button and
`export report` both call to build it from a database."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any, Mapping

import pandas as pd
import plotly.graph_objects as go

from dashboard.config import SYNTHETIC_LABEL
from dashboard.export.files import (
    json_time,
    jsonable,
    label_source,
    source_urls,
    bar_coverage,
    bars_frame,
    ensure_synthetic_label,
    export_filename,
    figure_to_html,
    frame_to_csv,
    frame_to_parquet,
    is_synthetic,
    project_version,
)
from dashboard.export.static import PROJECT_DISTRIBUTION, StaticExportUnavailable, figure_to_png, figure_to_svg

_README = """\
Event-overlay dashboard — report bundle
=======================================

What this is: the chart and the data behind it, exported {generated_at} (UTC) by
event-overlay-dashboard {version}. Filters and time zone are in manifest.json.

Files
{file_lines}

Notes
- Times in CSV and Parquet files are UTC (ISO 8601, ending in Z). The chart is drawn in
  {zone}.
- CSV files are UTF-8. Text cells that a spreadsheet would read as a formula (starting with
  = + - @, a tab or a carriage return) carry a leading single quote; numbers are unchanged.
- The bars' `source` column says where each bar came from: `yahoo` (Yahoo Finance),
  `import:<file>` (a vendor file), or `synthetic`.
- manifest.json lists every file with its size and SHA-256, every bar source with its
  coverage, and the source URL of every article and event in the window.
{synthetic_note}"""


_FILE_DESCRIPTIONS = {
    "chart.png": "the chart as shown (PNG)",
    "chart.svg": "the chart as shown (SVG, vector)",
    "chart.html": "the interactive chart; opens offline (plotly.js inlined)",
    "events.csv": "the events in the window",
    "events.parquet": "the events in the window (Parquet)",
    "bars.csv": "the price bars of every listing in the window, with their source",
    "bars.parquet": "the price bars of every listing in the window (Parquet)",
    "articles.csv": "the articles in the window",
    "articles.parquet": "the articles in the window (Parquet)",
    "reactions.csv": "how each listing moved after each event (docs/analysis.md)",
    "reactions.parquet": "how each listing moved after each event (Parquet)",
    "claims.csv": "moves reported in articles and events, checked against the bars",
    "claims.parquet": "moves reported in articles and events, checked against the bars (Parquet)",
    "parity.csv": "ADR price vs the home-listing parity and the premium, per ADR bar",
    "parity.parquet": "ADR price vs the home-listing parity and the premium (Parquet)",
    "study.csv": "the event study: pooled tests per listing and window, then each event's CAR (docs/analysis.md)",
    "study.parquet": "the event study table (Parquet)",
    "caar.png": "the event study's CAAR figure (PNG)",
    "caar.svg": "the event study's CAAR figure (SVG, vector)",
    "caar.html": "the event study's CAAR figure; opens offline (plotly.js inlined)",
    "README.txt": "this explanation",
    "manifest.json": "filters, zone, sources with coverage, source URLs, file list",
}


def report_zip(
    view: Any,
    fig: go.Figure,
    *,
    data_view: Any = None,
    width: int | None = None,
    height: int | None = None,
    scale: float = 1,
    analysis_tables: Mapping[str, pd.DataFrame] | None = None,
    store_coverage: pd.DataFrame | None = None,
    include_static: bool = True,
    generated_at: dt.datetime | None = None,
    notes: list[str] | None = None,
    data_source: dict | None = None,
    figures: Mapping[str, go.Figure] | None = None,
) -> bytes:
    """The report bundle: figure (PNG, SVG, HTML), events/bars/articles (CSV, Parquet),
    the analysis tables when given (reactions, claims, parity, study), further figures by name
    (the study's ``caar``: PNG, SVG, HTML), manifest.json and README.txt.

    `view` is what the chart shows; `data_view` (default: `view`) supplies the tables, e.g. the
    same filters loaded at full resolution. Without a browser the PNG/SVG are left out and the
    manifest and README say why.
    """
    data_view = data_view if data_view is not None else view
    filters = view.filters
    generated_at = (generated_at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    bars = bars_frame(data_view)
    synthetic = bool(view.synthetic or data_view.synthetic or is_synthetic(bars))
    fig = ensure_synthetic_label(fig, synthetic)
    stem = export_filename(filters, "chart", "x", view=view).rsplit(".", 1)[0]
    events = _frame_or_empty(data_view.events)
    articles = _frame_or_empty(data_view.articles)

    files: dict[str, bytes] = {}
    static_note = None
    if include_static:
        try:
            png = figure_to_png(fig, width=width, height=height, scale=scale)
            svg = figure_to_svg(fig, width=width, height=height, scale=scale)
            files["chart.png"], files["chart.svg"] = png, svg
        except StaticExportUnavailable as exc:
            static_note = str(exc)
    else:
        static_note = "left out on request"
    files["chart.html"] = figure_to_html(fig, filename_stem=stem, title=stem).encode("utf-8")
    for name, extra in (figures or {}).items():
        extra = ensure_synthetic_label(extra, synthetic)
        if "chart.png" in files:
            files[f"{name}.png"] = figure_to_png(extra, width=width, scale=scale)
            files[f"{name}.svg"] = figure_to_svg(extra, width=width, scale=scale)
        files[f"{name}.html"] = figure_to_html(extra, filename_stem=f"{stem}_{name}", title=f"{stem} {name}").encode("utf-8")
    tables = [("events", events), ("bars", bars), ("articles", articles)]
    tables += [(name, frame) for name, frame in (analysis_tables or {}).items() if frame is not None]
    for name, frame in tables:
        files[f"{name}.csv"] = frame_to_csv(frame)
        files[f"{name}.parquet"] = frame_to_parquet(frame)

    zone = view.zone
    listed = list(files) + ["README.txt", "manifest.json"]
    file_lines = "\n".join(f"- {name}: {_FILE_DESCRIPTIONS.get(name, name)}" for name in listed)
    if static_note:
        file_lines += f"\n(no chart.png / chart.svg: {static_note})"
    synthetic_note = (
        f"\nSYNTHETIC DATA: some bars in this bundle are generated, not market data\n"
        f"(\"{SYNTHETIC_LABEL}\"). Their source column reads `synthetic`; the chart says so too.\n"
        if synthetic else ""
    )
    files["README.txt"] = _README.format(
        generated_at=json_time(generated_at), version=project_version(), file_lines=file_lines,
        zone=zone, synthetic_note=synthetic_note,
    ).encode("utf-8")

    manifest = {
        "generated_at": json_time(generated_at),
        "project": PROJECT_DISTRIBUTION,
        "version": project_version(),
        "company": {"id": view.company_id, "name": view.company_name},
        "filters": jsonable(filters),
        "zone": zone,
        "window_utc": {"start": json_time(view.start), "end_exclusive": json_time(view.end)},
        "window_days": {"start": view.start_day.isoformat(), "end_inclusive": view.end_day.isoformat()},
        "synthetic": synthetic,
        "synthetic_label": SYNTHETIC_LABEL if synthetic else None,
        # A lake publish (snapshot id, per-table snapshots) rebuilds this report exactly, with
        # `export report --catalog … --warehouse … --as-of <published_at>`.
        "data_source": data_source,
        "listings": [
            {
                "symbol": lv.symbol, "name": lv.name, "exchange_mic": lv.exchange_mic,
                "currency": lv.currency, "tz": lv.tz, "shares_per_unit": lv.shares_per_unit,
                "interval": lv.interval, "unit": lv.y_unit, "sources": list(lv.sources),
                "bars_in_window": lv.total_bars, "bars_in_chart": lv.shown_bars,
            }
            for lv in view.listings
        ],
        "bar_sources": bar_coverage(bars),
        "store_coverage": [
            label_source({k: jsonable(v) for k, v in row.items()})
            for row in (store_coverage.to_dict("records") if store_coverage is not None else [])
        ],
        "static_images": "included" if "chart.png" in files else f"missing: {static_note}",
        "article_sources": source_urls(articles, "article_id", "title", "url"),
        "event_sources": source_urls(events, "event_id", "headline", "source_url"),
        "rows": {name: int(len(frame)) for name, frame in tables},
        "notices": list(view.notices) + list(notes or []),
        "files": [
            {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
             "description": _FILE_DESCRIPTIONS.get(name, name)}
            for name, data in files.items()
        ] + [{"name": "manifest.json", "description": _FILE_DESCRIPTIONS["manifest.json"]}],
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")

    buffer = io.BytesIO()
    stamp = generated_at.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
    return buffer.getvalue()


def _frame_or_empty(frame: Any) -> pd.DataFrame:
    return frame if isinstance(frame, pd.DataFrame) else pd.DataFrame()


# From a database: what the app's button and `export report` both call

# Tables are exported at full resolution: the chart thins long series, the data must not.
FULL_RESOLUTION = 10**12


def full_resolution_view(db: Any, filters: Any) -> Any:
    """The same filters as the chart, with every bar in the window (no downsampling)."""
    from dashboard.screen import load_view

    return load_view(db, filters, max_points=FULL_RESOLUTION)


ANALYSIS_TABLES = ("reactions", "claims", "parity")


def analysis_table_for(db: Any, view: Any, name: str) -> pd.DataFrame | None:
    """One analysis table (dashboard.analysis) for the view's company, filters and window:
    ``reactions``, ``claims`` or ``parity`` (None when the company has no ADR pair)."""
    from dashboard import store
    from dashboard.analysis import load as analysis_load

    db = store.as_database(db)

    if name == "study":
        from dashboard.export.study import study_for, study_table

        return study_table(study_for(db, view))
    if name not in ANALYSIS_TABLES:
        raise ValueError(f"unknown analysis table {name!r} (one of {', '.join(ANALYSIS_TABLES)}, study)")
    from dashboard.screen import analysis_scope

    wanted = analysis_scope(view).selection()
    extended = view.filters.extended_hours
    with db.read() as con:
        if name == "reactions":
            return analysis_load.reactions(con, wanted, extended=extended)
        if name == "claims":
            return analysis_load.claims(con, wanted)
        return analysis_load.company_parity(con, view.company_id, view.start, view.end,
                                            extended=extended)


def data_source(db: Any) -> dict:
    """Which data a report was made from: one lake publish, or a local DuckDB file."""
    if hasattr(db, "source_info"):
        return db.source_info()
    return {"kind": "duckdb", "path": db.name}


def report_for(db: Any, view: Any, fig: go.Figure, **options: Any) -> bytes:
    """report_zip with the tables re-read at full resolution, the store's coverage of the view's
    listings, and the analysis tables (reactions, claims, ADR parity)."""
    from dashboard import store
    from dashboard.store import bars as store_bars

    db = store.as_database(db)
    data_view = full_resolution_view(db, view.filters)
    options.setdefault("data_source", data_source(db))
    with db.read() as con:
        coverage = store_bars.coverage(con)
    symbols = {lv.symbol for lv in view.listings}
    coverage = coverage[coverage["symbol"].isin(symbols)].reset_index(drop=True)
    notes = list(options.pop("notes", []))
    if "analysis_tables" not in options:
        tables = {}
        for name in ANALYSIS_TABLES:
            try:
                tables[name] = analysis_table_for(db, data_view, name)
            except Exception as exc:  # an extra: the bundle goes out without it, and says why
                notes.append(f"{name} table left out: {type(exc).__name__}: {exc}")
        options["analysis_tables"] = tables
        _add_study(db, data_view, options, notes)
    return report_zip(view, fig, data_view=data_view, store_coverage=coverage, notes=notes, **options)


def _add_study(db: Any, view: Any, options: dict, notes: list[str]) -> None:
    """The event study's table and CAAR figure, computed once for the bundle."""
    from dashboard.export.study import study_figure, study_for, study_table

    try:
        result = study_for(db, view)
    except Exception as exc:  # an extra, like the other analysis tables
        notes.append(f"study table and figure left out: {type(exc).__name__}: {exc}")
        return
    options["analysis_tables"]["study"] = study_table(result)
    options.setdefault("figures", {})["caar"] = study_figure(result, view)
