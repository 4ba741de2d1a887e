"""Figure settings shared by every builder: sizes, budgets, themes, safe text, wall-clock times."""
from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass
import numpy as np
import pandas as pd

from dashboard.timeutil import to_utc, utc_times


HOVER_ZONES = ("UTC", "America/New_York", "Asia/Hong_Kong")


# Fine bars read best as a line; candles only once each one is wide enough to see.
CANDLE_INTERVALS = {"15m", "30m", "60m", "1h", "1d"}


MAX_CANDLES = 600


# Pixel layout of the overlay figure.
PRICE_PX, VOLUME_PX, LANE_PX = 210, 50, 44


MARKER_PX = 13  # event marker size in the lanes


PARITY_PX, PREMIUM_PX = 130, 72


ROW_TITLE_PX, TICKS_PX = 24, 30
TITLE_LINE_PX = 15  # each further line of a row title that wraps


# MARGIN_TOP is the header's usual height (charts/header.py plans the real one from the legend).
# The others hold what the axes draw beside the plot, as measured in Chromium: the lanes' tick
# labels ("Context / other") 92 px to the left in Liberation Sans (Arial's metrics), 100 px in the
# wider DejaVu Sans (Verdana-like: the template's fonts are "Open Sans", verdana, arial), the time
# axis's labels and title 69 px below, a date label at the right edge 32 px to the right. Why they
# must: Plotly's automargin lays the whole figure out again when an axis needs more room than the
# margin gives (~40 ms more per draw of our figure, on every load and rerun); a margin that already
# fits is drawn once. Labels wider than these (a price of more than five digits, a wider font)
# still fit: Plotly widens the margin itself, at the cost of that second layout
# (docs/benchmarks.md, issue 28 part 5).
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 112, 70, 106, 34


PRICE_LINE_WIDTH = 2.0


# Volume axis: capped at this percentile (× 1.25) of the buckets so an opening spike does not
# flatten the rest; the capped buckets keep their true size in the hover.
VOLUME_CAP_PERCENTILE = 95


# Event labels: timed allegation/denial/report events get a short text in a strip above the
# rows, staggered on up to MAX_LABEL_LEVELS lines so that none overlaps at the narrowest width.
LABEL_GROUPS = ("allegation", "denial", "report")


MAX_LABELS, MAX_LABEL_LEVELS, LABEL_LEVEL_PX = 6, 3, 19


# The plot area of the narrowest supported screen (a 768 px window, sidebar collapsed: a ~720 px
# figure less its side margins). Labels placed without overlap at this width stay apart at any
# wider one, since positions scale with the width and label sizes do not (charts/header.py).
NARROWEST_FIGURE_PX = 720
LABEL_PLOT_WIDTH_PX = NARROWEST_FIGURE_PX - MARGIN_LEFT - MARGIN_RIGHT


LABEL_CHAR_PX = 6.6  # a generous average for 11 px text


MAX_BAND_HEADLINES = 12


# A large archive puts thousands of events in a window; one marker (and one line) each would make
# the figure tens of MB and slow to build. Above this many timed publications — or timed curated
# events of one lane — they are drawn as one count-per-time-bucket trace instead.
EVENT_MARKER_BUDGET = 250


# Dotted event lines are layout shapes, costly to build and send: at most this many, most telling first.
MAX_EVENT_LINES = 120


# Label candidates considered (in priority order); only MAX_LABELS are ever placed.
MAX_LABEL_CANDIDATES = 200


MAX_COUNT_BUCKETS = 400


COUNT_BUCKETS = (("5min", "5 minutes"), ("15min", "15 minutes"), ("30min", "half hour"), ("1h", "hour"),
                 ("3h", "3 hours"), ("6h", "6 hours"), ("12h", "12 hours"), ("1D", "day"), ("7D", "week"))


COUNT_EXAMPLES = 3


OUTLETS = (
    ("FT", re.compile(r"\bFT\b|Financial Times")),
    ("Bloomberg", re.compile(r"\bBloomberg\b")),
    ("Reuters", re.compile(r"\bReuters\b")),
    ("CNBC", re.compile(r"\bCNBC\b")),
    ("WSJ", re.compile(r"\bWSJ\b|Wall Street Journal")),
    ("SCMP", re.compile(r"\bSCMP\b|South China Morning Post")),
)


