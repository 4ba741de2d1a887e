"""Bar returns for the event study: bars at the study interval, each bar's return over the one
before it, the benchmark's return over the same span, and each bar's time-of-day class.

Pure numpy/pandas on prepared bars; the market rules (sessions, the price at a time) come from
:mod:`dashboard.markets`. docs/analysis.md ("Event study") states the rules.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard import markets
from dashboard.timeutil import interval_length

STUDY_INTERVALS = ("1m", "5m")
DEFAULT_INTERVAL = "5m"


def at_interval(bars: pd.DataFrame, interval: str) -> pd.DataFrame:
    """Prepared bars at ``interval``: finer stored bars are merged into UTC-aligned buckets
    (first open, highest high, lowest low, last close, summed volume); bars already as coarse or
    coarser are kept as they are (the study then runs at their interval)."""
    bars = markets.prepare_bars(bars)
    if bars.empty:
        return bars
    want = interval_length(interval)
    lengths = bars["end"] - bars["ts"]
    if lengths.max() >= want:
        return bars
    # Exchange opens, lunch breaks and closes fall on whole 5 minutes in UTC (XNYS, XHKG), so
    # UTC buckets never straddle a session boundary.
    bucket = bars["ts"].dt.floor(want)
    grouped = bars.groupby(bucket, sort=True)
    merged = pd.DataFrame({
        "ts": grouped["ts"].first().index,
        "open": grouped["open"].first().to_numpy(),
        "high": grouped["high"].max().to_numpy(),
        "low": grouped["low"].min().to_numpy(),
        "close": grouped["close"].last().to_numpy(),
        "volume": grouped["volume"].sum(min_count=1).to_numpy(),
        "source": grouped["source"].first().to_numpy(),
    })
    merged["interval"] = interval
    return markets.prepare_bars(merged)


def bar_interval(bars: pd.DataFrame) -> pd.Timedelta | None:
    """The (shortest) bar length of prepared bars, or None without bars."""
    if bars.empty:
        return None
    return (bars["end"] - bars["ts"]).min()


@dataclass
class ListingReturns:
    """One listing's bars as arrays (positions match the bars frame the study was given).

    ``r``: close over the previous bar's close − 1 (nan for the first bar and across a gap of
    more than one session); ``rm``: the benchmark's return between the same two instants (its
    price at each bar's end, :func:`markets.asof_positions`; nan without benchmark bars);
    ``session``: each bar's session position; ``offset``: bars since that session started;
    ``gap``: the bar follows a shut market (the open, the end of the lunch break), so its return
    holds the overnight or lunch move and gets its own time-of-day class."""

    ts: np.ndarray
    end: np.ndarray
    r: np.ndarray
    rm: np.ndarray
    session: np.ndarray
    offset: np.ndarray
    gap: np.ndarray
    step: pd.Timedelta

    def __len__(self) -> int:
        return len(self.ts)


def _ns(column: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(column).as_unit("ns").asi8


def listing_returns(bars: pd.DataFrame, sessions: pd.DataFrame, benchmark: pd.DataFrame | None,
                    *, extended: bool) -> ListingReturns:
    """:class:`ListingReturns` of prepared ``bars`` (already the study's interval and session
    parts), on the listing's ``sessions`` (extended hours counted when ``extended``)."""
    sessions = markets.prepare_sessions(sessions)
    start_col, end_col = markets.bounds(extended)
    ts, end = _ns(bars["ts"]), _ns(bars["end"])
    close = bars["close"].to_numpy(dtype="float64")
    step = bar_interval(bars) or pd.Timedelta(minutes=1)
    session = np.searchsorted(_ns(sessions[end_col]), ts, side="right") if len(sessions) else np.zeros(len(ts), int)
    starts = _ns(sessions[start_col]) if len(sessions) else np.zeros(1, dtype=np.int64)
    at = np.clip(session, 0, max(len(starts) - 1, 0))
    offset = np.maximum((ts - starts[at]) // step.value, 0).astype(np.int64)
    r = np.full(len(ts), np.nan)
    gap = np.zeros(len(ts), dtype=bool)
    if len(ts) > 1:
        near = (session[1:] - session[:-1]) <= 1
        r[1:] = np.where(near, close[1:] / close[:-1] - 1.0, np.nan)
        gap[1:] = ts[1:] != end[:-1]
    gap[:1] = True
    rm = np.full(len(ts), np.nan)
    if benchmark is not None and not benchmark.empty and len(ts) > 1:
        positions = markets.asof_positions(benchmark, bars["end"])
        price = np.where(positions >= 0, benchmark["close"].to_numpy(dtype="float64")[np.maximum(positions, 0)], np.nan)
        rm[1:] = price[1:] / price[:-1] - 1.0
        rm[~np.isfinite(r)] = np.nan
    return ListingReturns(ts=ts, end=end, r=r, rm=rm, session=session, offset=offset, gap=gap, step=step)


@dataclass
class DailyReturns:
    """One listing's session-to-session returns: close of each session over the previous one's."""

    session: np.ndarray   # session positions
    r: np.ndarray
    rm: np.ndarray


def daily_returns(bars: pd.DataFrame, sessions: pd.DataFrame, benchmark: pd.DataFrame | None) -> DailyReturns:
    """Each session's regular close (the price at the close, :func:`markets.price_at`'s rule)
    over the previous session's; the benchmark's between the same closes."""
    sessions = markets.prepare_sessions(sessions)
    closes = sessions["close"]

    def at_closes(frame):
        if frame is None or frame.empty:
            return np.full(len(closes), np.nan)
        regular = markets.regular_bars(frame)
        positions = markets.asof_positions(regular, closes, not_before=sessions["open"])
        return np.where(positions >= 0, regular["close"].to_numpy(dtype="float64")[np.maximum(positions, 0)], np.nan)

    price, market = at_closes(bars), at_closes(benchmark)
    r, rm = np.full(len(closes), np.nan), np.full(len(closes), np.nan)
    r[1:], rm[1:] = price[1:] / price[:-1] - 1.0, market[1:] / market[:-1] - 1.0
    return DailyReturns(session=np.arange(len(closes)), r=r, rm=rm)
