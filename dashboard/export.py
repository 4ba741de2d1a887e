"""Exports: PNG/SVG (kaleido), self-contained HTML, CSV/Parquet, and the report ZIP.

Pure functions, bytes out; the app's download buttons and `python -m dashboard export` both call
them, so the same filters give the same files. Nothing here imports Streamlit.

Static images go through kaleido 1.x, which drives a Chromium-family browser. Its sync server is
started once per process (lazily, on the first PNG/SVG) and reused: the first image costs a
browser start (~2 s), later ones ~0.15 s. With no browser, PNG/SVG raise
:class:`StaticExportUnavailable` and everything else keeps working.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import threading
import time
import zipfile
from dataclasses import asdict, is_dataclass
from importlib import metadata
from typing import Any, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.config import SYNTHETIC_LABEL
from dashboard.csvsafe import neutralise_csv_cell

NO_BROWSER_MESSAGE = "PNG/SVG export needs Chromium: apt-get install chromium (or set BROWSER_PATH)"
PROJECT_DISTRIBUTION = "event-overlay-dashboard"

DEFAULT_WIDTH = 1400
DEFAULT_HEIGHT = 800


class StaticExportUnavailable(RuntimeError):
    """PNG/SVG cannot be made here (no Chromium-family browser, or it failed to start)."""


# ---------------------------------------------------------------------------------------------
# Static images (kaleido)

_render_lock = threading.Lock()
_server_started = False
# A render that runs longer than this is treated as a dead browser (kaleido's own per-image
# timeout is 90 s, so this only catches a server thread that died without answering).
_RENDER_GIVE_UP_SECONDS = 180.0


def find_browser() -> str | None:
    """Path of the Chromium-family browser kaleido would use, or None.

    `BROWSER_PATH` wins when set (and must be executable), as it does in kaleido itself.
    """
    override = os.environ.get("BROWSER_PATH")
    if override:
        return override if os.path.isfile(override) and os.access(override, os.X_OK) else None
    try:
        from choreographer.browsers.chromium import Chromium
    except ImportError:
        return None
    try:
        return Chromium.find_browser(skip_local=False)
    except Exception:  # best effort: any failure to look means "not found"
        return None


def static_export_problem() -> str | None:
    """None when PNG/SVG export can work here, else the sentence to show the user."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return "PNG/SVG export needs the kaleido package (pip install kaleido)"
    if find_browser() is None:
        return NO_BROWSER_MESSAGE
    return None


def _kaleido_server_thread_alive() -> bool:
    import kaleido

    # kaleido's sync server queues a request and waits for the answer with no timeout; if its
    # thread died (browser crashed at launch) that wait never ends, so we watch the thread.
    server = kaleido._global_server
    thread = getattr(server, "_thread", None)
    return bool(server.is_running() and thread is not None and thread.is_alive())


def _ensure_kaleido_server() -> None:
    global _server_started
    import kaleido

    if _server_started and kaleido._global_server.is_running():
        return
    # mathjax=False: kaleido otherwise loads MathJax from a CDN, which is unreachable offline.
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    _server_started = True


def _reset_kaleido_server() -> None:
    global _server_started
    import kaleido

    try:
        kaleido.stop_sync_server(silence_warnings=True)
    except Exception:
        pass
    _server_started = False


def _render_static(fig: go.Figure, fmt: str, width: int | None, height: int | None, scale: float) -> bytes:
    problem = static_export_problem()
    if problem:
        raise StaticExportUnavailable(problem)
    import kaleido
    from kaleido.errors import BrowserFailedError, ChromeNotFoundError

    fig_dict = fig.to_dict()
    layout = fig_dict.get("layout", {})
    opts = {
        "format": fmt,
        "width": int(width or layout.get("width") or DEFAULT_WIDTH),
        "height": int(height or layout.get("height") or DEFAULT_HEIGHT),
        "scale": float(scale),
    }
    # The server pairs each request with the next reply on one queue: serialise callers
    # (Streamlit runs sessions on threads).
    with _render_lock:
        _ensure_kaleido_server()
        outcome: dict[str, Any] = {}
        finished = threading.Event()

        def call() -> None:
            try:
                outcome["image"] = kaleido.calc_fig_sync(fig_dict, opts=opts)
            except BaseException as exc:  # handed to the waiting caller
                outcome["error"] = exc
            finally:
                finished.set()

        threading.Thread(target=call, name="kaleido-export", daemon=True).start()
        give_up_at = time.monotonic() + _RENDER_GIVE_UP_SECONDS
        while not finished.wait(0.2):
            if not _kaleido_server_thread_alive() or time.monotonic() > give_up_at:
                _reset_kaleido_server()
                raise StaticExportUnavailable(
                    f"the browser used for PNG/SVG export ({find_browser()}) did not answer; "
                    f"{NO_BROWSER_MESSAGE}"
                )
    if "error" in outcome:
        exc = outcome["error"]
        if isinstance(exc, (ChromeNotFoundError, BrowserFailedError)):
            _reset_kaleido_server()
            raise StaticExportUnavailable(f"{NO_BROWSER_MESSAGE} ({exc})") from exc
        raise exc
    image = outcome["image"]
    return image if isinstance(image, bytes) else bytes(image)


def figure_to_png(fig: go.Figure, *, width: int | None = None, height: int | None = None, scale: float = 1) -> bytes:
    """PNG of `fig`, `width*scale` × `height*scale` pixels."""
    return _render_static(fig, "png", width, height, scale)


def figure_to_svg(fig: go.Figure, *, width: int | None = None, height: int | None = None, scale: float = 1) -> bytes:
    """SVG of `fig` (UTF-8 bytes)."""
    return _render_static(fig, "svg", width, height, scale)


# ---------------------------------------------------------------------------------------------
# HTML

def plotly_config(filename_stem: str) -> dict:
    """The app's Plotly config (charts.chart_config): the camera button saves `<stem>.png`."""
    from dashboard.charts import chart_config

    return chart_config(filename_stem)


def figure_to_html(fig: go.Figure, *, filename_stem: str = "chart", title: str | None = None) -> str:
    """One self-contained HTML page: plotly.js inlined, nothing loaded from the network."""
    html = fig.to_html(
        include_plotlyjs=True,
        include_mathjax=False,
        full_html=True,
        config=plotly_config(filename_stem),
    )
    page_title = _html_escape(title or filename_stem)
    # to_html writes no <title>; give the browser tab a name (escaped: it may hold user text).
    return html.replace("<head>", f"<head><title>{page_title}</title>", 1)


def _html_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


# ---------------------------------------------------------------------------------------------
# Synthetic label

def has_synthetic_label(fig: go.Figure) -> bool:
    """True when some annotation or the title carries the synthetic label."""
    texts = [getattr(a, "text", None) or "" for a in (fig.layout.annotations or ())]
    title = fig.layout.title.text if fig.layout.title else None
    texts.append(title or "")
    return any(SYNTHETIC_LABEL in text for text in texts)


def ensure_synthetic_label(fig: go.Figure, synthetic: bool) -> go.Figure:
    """`fig` itself when it needs no label or has one; else a copy with the label on top.

    The chart builder labels synthetic bars itself; this guarantees an exported file keeps the
    label even if a figure reaches export without it.
    """
    if not synthetic or has_synthetic_label(fig):
        return fig
    labelled = go.Figure(fig)
    labelled.add_annotation(
        text=SYNTHETIC_LABEL,
        xref="paper", yref="paper", x=0.5, y=1.0, yanchor="bottom", showarrow=False,
        font={"color": "#b00020", "size": 14},
        bgcolor="rgba(255,235,238,0.9)",
    )
    return labelled


# ---------------------------------------------------------------------------------------------
# CSV and Parquet

# OWASP CSV injection: a cell starting with one of these is read as a formula by spreadsheets.
def _format_utc(ts: pd.Timestamp) -> str:
    if ts.microsecond or ts.nanosecond:
        return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _csv_safe_value(value: Any) -> Any:
    if isinstance(value, (list, tuple, np.ndarray)):
        value = "; ".join(str(item) for item in value)
    if isinstance(value, str):
        return neutralise_csv_cell(value)
    if isinstance(value, pd.Timestamp):
        stamp = value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")
        return _format_utc(stamp)
    if isinstance(value, (dict,)):
        return neutralise_csv_cell(json.dumps(value, ensure_ascii=False, default=str))
    return value


