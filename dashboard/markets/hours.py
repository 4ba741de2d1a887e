"""Exchange hours: sessions from ``exchange_calendars`` (XNYS, XHKG) and a 24-hour ``FX``
pseudo-market, a US session's extended hours, the session part of a time, the next tradable
instant, and the spans a market is shut or open. Part of :mod:`dashboard.markets`.
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Mapping

import exchange_calendars
import numpy as np
import pandas as pd

from dashboard.timeutil import to_utc, window

FX = "FX"  # pseudo-MIC for currency pairs: open 24h Monday-Friday (UTC)
SESSION_COLUMNS = ["session", "open", "break_start", "break_end", "close", "pre_open", "post_close"]
PRE, REGULAR, POST, CLOSED = "pre", "regular", "post", "closed"  # session parts
# Extended hours by MIC: (zone, pre-market start, after-hours length). exchange_calendars has the
# regular session (early closes included); US pre-market starts 04:00 ET and after-hours runs four
# hours past the close (20:00 ET, 17:00 ET after a 13:00 early close).
EXTENDED_HOURS = {mic: ("America/New_York", dt.time(4, 0), pd.Timedelta(hours=4))
                  for mic in ("XNYS", "XNAS", "XASE", "ARCX", "BATS")}
_LOOKAHEAD = pd.Timedelta(days=20)  # longer than any exchange holiday run



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
        frame["pre_open"], frame["post_close"] = frame["open"], frame["close"]
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
        _add_extended_hours(frame, mic)
    for column in SESSION_COLUMNS[1:]:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame = frame[(frame["close"] > lo) & (frame["open"] < hi)]
    return frame.reset_index(drop=True)[SESSION_COLUMNS]


def _add_extended_hours(frame: pd.DataFrame, mic: str) -> None:
    """``pre_open``/``post_close`` columns: the extended-hours bounds, or open/close without them."""
    frame["pre_open"], frame["post_close"] = frame["open"], frame["close"]
    if mic in EXTENDED_HOURS and len(frame):
        zone, start, after = EXTENDED_HOURS[mic]
        days = pd.to_datetime(pd.Series([str(d) for d in frame["session"]]))
        local = days + pd.Timedelta(hours=start.hour, minutes=start.minute)
        frame["pre_open"] = local.dt.tz_localize(zone).dt.tz_convert("UTC").to_numpy()
        frame["post_close"] = pd.to_datetime(frame["close"], utc=True) + after


def _reaching(mic: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    """Sessions whose extended hours overlap ``[lo, hi)`` (``sessions`` selects by the regular
    session)."""
    frame = sessions(mic, lo - pd.Timedelta(days=1), hi + pd.Timedelta(days=1))
    return frame[(frame["post_close"] > lo) & (frame["pre_open"] < hi)]


def has_extended_hours(mic: str | None) -> bool:
    """Does this market trade before the open and after the close (pre-market, after-hours)?"""
    return mic in EXTENDED_HOURS


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


def prepare_sessions(sessions: pd.DataFrame) -> pd.DataFrame:
    """A sessions frame sorted by open with UTC columns and ``session`` as a date (idempotent)."""
    if sessions.attrs.get("prepared"):
        return sessions
    frame = sessions.copy()
    for column in ("open", "break_start", "break_end", "close"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    for column, regular in (("pre_open", "open"), ("post_close", "close")):
        frame[column] = pd.to_datetime(frame[column], utc=True) if column in frame else frame[regular]
    frame["session"] = [pd.Timestamp(s).date() for s in frame["session"]]
    frame = frame.sort_values("open").reset_index(drop=True)
    frame.attrs["prepared"] = True
    return frame


def _ns(values) -> np.ndarray:
    """UTC instants as int64 nanoseconds (NaT → the smallest int64)."""
    return pd.DatetimeIndex(pd.to_datetime(pd.Series(values), utc=True)).as_unit("ns").asi8


def bounds(extended: bool) -> tuple[str, str]:
    """The sessions-frame columns a session starts and ends at: with or without extended hours."""
    return ("pre_open", "post_close") if extended else ("open", "close")


def event_days(times, zones) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """For day-precision events: where each event's day starts and ends (UTC) in the zone it was
    dated in (``zones``: one zone, or one per time; a missing zone is UTC). ``[start, end)`` is
    the whole local day, 23 or 25 hours long when the clocks change."""
    stamps = pd.Series(pd.to_datetime(pd.Series(list(times), dtype="object"), utc=True)).reset_index(drop=True)
    zones = [zones] * len(stamps) if zones is None or isinstance(zones, str) else list(zones)
    zones = pd.Series([z if isinstance(z, str) and z else "UTC" for z in zones], index=stamps.index, dtype=object)
    starts = pd.Series(pd.NaT, index=stamps.index, dtype="datetime64[ns, UTC]")
    ends = starts.copy()
    for zone, rows in stamps.groupby(zones, sort=False).groups.items():  # one conversion per zone
        days = pd.DatetimeIndex(stamps[rows]).tz_convert(zone).tz_localize(None).normalize()
        local = lambda values: values.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward").tz_convert("UTC")  # noqa: E731
        starts[rows] = local(days).as_unit("ns")
        ends[rows] = local(days + pd.Timedelta(days=1)).as_unit("ns")
    return pd.DatetimeIndex(starts), pd.DatetimeIndex(ends)


def event_times(times, precisions=None, zones=None) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex | None]:
    """Events as :func:`next_tradable_times` takes them: (times, day ends). A day-precision
    event's time becomes its day's start in its zone and its day end is set; a timed event keeps
    its time and has no day end (NaT). Without ``precisions`` every event is timed (None)."""
    stamps = pd.Series(pd.to_datetime(pd.Series(list(times), dtype="object"), utc=True))
    if precisions is None:
        return pd.DatetimeIndex(stamps), None
    whole_day = np.asarray([p == "day" for p in precisions], dtype=bool)
    zones = [zones] * len(stamps) if zones is None or isinstance(zones, str) else list(zones)
    starts, ends = event_days(stamps[whole_day], [z for z, d in zip(zones, whole_day) if d])
    day_ends = pd.Series(pd.NaT, index=stamps.index, dtype=stamps.dtype)
    stamps[whole_day], day_ends[whole_day] = starts.as_unit(stamps.dt.unit), ends.as_unit(stamps.dt.unit)
    return pd.DatetimeIndex(stamps), pd.DatetimeIndex(day_ends)


def next_tradable_times(sessions: pd.DataFrame, times, *, extended: bool = False,
                        day_ends=None) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """For each time: (session position or -1, the first moment at or after it when the market
    trades — the open before it opens (the pre-market's start with ``extended``), the break's end
    in the lunch break; NaT past the calendar).

    ``day_ends`` (one per time, NaT for a timed event): the time is a day-precision event's day
    start (:func:`event_days`) and this is where its day ends. Such an event may have come at any
    moment of its day, so a session counts only if it opens at or after the day began in the
    event's zone: a session that opened earlier traded, in part or whole, before the news (Hong
    Kong's Friday session runs from 20:30 Thursday to 03:00 Friday, New York time, so New York's
    Friday news first trades there on Monday). The day's own session is read from its regular open; a session that opens
    after the day is over finds the news out, so with ``extended`` it is read from its pre-market.

    The one rule for "when does the news reach this market": the chart's first-trade ring and
    the reaction table both come here."""
    sessions = prepare_sessions(sessions)
    t = _ns(times)
    start, end = bounds(extended)
    opens, closes = _ns(sessions[start]), _ns(sessions[end])
    breaks_start, breaks_end = _ns(sessions["break_start"]), _ns(sessions["break_end"])
    nat = np.iinfo(np.int64).min
    position = np.searchsorted(closes, t, side="right")  # the first session still running after t
    if day_ends is not None:  # day precision: the first session opening once the day has begun
        regular_opens, pre_opens = _ns(sessions["open"]), _ns(sessions["pre_open"])
        ends = _ns(day_ends) if len(t) else np.array([], dtype=np.int64)
        whole_day = ends != nat
        position = np.where(whole_day, np.searchsorted(regular_opens, t, side="left"), position)
    valid = (position < len(closes)) & (t != nat)
    at = np.where(valid, position, 0)
    if not len(closes):
        return np.full(len(t), -1), pd.DatetimeIndex([pd.NaT] * len(t), tz="UTC")
    moment = np.maximum(t, opens[at])
    in_break = (breaks_start[at] != nat) & (breaks_start[at] <= moment) & (moment < breaks_end[at])
    moment = np.where(in_break, breaks_end[at], moment)
    if day_ends is not None:
        news_out = extended & (pre_opens[at] >= ends)  # the day was over before the pre-market began
        moment = np.where(whole_day, np.where(news_out, pre_opens[at], regular_opens[at]), moment)
    moment = np.where(valid, moment, nat)
    return np.where(valid, position, -1), pd.DatetimeIndex(moment.astype("datetime64[ns]")).tz_localize("UTC")


def next_tradable(sessions: pd.DataFrame, ts, *, extended: bool = False,
                  day_end=None) -> tuple[int | None, pd.Timestamp | None]:
    """(session position, first tradable moment at or after ``ts``), or (None, None); with
    ``day_end``, ``ts`` is a day-precision event's day start (:func:`next_tradable_times`)."""
    day_ends = None if day_end is None else [to_utc(day_end)]
    positions, moments = next_tradable_times(sessions, [to_utc(ts)], extended=extended, day_ends=day_ends)
    return (None, None) if positions[0] < 0 else (int(positions[0]), moments[0])


