"""Events on the figure: hover text, short names and labels, the key event, crowding into counts."""
from __future__ import annotations

import re
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.style import (
    COUNT_BUCKETS,
    COUNT_EXAMPLES,
    EVENT_MARKER_BUDGET,
    HOVER_ZONES,
    LABEL_CHAR_PX,
    LABEL_PLOT_WIDTH_PX,
    MAX_BAND_HEADLINES,
    MAX_COUNT_BUCKETS,
    MAX_LABEL_LEVELS,
    MAX_LABELS,
    OUTLETS,
    compact_times,
    plain,
    wall_time,
)
from dashboard.formatting import ZONE_LABELS
from dashboard.taxonomy import STANCE_GROUPS, StanceStyle, stance_group
from dashboard.timeutil import to_utc


def _when_all_zones(ts: pd.Timestamp) -> str:
    parts = []
    for zone in HOVER_ZONES:
        local = ts.tz_convert(zone)
        parts.append(f"{ZONE_LABELS[zone]}: {local:%a %Y-%m-%d %H:%M}")
    return "<br>".join(parts)


def event_hover(event: dict) -> str:
    """Hover text for one event: time in three zones, actor, headline, source (all escaped)."""
    ts = to_utc(event["ts"])
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


def day_slots(starts: pd.Series, ends: pd.Series) -> list[int]:
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


def by_priority(events: pd.DataFrame) -> pd.DataFrame:
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
    candidates = by_priority(events[events["group"].isin(("allegation", "report"))])
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
        if x + width <= 1:
            x0, x1 = x, x + width
        elif x - width >= 0:
            x0, x1 = x - width, x
        else:  # fits on neither side of its instant: left to the hover and the events table
            continue
        for level in range(levels):
            if all(p[1] != level or x1 + gap <= p[2] or x0 >= p[3] + gap for p in placed):
                placed.append((key, level, x0, x1, x))
                break
    return [(key, level, x0, x1) for key, level, x0, x1, _ in placed]


def label_width(text: str) -> float:
    """Estimated width of a label, as a fraction of the narrowest plot width."""
    return (len(text) * LABEL_CHAR_PX + 14) / LABEL_PLOT_WIDTH_PX


def band_hover(group: str, start: pd.Timestamp, zone_name: str, rows: pd.DataFrame) -> str:
    style = STANCE_GROUPS[group]
    day = start.tz_convert(zone_name or "UTC")
    lines = [f"<b>{plain(style.label)}</b> · {len(rows)} on {day:%a %Y-%m-%d} "
             f"({plain(ZONE_LABELS.get(zone_name, zone_name))}; no time of day reported)"]
    shown = rows[[c for c in ("source", "actor", "headline") if c in rows]]  # not every column: to_dict boxes each
    for row in shown.head(MAX_BAND_HEADLINES).to_dict("records"):
        who = _short(row.get("source") or row.get("actor"), 22)
        lines.append(f"• {plain(row.get('headline'), width=80)} <i>({plain(who)})</i>")
    if len(rows) > MAX_BAND_HEADLINES:
        lines.append(f"… and {len(rows) - MAX_BAND_HEADLINES} more (see the Events table)")
    return "<br>".join(lines)


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


def marker_stacks(times: pd.Series, min_gap: pd.Timedelta) -> tuple[np.ndarray, np.ndarray]:
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


def add_counts(fig: go.Figure, crowd: pd.DataFrame, style: StanceStyle, group: str, lane_y: float, freq: str,
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