@dataclass(frozen=True)
class Theme:
    template: str
    paper: str
    text: str
    price: str
    volume: str
    closed: str
    day_band: str
    grid: str
    synthetic_bg: str
    synthetic_text: str
    label_bg: str
    parity: str
    premium: str
    premium_fill: str
    highlight: str
    extended: str = "rgba(110,110,130,0.025)"  # pre-market / after-hours: lighter than closed
    overlap: str = "rgba(0,158,115,0.10)"      # both markets trade


THEMES = {
    # Closed time is a faint tint: price lines are the foreground, the tint only says "shut".
    "light": Theme("plotly_white", "#FFFFFF", "#1A1A1A", "#1F1F1F", "rgba(110,110,110,0.55)",
                   "rgba(110,110,130,0.055)", "rgba(230,159,0,0.10)", "#ECECEC", "#FFF3CD", "#7A4B00",
                   "rgba(255,255,255,0.88)", "#E69F00", "#0072B2", "rgba(0,114,178,0.18)", "#000000"),
    "dark": Theme("plotly_dark", "#0E1117", "#EDEDED", "#F0F0F0", "rgba(170,170,170,0.55)",
                  "rgba(190,190,220,0.05)", "rgba(230,159,0,0.14)", "#242933", "#4A3B12", "#FFE8A3",
                  "rgba(14,17,23,0.85)", "#E69F00", "#56B4E9", "rgba(86,180,233,0.22)", "#FFFFFF"),
}


def plain(text: object, *, width: int | None = None) -> str:
    """Untrusted text made safe for Plotly's HTML-ish labels: '&', '<', '>' escaped,
    optionally wrapped with <br> (our own markup, added after escaping)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    value = " ".join(str(text).split())
    if width:
        return "<br>".join(html.escape(line, quote=False) for line in textwrap.wrap(value, width) or [""])
    return html.escape(value, quote=False)


def wall_time(values, zone: str):
    """UTC instants as naive wall-clock times in ``zone`` (plotly.js ignores offsets)."""
    if isinstance(values, pd.Timestamp):
        return to_utc(values).tz_convert(zone).tz_localize(None)
    series = utc_times(pd.Series(values))
    return series.dt.tz_convert(zone).dt.tz_localize(None)


def compact_times(values) -> np.ndarray:
    """Naive wall times as 'YYYY-MM-DDTHH:MM:SS' strings: plotly writes datetimes with nine
    fraction digits, which is most of a long line trace's JSON."""
    return pd.Series(values).to_numpy(dtype="datetime64[ns]").astype("datetime64[s]").astype(str)


def compact_values(values) -> np.ndarray:
    """Line values as float32 (7 significant digits, more than a price or % needs): half the bytes."""
    return pd.Series(values).to_numpy(dtype="float64").astype("float32")


def gap_breaks(ts: pd.Series, values: pd.Series, max_gap: pd.Timedelta) -> tuple[pd.Series, pd.Series]:
    """Insert a gap wherever two points are further apart than ``max_gap`` (a closed market)."""
    ts = pd.to_datetime(ts, utc=True).reset_index(drop=True)
    values = pd.Series(values).reset_index(drop=True).astype("float64")
    if len(ts) < 2:
        return ts, values
    gaps = np.flatnonzero(ts.diff().to_numpy()[1:] > max_gap)
    if not len(gaps):
        return ts, values
    gap_ts = ts.iloc[gaps] + pd.Timedelta(seconds=1)
    merged = pd.concat([pd.DataFrame({"ts": ts, "v": values}), pd.DataFrame({"ts": gap_ts.to_numpy(), "v": np.nan})])
    merged = merged.sort_values("ts", kind="stable")
    return pd.Series(pd.to_datetime(merged["ts"], utc=True).to_numpy()), merged["v"].reset_index(drop=True)


def axis_key(kind: str, row: int) -> str:
    """Layout key ('yaxis', 'yaxis3') or reference ('y', 'y3') of subplot ``row``."""
    suffix = "" if row == 1 else str(row)
    return f"yaxis{suffix}" if kind == "layout" else f"y{suffix}"


def chart_config(filename: str) -> dict:
    """Plotly config: the modebar camera saves a meaningful file name, not newplot.png."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }
