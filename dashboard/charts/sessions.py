"""Trading hours on the chart: a listing's price line split into the regular session (solid) and
extended hours (thinner, dotted), the closed and extended-hours tints of its rows, and the window
in which the listings on screen trade at once (or a note that they never do)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.style import PRICE_LINE_WIDTH, compact_times, compact_values, plain, wall_time

if TYPE_CHECKING:  # pragma: no cover
    from dashboard.screen.model import ListingView, ViewData

EXTENDED_LINE_WIDTH = 1.0
EXTENDED_NAME = "extended hours"


def break_at_closures(bars: pd.DataFrame, lv: "ListingView") -> tuple[pd.Series, pd.Series]:
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


def _regular_mask(bars: pd.DataFrame, ts: pd.Series) -> pd.Series:
    """For each (gap-broken) line point: is it a regular-session bar? (gap points count as both)."""
    if "session_part" not in bars:
        return pd.Series(True, index=ts.index)
    part = pd.Series(bars["session_part"].to_numpy(), index=pd.to_datetime(bars["ts"], utc=True))
    return ts.map(part).fillna("regular").eq("regular")


def _own_points(x: np.ndarray, y: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The points a line draws: its values, with one gap (NaN) left wherever it had one or more.

    The regular and the extended-hours lines share one time axis, each NaN where the other has
    its bars; sending both in full doubled a listing's points. Keeping only the first NaN of each
    run draws the same line (connectgaps=False breaks it at any NaN) from about half the data."""
    missing = y.isna().to_numpy()
    keep = ~missing
    keep[1:] |= missing[1:] & ~missing[:-1]  # the first NaN of each run
    return x[keep], compact_values(y.to_numpy()[keep])


def price_lines(bars: pd.DataFrame, lv: "ListingView", colors, zone: str, name: str, hover: str) -> list[go.Scatter]:
    """The close as a line; pre-market and after-hours bars as a thinner dotted line of their own."""
    x_line, y_line = break_at_closures(bars, lv)
    regular = _regular_mask(bars, x_line)
    x = compact_times(wall_time(x_line, zone))
    if regular.all():
        x_regular, y_regular = x, compact_values(y_line)
    else:
        x_regular, y_regular = _own_points(x, y_line.where(regular))
    traces = [go.Scatter(
        x=x_regular, y=y_regular, mode="lines", connectgaps=False, name=name,
        legendgroup=lv.symbol, line=dict(color=colors.price, width=PRICE_LINE_WIDTH), hovertemplate=hover,
    )]
    if not regular.all():
        x_extended, y_extended = _own_points(x, y_line.where(~regular))
        traces.append(go.Scatter(
            x=x_extended, y=y_extended, mode="lines", connectgaps=False,
            name=f"{lv.symbol} {EXTENDED_NAME}", legendgroup=lv.symbol,
            line=dict(color=colors.price, width=EXTENDED_LINE_WIDTH, dash="dot"),
            hovertemplate=hover.replace("<extra></extra>", f" · {EXTENDED_NAME}<extra></extra>"),
        ))
    return traces


def extended_candles(bars: pd.DataFrame, lv: "ListingView", colors, zone: str) -> go.Candlestick | None:
    """Extended-hours bars as faint candles (drawn over the regular ones' trace)."""
    if "session_part" not in bars or bars["session_part"].eq("regular").all():
        return None
    outside = bars[bars["session_part"] != "regular"]
    return go.Candlestick(
        x=wall_time(outside["ts"], zone), open=outside["open"], high=outside["high"], low=outside["low"],
        close=outside["close"], name=f"{lv.symbol} {EXTENDED_NAME}", legendgroup=lv.symbol, opacity=0.45,
        increasing=dict(line=dict(color=colors.price, width=0.6), fillcolor=colors.paper),
        decreasing=dict(line=dict(color=colors.price, width=0.6), fillcolor=colors.price),
    )


def regular_only(bars: pd.DataFrame) -> pd.DataFrame:
    return bars if "session_part" not in bars else bars[bars["session_part"] == "regular"]


def session_shapes(view: "ViewData", lv: "ListingView", colors, zone: str, y0: float, y1: float,
                   min_width: pd.Timedelta) -> list[dict]:
    """The rows' tints: closed (nights, weekends, lunch) and, lighter, pre-market / after-hours."""
    spans = [(s, e, colors.closed, f"closed {lv.symbol}") for s, e in zip(lv.closed["start"], lv.closed["end"])]
    extended = lv.extended if lv.extended is not None else pd.DataFrame(columns=["start", "end", "part"])
    spans += [(s, e, colors.extended, f"{part} {lv.symbol}")
              for s, e, part in zip(extended["start"], extended["end"], extended["part"])]
    shapes = []
    for start, end, fill, name in spans:
        # A span narrower than a pixel cannot be seen (the lunch breaks of a year): not sent.
        if end <= view.start or start >= view.end or end - start < min_width:
            continue
        shapes.append(dict(
            type="rect", xref="x", yref="paper", layer="below", line=dict(width=0),
            x0=wall_time(max(start, view.start), zone), x1=wall_time(min(end, view.end), zone),
            y0=round(y0, 5), y1=round(y1, 5), fillcolor=fill, name=name,
        ))
    return shapes


def overlap_shapes(view: "ViewData", colors, zone: str, y0: float, y1: float) -> list[dict]:
    """A band over every listing row while all of them trade at once."""
    overlap = view.overlap if view.overlap is not None else pd.DataFrame(columns=["start", "end"])
    return [dict(type="rect", xref="x", yref="paper", layer="below", line=dict(width=1, color=colors.overlap),
                 x0=wall_time(max(s, view.start), zone), x1=wall_time(min(e, view.end), zone),
                 y0=round(y0, 5), y1=round(y1, 5), fillcolor=colors.overlap, name="overlap")
            for s, e in zip(overlap["start"], overlap["end"]) if e > view.start and s < view.end]


def hours_key(view: "ViewData") -> str:
    """The legend of the tints, for the timeline's title."""
    if any(lv.extended is not None and len(lv.extended) for lv in view.listings):
        return "tint = exchange closed<br>lighter tint + dotted line = pre-market / after-hours"
    return "tint = exchange closed"


def overlap_text(view: "ViewData") -> str | None:
    """Where the markets trade at once, or that they never do (a line of the timeline's title,
    where it has planned room at every width)."""
    if view.overlap is not None and len(view.overlap):
        return "green band = both markets trade at once"
    if view.overlap_note:
        return plain(f"no {'–'.join(lv.symbol for lv in view.listings[:2])} overlap: {view.overlap_note}")
    return None
