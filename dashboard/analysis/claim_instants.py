"""Reported vs computed: the instant a time-tied claim speaks of ("at the open", "early",
"at midday", "when the post went up"), as a span of bars and a point in it. Rules in
docs/analysis.md ("Time-tied figures").

A figure tied to an instant is read there, not anywhere in the day: the price at the instant
first, then the range of the bars around it. The spans are fixed, and named in the verdict:

- ``open``: the first 15 minutes of the regular session; the point is 5 minutes in;
- ``early``: the first hour; the point is 30 minutes in;
- ``midday``: 11:30–12:30 in the exchange's zone (the lunch break, where there is one, holds no
  bars); the point is 12:00;
- ``publication``: the 15 minutes up to a minute-precision publication time, the point being
  that time; the whole hour for an hour-precision one (no point). A publication known only to the
  day has no instant to read (:func:`instant_window` says so, and the whole session is read).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.formatting import ZONE_ABBR

OPEN_SPAN, OPEN_POINT = pd.Timedelta(minutes=15), pd.Timedelta(minutes=5)
EARLY_SPAN, EARLY_POINT = pd.Timedelta(hours=1), pd.Timedelta(minutes=30)
MIDDAY_HALF_SPAN = pd.Timedelta(minutes=30)
PUBLICATION_SPAN = pd.Timedelta(minutes=15)
PHRASES = {"open": "at-the-open", "early": "early-trading", "midday": "midday", "publication": "at-publication"}


@dataclass(frozen=True)
class InstantWindow:
    """Where a time-tied figure is read: bars in ``[start, end)``, the price at ``point``."""

    instant: str
    start: pd.Timestamp
    end: pd.Timestamp
    point: pd.Timestamp | None
    point_label: str | None    # "price at midday, 12:00 HKT"
    range_label: str           # "range around midday, 11:30–12:30 HKT"

    @property
    def phrase(self) -> str:
        """How the verdict names the figure: "midday figure"."""
        return f"{PHRASES[self.instant]} figure"


def _clock(ts: pd.Timestamp, zone: str) -> str:
    return f"{ts.tz_convert(zone):%H:%M} {ZONE_ABBR.get(zone, zone)}"


def _span(a: pd.Timestamp, b: pd.Timestamp, zone: str) -> str:
    return f"{a.tz_convert(zone):%H:%M}–{_clock(b, zone)}"


def instant_window(instant: str, session, *, published_at: pd.Timestamp, precision: str,
                   zone: str) -> InstantWindow | str:
    """The span and point a claim tied to ``instant`` is read at, in ``session`` (a sessions-frame
    row; ``zone`` is the exchange's), or why there is none (a day-precision publication)."""
    opens, closes = session["open"], session["close"]
    if instant == "open":
        start, end, point = opens, opens + OPEN_SPAN, opens + OPEN_POINT
        labels = (f"price 5 minutes after the open, {_clock(point, zone)}",
                  f"range in the first 15 minutes, {_span(start, end, zone)}")
    elif instant == "early":
        start, end, point = opens, opens + EARLY_SPAN, opens + EARLY_POINT
        labels = (f"price 30 minutes after the open, {_clock(point, zone)}",
                  f"range in the first hour, {_span(start, end, zone)}")
    elif instant == "midday":
        local_day = pd.Timestamp(str(session["session"]))
        point = (local_day + pd.Timedelta(hours=12)).tz_localize(zone).tz_convert("UTC")
        start, end = point - MIDDAY_HALF_SPAN, point + MIDDAY_HALF_SPAN
        labels = (f"price at midday, {_clock(point, zone)}", f"range around midday, {_span(start, end, zone)}")
    elif instant == "publication":
        if precision == "minute":
            start, end, point = published_at - PUBLICATION_SPAN, published_at, published_at
            labels = (f"price at publication, {_clock(point, zone)}",
                      f"range in the 15 minutes before publication, {_span(start, end, zone)}")
        elif precision == "hour":
            start, end, point = published_at, published_at + pd.Timedelta(hours=1), None
            labels = (None, f"range in the publication hour, {_span(start, end, zone)}")
        else:
            return "the publication time is known only to the day, so the whole session is read"
    else:
        raise ValueError(f"unknown instant {instant!r}")
    start, end = max(start, opens), min(end, closes)  # the regular session's bars only
    return InstantWindow(instant, start, end, point, labels[0], labels[1])
