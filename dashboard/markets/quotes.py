"""Bars at a time: session parts of bars, the price at T, the first trade after an event,
quotes as of T and the ADR-parity arithmetic. Part of :mod:`dashboard.markets`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.markets.hours import (
    POST, PRE, REGULAR, bounds, event_times, next_tradable_times, prepare_sessions, session_parts,
)
from dashboard.timeutil import interval_length, to_utc

# Older home/FX quotes than this are not carried (a gap in the data, not a weekend).
MAX_QUOTE_AGE = pd.Timedelta(days=5)


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


def bars_in_hours(bars: pd.DataFrame | None, sessions: pd.DataFrame, *, extended: bool) -> pd.DataFrame:
    """The "extended hours" toggle's rule: prepared bars with their session part, and with the
    toggle off (``--regular-only``) only the regular session's."""
    bars = with_session_parts(bars, sessions)
    return bars if extended else regular_bars(bars)


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


def _epoch(values, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """Times as integers since the epoch (UTC; naive times are UTC) in ``unit``, and where they
    are missing. In the bars' own unit, so the bars' columns are searched without a copy."""
    if isinstance(values, (pd.Series, pd.Index)) and isinstance(values.dtype, pd.DatetimeTZDtype):
        index = pd.DatetimeIndex(values).as_unit(unit)
        return index.asi8, np.asarray(index.isna())
    if len(values) > 16:
        index = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(values), dtype="object"), utc=True)).as_unit(unit)
        return index.asi8, np.asarray(index.isna())
    out, missing = np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values):  # a few times (the one-event callers): no frame round trip
        if value is None or pd.isna(value):
            missing[i] = True
            continue
        stamp = to_utc(value)
        out[i] = stamp.as_unit(unit).asm8.view("i8")  # in ``unit`` (Timestamp.value is always ns)
    return out, missing


def _column(bars: pd.DataFrame, column: str) -> tuple[np.ndarray, str]:
    """A timestamp column as epoch integers in its own unit (no copy), and that unit."""
    values = bars[column].array
    if not isinstance(values, pd.arrays.DatetimeArray):
        values = pd.DatetimeIndex(values).array
    return values.asi8, values.unit


def asof_positions(bars: pd.DataFrame, whens, *, not_before=None) -> np.ndarray:
    """For each time in ``whens``: the row position of the last bar finished by then (and
    starting at/after ``not_before``, one bound or one per time), or -1. Vectorised, so a window
    of 30,000 publications costs one search, not 30,000."""
    if bars.empty:
        return np.full(len(whens), -1, dtype=np.int64)
    ends, unit = _column(bars, "end")
    whens_at, missing = _epoch(whens, unit)
    positions = np.searchsorted(ends, whens_at, side="right").astype(np.int64) - 1
    positions[missing] = -1
    if not_before is not None:
        starts, start_unit = _column(bars, "ts")
        bounds, no_bound = _epoch(np.broadcast_to(np.asarray(not_before, dtype=object), len(whens_at)), start_unit)
        positions[(positions >= 0) & ~no_bound & (starts[np.maximum(positions, 0)] < bounds)] = -1
    return positions


def asof_index(bars: pd.DataFrame, when, *, not_before=None) -> int | None:
    """Row position of the last bar finished by ``when`` (and starting at/after ``not_before``)."""
    if bars.empty or when is None or pd.isna(when):
        return None
    position = int(asof_positions(bars, [when], not_before=not_before)[0])
    return None if position < 0 else position


def price_at(bars: pd.DataFrame, when, *, not_before=None) -> tuple[pd.Timestamp | None, float]:
    """(bar ts, close) of the last bar finished by ``when`` on prepared bars; (None, nan) if none.

    The one "price at time T": the reaction's reference, the % mode's base, the chart's price at
    an event. (:func:`asof_positions` is the same rule for many times at once.)"""
    position = asof_index(bars, when, not_before=not_before)
    if position is None:
        return None, float("nan")
    return bars["ts"].iloc[position], float(bars["close"].iloc[position])


