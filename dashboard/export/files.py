"""Files from a figure or a view: self-contained HTML, the synthetic label, CSV/Parquet (formulas
neutralised), file names, the bars table and its coverage."""
from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from dataclasses import asdict, is_dataclass
from importlib import metadata
from typing import Any, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.config import SYNTHETIC_LABEL
from dashboard.csvsafe import neutralise_csv_cell
from dashboard.export.static import PROJECT_DISTRIBUTION
from dashboard.formatting import UNSAFE_FILENAME_CHARS
from dashboard.timeutil import to_utc, utc_times

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
        return _format_utc(to_utc(value))
    if isinstance(value, (dict,)):
        return neutralise_csv_cell(json.dumps(value, ensure_ascii=False, default=str))
    return value


def csv_ready_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` as it goes into a CSV: UTC ISO 8601 times, lists joined, text neutralised."""
    out = pd.DataFrame(index=df.index)
    for name in df.columns:
        column = df[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(column):
            stamps = utc_times(column)
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


DATA_NOTE = "data_note"


def with_data_note(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with a `data_note` column that says the synthetic label on every row drawn from
    synthetic bars (`bars_source`, or a bars table's `source`, naming `synthetic`) and is empty
    elsewhere; `df` itself when no row is. The one way CSV and JSON rows carry the label, so a row
    copied out of its file still says what it is."""
    column = "bars_source" if "bars_source" in df.columns else (
        "source" if "source" in df.columns and "interval" in df.columns else None)
    if column is None or DATA_NOTE in df.columns or df.empty:
        return df
    synthetic = df[column].map(lambda v: isinstance(v, str) and "synthetic" in v.split(";")).to_numpy(dtype=bool)
    if not synthetic.any():
        return df
    out = df.copy()
    out[DATA_NOTE] = pd.Series(np.where(synthetic, SYNTHETIC_LABEL, None), index=df.index, dtype=object)
    return out


def frame_to_csv(df: pd.DataFrame, *, bom: bool = False) -> bytes:
    """UTF-8 CSV of `df` (no index), safe to open in a spreadsheet; `bom` for Excel; rows from
    synthetic bars say so in a `data_note` column (:func:`with_data_note`)."""
    # CRLF (RFC 4180): the csv writer then quotes any cell holding a bare \r or \n.
    text = csv_ready_frame(with_data_note(df)).to_csv(index=False, lineterminator="\r\n")
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


# File names


def safe_filename(name: str) -> str:
    """`name` with anything but letters, digits, `.`, `-`, `_` replaced; never hidden or empty."""
    cleaned = re.sub(r"_{2,}", "_", UNSAFE_FILENAME_CHARS.sub("_", name)).strip("._-")
    return cleaned[:200] or "export"


def export_filename(filters: Any, kind: str, ext: str, *, view: Any = None) -> str:
    """e.g. `alibaba_BABA-9988.HK_2025-11-13_2025-11-18_utc.png`; a `kind` other than "chart"
    is appended (`…_utc_bars.csv`). Same stem as the app's chart file name (view.figure_filename),
    so the modebar camera, the buttons and the CLI agree."""
    from dashboard.screen import figure_filename

    suffix = "" if kind in ("", "chart") else kind
    stem = figure_filename(filters, view, suffix=suffix)
    return f"{safe_filename(stem)}.{safe_filename(ext).lower()}"


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
            first_ts=json_time(group["ts"].min()),
            last_ts=json_time(group["ts"].max()),
            rows=int(len(group)),
        )
        label_source(entry)
        rows.append(entry)
    return rows


def label_source(entry: dict) -> dict:
    source = str(entry.get("source") or "")
    if source == "synthetic":
        entry["label"] = SYNTHETIC_LABEL
    elif source == "yahoo":
        entry["label"] = "Yahoo Finance (yfinance)"
    elif source.startswith("import:"):
        entry["label"] = f"vendor file {source.split(':', 1)[1]}"
    return entry


def json_time(value: Any) -> str | None:
    if value is None or _is_missing(value):
        return None
    return _format_utc(to_utc(value))


def jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        stamp = pd.Timestamp(value)
        return json_time(stamp) if stamp.tzinfo is not None else stamp.isoformat()
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


def source_urls(frame: pd.DataFrame | None, id_col: str, title_col: str, url_col: str) -> list[dict]:
    if frame is None or len(frame) == 0 or url_col not in frame.columns:
        return []
    out = []
    for record in frame.to_dict("records"):
        url = record.get(url_col)
        if _is_missing(url) or not url:
            continue
        out.append({
            id_col: jsonable(record.get(id_col)),
            title_col: jsonable(record.get(title_col)),
            "source": jsonable(record.get("source")),
            "url": str(url),
        })
    return out
