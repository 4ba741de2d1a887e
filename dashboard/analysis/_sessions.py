"""Session look-ups on a sessions frame ``[session, open, break_start, break_end, close]`` (UTC).

The frame comes from :func:`dashboard.markets.sessions` (exchange_calendars); the functions here
only search it, so tests can hand them a frame built for the case.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd


def prepare(sessions: pd.DataFrame) -> pd.DataFrame:
    if sessions.attrs.get("prepared"):
        return sessions
    frame = sessions.copy()
    for column in ("open", "break_start", "break_end", "close"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["session"] = [pd.Timestamp(s).date() for s in frame["session"]]
    frame = frame.sort_values("open").reset_index(drop=True)
    frame.attrs["prepared"] = True
    return frame


def _in_break(row, ts) -> bool:
    return pd.notna(row.break_start) and row.break_start <= ts < row.break_end


def next_tradable(sessions: pd.DataFrame, ts: pd.Timestamp):
    """(session position, first moment ≥ ts when the market trades), or (None, None).

    Before the open → the open; in the lunch break → the break's end; after the close → the
    next session's open.
    """
    for position, row in enumerate(sessions.itertuples()):
        if ts < row.open:
            return position, row.open
        if ts < row.close:
            return position, (row.break_end if _in_break(row, ts) else ts)
    return None, None


def next_shutdown(row, ts: pd.Timestamp) -> pd.Timestamp:
    """The next moment after ``ts`` when this session stops trading (lunch break or close)."""
    if pd.notna(row.break_start) and ts < row.break_start:
        return row.break_start
    return row.close


def latest_started(sessions: pd.DataFrame, ts: pd.Timestamp) -> int | None:
    """Position of the latest session that opened before ``ts`` (it may still be running)."""
    opened = sessions.index[sessions["open"] < ts]
    return int(opened[-1]) if len(opened) else None


def on_or_after_date(sessions: pd.DataFrame, day: dt.date) -> int | None:
    """Position of the session labelled ``day``, else the first one after it."""
    later = sessions.index[[s >= day for s in sessions["session"]]]
    return int(later[0]) if len(later) else None


def on_date(sessions: pd.DataFrame, day: dt.date) -> int | None:
    """Position of the session labelled exactly ``day`` (None on weekends/holidays)."""
    hits = sessions.index[[s == day for s in sessions["session"]]]
    return int(hits[0]) if len(hits) else None


def fmt_utc(ts) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%d %H:%MZ")
