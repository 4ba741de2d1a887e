"""Checking one claim against the bars of its listing (step 2 of :mod:`dashboard.analysis.claims`).

The claim names a session (a day hint, else the latest one opened by the publication) and a
measure. Regular-session measures read the session from the open (``close``, ``intraday``,
``unspecified``); ``pre-market`` reads ``[pre_open, open)`` and ``after-hours`` reads
``[close, post_close)`` of that session, both against the last *regular* close before them (the
market's convention). Rules and tolerances: docs/analysis.md.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from dashboard import markets
from dashboard.analysis import _bars, _sessions

# Agreement tolerances (percentage points / relative price); see docs/analysis.md.
PCT_TOLERANCE_PP = 0.15
ROUGH_TOLERANCE_PP = 0.5       # "about", "nearly": how far a rough figure may be off
PRICE_TOLERANCE = 0.001        # 0.1 % of the claimed price

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# The sessions-frame columns a measure's window runs between.
WINDOW_BY_MEASURE = {"pre-market": ("pre_open", "open"), "after-hours": ("close", "post_close")}
REGULAR_WINDOW = ("open", "close")

CHECK_COLUMNS = [
    "session", "session_complete", "prev_close", "close", "close_pct", "low_pct", "high_pct",
    "asof_pct", "computed_pct", "computed_price", "matched", "diff_pp", "verdict",
    "verdict_text", "bars_source",
]


def claim_interval(size_pct: float, qualifier: str, decimals: int, direction: str | None) -> tuple[float, float]:
    """The range of signed % moves a written figure stands for."""
    tolerance = max(PCT_TOLERANCE_PP, 0.5 * 10 ** (-decimals))
    magnitude = abs(size_pct)
    if direction == "flat" or magnitude == 0:
        return -tolerance, tolerance
    if qualifier == "over":
        low, high = magnitude, math.inf
    elif qualifier == "nearly":
        low, high = magnitude - ROUGH_TOLERANCE_PP, magnitude + tolerance
    elif qualifier == "about":
        rough = max(tolerance, ROUGH_TOLERANCE_PP)
        low, high = magnitude - rough, magnitude + rough
    else:
        low, high = magnitude - tolerance, magnitude + tolerance
    return (-high, -low) if direction == "down" else (low, high)


def _target_session(sessions, published_at, precision, tz, day_hint, window=REGULAR_WINDOW):
    """(position, cutoff, complete, note) of the session a claim speaks of; ``window``: the
    sessions-frame columns the claim's part of the session runs between."""
    first, last = window
    length = {"minute": pd.Timedelta(minutes=1), "hour": pd.Timedelta(hours=1)}.get(precision, pd.Timedelta(days=1))
    pub_end = published_at + length
    if day_hint:
        local = (pub_end - pd.Timedelta(microseconds=1)).tz_convert(tz).date()
        if day_hint in _WEEKDAYS:
            back = (local.weekday() - _WEEKDAYS.index(day_hint)) % 7
            day = local - dt.timedelta(days=back)
        else:
            month, dom = (int(x) for x in day_hint.split("-"))
            try:
                day = dt.date(local.year, month, dom)
            except ValueError:
                return None, None, False, f"'{day_hint}' is not a date"
            if day > local + dt.timedelta(days=30):  # "Dec 30" read in early January
                day = dt.date(local.year - 1, month, dom)
        position = _sessions.on_date(sessions, day)
        if position is None:
            return None, None, False, f"{day} was not a trading session"
    else:
        opened = sessions.index[sessions[first] < pub_end]
        position = int(opened[-1]) if len(opened) else None
        stale = position is not None and sessions.iloc[position][last] + pd.Timedelta(days=7) < pub_end
        if position is None or stale:  # the sessions frame does not reach the publication
            return None, None, False, "no session before the publication in the calendar range"
    session = sessions.iloc[position]
    if precision == "day" or day_hint or session[last] <= pub_end:
        return position, session[last], True, ""
    # minute precision: what had traded by the publication time; hour: by the end of that hour
    return position, (published_at if precision == "minute" else pub_end), False, ""


def _fmt_pct(value: float) -> str:
    return f"{value:+.2f}%"


def check_claim(
    claim,
    *,
    published_at,
    precision: str,
    tz: str,
    bars: pd.DataFrame | None,
    sessions: pd.DataFrame,
) -> dict:
    """Compare one claim with the bars of its listing (a dict of CHECK_COLUMNS)."""
    out = {column: None for column in CHECK_COLUMNS}
    for column in ("prev_close", "close", "close_pct", "low_pct", "high_pct", "asof_pct",
                   "computed_pct", "computed_price", "diff_pp"):
        out[column] = float("nan")
    out["verdict"] = "cannot check"
    if claim.listing is None:
        out["verdict_text"] = "cannot check: the text does not say which listing"
        return out
    if claim.size_pct is None and claim.price is None:
        out["verdict_text"] = "cannot check: no figure"
        return out
    sessions = markets.prepare_sessions(sessions)
    bars = markets.with_session_parts(bars, sessions)
    published_at = pd.Timestamp(published_at).tz_convert("UTC")
    window = WINDOW_BY_MEASURE.get(claim.measure, REGULAR_WINDOW)
    extended = window != REGULAR_WINDOW
    position, cutoff, complete, why = _target_session(sessions, published_at, precision, tz, claim.day_hint, window)
    if position is None:
        out["verdict_text"] = f"cannot check: {why}"
        return out
    session = sessions.iloc[position]
    label = session["session"]
    out.update(session=label, session_complete=complete)
    start, end = session[window[0]], session[window[1]]
    # moves are from the last regular close before the window (the market's convention)
    previous_open = sessions.iloc[position - 1]["open"] if position > 0 else None
    reference_before = session["open"] if claim.measure != "after-hours" else session["close"]
    reference_from = previous_open if claim.measure != "after-hours" else session["open"]
    _, prev_close = markets.price_at(markets.regular_bars(bars), reference_before, not_before=reference_from)
    day_bars = _bars.between(bars, start, min(cutoff, end))
    if day_bars.empty or not np.isfinite(prev_close):
        part = f" {claim.measure}" if extended else ""
        what = "the previous session" if not day_bars.empty else f"{label}{part}"
        out["verdict_text"] = f"cannot check: no {claim.listing} bars for {what}"
        return out
    out["bars_source"] = _bars.sources(day_bars)
    low, high, last = float(day_bars["low"].min()), float(day_bars["high"].max()), float(day_bars["close"].iloc[-1])
    pct = lambda price: (price / prev_close - 1.0) * 100.0  # noqa: E731
    out.update(prev_close=prev_close, low_pct=pct(low), high_pct=pct(high))
    if complete:
        out.update(close=last, close_pct=pct(last))
    else:
        out["asof_pct"] = pct(last)

    # candidates: (name, low price, high price); a point has low == high
    part = claim.measure if extended else "intraday"
    last_name = f"{part} last price" if extended else "close"
    close_c = (last_name, last, last) if complete else ("price at publication", last, last)
    extremes = {"down": [(f"{part} low", low, low)], "up": [(f"{part} high", high, high)]}.get(
        claim.direction, [(f"{part} low", low, low), (f"{part} high", high, high)])
    range_c = (f"{part} range", low, high)
    if claim.measure == "close":
        candidates = [close_c]
    elif claim.measure == "intraday":
        candidates = extremes + ([close_c] if not complete else []) + [range_c]
    else:
        candidates = [close_c] + extremes + [range_c]

    if claim.size_pct is not None:
        lo, hi = claim_interval(claim.size_pct, claim.qualifier, claim.decimals, claim.direction)
        accepts = lambda a, b: pct(b) >= lo and pct(a) <= hi  # noqa: E731
        claimed_text = _fmt_pct(claim.size_pct)
    else:
        lo, hi = claim.price * (1 - PRICE_TOLERANCE), claim.price * (1 + PRICE_TOLERANCE)
        accepts = lambda a, b: b >= lo and a <= hi  # noqa: E731
        claimed_text = f"{claim.price:g}"

    primary = candidates[0]
    matched = next((c for c in candidates if accepts(c[1], c[2])), None)
    shown = matched or primary
    point = shown[1] if shown[1] == shown[2] else (low if claim.direction == "down" else high)
    out.update(computed_price=point, computed_pct=pct(point), matched=matched[0] if matched else None)
    if claim.size_pct is not None:
        out["diff_pp"] = pct(primary[1] if primary[1] == primary[2] else point) - claim.size_pct
    else:
        out["diff_pp"] = pct(primary[1]) - pct(claim.price)
    upto = "" if complete else f" up to {cutoff.strftime('%H:%MZ')}"
    figure = lambda c: (_fmt_pct(pct(c[1])) if c[1] == c[2] else f"{_fmt_pct(pct(c[1]))} to {_fmt_pct(pct(c[2]))}")  # noqa: E731
    if matched:
        out["verdict"] = "agrees"
        kind = "" if matched[0] == "close" else f"{part} figure: "
        text = f"{kind}agrees with the {label} {matched[0]}{upto} ({figure(matched)})"
        if matched is not primary:
            text += f"; the {primary[0]} was {figure(primary)}"
    else:
        out["verdict"] = "differs"
        text = (f"differs by {out['diff_pp']:+.2f} pp from the {label} {primary[0]}{upto} "
                f"({figure(primary)}; claimed {claimed_text})")
    if claim.price is not None and claim.size_pct is not None:
        text += f"; claimed price {claim.price:g} vs {shown[0]} {point:.2f}"
    out["verdict_text"] = text
    return out
