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
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import config

if TYPE_CHECKING:  # pragma: no cover
    from dashboard.view import ListingView, ViewData

ZONE_LABELS = {"UTC": "UTC", "America/New_York": "New York", "Asia/Hong_Kong": "Hong Kong"}
HOVER_ZONES = ("UTC", "America/New_York", "Asia/Hong_Kong")
# Fine bars read best as a line; candles only once each one is wide enough to see.
CANDLE_INTERVALS = {"15m", "30m", "60m", "1h", "1d"}
MAX_CANDLES = 600
# Pixel layout of the overlay figure.
PRICE_PX, VOLUME_PX, LANE_PX = 220, 55, 40
ROW_TITLE_PX, TICKS_PX = 24, 30
MARGIN_TOP, MARGIN_BOTTOM = 118, 56


@dataclass(frozen=True)
class StanceStyle:
    label: str
    color: str  # Okabe-Ito: distinguishable with the common colour-vision deficiencies
    symbol: str  # a distinct shape too, so colour is never the only cue


STANCE_GROUPS: dict[str, StanceStyle] = {
    "allegation": StanceStyle("Allegation", "#D55E00", "diamond"),
    "denial": StanceStyle("Denial", "#0072B2", "square"),
    "report": StanceStyle("Report", "#CC79A7", "star"),
    "market": StanceStyle("Market move", "#009E73", "circle"),
    "context": StanceStyle("Context / other", "#8C8C8C", "triangle-up"),
}


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