def csv_ready_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` as it goes into a CSV: UTC ISO 8601 times, lists joined, text neutralised."""
    out = pd.DataFrame(index=df.index)
    for name in df.columns:
        column = df[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(column):
            stamps = column.dt.tz_localize("UTC") if column.dt.tz is None else column.dt.tz_convert("UTC")
            out[name] = stamps.map(lambda ts: _format_utc(ts) if pd.notna(ts) else None).astype(object)
        elif pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            out[name] = column  # numbers stay numbers, even negative ones
        else:
            out[name] = column.map(lambda v: None if _is_missing(v) else _csv_safe_value(v)).astype(object)
    return out


def _is_missing(value: Any) -> bool:
    if isinstance(value, (list, tuple, np.ndarray, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def frame_to_csv(df: pd.DataFrame, *, bom: bool = False) -> bytes:
    """UTF-8 CSV of `df` (no index), safe to open in a spreadsheet; `bom` for Excel."""
    # CRLF (RFC 4180): the csv writer then quotes any cell holding a bare \r or \n.
    text = csv_ready_frame(df).to_csv(index=False, lineterminator="\r\n")
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def frame_to_parquet(df: pd.DataFrame) -> bytes:
    """Parquet (pyarrow) of `df`, types kept: UTC timestamps, lists stay lists."""
    buffer = io.BytesIO()
    frame = df.reset_index(drop=True)
    # Parquet has no "object" type: a column of lists with missing entries needs them as lists.
    for name in frame.columns:
        if frame[name].dtype == object and frame[name].map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
            frame[name] = frame[name].map(lambda v: list(v) if isinstance(v, (list, tuple, np.ndarray)) else [])
    frame.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# File names

_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """`name` with anything but letters, digits, `.`, `-`, `_` replaced; never hidden or empty."""
    cleaned = re.sub(r"_{2,}", "_", _UNSAFE_NAME_CHARS.sub("_", name)).strip("._-")
    return cleaned[:200] or "export"


def export_filename(filters: Any, kind: str, ext: str, *, view: Any = None) -> str:
    """e.g. `alibaba_BABA-9988.HK_2025-11-13_2025-11-18_utc.png`; a `kind` other than "chart"
    is appended (`…_utc_bars.csv`). Same stem as the app's chart file name (view.figure_filename),
    so the modebar camera, the buttons and the CLI agree."""
    from dashboard.view import figure_filename

    suffix = "" if kind in ("", "chart") else kind
    stem = figure_filename(filters, view, suffix=suffix)
    return f"{safe_filename(stem)}.{safe_filename(ext).lower()}"


# ---------------------------------------------------------------------------------------------
# Frames from a view, and the report bundle

BAR_COLUMNS = ["symbol", "ts", "open", "high", "low", "close", "volume", "source", "interval", "unit"]


def bars_frame(view: Any) -> pd.DataFrame:
    """Every listing's bars in the view as one frame: symbol first, `source` kept, `unit` says
    what the prices are (listing currency, % change, USD per ADS)."""
    frames = []
    for listing in view.listings:
        if listing.bars is None or len(listing.bars) == 0:
            continue
        frame = listing.bars.copy()
        frame.insert(0, "symbol", listing.symbol)
        frame["unit"] = listing.y_unit
        frames.append(frame)
    if not frames:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in BAR_COLUMNS})
    bars = pd.concat(frames, ignore_index=True)
    ordered = [c for c in BAR_COLUMNS if c in bars.columns]
    return bars[ordered + [c for c in bars.columns if c not in ordered]]


def bar_coverage(bars: pd.DataFrame) -> list[dict]:
    """(symbol, interval, source, first_ts, last_ts, rows) of the bars given; synthetic labelled."""
    if bars.empty:
        return []
    keys = [k for k in ("symbol", "interval", "source") if k in bars.columns]
    rows = []
    for key, group in bars.groupby(keys, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        entry = dict(zip(keys, key))
        entry.update(
            first_ts=_json_time(group["ts"].min()),
            last_ts=_json_time(group["ts"].max()),
            rows=int(len(group)),
        )
        _label_source(entry)
        rows.append(entry)
    return rows


def _label_source(entry: dict) -> dict:
    source = str(entry.get("source") or "")
    if source == "synthetic":
        entry["label"] = SYNTHETIC_LABEL
    elif source == "yahoo":
        entry["label"] = "Yahoo Finance (yfinance)"
    elif source.startswith("import:"):
        entry["label"] = f"vendor file {source.split(':', 1)[1]}"
    return entry


def _json_time(value: Any) -> str | None:
    if value is None or _is_missing(value):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return _format_utc(stamp)


def _json_value(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _json_value(v) for k, v in asdict(value).items()}
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_json_value(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        stamp = pd.Timestamp(value)
        return _json_time(stamp) if stamp.tzinfo is not None else stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def project_version() -> str:
    try:
        return metadata.version(PROJECT_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def is_synthetic(bars: pd.DataFrame) -> bool:
    return "source" in bars.columns and bool((bars["source"] == "synthetic").any())


def _source_urls(frame: pd.DataFrame | None, id_col: str, title_col: str, url_col: str) -> list[dict]:
    if frame is None or len(frame) == 0 or url_col not in frame.columns:
        return []
    out = []
    for record in frame.to_dict("records"):
        url = record.get(url_col)
        if _is_missing(url) or not url:
            continue
        out.append({
            id_col: _json_value(record.get(id_col)),
            title_col: _json_value(record.get(title_col)),
            "source": _json_value(record.get("source")),
            "url": str(url),
        })
    return out


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
) -> bytes:
    """The report bundle: figure (PNG, SVG, HTML), events/bars/articles (CSV, Parquet),
    the analysis tables when given (reactions, claims, parity), manifest.json and README.txt.

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
        generated_at=_json_time(generated_at), version=project_version(), file_lines=file_lines,
        zone=zone, synthetic_note=synthetic_note,
    ).encode("utf-8")

    manifest = {
        "generated_at": _json_time(generated_at),
        "project": PROJECT_DISTRIBUTION,
        "version": project_version(),
        "company": {"id": view.company_id, "name": view.company_name},
        "filters": _json_value(filters),
        "zone": zone,
        "window_utc": {"start": _json_time(view.start), "end_exclusive": _json_time(view.end)},
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
            _label_source({k: _json_value(v) for k, v in row.items()})
            for row in (store_coverage.to_dict("records") if store_coverage is not None else [])
        ],
        "static_images": "included" if "chart.png" in files else f"missing: {static_note}",
        "article_sources": _source_urls(articles, "article_id", "title", "url"),
        "event_sources": _source_urls(events, "event_id", "headline", "source_url"),
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


# ---------------------------------------------------------------------------------------------
# From a database: what the app's button and `export report` both call

# Tables are exported at full resolution: the chart thins long series, the data must not.
FULL_RESOLUTION = 10**12


def full_resolution_view(db: Any, filters: Any) -> Any:
    """The same filters as the chart, with every bar in the window (no downsampling)."""
    from dashboard.view import load_view

    return load_view(db, filters, max_points=FULL_RESOLUTION)


ANALYSIS_TABLES = ("reactions", "claims", "parity")


def analysis_table_for(db: Any, view: Any, name: str) -> pd.DataFrame | None:
    """One analysis table (dashboard.analysis) for the view's company, filters and window:
    ``reactions``, ``claims`` or ``parity`` (None when the company has no ADR pair)."""
    from dashboard import store
    from dashboard.analysis import load as analysis_load

    db = store.as_database(db)

    if name not in ANALYSIS_TABLES:
        raise ValueError(f"unknown analysis table {name!r} (one of {', '.join(ANALYSIS_TABLES)})")
    filters = view.filters
    wanted = analysis_load.Filters(
        tags=list(filters.tags), companies=[view.company_id], sources=list(filters.sources),
        kinds=list(filters.kinds), since=view.start, until=view.end - pd.Timedelta(microseconds=1),
    )
    with db.read() as con:
        if name == "reactions":
            return analysis_load.reactions(con, wanted)
        if name == "claims":
            return analysis_load.claims(con, wanted)
        return analysis_load.company_parity(con, view.company_id, view.start, view.end)


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
    return report_zip(view, fig, data_view=data_view, store_coverage=coverage, notes=notes, **options)
