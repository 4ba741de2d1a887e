"""Which bar interval Yahoo still serves for a window, and how to split a request.

Limits as yfinance encodes them (yfinance/scrapers/history.py in
https://github.com/ranaroussi/yfinance — ``history()`` caps ``period="max"`` at 8 days for 1m,
60 days for 2m/5m/15m/30m/90m and 730 days for 1h/60m; its price-repair table
``min_lookbacks`` gives 1m 30 days, 2m-30m 60 days, 1h 730 days; 30m is fetched as 15m and
resampled): 1-minute bars exist for about the last 30 days and one request may span at most
8 days; 2m-90m for 60 days; 60m/1h for 730 days; daily and longer for all history.
"""
from __future__ import annotations

import dataclasses

import pandas as pd

from dashboard import markets
from dashboard.timeutil import interval_length, to_utc


@dataclasses.dataclass(frozen=True)
class Limit:
    interval: str
    lookback: pd.Timedelta | None   # how far back Yahoo keeps this interval (None: all history)
    per_request: pd.Timedelta | None  # widest span one request may ask for (None: no cap)


# Finest first: ``auto`` takes the first one whose lookback still reaches the window's start.
LIMITS = [
    Limit("1m", pd.Timedelta(days=30), pd.Timedelta(days=7)),  # 8 per yfinance; 7 leaves slack
    Limit("2m", pd.Timedelta(days=60), pd.Timedelta(days=59)),
    Limit("60m", pd.Timedelta(days=730), pd.Timedelta(days=729)),
    Limit("1d", None, None),
]
_BY_INTERVAL = {limit.interval: limit for limit in LIMITS}
for _name in ["5m", "15m", "30m", "90m"]:
    _BY_INTERVAL[_name] = Limit(_name, pd.Timedelta(days=60), pd.Timedelta(days=59))
_BY_INTERVAL["1h"] = Limit("1h", pd.Timedelta(days=730), pd.Timedelta(days=729))
for _name in ["5d", "1wk", "1mo", "3mo"]:
    _BY_INTERVAL[_name] = Limit(_name, None, None)
INTERVALS = list(_BY_INTERVAL)


class IntervalUnavailable(ValueError):
    """Yahoo no longer serves this interval for the requested window."""


def limit_for(interval: str) -> Limit:
    try:
        return _BY_INTERVAL[interval]
    except KeyError:
        raise IntervalUnavailable(
            f"unknown interval {interval!r}; use auto or one of {', '.join(INTERVALS)}") from None


def oldest_start(interval: str, now) -> pd.Timestamp | None:
    """The earliest window start Yahoo serves at ``interval`` (None: no limit)."""
    limit = limit_for(interval)
    return None if limit.lookback is None else to_utc(now) - limit.lookback


def choose_interval(start, end, now=None, interval: str = "auto") -> str:
    """``auto`` → the finest interval Yahoo serves for a window starting at ``start``.

    An explicit interval is checked and returned, or refused with the oldest date it could serve.
    """
    now = to_utc(now if now is not None else pd.Timestamp.now("UTC"))
    start = to_utc(start)
    if interval == "auto":
        for limit in LIMITS:
            if limit.lookback is None or start >= now - limit.lookback:
                return limit.interval
    oldest = oldest_start(interval, now)
    if oldest is not None and start < oldest:
        raise IntervalUnavailable(
            f"Yahoo keeps {interval} bars for {limit_for(interval).lookback.days} days only: "
            f"the oldest start it can serve is {oldest:%Y-%m-%d %H:%M}Z (asked for {start:%Y-%m-%d})")
    return interval


def chunks(start, end, interval: str) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Split ``[start, end)`` into consecutive spans no wider than one request may ask for."""
    start, end = to_utc(start), to_utc(end)
    width = limit_for(interval).per_request
    if width is None or end - start <= width:
        return [(start, end)] if start < end else []
    spans, cursor = [], start
    while cursor < end:
        spans.append((cursor, min(cursor + width, end)))
        cursor += width
    return spans


def wants_prepost(mic: str | None, interval: str) -> bool:
    """Ask Yahoo for pre-market and after-hours bars? Intraday requests on a market that has them
    (US listings); daily bars stay regular-session."""
    return markets.has_extended_hours(mic) and interval_length(interval) < pd.Timedelta(days=1)
