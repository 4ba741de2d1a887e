"""Exchange sessions: when a listing trades, from ``exchange_calendars`` (XNYS, XHKG).

Every timestamp in and out is tz-aware UTC (a naive input is read as UTC). Besides the real
exchanges there is one pseudo-market, ``FX``: a currency pair such as ``HKD=X`` trades round the
clock on weekdays, so its sessions are whole UTC weekdays.

Sessions are ``[open, close)`` with the HKEX lunch break ``[break_start, break_end)`` shut.
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Mapping

import exchange_calendars
import pandas as pd

FX = "FX"  # pseudo-MIC for currency pairs: open 24h Monday-Friday (UTC)
SESSION_COLUMNS = ["session", "open", "break_start", "break_end", "close"]
_LOOKAHEAD = pd.Timedelta(days=20)  # longer than any exchange holiday run


def to_utc(value) -> pd.Timestamp:
    """A tz-aware UTC Timestamp from a str/date/datetime/Timestamp (naive means UTC)."""
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


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


@functools.lru_cache(maxsize=None)
def calendar(mic: str) -> exchange_calendars.ExchangeCalendar:
    """The exchange_calendars calendar for a MIC (XNYS, XHKG)."""
    if mic == FX:
        raise ValueError("FX has no exchange calendar: it trades 24h on weekdays")
    return exchange_calendars.get_calendar(mic)


def listing_mics(listings: pd.DataFrame) -> dict[str, str]:
    """Symbol → market for stored listings (``store.companies.listings(con, roles=None)``):
    the exchange's MIC, or ``FX`` for a currency pair."""
    return {
        str(row["symbol"]): FX if row.get("role") == "fx" else str(row.get("exchange_mic") or "")
        for row in listings.to_dict("records")
    }


def mic_for(symbol: str, mics: Mapping[str, str]) -> str:
    """The market ``symbol`` trades on, from :func:`listing_mics` (a currency pair → ``FX``)."""
    if mics.get(symbol):
        return mics[symbol]
    if symbol.endswith("=X"):
        return FX
    raise KeyError(f"{symbol}: not a stored listing; its exchange is unknown (ingest data/companies.toml)")


def sessions(mic: str, start, end) -> pd.DataFrame:
    """Sessions overlapping ``[start, end)``: session date, open, break_start, break_end, close (UTC).

    ``break_start``/``break_end`` are NaT where there is no lunch break.
    """
    lo, hi = window(start, end)
    if mic == FX:
        days = pd.date_range(lo.normalize() - pd.Timedelta(days=1), hi.normalize(), freq="D")
        days = days[days.day_of_week < 5]
        frame = pd.DataFrame({
            "session": [d.date() for d in days],
            "open": days,
            "break_start": pd.NaT,
            "break_end": pd.NaT,
            "close": days + pd.Timedelta(days=1),
        })
    else:
        cal = calendar(mic)
        first = max(cal.first_session, (lo - pd.Timedelta(days=2)).tz_localize(None).normalize())
        last = min(cal.last_session, (hi + pd.Timedelta(days=2)).tz_localize(None).normalize())
        if first > last:
            return _empty_sessions()
        schedule = cal.schedule.loc[first:last]
        frame = pd.DataFrame({
            "session": [d.date() for d in schedule.index],
            "open": schedule["open"].to_numpy(),
            "break_start": schedule["break_start"].to_numpy(),
            "break_end": schedule["break_end"].to_numpy(),
            "close": schedule["close"].to_numpy(),
        })
    for column in ["open", "break_start", "break_end", "close"]:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame = frame[(frame["close"] > lo) & (frame["open"] < hi)]
    return frame.reset_index(drop=True)[SESSION_COLUMNS]


def _empty_sessions() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="datetime64[ns, UTC]") for c in SESSION_COLUMNS[1:]})
    frame.insert(0, "session", pd.Series(dtype="object"))
    return frame


def _around(mic: str, ts: pd.Timestamp) -> pd.DataFrame:
    return sessions(mic, ts - pd.Timedelta(days=2), ts + _LOOKAHEAD)


