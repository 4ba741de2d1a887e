"""Plotly figure builders: data in, ``go.Figure`` out (no Streamlit, no database).

The overlay figure puts every listing of a company on one shared time axis, one row each (price,
then volume), shades the hours each exchange is shut, marks the events, and draws the event
timeline as lanes in the bottom row on the same axis. Two exchanges never share one axis with
``rangebreaks`` (plotly #2426/#3064/#3777): closed time is shaded instead, so a weekend stays
visible as a weekend, which is the point of the Friday-evening story.

Article and event text is untrusted. Plotly renders a subset of HTML in hover text and
annotations, so every untrusted string goes through :func:`plain` before it reaches the figure.
"""
from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import config, timeutil
from dashboard.formatting import ZONE_LABELS, format_delay, signed_pct, when_label
from dashboard.screen.bars import volume_buckets
from dashboard.taxonomy import LANE_NOUNS, STANCE_GROUPS, StanceStyle, stance_group

if TYPE_CHECKING:  # pragma: no cover
    from dashboard.screen.model import ListingView, ViewData

HOVER_ZONES = ("UTC", "America/New_York", "Asia/Hong_Kong")
# Fine bars read best as a line; candles only once each one is wide enough to see.
CANDLE_INTERVALS = {"15m", "30m", "60m", "1h", "1d"}
MAX_CANDLES = 600
# Pixel layout of the overlay figure.
PRICE_PX, VOLUME_PX, LANE_PX = 210, 50, 44
MARKER_PX = 13  # event marker size in the lanes
PARITY_PX, PREMIUM_PX = 130, 72
ROW_TITLE_PX, TICKS_PX = 24, 30
MARGIN_TOP, MARGIN_BOTTOM = 112, 56
PRICE_LINE_WIDTH = 2.0
# Volume axis: capped at this percentile (× 1.25) of the buckets so an opening spike does not
# flatten the rest; the capped buckets keep their true size in the hover.
VOLUME_CAP_PERCENTILE = 95
# Event labels: timed allegation/denial/report events get a short text in a strip above the
# rows, staggered on up to MAX_LABEL_LEVELS lines so that none overlaps at the default width.
LABEL_GROUPS = ("allegation", "denial", "report")
MAX_LABELS, MAX_LABEL_LEVELS, LABEL_LEVEL_PX = 6, 3, 19
LABEL_PLOT_WIDTH_PX = 880  # the plot area in the app at a 1500 px wide window, with the sidebar
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
        stamp = values.tz_localize("UTC") if values.tzinfo is None else values
        return stamp.tz_convert(zone).tz_localize(None)
    series = pd.to_datetime(pd.Series(values), utc=True)
    return series.dt.tz_convert(zone).dt.tz_localize(None)


def compact_times(values) -> np.ndarray:
    """Naive wall times as 'YYYY-MM-DDTHH:MM:SS' strings: plotly writes datetimes with nine
    fraction digits, which is most of a long line trace's JSON."""
    return pd.Series(values).to_numpy(dtype="datetime64[ns]").astype("datetime64[s]").astype(str)


def compact_values(values) -> np.ndarray:
    """Line values as float32 (7 significant digits, more than a price or % needs): half the bytes."""
    return pd.Series(values).to_numpy(dtype="float64").astype("float32")


def _when_all_zones(ts: pd.Timestamp) -> str:
    parts = []
    for zone in HOVER_ZONES:
        local = ts.tz_convert(zone)
        parts.append(f"{ZONE_LABELS[zone]}: {local:%a %Y-%m-%d %H:%M}")
    return "<br>".join(parts)


def event_hover(event: dict) -> str:
    """Hover text for one event: time in three zones, actor, headline, source (all escaped)."""
    ts = pd.Timestamp(event["ts"])
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    precision = str(event.get("precision") or "minute")
    group = STANCE_GROUPS[stance_group(event.get("kind"), event.get("stance"))]
    lines = [f"<b>{plain(group.label)}</b> · {plain(event.get('kind'))}"]
    if precision == "day":
        zone = str(event.get("ts_zone") or "UTC")
        day = ts.tz_convert(zone)
        lines.append(f"Day {day:%a %Y-%m-%d} ({plain(ZONE_LABELS.get(zone, zone))}) — no time of day reported")
        lines.append(f"= {ts:%m-%d %H:%M}Z → {ts + pd.Timedelta(days=1):%m-%d %H:%M}Z")
    else:
        lines.append(_when_all_zones(ts))
        if precision == "hour":
            lines.append("(reported to the hour)")
    if event.get("actor"):
        lines.append(f"Actor: {plain(event.get('actor'), width=70)}")
    lines.append(plain(event.get("headline"), width=70))
    if event.get("value") and not (isinstance(event.get("value"), float) and pd.isna(event.get("value"))):
        lines.append(f"Figure: {plain(event.get('value'))}")
    if event.get("source"):
        lines.append(f"Source: {plain(event.get('source'))}")
    return "<br>".join(lines)


def _day_slots(starts: pd.Series, ends: pd.Series) -> list[int]:
    """Greedy interval partitioning: overlapping day bars in one lane get separate slots."""
    slot_ends: list[pd.Timestamp] = []
    slots = []
    for start, end in zip(starts, ends):
        for i, slot_end in enumerate(slot_ends):
            if slot_end <= start:
                slot_ends[i] = end
                slots.append(i)
                break
        else:
            slot_ends.append(end)
            slots.append(len(slot_ends) - 1)
    return slots


def _break_at_closures(bars: pd.DataFrame, lv: "ListingView") -> tuple[pd.Series, pd.Series]:
    """The close series with a gap wherever the exchange shut between two bars, so a line
    never draws a flat made-up price across a night, a weekend or the HK lunch break."""
    ts = pd.to_datetime(bars["ts"], utc=True).reset_index(drop=True)
    close = bars["close"].reset_index(drop=True).astype("float64")
    if lv.interval in ("1d", "1wk", "1mo") or lv.closed.empty or len(ts) < 2:
        return ts, close
    stamps = ts.dt.as_unit("ns").astype("int64").to_numpy()
    starts = pd.to_datetime(lv.closed["start"], utc=True).dt.as_unit("ns").astype("int64").to_numpy()
    after = np.unique(np.searchsorted(stamps, starts, side="right"))
    after = after[(after > 0) & (after < len(stamps))]
    if not len(after):
        return ts, close
    gap_stamps = stamps[after - 1] + 1_000_000_000  # one second after the last open bar
    order = np.argsort(np.r_[stamps, gap_stamps], kind="stable")
    merged_ts = np.r_[stamps, gap_stamps][order]
    merged_close = np.r_[close.to_numpy(), np.full(len(after), np.nan)][order]
    return pd.Series(pd.to_datetime(merged_ts, utc=True)), pd.Series(merged_close)


def _row_title(lv: "ListingView") -> str:
    bits = [f"<b>{plain(lv.symbol)}</b>", plain(lv.name), plain(lv.y_unit)]
    if lv.shown_bars:
        bits.append(f"{plain(lv.interval)} bars")
    if lv.downsampled:
        bits.append(f"showing {lv.shown_bars:,} of {lv.total_bars:,} bars")
    if lv.synthetic:
        bits.append(f"<i>{plain(config.SYNTHETIC_LABEL)}</i>")
    return " · ".join(bits)


# ---------------------------------------------------------------------------------------------
# Short names and times for the labels drawn on the chart


def _short(text: object, limit: int = 18) -> str:
    value = " ".join(str(text or "").split())
    value = re.split(r"[(;,]", value)[0].strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def event_short_name(event: dict) -> str:
    """A few words naming an event on the chart: 'FT report', 'CNBC article', 'Alibaba denial'.

    A report that relays another outlet's story (ZeroHedge posting the FT headline) is named
    after the outlet it relays; the hover and the reader still say who posted it."""
    kind = str(event.get("kind") or "").lower()
    source = _short(event.get("source") or event.get("actor"))
    if kind == "publication":
        return f"{source} article"
    if kind == "report":
        headline = str(event.get("headline") or "")
        for outlet, pattern in OUTLETS:
            if pattern.search(headline) and outlet.casefold() not in source.casefold():
                return f"{outlet} report"
        return f"{source} report"
    noun = kind if kind in ("allegation", "denial", "statement") else "event"
    return f"{_short(event.get('actor') or source)} {noun}"


def _priority(events: pd.DataFrame) -> pd.DataFrame:
    """Timed events, most telling first: minute before hour, allegations, not re-publications, earliest."""
    timed = events[events["precision"] != "day"]
    order = pd.DataFrame({
        "hour": (timed["precision"] != "minute").astype(int),
        "stance": (timed["stance"].astype(str).str.lower() != "allegation").astype(int),
        "pub": (timed["kind"].astype(str).str.lower() == "publication").astype(int),
        "ts": timed["ts"],
    }, index=timed.index)
    return timed.loc[order.sort_values(["hour", "stance", "pub", "ts"], kind="stable").index]


def key_event(events: pd.DataFrame) -> dict | None:
    """The timed allegation/report the story turns on (the FT headline at Fri 18:02Z)."""
    if events is None or events.empty:
        return None
    if "group" not in events:
        events = events.assign(group=[stance_group(k, s) for k, s in zip(events["kind"], events["stance"])])
    candidates = _priority(events[events["group"].isin(("allegation", "report"))])
    return None if candidates.empty else candidates.iloc[0].to_dict()


def place_labels(items: list[tuple[str, float, float]], *, levels: int = MAX_LABEL_LEVELS,
                 limit: int = MAX_LABELS, gap: float = 0.008, same_spot: float = 0.015):
    """Greedy label placement in priority order: ``items`` are (key, x, width) in fractions of the
    plot width. Returns (key, level, x0, x1) for the labels that fit without overlapping; a label
    at (nearly) the same instant as one already placed is left to the hover."""
    placed: list[tuple[str, int, float, float, float]] = []
    for key, x, width in items:
        if len(placed) >= limit:
            break
        if not 0 <= x <= 1 or any(abs(x - p[4]) < same_spot for p in placed):
            continue
        x0, x1 = (x, x + width) if x + width <= 1 else (max(x - width, 0.0), x)
        for level in range(levels):
            if all(p[1] != level or x1 + gap <= p[2] or x0 >= p[3] + gap for p in placed):
                placed.append((key, level, x0, x1, x))
                break
    return [(key, level, x0, x1) for key, level, x0, x1, _ in placed]


def label_width(text: str) -> float:
    """Estimated width of a label, as a fraction of the default plot width."""
    return (len(text) * LABEL_CHAR_PX + 14) / LABEL_PLOT_WIDTH_PX


def _first_trades(view: "ViewData", event: dict) -> list[tuple["ListingView", dict]]:
    """Each listing's first trade after ``event`` inside the window, as the loader found it
    (``view.first_trades``: tradable_from, first_bar_ts, first_close — the reaction table's rule)."""
    trades = getattr(view, "first_trades", None)
    if trades is None or trades.empty:
        return []
    rows = {r["symbol"]: r for r in trades[trades["event_id"] == event.get("event_id")].to_dict("records")}
    found = []
    for lv in view.listings:
        row = rows.get(lv.symbol)
        if row is None or pd.isna(row["first_bar_ts"]) or pd.isna(row["tradable_from"]):
            continue
        if view.start <= row["first_bar_ts"] < view.end:
            found.append((lv, row))
    return found