def passed_over(sessions: pd.DataFrame, position: int, day_start, day: dt.date) -> int | None:
    """The session a day-precision event skipped for the one at ``position``
    (:func:`next_tradable_times`): the one just before it, when it carries the event's date or
    was still trading as the event's day began; None when nothing was passed over."""
    sessions = prepare_sessions(sessions)
    if position is None or position <= 0:
        return None
    before = sessions.iloc[position - 1]
    return position - 1 if before["session"] == day or before["close"] > to_utc(day_start) else None


def next_open(mic: str, ts) -> pd.Timestamp:
    """The first moment at or after ``ts`` when the market trades (lunch breaks respected)."""
    ts = to_utc(ts)
    _, moment = next_tradable(_around(mic, ts), ts)
    if moment is None:
        raise ValueError(f"{mic}: no session within {_LOOKAHEAD.days} days after {ts}")
    return moment


def session_close(mic: str, ts) -> pd.Timestamp:
    """The close of the session containing ``ts``, or of the next session after it."""
    ts = to_utc(ts)
    for row in _around(mic, ts).itertuples():
        if ts < row.close:
            return row.close
    raise ValueError(f"{mic}: no session within {_LOOKAHEAD.days} days after {ts}")


def closed_intervals(mic: str, start, end, *, extended: bool = False) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Spans of ``[start, end)`` when the market is shut (nights, weekends, holidays, lunch);
    with ``extended``, pre-market and after-hours count as open."""
    lo, hi = window(start, end)
    first, last = bounds(extended)
    open_spans = []
    for row in _reaching(mic, lo, hi).itertuples():
        if pd.notna(row.break_start):
            open_spans += [(getattr(row, first), row.break_start), (row.break_end, getattr(row, last))]
        else:
            open_spans.append((getattr(row, first), getattr(row, last)))
    closed, cursor = [], lo
    for begin, finish in open_spans:
        if begin > cursor:
            closed.append((cursor, min(begin, hi)))
        cursor = max(cursor, finish)
    if cursor < hi:
        closed.append((cursor, hi))
    return [(a, b) for a, b in closed if a < b]


def extended_intervals(mic: str, start, end) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    """Pre-market and after-hours spans inside ``[start, end)``: (start, end, PRE or POST)."""
    lo, hi = window(start, end)
    spans = []
    for row in _reaching(mic, lo, hi).itertuples():
        spans += [(row.pre_open, row.open, PRE), (row.close, row.post_close, POST)]
    return [(max(a, lo), min(b, hi), part) for a, b, part in spans if a < b and b > lo and a < hi]


def session_cuts(mic: str, start, end) -> list[pd.Timestamp]:
    """Every instant in ``[start, end)`` (and the last one before it) where a session part starts
    or ends: pre-market open, open, lunch break start and end, close, after-hours close (UTC,
    sorted). A resampled bar never spans one (``store.bars.query_bars(cuts=)``): an hour bar
    does not mix pre-market minutes with the regular session's, nor the morning with the
    afternoon, and each part's buckets start at its own first instant (09:30, 10:30, …)."""
    lo, hi = window(start, end)
    frame = _reaching(mic, lo - pd.Timedelta(days=1), hi)
    columns = ("pre_open", "open", "break_start", "break_end", "close", "post_close")
    instants = sorted({t for c in columns for t in frame[c] if pd.notna(t) and t < hi})
    before = [t for t in instants if t <= lo]
    return before[-1:] + [t for t in instants if t > lo]


