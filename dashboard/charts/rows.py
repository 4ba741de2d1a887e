"""One builder per listing-side row kind: price, volume, ADR parity (and premium), plus the
first-trade rings drawn on the price rows. The rows themselves are planned in :mod:`.layout`."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import config, timeutil
from dashboard.formatting import ZONE_LABELS
from dashboard.charts import sessions
from dashboard.charts.events import event_short_name, label_width
from dashboard.charts.header import label_anchor, side_anchor
from dashboard.charts.style import (
    CANDLE_INTERVALS,
    LABEL_PLOT_WIDTH_PX,
    MAX_CANDLES,
    VOLUME_CAP_PERCENTILE,
    Theme,
    axis_key,
    gap_breaks,
    compact_times,
    compact_values,
    plain,
    wall_time,
)
from dashboard.formatting import format_delay, signed_pct, when_label
from dashboard.screen.bars import volume_buckets
from dashboard.taxonomy import STANCE_GROUPS, stance_group

if TYPE_CHECKING:  # pragma: no cover
    from dashboard.charts.layout import RowPlan
    from dashboard.screen.model import ListingView, ViewData


def row_title(lv: "ListingView") -> str:
    bits = [f"<b>{plain(lv.symbol)}</b>", plain(lv.name), plain(lv.y_unit)]
    if lv.shown_bars:
        bits.append(f"{plain(lv.interval)} bars")
    if lv.downsampled:
        bits.append(f"showing {lv.shown_bars:,} of {lv.total_bars:,} bars")
    if lv.synthetic:
        bits.append(f"<i>{plain(config.SYNTHETIC_LABEL)}</i>")
    return " · ".join(bits)


def x_fraction(view: "ViewData", ts: pd.Timestamp) -> float:
    """Where ``ts`` falls across the plot, 0 at the window's start and 1 at its end."""
    x_start, x_end = wall_time(view.start, view.zone), wall_time(view.end, view.zone)
    span_ms = max((x_end - x_start).total_seconds() * 1000, 1.0)
    return (wall_time(ts, view.zone) - x_start).total_seconds() * 1000 / span_ms


def first_trades_after(view: "ViewData", event: dict) -> list[tuple["ListingView", dict]]:
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


def add_price_row(fig: go.Figure, lv: "ListingView", colors: Theme, zone: str, row: int,
                  annotations: list) -> None:
    """The listing's prices: candles for a few coarse bars, else a line broken where the exchange
    shut; with no bars, a note saying so."""
    bars = lv.bars
    name = lv.symbol + (f" — {config.SYNTHETIC_LABEL}" if lv.synthetic else "")
    if not len(bars):
        yref = axis_key("ref", row)
        annotations.append(go.layout.Annotation(
            text=f"No stored bars for {plain(lv.symbol)} in this window",
            xref=f"x{yref[1:]} domain", yref=f"{yref} domain",
            x=0.5, y=0.5, showarrow=False, font=dict(color=colors.text), name=f"no bars {lv.symbol}",
        ))
    elif lv.interval in CANDLE_INTERVALS and not lv.downsampled and len(bars) <= MAX_CANDLES:
        regular, faint = sessions.regular_only(bars), sessions.extended_candles(bars, lv, colors, zone)
        fig.add_trace(
            go.Candlestick(
                x=wall_time(regular["ts"], zone), open=regular["open"], high=regular["high"], low=regular["low"],
                close=regular["close"], name=name, legendgroup=lv.symbol,
                increasing=dict(line=dict(color=colors.price, width=1), fillcolor=colors.paper),
                decreasing=dict(line=dict(color=colors.price, width=1), fillcolor=colors.price),
                showlegend=True,
            ),
            row=row, col=1,
        )
        if faint is not None:
            fig.add_trace(faint, row=row, col=1)
    else:
        zone_label = ZONE_LABELS.get(zone, zone)
        hover = (f"{plain(lv.symbol)} %{{x|%a %Y-%m-%d %H:%M}} ({plain(zone_label)})"
                 f"<br>%{{y:,.2f}} {plain(lv.y_unit)}<extra></extra>")
        for trace in sessions.price_lines(bars, lv, colors, zone, name, hover):
            fig.add_trace(trace, row=row, col=1)


def add_volume_row(fig: go.Figure, lv: "ListingView", colors: Theme, zone: str, row: int) -> None:
    """Volume summed per display bucket, the axis capped so an opening spike leaves the rest visible."""
    if not len(lv.bars):
        fig.update_yaxes(title_text="vol", showticklabels=False, row=row, col=1)
        return
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


def add_parity_rows(fig, view, parity, colors, zone, parity_row, premium_row, event, annotations) -> None:
    """ADR vs the home-implied parity (USD per ADS), and the premium in %, from analysis.parity."""
    adr_symbol, home_symbol = view.parity_symbols or ("ADR", "home")
    by_symbol = {lv.symbol: lv for lv in view.listings}
    adr_lv, home_lv = by_symbol.get(adr_symbol), by_symbol.get(home_symbol)
    spu = adr_lv.shares_per_unit if adr_lv else float("nan")
    currency = home_lv.currency if home_lv else "FX"
    max_gap = pd.Timedelta(minutes=30)
    ts, adr = gap_breaks(parity["ts"], parity["adr"], max_gap)
    _, implied = gap_breaks(parity["ts"], parity["parity"], max_gap)
    _, premium = gap_breaks(parity["ts"], parity["premium"] * 100, max_gap)
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
    top = layout[axis_key("layout", parity_row)].domain[1]
    annotations.append(go.layout.Annotation(
        text=f"<b>ADR parity</b> · {plain(adr_symbol)} vs {plain(home_symbol)} × {spu:g} ÷ USD/{plain(currency)}"
             f" (home price held while shut) · premium = {plain(adr_symbol)} ÷ parity − 1",
        xref="paper", yref="paper", x=0, y=top, xanchor="left", yanchor="bottom", showarrow=False,
        font=dict(size=12, color=colors.text), name="title parity",
    ))
    # The discount the home market opened into after the key event, priced while it was shut.
    if event is None or home_lv is None:
        return
    reopen = next((row["tradable_from"] for lv, row in first_trades_after(view, event) if lv is home_lv), None)
    if reopen is None:
        return
    if reopen - pd.Timestamp(event["ts"]) < pd.Timedelta(hours=1):
        return
    before = parity[(parity["ts"] < reopen) & parity["premium"].notna()]
    if before.empty or before["ts"].iloc[-1] < pd.Timestamp(event["ts"]) - pd.Timedelta(hours=1):
        return
    last = before.iloc[-1]
    lines = [f"{adr_symbol} {signed_pct(last['premium'] * 100)} vs {home_symbol}-implied",
             f"before {home_symbol} reopened ({when_label(reopen, zone)})"]
    x, arrow = x_fraction(view, last["ts"]), 40 / LABEL_PLOT_WIDTH_PX
    if label_width(" ".join(lines)) + arrow <= max(x, 1 - x):
        lines = [" ".join(lines)]  # one line where it fits beside the point, two where it does not
    side = side_anchor(x, max(map(label_width, lines)) + arrow)
    annotations.append(go.layout.Annotation(
        text="<br>".join(map(plain, lines)),
        xref="x", yref=axis_key("ref", premium_row), x=wall_time(last["ts"], zone), y=float(last["premium"] * 100),
        showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=1.3, arrowcolor=colors.text,
        ax=40 if side == "left" else -40, ay=-22, xanchor=side, font=dict(size=11, color=colors.text), bgcolor=colors.label_bg,
        name="parity gap",
    ))


def _dated(event: dict) -> str:
    """'dated 11-14 in New York' for a day-precision event, '' for a timed one."""
    if event.get("precision") != "day":
        return ""
    zone = str(event.get("ts_zone") or "UTC")
    day = pd.Timestamp(event["ts"]).tz_convert(zone)
    return f"dated {day:%m-%d} in {ZONE_LABELS.get(zone, zone.split('/')[-1].replace('_', ' '))}"


def add_first_trades(fig, view, event, colors, zone, plan: "RowPlan", annotations) -> None:
    """On each listing's row: a ring where it first trades after ``event`` and, when its market
    was shut, an arrow from the event to that first trade with the wait ("+2d 7h"). A picked
    day-precision event has no instant to wait from: its rings say the day it is dated instead."""
    name = event_short_name(event)
    event_ts = pd.Timestamp(event["ts"])
    color = STANCE_GROUPS[stance_group(event.get("kind"), event.get("stance"))].color
    for lv, trade in first_trades_after(view, event):
        row = plan.row("price", lv).number
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
        # The ring marks the bar; the label names the instant. A coarse bar (60m, 1d) starts
        # before the market reopened or before the news broke: its first trade was no earlier
        # than either.
        when = when_label(max(moment, tradable_from), zone)
        dated = _dated(event)
        fig.add_trace(go.Scatter(
            x=[wall_time(moment, zone)], y=[price], mode="markers", name=f"first trade {lv.symbol}",
            legendgroup="first-trade", showlegend=False,
            marker=dict(symbol="circle-open", size=17, color=color, line=dict(width=3, color=color)),
            hovertext=[f"{plain(lv.symbol)}: first trade after the {plain(name)}"
                       + (f" ({plain(dated)})<br>{plain(when)}" if dated else f"<br>{plain(when)} ({plain(delay)} after it)")],
            hoverinfo="text",
        ), row=row, col=1)
        yref = axis_key("ref", row)
        if dated or wait < pd.Timedelta(minutes=1):
            # traded at once, or a day event (no instant to wait from): the ring and when, no arrow
            lead = f"first trades the {name} ({dated})" if dated else f"trades the {name} at once"
            text = f"<b>{plain(lv.symbol)} {plain(lead)}</b> · {plain(when)}"
            words = f"{lv.symbol} {lead} · {when}"
            side = side_anchor(x_fraction(view, moment), label_width(words) + 34 / LABEL_PLOT_WIDTH_PX)
            annotations.append(go.layout.Annotation(
                text=text, xref="x", yref=yref, x=wall_time(moment, zone), y=price, showarrow=True,
                arrowhead=2, arrowwidth=1.5, arrowcolor=color, ax=34 if side == "left" else -34, ay=-30, xanchor=side,
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
        words = f"{lv.symbol} first trade after the {name}: {when} ({delay})"
        middle = event_ts + wait / 2
        annotations.append(go.layout.Annotation(
            text=text, xref="x", yref=f"{yref} domain", x=wall_time(middle, zone), y=0.92,
            xanchor=label_anchor(x_fraction(view, middle), label_width(words)), yanchor="top", showarrow=False, font=dict(size=11, color=colors.text),
            bgcolor=colors.label_bg, bordercolor=color, borderwidth=1, borderpad=2,
            name=f"first trade {lv.symbol}",
        ))