def _band_hover(group: str, start: pd.Timestamp, zone_name: str, rows: pd.DataFrame) -> str:
    style = STANCE_GROUPS[group]
    day = start.tz_convert(zone_name or "UTC")
    lines = [f"<b>{plain(style.label)}</b> · {len(rows)} on {day:%a %Y-%m-%d} "
             f"({plain(ZONE_LABELS.get(zone_name, zone_name))}; no time of day reported)"]
    for row in rows.head(MAX_BAND_HEADLINES).to_dict("records"):
        who = _short(row.get("source") or row.get("actor"), 22)
        lines.append(f"• {plain(row.get('headline'), width=80)} <i>({plain(who)})</i>")
    if len(rows) > MAX_BAND_HEADLINES:
        lines.append(f"… and {len(rows) - MAX_BAND_HEADLINES} more (see the Events table)")
    return "<br>".join(lines)


def _breaks(ts: pd.Series, values: pd.Series, max_gap: pd.Timedelta) -> tuple[pd.Series, pd.Series]:
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


def crowded_events(events: pd.DataFrame, highlight: str | None = None) -> pd.Series:
    """True for the timed events drawn as counts rather than one marker each: every timed
    publication when more than EVENT_MARKER_BUDGET are in view, and a lane's timed curated
    events when that lane alone holds more than the budget. The picked event stays a marker."""
    crowded = pd.Series(False, index=events.index)
    if events.empty:
        return crowded
    timed = events["precision"] != "day"
    publication = events["kind"].astype(str).str.lower() == "publication"
    if int((timed & publication).sum()) > EVENT_MARKER_BUDGET:
        crowded |= timed & publication
    curated = events[timed & ~publication]
    for _, index in curated.groupby("group").groups.items():
        if len(index) > EVENT_MARKER_BUDGET:
            crowded.loc[index] = True
    if highlight:
        crowded &= events["event_id"] != highlight
    return crowded


def count_bucket(span: pd.Timedelta) -> tuple[str, str]:
    """(pandas frequency, words) of the finest bucket giving at most MAX_COUNT_BUCKETS over ``span``."""
    for freq, words in COUNT_BUCKETS:
        if span / pd.Timedelta(freq) <= MAX_COUNT_BUCKETS:
            return freq, words
    return COUNT_BUCKETS[-1]


def _count_hover(style: StanceStyle, start: pd.Timestamp, words: str, zone_label: str, rows: pd.DataFrame) -> str:
    nouns = "articles" if (rows["kind"].astype(str).str.lower() == "publication").all() else "events"
    lines = [f"<b>{plain(style.label)}</b> · {len(rows):,} {nouns} in the {plain(words)} from "
             f"{start:%a %Y-%m-%d %H:%M} ({plain(zone_label)})"]
    examples = rows.head(COUNT_EXAMPLES)
    if len(examples):
        lines.append("e.g.")
    for row in examples.to_dict("records"):
        who = _short(row.get("source") or row.get("actor"), 22)
        headline = " ".join(str(row.get("headline") or "").split())
        headline = headline if len(headline) <= 90 else headline[:89].rstrip() + "…"
        lines.append(f"• {plain(headline)} <i>({plain(who)})</i>")
    if len(rows) > COUNT_EXAMPLES:
        lines.append("(narrow the dates or filter by tag to see each one)")
    return "<br>".join(lines)


def crowd_note(crowded: pd.DataFrame, words: str) -> str:
    """'3,412 article publications shown as counts per day' (what the chart aggregated)."""
    publications = int((crowded["kind"].astype(str).str.lower() == "publication").sum())
    parts = []
    if publications:
        parts.append(f"{publications:,} article publications")
    if len(crowded) - publications:
        parts.append(f"{len(crowded) - publications:,} other timed events")
    return f"{' and '.join(parts)} shown as counts per {words} (bars; hover for examples)"


def _axis(kind: str, row: int) -> str:
    """Layout key ('yaxis', 'yaxis3') or reference ('y', 'y3') of subplot ``row``."""
    suffix = "" if row == 1 else str(row)
    return f"yaxis{suffix}" if kind == "layout" else f"y{suffix}"


def _marker_stacks(times: pd.Series, min_gap: pd.Timedelta) -> tuple[np.ndarray, np.ndarray]:
    """(position in its stack, stack size) per event, in the given row order: a stack is a run
    of events each less than ``min_gap`` after the previous one."""
    order = np.argsort(times.to_numpy(), kind="stable")
    ordered = pd.Series(times.to_numpy()[order])
    stack = (ordered.diff() >= min_gap).cumsum().to_numpy()
    rank_sorted = pd.Series(stack).groupby(stack).cumcount().to_numpy()
    size_sorted = pd.Series(stack).groupby(stack).transform("size").to_numpy()
    rank, size = np.empty(len(order), dtype=int), np.empty(len(order), dtype=int)
    rank[order], size[order] = rank_sorted, size_sorted
    return rank, size


