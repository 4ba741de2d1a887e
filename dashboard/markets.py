"""The market rules, each with one owner here: sessions (``exchange_calendars``, XNYS, XHKG), the
session part of a time (pre-market, regular, after-hours), the next tradable instant, the price at
a time, and quotes as of a time (FX, a home listing).

Every timestamp in and out is tz-aware UTC (a naive input is read as UTC). Besides the real
exchanges there is one pseudo-market, ``FX``: a currency pair such as ``HKD=X`` trades round the
clock on weekdays, so its sessions are whole UTC weekdays.

Sessions are ``[open, close)`` with the HKEX lunch break ``[break_start, break_end)`` shut.
A US session also has extended hours: ``[pre_open, open)`` pre-market and ``[close, post_close)``
after-hours (elsewhere ``pre_open = open`` and ``post_close = close``).
A bar labelled ``ts`` covers ``[ts, ts + length)``; its close is the price at ``ts + length``.
So "the price at time T" is the close of the last bar that had *finished* by T, and a quote is
never taken from a bar that finished after T (no backward filling).
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Mapping

import exchange_calendars
import numpy as np
import pandas as pd

from dashboard.timeutil import interval_length, to_utc, window

FX = "FX"  # pseudo-MIC for currency pairs: open 24h Monday-Friday (UTC)
SESSION_COLUMNS = ["session", "open", "break_start", "break_end", "close", "pre_open", "post_close"]
PRE, REGULAR, POST, CLOSED = "pre", "regular", "post", "closed"  # session parts
# Extended hours by MIC: (zone, pre-market start, after-hours length). exchange_calendars has the
# regular session (early closes included); US pre-market starts 04:00 ET and after-hours runs four
# hours past the close (20:00 ET, 17:00 ET after a 13:00 early close).
EXTENDED_HOURS = {mic: ("America/New_York", dt.time(4, 0), pd.Timedelta(hours=4))
                  for mic in ("XNYS", "XNAS", "XASE", "ARCX", "BATS")}
_LOOKAHEAD = pd.Timedelta(days=20)  # longer than any exchange holiday run


# Older home/FX quotes than this are not carried (a gap in the data, not a weekend).
MAX_QUOTE_AGE = pd.Timedelta(days=5)


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


def next_tradable_times(sessions: pd.DataFrame, times, *, extended: bool = False) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """For each time: (session position or -1, the first moment at or after it when the market
    trades — the open before it opens (the pre-market's start with ``extended``), the break's end
    in the lunch break; NaT past the calendar).

    The one rule for "when does the news reach this market": the chart's first-trade ring and
    the reaction table both come here."""
    sessions = prepare_sessions(sessions)
    t = _ns(times)
    start, end = bounds(extended)
    opens, closes = _ns(sessions[start]), _ns(sessions[end])
    breaks_start, breaks_end = _ns(sessions["break_start"]), _ns(sessions["break_end"])
    nat = np.iinfo(np.int64).min
    position = np.searchsorted(closes, t, side="right")  # the first session still running after t
    valid = (position < len(closes)) & (t != nat)
    at = np.where(valid, position, 0)
    if not len(closes):
        return np.full(len(t), -1), pd.DatetimeIndex([pd.NaT] * len(t), tz="UTC")
    moment = np.maximum(t, opens[at])
    in_break = (breaks_start[at] != nat) & (breaks_start[at] <= moment) & (moment < breaks_end[at])
    moment = np.where(in_break, breaks_end[at], moment)
    moment = np.where(valid, moment, nat)
    return np.where(valid, position, -1), pd.DatetimeIndex(moment.astype("datetime64[ns]")).tz_localize("UTC")


def next_tradable(sessions: pd.DataFrame, ts, *, extended: bool = False) -> tuple[int | None, pd.Timestamp | None]:
    """(session position, first tradable moment at or after ``ts``), or (None, None)."""
    positions, moments = next_tradable_times(sessions, [to_utc(ts)], extended=extended)
    return (None, None) if positions[0] < 0 else (int(positions[0]), moments[0])


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


def with_session_parts(bars: pd.DataFrame | None, sessions: pd.DataFrame) -> pd.DataFrame:
    """Prepared bars with a ``session_part`` column (daily and longer bars are ``regular``)."""
    bars = prepare_bars(bars)
    if "session_part" in bars.columns:
        return bars
    parts = session_parts(sessions, bars["ts"]) if len(bars) else np.array([], dtype=object)
    daily = (bars["end"] - bars["ts"]) >= pd.Timedelta(days=1)
    return bars.assign(session_part=np.where(daily.to_numpy(), REGULAR, parts))


def trades_extended(bars: pd.DataFrame, extended: bool = True) -> bool:
    """Do extended hours count for these bars? Only when asked and some pre-market or
    after-hours bars are stored: with regular bars only, the regular session is all we saw."""
    return extended and "session_part" in bars.columns and bool((bars["session_part"].isin([PRE, POST])).any())


def regular_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """Only the regular-session bars (all of them when no part is known)."""
    if "session_part" not in bars.columns:
        return bars
    return bars[bars["session_part"] == REGULAR].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Bars: the price at a time, the first trade after a time, quotes as of a time

BAR_COLUMNS = ["ts", "open", "high", "low", "close", "volume", "source", "interval", "end"]


def prepare_bars(bars: pd.DataFrame | None) -> pd.DataFrame:
    """Bars sorted by ts with an ``end`` column (ts + bar length); an empty frame for None."""
    if bars is None or len(bars) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in BAR_COLUMNS})
        for column in ("ts", "end"):
            empty[column] = pd.Series(dtype="datetime64[ns, UTC]")
        for column in ("source", "interval"):
            empty[column] = pd.Series(dtype="object")
        return empty
    if "end" in bars.columns and bars["ts"].is_monotonic_increasing:
        return bars  # already prepared
    frame = bars.copy()
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    if "interval" not in frame.columns:
        frame["interval"] = "1m"
    if "source" not in frame.columns:
        frame["source"] = None
    if "volume" not in frame.columns:
        frame["volume"] = np.nan
    lengths = {name: interval_length(name) for name in frame["interval"].unique()}
    frame["end"] = frame["ts"] + pd.to_timedelta(frame["interval"].map(lengths))
    return frame.sort_values("ts", kind="stable").reset_index(drop=True)


def asof_index(bars: pd.DataFrame, when, *, not_before=None) -> int | None:
    """Row position of the last bar finished by ``when`` (and starting at/after ``not_before``)."""
    if bars.empty or when is None or pd.isna(when):
        return None
    position = int(bars["end"].searchsorted(when, side="right")) - 1
    if position < 0:
        return None
    if not_before is not None and bars["ts"].iloc[position] < not_before:
        return None
    return position


def price_at(bars: pd.DataFrame, when, *, not_before=None) -> tuple[pd.Timestamp | None, float]:
    """(bar ts, close) of the last bar finished by ``when`` on prepared bars; (None, nan) if none.

    The one "price at time T": the reaction's reference, the % mode's base, the chart's price at
    an event."""
    position = asof_index(bars, when, not_before=not_before)
    if position is None:
        return None, float("nan")
    return bars["ts"].iloc[position], float(bars["close"].iloc[position])


def first_bar_index(bars: pd.DataFrame, moment, session_close) -> int | None:
    """Position of the bar covering ``moment`` or the first after it, inside the session."""
    if bars.empty or moment is None or pd.isna(moment):
        return None
    position = int(bars["end"].searchsorted(moment, side="right"))
    if position >= len(bars) or bars["ts"].iloc[position] >= session_close:
        return None
    return position


FIRST_TRADE_COLUMNS = ["time", "tradable_from", "session_part", "first_bar_ts", "first_close", "ref_ts", "ref_price"]


def first_trades(bars: pd.DataFrame | None, sessions: pd.DataFrame, times, *, extended: bool = False) -> pd.DataFrame:
    """For each event time: when the market could first trade it (``tradable_from``, and its
    ``session_part``), the bar that did (``first_bar_ts``, its close) and the price at the event
    (``ref_ts``, ``ref_price``). Without ``extended``, extended-hours bars are left out.

    What the chart's first-trade ring draws and the reaction table's figures, from one rule."""
    sessions = prepare_sessions(sessions)
    bars = with_session_parts(bars, sessions)
    extended = trades_extended(bars, extended)
    bars = bars if extended else regular_bars(bars)
    times = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(times), dtype="object"), utc=True))
    positions, moments = next_tradable_times(sessions, times, extended=extended)
    out = pd.DataFrame({"time": times, "tradable_from": moments})
    out["session_part"] = session_parts(sessions, moments)
    out.loc[positions < 0, "session_part"] = None
    end = bounds(extended)[1]
    first_ts, first_close, ref_ts, ref_price = [], [], [], []
    for position, moment, when in zip(positions, moments, times):
        first = None if position < 0 else first_bar_index(bars, moment, sessions[end].iloc[position])
        first_ts.append(pd.NaT if first is None else bars["ts"].iloc[first])
        first_close.append(float("nan") if first is None else float(bars["close"].iloc[first]))
        ts, price = price_at(bars, when)
        ref_ts.append(pd.NaT if ts is None else ts)
        ref_price.append(price)
    out["first_bar_ts"] = pd.to_datetime(pd.Series(first_ts, dtype="object"), utc=True).to_numpy()
    out["first_close"] = first_close
    out["ref_ts"] = pd.to_datetime(pd.Series(ref_ts, dtype="object"), utc=True).to_numpy()
    out["ref_price"] = ref_price
    for column in ("first_bar_ts", "ref_ts"):
        out[column] = pd.to_datetime(out[column], utc=True)
    return out[FIRST_TRADE_COLUMNS]


def quotes_asof(quotes: pd.DataFrame | None, times, *, max_age: pd.Timedelta = MAX_QUOTE_AGE) -> pd.DataFrame:
    """For each time: the close of the last ``quotes`` bar finished by then (``quote``) and that
    bar's ts (``quote_ts``); missing when none finished yet or it is older than ``max_age``.

    Never backward-filled: a quote that finished after the time is never used for it. The one
    rule for FX conversion and for carrying a shut home market's price (ADR parity)."""
    times = pd.Series(pd.to_datetime(pd.Series(list(times), dtype="object"), utc=True), name="time")
    out = pd.DataFrame({"time": times})
    quotes = prepare_bars(quotes)
    if quotes.empty or times.empty:
        return out.assign(quote=float("nan"), quote_ts=pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]"))
    right = quotes[["end", "ts", "close"]].rename(columns={"ts": "quote_ts", "close": "quote"})
    right["end"] = right["end"].astype("datetime64[ns, UTC]")
    left = out.reset_index().dropna(subset=["time"])
    left["time"] = left["time"].astype("datetime64[ns, UTC]")
    merged = pd.merge_asof(left.sort_values("time"), right.sort_values("end"), left_on="time", right_on="end",
                           direction="backward", tolerance=max_age)
    merged = merged.set_index("index").reindex(out.index)
    out["quote"] = merged["quote"].astype("float64")
    out["quote_ts"] = pd.to_datetime(merged["quote_ts"], utc=True)
    return out


def usd_per_unit(home_prices, home_per_usd, shares_per_unit: float):
    """Home-currency prices as USD per traded unit: price × shares per unit ÷ (home units per USD).

    The one ADR-parity arithmetic (9988.HK × 8 ÷ USDHKD = USD per BABA ADS), for the parity rows
    and the "USD per ADS" price mode alike; quotes come from :func:`quotes_asof`."""
    return home_prices * shares_per_unit / home_per_usd