THEMES = {
    "light": Theme("plotly_white", "#FFFFFF", "#1A1A1A", "#1F1F1F", "rgba(110,110,110,0.55)",
                   "rgba(120,120,120,0.13)", "rgba(230,159,0,0.10)", "#E6E6E6", "#FFF3CD", "#7A4B00"),
    "dark": Theme("plotly_dark", "#0E1117", "#EDEDED", "#F0F0F0", "rgba(170,170,170,0.55)",
                  "rgba(200,200,200,0.10)", "rgba(230,159,0,0.14)", "#2A2F3A", "#4A3B12", "#FFE8A3"),
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


def stance_group(kind: object, stance: object) -> str:
    """Which lane/marker trace an event belongs to."""
    kind = str(kind or "").lower()
    stance = str(stance or "").lower()
    if kind in ("allegation", "denial", "market"):
        return kind
    if kind in ("report", "publication"):
        return "report"
    if stance in ("allegation", "denial"):
        return stance
    return "context"


def wall_time(values, zone: str):
    """UTC instants as naive wall-clock times in ``zone`` (plotly.js ignores offsets)."""
    if isinstance(values, pd.Timestamp):
        stamp = values.tz_localize("UTC") if values.tzinfo is None else values
        return stamp.tz_convert(zone).tz_localize(None)
    series = pd.to_datetime(pd.Series(values), utc=True)
    return series.dt.tz_convert(zone).dt.tz_localize(None)


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


def overlay_figure(view: "ViewData", *, theme: str = "light", height: int | None = None) -> go.Figure:
    """The main screen's figure: listings on one shared time axis, events marked, lanes beneath."""
    colors = THEMES.get(theme, THEMES["light"])
    zone = view.zone
    zone_label = ZONE_LABELS.get(zone, zone)
    listings = list(view.listings)
    events = view.events.copy() if view.events is not None else pd.DataFrame()
    if len(events):
        events["ts"] = pd.to_datetime(events["ts"], utc=True)
        events["group"] = [stance_group(k, s) for k, s in zip(events["kind"], events.get("stance", [None] * len(events)))]
    lanes = [g for g in STANCE_GROUPS if len(events) and (events["group"] == g).any()] or ["context"]

    n_rows = 2 * len(listings) + 1
    fig = make_subplots(rows=n_rows, cols=1, shared_xaxes=True, vertical_spacing=0.0)
    # Rows are laid out in pixels (then turned into paper fractions) so titles, tick labels and
    # lanes keep their room whatever the number of listings.
    blocks: list[tuple[str, float]] = []
    for _ in listings:
        blocks += [("title", ROW_TITLE_PX), ("price", PRICE_PX), ("gap", 4), ("volume", VOLUME_PX), ("ticks", TICKS_PX)]
    blocks += [("title", ROW_TITLE_PX), ("lanes", LANE_PX * len(lanes) + 14)]
    plot_px = sum(px for _, px in blocks)
    total_height = height or int(plot_px + MARGIN_TOP + MARGIN_BOTTOM)
    scale = (total_height - MARGIN_TOP - MARGIN_BOTTOM) / plot_px
    top, axis_number = 1.0, 1
    for kind, px in blocks:
        share = px * scale / (total_height - MARGIN_TOP - MARGIN_BOTTOM)
        if kind in ("price", "volume", "lanes"):
            name = "yaxis" if axis_number == 1 else f"yaxis{axis_number}"
            fig.layout[name].domain = [max(top - share, 0.0), top]
            axis_number += 1
        top -= share
    x_start, x_end = wall_time(view.start, zone), wall_time(view.end, zone)

    synthetic = view.synthetic
    for i, lv in enumerate(listings):
        price_row, volume_row = 2 * i + 1, 2 * i + 2
        bars = lv.bars
        name = lv.symbol + (f" — {config.SYNTHETIC_LABEL}" if lv.synthetic else "")
        if len(bars):
            x = wall_time(bars["ts"], zone)
            use_candles = lv.interval in CANDLE_INTERVALS and not lv.downsampled and len(bars) <= MAX_CANDLES
            if use_candles:
                fig.add_trace(
                    go.Candlestick(
                        x=x, open=bars["open"], high=bars["high"], low=bars["low"], close=bars["close"],
                        name=name, legendgroup=lv.symbol,
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
                        x=wall_time(x_line, zone), y=y_line, mode="lines", connectgaps=False, name=name, legendgroup=lv.symbol,
                        line=dict(color=colors.price, width=1.3),
                        hovertemplate=f"{plain(lv.symbol)} %{{x|%a %Y-%m-%d %H:%M}} ({plain(zone_label)})"
                        f"<br>%{{y:,.2f}} {plain(lv.y_unit)}<extra></extra>",
                    ),
                    row=price_row, col=1,
                )
            if "volume" in bars:
                fig.add_trace(
                    go.Bar(
                        x=x, y=bars["volume"], name=f"{lv.symbol} volume", legendgroup=lv.symbol,
                        marker=dict(color=colors.volume, line=dict(width=0)), showlegend=False,
                        hovertemplate=f"{plain(lv.symbol)} volume %{{y:,.0f}}<extra></extra>",
                    ),
                    row=volume_row, col=1,
                )
        else:
            fig.add_annotation(
                text=f"No stored bars for {plain(lv.symbol)} in this window",
                xref="x domain", yref="y domain", x=0.5, y=0.5, showarrow=False,
                font=dict(color=colors.text), row=price_row, col=1,
            )
        fig.update_yaxes(title_text=f"{plain(lv.symbol)}<br>{plain(lv.y_unit)}", row=price_row, col=1)
        fig.update_yaxes(title_text="vol", showticklabels=False, row=volume_row, col=1)

    # Timeline lanes (bottom row): points for timed events, translucent day-long bars for days.
    lane_row = n_rows
    lane_index = {g: len(lanes) - 1 - k for k, g in enumerate(lanes)}  # first lane on top
    if len(events):
        for group in lanes:
            style = STANCE_GROUPS[group]
            rows = events[events["group"] == group]
            timed = rows[rows["precision"] != "day"]
            days = rows[rows["precision"] == "day"]
            count = len(rows)
            label = f"{style.label} ({count})"
            if len(timed):
                # Events at the same instant in one lane sit side by side, not on top of each other.
                rank = timed.groupby("ts").cumcount().to_numpy()
                size = timed.groupby("ts")["ts"].transform("size").to_numpy()
                y_timed = lane_index[group] + (rank - (size - 1) / 2) * 0.22
                fig.add_trace(
                    go.Scatter(
                        x=wall_time(timed["ts"], zone), y=y_timed,
                        mode="markers", name=label, legendgroup=group,
                        marker=dict(color=style.color, symbol=style.symbol, size=13,
                                    line=dict(color=colors.paper, width=1.2)),
                        customdata=timed["event_id"].tolist(),
                        hovertext=[event_hover(r) for r in timed.to_dict("records")],
                        hoverinfo="text",
                    ),
                    row=lane_row, col=1,
                )
            if len(days):
                days = days.sort_values("ts")
                starts = days["ts"]
                ends = starts + pd.Timedelta(days=1)
                slots = _day_slots(starts, ends)
                n_slots = max(slots) + 1
                step = min(0.7 / n_slots, 0.28)
                offsets = [(s - (n_slots - 1) / 2) * step for s in slots]
                x0 = wall_time(starts, zone)
                x1 = wall_time(ends, zone)
                fig.add_trace(
                    go.Bar(
                        base=x0.tolist(), x=((x1 - x0).dt.total_seconds() * 1000).tolist(),
                        y=[lane_index[group] + o for o in offsets], orientation="h",
                        width=step * 0.62, name=label if not len(timed) else f"{style.label} (day)",
                        legendgroup=group, showlegend=not len(timed),
                        marker=dict(color=style.color, opacity=0.45, line=dict(color=style.color, width=1)),
                        customdata=days["event_id"].tolist(),
                        hovertext=[event_hover(r) for r in days.to_dict("records")],
                        hoverinfo="text",
                    ),
                    row=lane_row, col=1,
                )
    fig.update_yaxes(
        tickmode="array", tickvals=[lane_index[g] for g in lanes],
        ticktext=[STANCE_GROUPS[g].label for g in lanes], range=[-0.6, len(lanes) - 0.4],
        fixedrange=True, showgrid=True, gridcolor=colors.grid, row=lane_row, col=1,
    )

    # Shapes: closed market hours per exchange, day bands, event lines.
    shapes: list[dict] = []
    layout = fig.layout
    for i, lv in enumerate(listings):
        price_axis = layout[f"yaxis{'' if 2 * i + 1 == 1 else 2 * i + 1}"]
        volume_axis = layout[f"yaxis{2 * i + 2}"]
        y0, y1 = volume_axis.domain[0], price_axis.domain[1]
        for start, end in zip(lv.closed["start"], lv.closed["end"]):
            if end <= view.start or start >= view.end:
                continue
            shapes.append(dict(
                type="rect", xref="x", yref="paper", layer="below", line=dict(width=0),
                x0=wall_time(max(start, view.start), zone), x1=wall_time(min(end, view.end), zone),
                y0=y0, y1=y1, fillcolor=colors.closed, name=f"closed {lv.symbol}",
            ))
    if len(events):
        for row in events[events["precision"] != "day"].itertuples():
            shapes.append(dict(
                type="line", xref="x", yref="paper", layer="below",
                x0=wall_time(row.ts, zone), x1=wall_time(row.ts, zone), y0=0, y1=1,
                line=dict(color=STANCE_GROUPS[row.group].color, width=1, dash="dot"),
                opacity=0.75, name=f"event {row.event_id}",
            ))
    fig.update_layout(shapes=shapes)

    # Row titles (left, above each price row) instead of centred subplot titles.
    annotations = list(fig.layout.annotations)
    for i, lv in enumerate(listings):
        price_axis = layout[f"yaxis{'' if 2 * i + 1 == 1 else 2 * i + 1}"]
        annotations.append(go.layout.Annotation(
            text=_row_title(lv), xref="paper", yref="paper", x=0, y=price_axis.domain[1],
            xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=12, color=colors.text),
            name=f"title {lv.symbol}",
        ))
    lane_axis = layout[f"yaxis{lane_row}"]
    annotations.append(go.layout.Annotation(
        text="<b>Timeline</b> · markers = timed events, bars = day-only reports; shaded = market closed",
        xref="paper", yref="paper", x=0, y=lane_axis.domain[1], xanchor="left", yanchor="bottom",
        showarrow=False, font=dict(size=12, color=colors.text), name="title timeline",
    ))
    plot_height = total_height - MARGIN_TOP - MARGIN_BOTTOM
    if synthetic:
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
        legend=dict(orientation="h", x=0, xanchor="left", yref="container", y=1 - 46 / total_height,
                    yanchor="top", font=dict(size=12), itemsizing="constant"),
        hoverlabel=dict(align="left"),
        uirevision=f"{view.company_id}-{days}-{zone}",
    )
    fig.update_xaxes(
        type="date", range=[x_start, x_end], showspikes=True, spikemode="across", spikesnap="cursor",
        spikethickness=1, spikedash="dot", gridcolor=colors.grid, rangeslider=dict(visible=False),
    )
    for i in range(len(listings)):  # each listing block gets its own time labels
        fig.update_xaxes(showticklabels=True, row=2 * i + 2, col=1)
    fig.update_xaxes(title_text=f"Time ({zone_label}{'' if zone == 'UTC' else ', ' + zone})", row=lane_row, col=1)
    return fig


def chart_config(filename: str) -> dict:
    """Plotly config: the modebar camera saves a meaningful file name, not newplot.png."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }
