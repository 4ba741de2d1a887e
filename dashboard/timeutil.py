"""Time arithmetic every layer shares: UTC instants, ``[start, end)`` windows, bar lengths.

A leaf (pandas only). Every timestamp out is tz-aware UTC; a naive input is read as UTC.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

_INTERVAL = re.compile(r"^(\d+)(m|min|h|d|wk|mo)$")
_UNIT = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "wk": "weeks"}


class UnknownInterval(KeyError):
    """A bar interval name nobody can read (a KeyError, so callers that catch one keep working)."""

    def __str__(self) -> str:  # KeyError would quote the sentence
        return str(self.args[0]) if self.args else ""


def interval_length(name: str) -> pd.Timedelta:
    """'1m' → 1 minute, '60m'/'1h' → 1 hour, '1d' → 1 day, '1wk' → 7 days, '1mo' → 30 days.

    The one reading of interval names: an unknown name raises :class:`UnknownInterval`."""
    match = _INTERVAL.match(str(name))
    if not match:
        raise UnknownInterval(f"unknown bar interval {name!r} (use e.g. 1m, 5m, 15m, 60m, 1h, 1d)")
    count, unit = int(match.group(1)), match.group(2)
    if unit == "mo":
        return pd.Timedelta(days=30 * count)
    return pd.Timedelta(**{_UNIT[unit]: count})


def to_utc(value) -> pd.Timestamp:
    """A tz-aware UTC Timestamp from a str/date/datetime/Timestamp (naive means UTC)."""
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def utc_times(values) -> pd.Series:
    """:func:`to_utc` for a column of times (text or datetimes; naive means UTC)."""
    return pd.to_datetime(values, utc=True)


def window(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` in UTC; an ``end`` given as a bare date covers that whole day."""
    lo, hi = to_utc(start), to_utc(end)
    if _is_bare_date(end):
        hi = hi + pd.Timedelta(days=1)
    return lo, hi


def _is_bare_date(value) -> bool:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return True
    return isinstance(value, str) and len(value.strip()) == 10


# The days a window can start and end on: pandas' Timestamps reach 1677-09-21 to 2262-04-11, and
# a day's bounds in a display zone reach a day either side.
FIRST_DAY, LAST_DAY = dt.date(1678, 1, 1), dt.date(2261, 12, 31)


def shown_day(value) -> dt.date:
    """A day a window can show, from YYYY-MM-DD text or a date; ValueError says why not (the
    reason reads after the value: "'0001-01-01' is not a date the dashboard can show …")."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError("is not a date (YYYY-MM-DD)") from None
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"is not a date the dashboard can show ({FIRST_DAY} to {LAST_DAY})")
    return value


def shown_time(text) -> pd.Timestamp:
    """A date or ISO time a query can take (naive means UTC, as :func:`to_utc`), inside the days
    :func:`shown_day` allows; ValueError says why not."""
    try:
        stamp = pd.Timestamp(str(text).strip())
    except (ValueError, TypeError):
        raise ValueError("is not a date (YYYY-MM-DD) or ISO time") from None
    if stamp is pd.NaT:
        raise ValueError("is not a date (YYYY-MM-DD) or ISO time")
    if not FIRST_DAY <= stamp.date() <= LAST_DAY:
        raise ValueError(f"is not a time the dashboard can show ({FIRST_DAY} to {LAST_DAY})")
    return to_utc(stamp)


def window_bounds(start_day: dt.date, end_day: dt.date, zone: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start of start_day, start of the day after end_day) in ``zone``, as UTC."""
    start = pd.Timestamp(start_day).tz_localize(zone).tz_convert("UTC")
    end = (pd.Timestamp(end_day) + pd.Timedelta(days=1)).tz_localize(zone).tz_convert("UTC")
    return start, end