def overlay_figure(view: "ViewData", *, theme: str = "light", height: int | None = None,
                   highlight: str | None = None) -> go.Figure:
    """The main screen's figure: listings on one shared time axis, events marked and labelled,
    the first trade after the key allegation on each listing, optional ADR parity rows, and the
    timeline lanes beneath. ``highlight``: an event id to ring (the row picked in a table)."""
    colors = THEMES.get(theme, THEMES["light"])
    zone = view.zone
    zone_label = ZONE_LABELS.get(zone, zone)
    listings = list(view.listings)
    events = view.events.copy() if view.events is not None else pd.DataFrame()
    if len(events):
        events["ts"] = pd.to_datetime(events["ts"], utc=True)
        events["group"] = [stance_group(k, s) for k, s in zip(events["kind"], events.get("stance", [None] * len(events)))]
    lanes = [g for g in STANCE_GROUPS if len(events) and (events["group"] == g).any()] or ["context"]
    # Thousands of events (a large archive) are drawn as counts per time bucket, not one by one.
    crowded = crowded_events(events, highlight) if len(events) else pd.Series(dtype=bool)
    count_freq, count_words = count_bucket(view.end - view.start)
    notes: list[str] = []
    if crowded.any():
        notes.append(crowd_note(events[crowded], count_words))
    single = events[~crowded] if len(events) else events
    parity = view.parity if getattr(view, "parity", None) is not None and len(view.parity) else None
    x_start, x_end = wall_time(view.start, zone), wall_time(view.end, zone)
    span_ms = max((x_end - x_start).total_seconds() * 1000, 1.0)

    def x_fraction(ts: pd.Timestamp) -> float:
        return (wall_time(ts, zone) - x_start).total_seconds() * 1000 / span_ms

    # Which timed events get a text label (placed before the layout: the strip's height depends on it).
    key = key_event(single) if len(single) else None
    focus = None
    if highlight and len(events) and (events["event_id"] == highlight).any():
        picked = events[events["event_id"] == highlight].iloc[0].to_dict()
        if picked["precision"] != "day":
            focus = picked  # first trades follow the picked timed event
    first_trade_event = focus or key
    labels: list[tuple[dict, str, int, float, float]] = []
    if len(single):
        candidates = _priority(single[single["group"].isin(LABEL_GROUPS)]).head(MAX_LABEL_CANDIDATES)
        items, texts = [], {}
        for row in candidates.to_dict("records"):
            text = f"{event_short_name(row)} · {when_label(row['ts'], zone, row['precision'])}"
            texts[row["event_id"]] = (row, text)
            items.append((row["event_id"], x_fraction(row["ts"]), label_width(text)))
        for event_id, level, x0, x1 in place_labels(items):
            row, text = texts[event_id]
            labels.append((row, text, level, x0, x1))
    label_levels = max((lvl for _, _, lvl, _, _ in labels), default=-1) + 1

    # Subplot rows, top to bottom.
    rows: list[tuple[str, object]] = []
    for lv in listings:
        rows += [("price", lv), ("volume", lv)]
    if parity is not None:
        rows += [("parity", None), ("premium", None)]
    rows.append(("lanes", None))
    n_rows = len(rows)
    row_of = {(kind, id(obj)): i + 1 for i, (kind, obj) in enumerate(rows)}
    lane_row = n_rows
    fig = make_subplots(rows=n_rows, cols=1, shared_xaxes=True, vertical_spacing=0.0)

    # Rows are laid out in pixels (then turned into paper fractions) so titles, tick labels,
    # labels and lanes keep their room whatever the number of listings.
    blocks: list[tuple[str, float]] = [("labels", LABEL_LEVEL_PX * label_levels + (6 if label_levels else 0))]
    for _ in listings:
        blocks += [("title", ROW_TITLE_PX), ("price", PRICE_PX), ("gap", 4), ("volume", VOLUME_PX), ("ticks", TICKS_PX)]
    if parity is not None:
        blocks += [("title", ROW_TITLE_PX), ("parity", PARITY_PX), ("gap", 14), ("premium", PREMIUM_PX), ("ticks", TICKS_PX)]
    blocks += [("title", ROW_TITLE_PX), ("lanes", LANE_PX * len(lanes) + 14)]
    plot_px = sum(px for _, px in blocks)
    total_height = height or int(plot_px + MARGIN_TOP + MARGIN_BOTTOM)
    plot_height = total_height - MARGIN_TOP - MARGIN_BOTTOM
    scale = plot_height / plot_px
    top, axis_number, strip = 1.0, 1, (1.0, 1.0)
    for kind, px in blocks:
        share = px * scale / plot_height
        if kind == "labels":
            strip = (top - share, top)
        elif kind in ("price", "volume", "parity", "premium", "lanes"):
            fig.layout[_axis("layout", axis_number)].domain = [max(top - share, 0.0), top]
            axis_number += 1
        top -= share
    layout = fig.layout
    shapes: list[dict] = []
    annotations = list(layout.annotations)

    def domain(row: int) -> tuple[float, float]:
        return tuple(layout[_axis("layout", row)].domain)

    for lv in listings:
        price_row, volume_row = row_of[("price", id(lv))], row_of[("volume", id(lv))]
        bars = lv.bars
        name = lv.symbol + (f" — {config.SYNTHETIC_LABEL}" if lv.synthetic else "")
        if len(bars):
            use_candles = lv.interval in CANDLE_INTERVALS and not lv.downsampled and len(bars) <= MAX_CANDLES
            if use_candles:
                fig.add_trace(
                    go.Candlestick(
                        x=wall_time(bars["ts"], zone), open=bars["open"], high=bars["high"], low=bars["low"],
                        close=bars["close"], name=name, legendgroup=lv.symbol,
                        increasing=dict(line=dict(color=colors.price, width=1), fillcolor=colors.paper),
                        decreasing=dict(line=dict(color=colors.price, width=1), fillcolor=colors.price),
                        showlegend=True,
                    ),
                    row=price_row, col=1,
                )
            else:
                x_line, y_line = _break_at_closures(bars, lv)
                fig.add_trace(
                    go.Scatter(
                        x=compact_times(wall_time(x_line, zone)), y=compact_values(y_line), mode="lines", connectgaps=False, name=name, legendgroup=lv.symbol,
                        line=dict(color=colors.price, width=PRICE_LINE_WIDTH),
                        hovertemplate=f"{plain(lv.symbol)} %{{x|%a %Y-%m-%d %H:%M}} ({plain(zone_label)})"
                        f"<br>%{{y:,.2f}} {plain(lv.y_unit)}<extra></extra>",
                    ),
                    row=price_row, col=1,
                )
            _add_volume(fig, lv, colors, zone, volume_row)
        else:
            fig.add_annotation(
                text=f"No stored bars for {plain(lv.symbol)} in this window",
                xref="x domain", yref="y domain", x=0.5, y=0.5, showarrow=False,
                font=dict(color=colors.text), row=price_row, col=1,
            )
            fig.update_yaxes(title_text="vol", showticklabels=False, row=volume_row, col=1)
        fig.update_yaxes(title_text=f"{plain(lv.symbol)}<br>{plain(lv.y_unit)}", row=price_row, col=1)

    if parity is not None:
        _add_parity_rows(fig, view, parity, colors, zone, row_of[("parity", id(None))], row_of[("premium", id(None))],
                         first_trade_event, annotations)

    # Timeline lanes (bottom row): markers for timed events; one band per lane and day for
    # events known only to the day (over that day, never a made-up minute), with a count.
    lane_index = {g: len(lanes) - 1 - k for k, g in enumerate(lanes)}  # first lane on top
    positions: dict[str, tuple] = {}
    if len(events):
        for group in lanes:
            style = STANCE_GROUPS[group]
            in_lane = events[events["group"] == group]
            lane_crowd = in_lane[crowded.loc[in_lane.index]]
            timed = in_lane[(in_lane["precision"] != "day") & ~crowded.loc[in_lane.index]]
            days = in_lane[in_lane["precision"] == "day"]
            label = f"{style.label} ({len(in_lane)})"
            if len(lane_crowd):
                _add_counts(fig, lane_crowd, style, group, lane_index[group], count_freq, count_words, zone,
                            zone_label, lane_row, show_legend=not len(timed) and not len(days), label=label,
                            above_bands=bool(len(days)))
            if len(timed):
                # Events closer together than a marker's width (at the default plot width) stack
                # one marker-height apart, so each stays visible and clickable.
                rank, size = _marker_stacks(timed["ts"], (view.end - view.start) * MARKER_PX / LABEL_PLOT_WIDTH_PX)
                step = min(MARKER_PX / LANE_PX, 0.84 / max(int(size.max()) - 1, 1))
                # With day bands in the lane too, markers ride above them so no count is hidden.
                y_timed = lane_index[group] + (0.24 if len(days) else 0.0) + (rank - (size - 1) / 2) * step
                x_timed = wall_time(timed["ts"], zone)
                for event_id, x, y in zip(timed["event_id"], x_timed, y_timed):
                    positions[event_id] = ("point", x, y)
                fig.add_trace(
                    go.Scatter(
                        x=x_timed, y=y_timed, mode="markers", name=label, legendgroup=group,
                        marker=dict(color=style.color, symbol=style.symbol, size=MARKER_PX,
                                    line=dict(color=colors.paper, width=1.2)),
                        customdata=timed["event_id"].tolist(),
                        hovertext=[event_hover(r) for r in timed.to_dict("records")],
                        hoverinfo="text",
                    ),
                    row=lane_row, col=1,
                )
            if len(days):
                bands = [(start, frame.sort_values("ts", kind="stable")) for start, frame in days.groupby("ts", sort=True)]
                starts = pd.Series([b[0] for b in bands])
                ends = starts + pd.Timedelta(days=1)
                slots = _day_slots(starts, ends)
                n_slots = max(slots) + 1
                room, centre = (0.56, -0.12) if len(timed) else (0.78, 0.0)
                step = min(room / n_slots, 0.36)
                offsets = [centre + (s - (n_slots - 1) / 2) * step for s in slots]
                x0, x1 = wall_time(starts, zone), wall_time(ends, zone)
                singular, plural = LANE_NOUNS[group]
                texts = [f"{len(f)} {singular if len(f) == 1 else plural}" for _, f in bands]
                ids = [f["event_id"].tolist() for _, f in bands]
                for band_ids, a, b, o in zip(ids, x0, x1, offsets):
                    for event_id in band_ids:
                        positions[event_id] = ("band", a, b, lane_index[group] + o, step * 0.8)
                fig.add_trace(
                    go.Bar(
                        base=x0.tolist(), x=((x1 - x0).dt.total_seconds() * 1000).tolist(),
                        y=[lane_index[group] + o for o in offsets], orientation="h",
                        width=step * 0.8, name=label if not len(timed) else f"{style.label} (day)",
                        legendgroup=group, showlegend=not len(timed),
                        marker=dict(color=style.color, opacity=0.32, line=dict(color=style.color, width=1)),
                        text=texts, textposition="inside", insidetextanchor="middle", constraintext="none",
                        textfont=dict(size=11, color=colors.text), cliponaxis=True,
                        customdata=ids,
                        hovertext=[_band_hover(group, s, f["ts_zone"].iloc[0] if "ts_zone" in f else "UTC", f)
                                   for s, (_, f) in zip(starts, bands)],
                        hoverinfo="text",
                    ),
                    row=lane_row, col=1,
                )
    fig.update_yaxes(
        tickmode="array", tickvals=[lane_index[g] for g in lanes],
        ticktext=[STANCE_GROUPS[g].label for g in lanes], range=[-0.6, len(lanes) - 0.4],
        fixedrange=True, showgrid=True, gridcolor=colors.grid, row=lane_row, col=1,
    )

    # Closed market hours: a quiet tint per exchange on its own rows (HK lunch included).
    min_closed = (view.end - view.start) / LABEL_PLOT_WIDTH_PX
    for lv in listings:
        y0, y1 = domain(row_of[("volume", id(lv))])[0], domain(row_of[("price", id(lv))])[1]
        for start, end in zip(lv.closed["start"], lv.closed["end"]):
            # A closure narrower than a pixel cannot be seen (the lunch breaks of a year): not sent.
            if end <= view.start or start >= view.end or end - start < min_closed:
                continue
            shapes.append(dict(
                type="rect", xref="x", yref="paper", layer="below", line=dict(width=0),
                x0=wall_time(max(start, view.start), zone), x1=wall_time(min(end, view.end), zone),
                y0=round(y0, 5), y1=round(y1, 5), fillcolor=colors.closed, name=f"closed {lv.symbol}",
            ))

    # Event lines through every row; labelled ones run up into their label.
    labelled = {row["event_id"] for row, *_ in labels}
    plot_top = strip[0]
    if len(single):
        timed_single = _priority(single)
        lined = timed_single.head(MAX_EVENT_LINES)
        if highlight and highlight in set(timed_single["event_id"]) and highlight not in set(lined["event_id"]):
            lined = pd.concat([lined, timed_single[timed_single["event_id"] == highlight]])
        if len(timed_single) > len(lined):
            notes.append(f"dotted lines for the {len(lined):,} most telling of {len(timed_single):,} timed events")
        for row in lined.itertuples():
            selected = row.event_id == highlight
            shapes.append(dict(
                type="line", xref="x", yref="paper", layer="below",
                x0=wall_time(row.ts, zone), x1=wall_time(row.ts, zone), y0=0,
                y1=1 if row.event_id in labelled else plot_top,
                line=dict(color=STANCE_GROUPS[row.group].color, width=2.6 if selected else 1.2,
                          dash="solid" if selected else "dot"),
                opacity=0.9, name=f"event {row.event_id}",
            ))
    level_share = (strip[1] - strip[0] - 6 * scale / plot_height) / max(label_levels, 1)
    for row, text, level, x0, x1 in labels:
        x_frac = x_fraction(row["ts"])
        annotations.append(go.layout.Annotation(
            text=plain(text), xref="x", yref="paper", x=wall_time(row["ts"], zone),
            y=strip[0] + 6 * scale / plot_height + (level + 0.5) * level_share,
            xanchor="left" if x0 >= x_frac - 1e-9 else "right", yanchor="middle", showarrow=False,
            font=dict(size=11, color=colors.text), bgcolor=colors.label_bg,
            bordercolor=STANCE_GROUPS[row["group"]].color, borderwidth=1, borderpad=2,
            name=f"label {row['event_id']}",
        ))

    # Where each listing first trades after the key event: the heart of a cross-time-zone story.
    if first_trade_event is not None:
        _add_first_trades(fig, view, first_trade_event, colors, zone, row_of, annotations)

    # The picked event: a ring on its marker or an outline round its day band.
    if highlight and highlight in positions:
        where = positions[highlight]
        if where[0] == "point":
            fig.add_trace(go.Scatter(
                x=[where[1]], y=[where[2]], mode="markers", name="selected event", showlegend=False,
                marker=dict(symbol="circle-open", size=26, color=colors.highlight, line=dict(width=3, color=colors.highlight)),
                hoverinfo="skip",
            ), row=lane_row, col=1)
        else:
            _, a, b, y, h = where
            shapes.append(dict(
                type="rect", xref="x", yref=_axis("ref", lane_row), x0=a, x1=b, y0=y - h / 2, y1=y + h / 2,
                line=dict(color=colors.highlight, width=3), fillcolor="rgba(0,0,0,0)", name="selected event",
            ))
    fig.update_layout(shapes=shapes)

    # Row titles (left, above each row) instead of centred subplot titles.
    for lv in listings:
        annotations.append(go.layout.Annotation(
            text=_row_title(lv), xref="paper", yref="paper", x=0, y=domain(row_of[("price", id(lv))])[1],
            xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=12, color=colors.text),
            name=f"title {lv.symbol}",
        ))
    timeline_title = ("<b>Timeline</b> · markers = timed events · bands = events known only to the day "
                      "(count; hover lists them) · light tint on a listing = its exchange is closed")
    if notes:  # say what was aggregated or left out, first, where the eye lands
        timeline_title = "<b>Timeline</b> · " + plain("; ".join(notes)) + " · markers = timed events · bands = day-only events"
    annotations.append(go.layout.Annotation(
        text=timeline_title,
        xref="paper", yref="paper", x=0, y=domain(lane_row)[1], xanchor="left", yanchor="bottom",
        showarrow=False, font=dict(size=12, color=colors.text), name="title timeline",
    ))
    if view.synthetic:
        annotations.append(go.layout.Annotation(
            text=f"<b>⚠ {plain(config.SYNTHETIC_LABEL)}</b>", xref="paper", yref="paper",
            x=1, y=1 + (MARGIN_TOP - 8) / plot_height, xanchor="right", yanchor="top", showarrow=False,
            font=dict(size=13, color=colors.synthetic_text), bgcolor=colors.synthetic_bg,
            bordercolor=colors.synthetic_text, borderwidth=1, borderpad=4, name="synthetic label",
        ))
    fig.update_layout(annotations=annotations)

    days = f"{view.start_day:%Y-%m-%d} → {view.end_day:%Y-%m-%d}"
    fig.update_layout(
        template=colors.template,
        paper_bgcolor=colors.paper,
        plot_bgcolor=colors.paper,
        font=dict(color=colors.text, size=12),
        title=dict(text=f"{plain(view.company_name)} — news and prices, {days} ({plain(zone_label)})",
                   x=0, xanchor="left", xref="paper", y=1 - 10 / total_height, yanchor="top",
                   font=dict(size=17)),
        height=total_height,
        margin=dict(l=78, r=24, t=MARGIN_TOP, b=MARGIN_BOTTOM),
        barmode="overlay",
        bargap=0,
        hovermode="closest",
        dragmode="zoom",
        legend=dict(orientation="h", x=0, xanchor="left", yref="container", y=1 - 52 / total_height,
                    yanchor="top", font=dict(size=12), itemsizing="constant"),
        hoverlabel=dict(align="left"),
        uirevision=f"{view.company_id}-{days}-{zone}",
    )
    fig.update_xaxes(
        type="date", range=[x_start, x_end], showspikes=True, spikemode="across", spikesnap="cursor",
        spikethickness=1, spikedash="dot", gridcolor=colors.grid, rangeslider=dict(visible=False),
    )
    for lv in listings:  # each listing block gets its own time labels
        fig.update_xaxes(showticklabels=True, row=row_of[("volume", id(lv))], col=1)
    if parity is not None:
        fig.update_xaxes(showticklabels=True, row=row_of[("premium", id(None))], col=1)
    fig.update_xaxes(title_text=f"Time ({zone_label}{'' if zone == 'UTC' else ', ' + zone})", row=lane_row, col=1)
    return fig


def _add_counts(fig: go.Figure, crowd: pd.DataFrame, style: StanceStyle, group: str, lane_y: float, freq: str,
                words: str, zone: str, zone_label: str, lane_row: int, *, show_legend: bool, label: str,
                above_bands: bool = False) -> None:
    """One bar per time bucket in the lane, its height the number of events in it (tallest =
    the lane's height, or its upper half when day bands fill the lower); the hover gives the
    count and a few escaped headlines."""
    wall = wall_time(crowd["ts"], zone)
    buckets = wall.dt.floor(freq) if freq != "7D" else wall.dt.floor("7D")
    frame = crowd.assign(_bucket=buckets.to_numpy()).sort_values("ts", kind="stable")
    grouped = frame.groupby("_bucket", sort=True)
    counts = grouped.size()
    width = pd.Timedelta(freq)
    bottom, room = (lane_y + 0.02, 0.4) if above_bands else (lane_y - 0.4, 0.8)
    heights = room * (0.1 + 0.9 * counts.to_numpy() / max(int(counts.max()), 1))
    fig.add_trace(
        go.Bar(
            x=compact_times(counts.index + width / 2), y=heights.round(3).tolist(), base=bottom,
            width=width.total_seconds() * 1000 * 0.9, orientation="v",
            name=f"{style.label}: {len(crowd):,} as counts per {words}" if not show_legend else label,
            legendgroup=group, showlegend=True,
            marker=dict(color=style.color, opacity=0.55, line=dict(width=0)),
            hovertext=[_count_hover(style, start, words, zone_label, rows) for start, rows in grouped],
            hoverinfo="text",
        ),
        row=lane_row, col=1,
    )