def overlap_intervals(mic_a: str, mic_b: str, start, end, *, extended: bool = True) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Spans of ``[start, end)`` when both markets trade (extended hours counted by default).

    The only window in which an ADR and its home listing price the same news at once; empty for
    NYSE and HKEX (HKEX closes 16:00 HKT = 03:00 ET in winter, 04:00 ET in summer, when the US
    pre-market has not yet begun)."""
    lo, hi = window(start, end)
    shut = closed_intervals(mic_a, lo, hi, extended=extended) + closed_intervals(mic_b, lo, hi, extended=extended)
    spans, cursor = [], lo
    for a, b in sorted(shut):
        if a > cursor:
            spans.append((cursor, a))
        cursor = max(cursor, b)
    if cursor < hi:
        spans.append((cursor, hi))
    return spans


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


def session_parts(sessions: pd.DataFrame, times) -> np.ndarray:
    """For each UTC time: ``pre``, ``regular``, ``post`` or ``closed`` from the sessions frame.

    The one rule for a bar's session part (by its start): derived from the exchange calendar,
    never stored. A lunch break counts as regular; a market without extended hours has none."""
    sessions = prepare_sessions(sessions)
    t = _ns(times)
    parts = np.full(len(t), CLOSED, dtype=object)
    if not len(sessions):
        return parts
    columns = {c: _ns(sessions[c]) for c in ("pre_open", "open", "close", "post_close")}
    position = np.searchsorted(columns["post_close"], t, side="right")
    inside = position < len(sessions)
    at = np.where(inside, position, 0)
    pre_open, opens, closes, post_close = (columns[c][at] for c in ("pre_open", "open", "close", "post_close"))
    parts[inside & (t >= pre_open) & (t < opens)] = PRE
    parts[inside & (t >= opens) & (t < closes)] = REGULAR
    parts[inside & (t >= closes) & (t < post_close)] = POST
    return parts