def _in_break(row, ts: pd.Timestamp) -> bool:
    return pd.notna(row.break_start) and row.break_start <= ts < row.break_end


def is_open(mic: str, ts) -> bool:
    """Does the market trade at ``ts``? (open ≤ ts < close, outside the lunch break)"""
    ts = to_utc(ts)
    for row in _around(mic, ts).itertuples():
        if row.open <= ts < row.close:
            return not _in_break(row, ts)
    return False


def next_open(mic: str, ts) -> pd.Timestamp:
    """The first moment at or after ``ts`` when the market trades (lunch breaks respected)."""
    ts = to_utc(ts)
    for row in _around(mic, ts).itertuples():
        if ts < row.open:
            return row.open
        if ts < row.close:
            return row.break_end if _in_break(row, ts) else ts
    raise ValueError(f"{mic}: no session within {_LOOKAHEAD.days} days after {ts}")


def session_close(mic: str, ts) -> pd.Timestamp:
    """The close of the session containing ``ts``, or of the next session after it."""
    ts = to_utc(ts)
    for row in _around(mic, ts).itertuples():
        if ts < row.close:
            return row.close
    raise ValueError(f"{mic}: no session within {_LOOKAHEAD.days} days after {ts}")


def closed_intervals(mic: str, start, end) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Spans of ``[start, end)`` when the market is shut (nights, weekends, holidays, lunch)."""
    lo, hi = window(start, end)
    open_spans = []
    for row in sessions(mic, lo, hi).itertuples():
        if pd.notna(row.break_start):
            open_spans += [(row.open, row.break_start), (row.break_end, row.close)]
        else:
            open_spans.append((row.open, row.close))
    closed, cursor = [], lo
    for begin, finish in open_spans:
        if begin > cursor:
            closed.append((cursor, min(begin, hi)))
        cursor = max(cursor, finish)
    if cursor < hi:
        closed.append((cursor, hi))
    return [(a, b) for a, b in closed if a < b]


def _bar_times(bars: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(bars["ts"], utc=True).reset_index(drop=True)


def open_mask(mic: str, times) -> pd.Series:
    """For each UTC time, does the market trade then? (vectorised :func:`is_open`)"""
    times = pd.Series(pd.to_datetime(pd.Series(times), utc=True)).reset_index(drop=True)
    mask = pd.Series(False, index=times.index)
    if times.empty:
        return mask
    for row in sessions(mic, times.min(), times.max() + pd.Timedelta(minutes=1)).itertuples():
        inside = (times >= row.open) & (times < row.close)
        if pd.notna(row.break_start):
            inside &= ~((times >= row.break_start) & (times < row.break_end))
        mask |= inside
    return mask


def first_bar_at_or_after(bars: pd.DataFrame, mic: str, ts):
    """The first bar starting at or after ``ts`` inside a session (a row), or None.

    An event while the market is shut is first priced by the next session's opening bar.
    """
    if bars is None or bars.empty:
        return None
    start = next_open(mic, to_utc(ts))
    times = _bar_times(bars)
    later = times[times >= start]
    if later.empty:
        return None
    trading = open_mask(mic, later)
    if not trading.any():
        return None
    position = later.index[trading.to_numpy()][0]
    return bars.iloc[position]


def last_close_before(bars: pd.DataFrame, ts):
    """``(bar ts, close)`` of the last bar that had finished by ``ts``, or None."""
    if bars is None or bars.empty:
        return None
    ts = to_utc(ts)
    times = _bar_times(bars)
    if "interval" in bars.columns:
        lengths = bars["interval"].map(_interval_length)
    else:
        lengths = pd.Series(pd.Timedelta(0), index=bars.index)
    finished = ((times + lengths.reset_index(drop=True)) <= ts).to_numpy()
    if not finished.any():
        return None
    position = times[finished].idxmax()
    return times[position], float(bars["close"].iloc[position])


def _interval_length(name) -> pd.Timedelta:
    from dashboard.store.bars import interval_length  # one table of interval names

    try:
        return interval_length(name)
    except (KeyError, TypeError):
        return pd.Timedelta(0)
