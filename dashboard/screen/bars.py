"""Bars as the screen draws them: thinned for the browser, volume in display buckets, converted to
the price mode's unit, and each listing's first trade after each event (markets' rules).

Pure pandas; every timestamp tz-aware UTC.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from dashboard import markets, timeutil
from dashboard.timeutil import utc_times
from dashboard.analysis.load import AFTER as FIRST_TRADE_AFTER
from dashboard.analysis.load import BEFORE as FIRST_TRADE_BEFORE
from dashboard.screen.model import ListingView

# Per trace: enough for a full-width chart, far below what makes the browser sluggish (~10k).
DEFAULT_MAX_POINTS = 4000


# Volume is summed into buckets this wide for display, so one opening spike per session does
# not flatten every other bar (a window of a few days has hundreds of 1m bars per session).
# Beyond two months, daily sums: half hours would be thousands of bars, far more than pixels.
VOLUME_BUCKETS = ((pd.Timedelta(days=62), "1D"), (pd.Timedelta(days=2), "30min"), (pd.Timedelta(hours=12), "15min"),
                  (pd.Timedelta(0), "5min"))


def downsample_bars(bars: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most ``max_points`` rows, chosen by MinMaxLTTB on the close (keeps spikes and shape)."""
    if len(bars) <= max_points:
        return bars
    from tsdownsample import MinMaxLTTBDownsampler

    x = bars["ts"].astype("int64").to_numpy()
    y = bars["close"].to_numpy(dtype="float64")
    keep = MinMaxLTTBDownsampler().downsample(x, y, n_out=max(int(max_points), 4))
    return bars.iloc[np.sort(keep.astype(np.int64))].reset_index(drop=True)


def listing_bars_in_hours(bars: pd.DataFrame, mic: str, start, end, *, extended: bool) -> pd.DataFrame:
    """Prepared bars with their ``session_part`` (markets' rule) where the exchange has extended
    hours; without ``extended`` (the toggle off) only the regular session's bars are kept."""
    if not markets.has_extended_hours(mic) or bars is None or bars.empty:
        return bars
    sessions = markets.sessions(mic, start - pd.Timedelta(days=2), end + pd.Timedelta(days=2))
    return markets.bars_in_hours(bars, sessions, extended=extended)


def volume_bucket_for(window: pd.Timedelta, interval: str) -> str:
    """How wide the display's volume buckets are for a window (never finer than the bars)."""
    wanted = next(bucket for longer_than, bucket in VOLUME_BUCKETS if window > longer_than)
    try:
        if timeutil.interval_length(interval) >= pd.Timedelta(wanted):
            return ""
    except (KeyError, TypeError, ValueError):
        return ""
    return wanted


def volume_buckets(bars: pd.DataFrame, bucket: str) -> pd.DataFrame:
    """Volume summed per ``bucket`` (floored in UTC: session opens fall on whole half hours)."""
    if bars is None or bars.empty or "volume" not in bars:
        return pd.DataFrame({"ts": pd.Series(dtype="datetime64[ns, UTC]"), "volume": pd.Series(dtype="float64")})
    ts = utc_times(bars["ts"])
    if not bucket:
        return pd.DataFrame({"ts": ts.to_numpy(), "volume": bars["volume"].astype("float64").to_numpy()})
    summed = bars["volume"].astype("float64").groupby(ts.dt.floor(bucket).to_numpy()).sum(min_count=1)
    return pd.DataFrame({"ts": pd.to_datetime(summed.index, utc=True), "volume": summed.to_numpy()})


def downsample_frame(frame: pd.DataFrame, column: str, max_points: int) -> pd.DataFrame:
    """``downsample_bars`` on any column (e.g. the ADR premium)."""
    if len(frame) <= max_points:
        return frame.reset_index(drop=True)
    picked = downsample_bars(frame.rename(columns={column: "close", "close": "_close"}), max_points)
    return picked.rename(columns={"close": column, "_close": "close"})


def extended_frame(spans) -> pd.DataFrame:
    """markets.extended_intervals as start, end (UTC), part columns."""
    frame = pd.DataFrame(list(spans), columns=["start", "end", "part"])
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def closed_frame(raw: Any) -> pd.DataFrame:
    """Normalise markets.closed_intervals output (frame or pairs) to start/end UTC columns."""
    if raw is None:
        return pd.DataFrame({"start": pd.Series(dtype="datetime64[ns, UTC]"), "end": pd.Series(dtype="datetime64[ns, UTC]")})
    if isinstance(raw, pd.DataFrame):
        frame = raw.rename(columns={"closed_start": "start", "closed_end": "end"})[["start", "end"]]
    else:
        frame = pd.DataFrame(list(raw), columns=["start", "end"])
    return pd.DataFrame({"start": utc_times(frame["start"]), "end": utc_times(frame["end"])})


def price_at_reference(around: pd.DataFrame, bars: pd.DataFrame, when: pd.Timestamp) -> float | None:
    """% mode's base: the price at ``when`` (markets.price_at, from bars around the window);
    before any bar has finished, the first price in the window (its first bar's open)."""
    _, price = markets.price_at(around, when)
    if not np.isnan(price):
        return price
    return float(bars["open"].iloc[0]) if len(bars) else None


def in_usd_per_unit(bars: pd.DataFrame, currency: str, fx_bars: dict[str, pd.DataFrame],
                     shares_per_unit: float) -> pd.DataFrame | None:
    """Bars as USD per traded unit (the "USD per ADS" mode), FX as of each bar's end by the
    parity rule (markets.quotes_asof, markets.usd_per_unit); None without FX bars."""
    if currency == "USD":
        return scale_prices(bars, shares_per_unit)
    if currency not in fx_bars:
        return None
    ends = markets.prepare_bars(bars)["end"] if len(bars) else bars["ts"]
    rates = markets.quotes_asof(fx_bars[currency], ends)["quote"].to_numpy()
    out = bars.copy()
    for col in ("open", "high", "low", "close"):
        out[col] = markets.usd_per_unit(bars[col].to_numpy(dtype="float64"), rates, shares_per_unit)
    return out


def scale_prices(bars: pd.DataFrame, factor: pd.Series | float) -> pd.DataFrame:
    out = bars.copy()
    for col in ("open", "high", "low", "close"):
        out[col] = out[col] * factor
    return out


def events_first_trades(events: pd.DataFrame, listings: list[ListingView], bars: Mapping[str, pd.DataFrame],
                 start: pd.Timestamp, end: pd.Timestamp, *, extended: bool = True) -> pd.DataFrame:
    """markets.first_trades for every event on every listing (``bars`` by symbol, in the
    listing's own currency, reaching before and after the window); ``extended``: the
    "extended hours" toggle (pre-market and after-hours bars count where stored)."""
    columns = ["event_id", "symbol", *markets.FIRST_TRADE_COLUMNS]
    timed = events if events is not None and len(events) else None  # day events: markets' day rule
    frames = []
    for lv in listings:
        if timed is None or not lv.exchange_mic or lv.symbol not in bars:
            continue
        try:
            sessions = markets.sessions(lv.exchange_mic, start - FIRST_TRADE_BEFORE, end + FIRST_TRADE_AFTER)
        except Exception:  # an unknown exchange: load_view has said so; no first trades to draw
            continue
        found = markets.first_trades(bars[lv.symbol], sessions, timed["ts"], extended=extended,
                                     precisions=timed["precision"], zones=timed.get("ts_zone"))
        found.insert(0, "symbol", lv.symbol)
        found.insert(0, "event_id", timed["event_id"].to_numpy())
        frames.append(found)
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
