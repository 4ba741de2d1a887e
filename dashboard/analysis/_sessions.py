"""Session look-ups on a sessions frame ``[session, open, break_start, break_end, close]`` (UTC).

The frame comes from :func:`dashboard.markets.sessions` (exchange_calendars); the functions here
only search it, so tests can hand them a frame built for the case. Preparing the frame and the
next tradable instant are market rules: :func:`dashboard.markets.prepare_sessions` and
:func:`dashboard.markets.next_tradable`.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd


def next_shutdown(row, ts: pd.Timestamp) -> pd.Timestamp:
    """The next moment after ``ts`` when this session stops trading (lunch break or close)."""
    if pd.notna(row.break_start) and ts < row.break_start:
        return row.break_start
    return row.close


def on_date(sessions: pd.DataFrame, day: dt.date) -> int | None:
    """Position of the session labelled exactly ``day`` (None on weekends/holidays)."""
    hits = sessions.index[[s == day for s in sessions["session"]]]
    return int(hits[0]) if len(hits) else None


def fmt_utc(ts) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%d %H:%MZ")