def _add_volume(fig: go.Figure, lv: "ListingView", colors: Theme, zone: str, row: int) -> None:
    """Volume summed per display bucket, the axis capped so an opening spike leaves the rest visible."""
    volume = lv.volume if lv.volume is not None else volume_buckets(lv.bars, "")
    if volume is None or volume.empty:
        return
    bucket = pd.Timedelta(lv.volume_bucket) if lv.volume_bucket else None
    if bucket is None:
        try:
            bucket = timeutil.interval_length(lv.interval)
        except (KeyError, TypeError):
            bucket = pd.Timedelta(minutes=1)
    starts = pd.to_datetime(volume["ts"], utc=True)
    values = volume["volume"].astype("float64")
    label = {"1D": "day"}.get(lv.volume_bucket, lv.volume_bucket.replace("min", "m")) if lv.volume_bucket else lv.interval
    fig.add_trace(
        go.Bar(
            x=wall_time(starts + bucket / 2, zone), y=values, width=bucket.total_seconds() * 1000 * 0.86,
            name=f"{lv.symbol} volume", legendgroup=lv.symbol, showlegend=False,
            marker=dict(color=colors.volume, line=dict(width=0)),
            text=[f"{t:%a %H:%M}" for t in wall_time(starts, zone)], textposition="none",
            hovertemplate=f"{plain(lv.symbol)} volume %{{y:,.0f}} in the {plain(label)} from %{{text}}<extra></extra>",
        ),
        row=row, col=1,
    )
    positive = values[values > 0]
    title = f"vol<br>/{plain(label)}"
    if len(positive) >= 8:
        cap = float(np.nanpercentile(positive, VOLUME_CAP_PERCENTILE)) * 1.25
        if positive.max() > cap:
            fig.update_yaxes(range=[0, cap], row=row, col=1)
            title += " ✂"  # the tallest buckets run off the top; hover gives their size
    fig.update_yaxes(title_text=title, title_font=dict(size=10), showticklabels=False, row=row, col=1)


def _add_parity_rows(fig, view, parity, colors, zone, parity_row, premium_row, event, annotations) -> None:
    """ADR vs the home-implied parity (USD per ADS), and the premium in %, from analysis.parity."""
    adr_symbol, home_symbol = view.parity_symbols or ("ADR", "home")
    by_symbol = {lv.symbol: lv for lv in view.listings}
    adr_lv, home_lv = by_symbol.get(adr_symbol), by_symbol.get(home_symbol)
    spu = adr_lv.shares_per_unit if adr_lv else float("nan")
    currency = home_lv.currency if home_lv else "FX"
    max_gap = pd.Timedelta(minutes=30)
    ts, adr = _breaks(parity["ts"], parity["adr"], max_gap)
    _, implied = _breaks(parity["ts"], parity["parity"], max_gap)
    _, premium = _breaks(parity["ts"], parity["premium"] * 100, max_gap)
    x = compact_times(wall_time(ts, zone))
    adr, implied, premium = compact_values(adr), compact_values(implied), compact_values(premium)
    fig.add_trace(go.Scatter(
        x=x, y=adr, mode="lines", connectgaps=False, name=f"{plain(adr_symbol)} (ADR)", legendgroup="parity",
        line=dict(color=colors.price, width=1.6), showlegend=False,
        hovertemplate=f"{plain(adr_symbol)} %{{y:,.2f}} USD<extra></extra>",
    ), row=parity_row, col=1)
    fig.add_trace(go.Scatter(
        x=x, y=implied, mode="lines", connectgaps=False, legendgroup="parity",
        name=f"{plain(home_symbol)}-implied parity (× {spu:g} ÷ USD/{plain(currency)})",
        line=dict(color=colors.parity, width=2.2),
        hovertemplate=f"{plain(home_symbol)}-implied %{{y:,.2f}} USD per ADS<extra></extra>",
    ), row=parity_row, col=1)
    fig.add_trace(go.Scatter(
        x=x, y=premium, mode="lines", connectgaps=False, name="ADR premium (%)", legendgroup="parity", showlegend=False,
        line=dict(color=colors.premium, width=1.6),
        hovertemplate="ADR premium %{y:+.2f}%<extra></extra>",
    ), row=premium_row, col=1)
    fig.update_yaxes(title_text="USD<br>per ADS", row=parity_row, col=1)
    fig.update_yaxes(title_text="premium", title_font=dict(size=10), zeroline=True, nticks=4,
                     zerolinecolor=colors.text, zerolinewidth=1, ticksuffix="%", row=premium_row, col=1)
    layout = fig.layout
    top = layout[_axis("layout", parity_row)].domain[1]
    annotations.append(go.layout.Annotation(
        text=f"<b>ADR parity</b> · {plain(adr_symbol)} vs {plain(home_symbol)} × {spu:g} ÷ USD/{plain(currency)},"
             f" as of each {plain(adr_symbol)} bar (the home price held while its market is shut)"
             f" · premium = {plain(adr_symbol)} ÷ parity − 1",
        xref="paper", yref="paper", x=0, y=top, xanchor="left", yanchor="bottom", showarrow=False,
        font=dict(size=12, color=colors.text), name="title parity",
    ))
    # The discount the home market opened into after the key event, priced while it was shut.
    if event is None or home_lv is None:
        return
    reopen = next((row["tradable_from"] for lv, row in _first_trades(view, event) if lv is home_lv), None)
    if reopen is None:
        return
    if reopen - pd.Timestamp(event["ts"]) < pd.Timedelta(hours=1):
        return
    before = parity[(parity["ts"] < reopen) & parity["premium"].notna()]
    if before.empty or before["ts"].iloc[-1] < pd.Timestamp(event["ts"]) - pd.Timedelta(hours=1):
        return
    last = before.iloc[-1]
    annotations.append(go.layout.Annotation(
        text=f"{plain(adr_symbol)} {signed_pct(last['premium'] * 100)} vs {plain(home_symbol)}-implied"
             f" before {plain(home_symbol)} reopened ({plain(when_label(reopen, zone))})",
        xref="x", yref=_axis("ref", premium_row), x=wall_time(last["ts"], zone), y=float(last["premium"] * 100),
        showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=1.3, arrowcolor=colors.text, ax=40, ay=-22,
        xanchor="left", font=dict(size=11, color=colors.text), bgcolor=colors.label_bg,
        name="parity gap",
    ))


