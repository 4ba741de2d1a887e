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

The rules live in two modules, re-exported here so callers say ``markets.price_at``:
:mod:`~dashboard.markets.hours` (calendars, sessions, extended hours, session parts, the next
tradable instant) and :mod:`~dashboard.markets.quotes` (bars at a time); which listing is a
company's ADR and which series is a currency's FX live in :mod:`~dashboard.markets.listings`.
"""
from dashboard.markets.hours import (  # noqa: F401
    CLOSED,
    POST,
    PRE,
    REGULAR,
    EXTENDED_HOURS,
    FX,
    SESSION_COLUMNS,
    bounds,
    calendar,
    closed_intervals,
    event_days,
    event_times,
    extended_intervals,
    has_extended_hours,
    is_open,
    listing_mics,
    mic_for,
    next_open,
    next_tradable,
    next_tradable_times,
    open_mask,
    overlap_intervals,
    passed_over,
    prepare_sessions,
    session_close,
    session_cuts,
    session_parts,
    sessions,
)
from dashboard.markets.quotes import (  # noqa: F401
    BAR_COLUMNS,
    FIRST_TRADE_COLUMNS,
    MAX_QUOTE_AGE,
    asof_index,
    asof_positions,
    bars_in_hours,
    first_bar_index,
    first_bar_positions,
    first_trades,
    prepare_bars,
    price_at,
    quotes_asof,
    regular_bars,
    trades_extended,
    usd_per_unit,
    with_session_parts,
)