def first_bar_positions(bars: pd.DataFrame, moments, session_closes) -> np.ndarray:
    """For each moment: the position of the bar covering it or the first after it, when that bar
    starts before the moment's session close; else -1."""
    if bars.empty:
        return np.full(len(moments), -1, dtype=np.int64)
    ends, unit = _column(bars, "end")
    moments_at, missing = _epoch(moments, unit)
    starts, start_unit = _column(bars, "ts")
    closes, no_close = _epoch(session_closes, start_unit)
    positions = np.searchsorted(ends, moments_at, side="right").astype(np.int64)
    first_starts = np.append(starts, np.iinfo(np.int64).max)[positions]
    positions[missing | no_close | (positions >= len(bars)) | (first_starts >= closes)] = -1
    return positions


def first_bar_index(bars: pd.DataFrame, moment, session_close) -> int | None:
    """Position of the bar covering ``moment`` or the first after it, inside the session."""
    if bars.empty or moment is None or pd.isna(moment):
        return None
    position = int(first_bar_positions(bars, [moment], [session_close])[0])
    return None if position < 0 else position


FIRST_TRADE_COLUMNS = ["time", "tradable_from", "session_part", "first_bar_ts", "first_close", "ref_ts", "ref_price"]


def first_trades(bars: pd.DataFrame | None, sessions: pd.DataFrame, times, *, extended: bool = False,
                 precisions=None, zones=None) -> pd.DataFrame:
    """For each event time: when the market could first trade it (``tradable_from``, and its
    ``session_part``), the bar that did (``first_bar_ts``, its close) and the price at the event
    (``ref_ts``, ``ref_price``). Without ``extended``, extended-hours bars are left out.
    ``precisions`` and ``zones`` (one per time, as stored with the events) mark day-precision
    events: they reach the first session that opens once their day has begun in their zone
    (:func:`~dashboard.markets.hours.next_tradable_times`), and their price before is that
    session's previous regular close.

    What the chart's first-trade ring draws and the reaction table's figures, from one rule."""
    sessions = prepare_sessions(sessions)
    bars = with_session_parts(bars, sessions)
    extended = trades_extended(bars, extended)
    all_bars = bars
    bars = bars_in_hours(bars, sessions, extended=extended)
    event_ts = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(times), dtype="object"), utc=True))
    times, day_ends = event_times(event_ts, precisions, zones)
    positions, moments = next_tradable_times(sessions, times, extended=extended, day_ends=day_ends)
    out = pd.DataFrame({"time": event_ts, "tradable_from": moments})
    out["session_part"] = session_parts(sessions, moments)
    out.loc[positions < 0, "session_part"] = None
    end = bounds(extended)[1]
    closes = sessions[end].to_numpy(dtype=object)[np.maximum(positions, 0)] if len(sessions) else np.full(len(times), None)
    closes = np.where(positions < 0, None, closes)
    first = first_bar_positions(bars, moments, closes)
    ref = asof_positions(bars, times)

    def pick(frame, positions_):
        found = positions_ >= 0
        at = np.where(found, positions_, 0)
        ts = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
        price = np.full(len(positions_), np.nan)
        if found.any():
            ts[found] = pd.DatetimeIndex(frame["ts"])[at[found]].tz_convert("UTC").as_unit("ns")
            price[found] = frame["close"].to_numpy(dtype="float64")[at[found]]
        return ts, price

    out["first_bar_ts"], out["first_close"] = pick(bars, first)
    out["ref_ts"], out["ref_price"] = pick(bars, ref)
    if day_ends is not None and len(sessions) and len(times):
        # a day event's price before: the last regular close before its session's open
        rows = ~np.asarray(day_ends.isna()) & (positions >= 0)
        regular = regular_bars(all_bars)
        opens = pd.DatetimeIndex(sessions["open"].to_numpy()[np.maximum(positions, 0)])
        ref_ts, ref_price = pick(regular, asof_positions(regular, opens))
        out.loc[rows, "ref_ts"] = ref_ts[rows]
        out.loc[rows, "ref_price"] = ref_price[rows]
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