def _add_first_trades(fig, view, event, colors, zone, row_of, annotations) -> None:
    """On each listing's row: a ring where it first trades after ``event`` and, when its market
    was shut, an arrow from the event to that first trade with the wait ("+2d 7h")."""
    name = event_short_name(event)
    event_ts = pd.Timestamp(event["ts"])
    color = STANCE_GROUPS[stance_group(event.get("kind"), event.get("stance"))].color
    for lv, trade in _first_trades(view, event):
        row = row_of[("price", id(lv))]
        bars = lv.bars
        if bars.empty:
            continue
        # The ring sits on the first bar's close as drawn (in the price mode's unit); a bar thinned
        # out of the drawn series gives way to the next one drawn.
        moment, tradable_from = trade["first_bar_ts"], trade["tradable_from"]
        ts = pd.to_datetime(bars["ts"], utc=True)
        later = np.flatnonzero((ts >= moment).to_numpy())
        if not len(later):
            continue
        price = float(bars["close"].iloc[later[0]])
        wait = tradable_from - event_ts
        delay = format_delay(wait)
        when = when_label(moment, zone)
        fig.add_trace(go.Scatter(
            x=[wall_time(moment, zone)], y=[price], mode="markers", name=f"first trade {lv.symbol}",
            legendgroup="first-trade", showlegend=False,
            marker=dict(symbol="circle-open", size=17, color=color, line=dict(width=3, color=color)),
            hovertext=[f"{plain(lv.symbol)}: first trade after the {plain(name)}<br>{plain(when)} ({plain(delay)} after it)"],
            hoverinfo="text",
        ), row=row, col=1)
        yref = _axis("ref", row)
        if wait < pd.Timedelta(minutes=1):
            text = f"<b>{plain(lv.symbol)} trades the {plain(name)} at once</b> · {plain(when)}"
            annotations.append(go.layout.Annotation(
                text=text, xref="x", yref=yref, x=wall_time(moment, zone), y=price, showarrow=True,
                arrowhead=2, arrowwidth=1.5, arrowcolor=color, ax=34, ay=-30, xanchor="left",
                font=dict(size=11, color=colors.text), bgcolor=colors.label_bg, bordercolor=color, borderwidth=1,
                name=f"first trade {lv.symbol}",
            ))
            continue
        # Closed when the news came: an arrow along the top of the row, event → first trade.
        annotations.append(go.layout.Annotation(
            text="", xref="x", yref=f"{yref} domain", x=wall_time(moment, zone), y=0.95,
            axref="x", ayref=f"{yref} domain", ax=wall_time(event_ts, zone), ay=0.95,
            showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=2, arrowcolor=color,
            name=f"wait {lv.symbol}",
        ))
        text = f"<b>{plain(lv.symbol)} first trade after the {plain(name)}</b>: {plain(when)} ({plain(delay)})"
        middle = event_ts + wait / 2
        annotations.append(go.layout.Annotation(
            text=text, xref="x", yref=f"{yref} domain", x=wall_time(middle, zone), y=0.92,
            xanchor="center", yanchor="top", showarrow=False, font=dict(size=11, color=colors.text),
            bgcolor=colors.label_bg, bordercolor=color, borderwidth=1, borderpad=2,
            name=f"first trade {lv.symbol}",
        ))


def chart_config(filename: str) -> dict:
    """Plotly config: the modebar camera saves a meaningful file name, not newplot.png."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }
