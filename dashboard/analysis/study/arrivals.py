"""When each event reaches each listing, for the event study: the reactions' rules, called for
all of a listing's events at once.

Timed events (minute, hour) go through :func:`markets.next_tradable_times` and
:func:`markets.first_trades` — the one first-tradable-bar rule the reaction table and the chart
use — in one vectorised pass; the session-close window ends where
:func:`reactions.session_close_after` says. Day-precision events take their rows from
:func:`reactions.reaction_table` itself, so which session a dated event belongs to is the
reactions' decision, whatever it becomes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import markets
from dashboard.analysis import _bars, _sessions
from dashboard.analysis.reactions import reaction_table, session_close_after

ARRIVAL_COLUMNS = ["event_id", "event_ts", "precision", "kind", "headline", "company_id", "benchmark_symbol",
                   "session", "first_bar_ts", "ref_ts", "session_close_ts", "next_close_ts", "note", "bars_source"]


def targets(events: pd.DataFrame, company_id) -> pd.DataFrame:
    """The events that concern a listing of ``company_id``: its own, and those naming no company
    (the reaction table's pairing)."""
    company = events["company_id"] if "company_id" in events else pd.Series(None, index=events.index)
    named = company.map(lambda c: isinstance(c, str) and bool(c))
    return events[~named | (company == company_id)]


def arrivals(events: pd.DataFrame, listing, bars: pd.DataFrame, sessions: pd.DataFrame, *, extended: bool,
             raw_bars: dict, all_sessions: dict, own: pd.DataFrame, requested_extended: bool) -> pd.DataFrame:
    """One row per event of ``listing`` (ARRIVAL_COLUMNS). ``bars`` are the listing's study bars
    (extended hours already kept or dropped: ``extended`` says which)."""
    chosen = targets(events, listing.company_id)
    benchmark = listing.benchmark_symbol if isinstance(listing.benchmark_symbol, str) else None
    timed = chosen[chosen["precision"] != "day"]
    rows = [_timed(timed, bars, sessions, extended, benchmark)] if len(timed) else []
    dated = chosen[chosen["precision"] == "day"]
    if len(dated):
        day_rows = reaction_table(dated, own[own["symbol"] == listing.symbol], raw_bars, all_sessions,
                                  extended=requested_extended)
        rows.append(day_rows.reindex(columns=ARRIVAL_COLUMNS))
    if not rows:
        return pd.DataFrame(columns=ARRIVAL_COLUMNS)
    return pd.concat(rows, ignore_index=True)[ARRIVAL_COLUMNS]


def _sources(bars: pd.DataFrame):
    """``(start, end) -> sources of the bars in [start, end)`` (``_bars.sources``), quick when
    the listing's bars all come from one source."""
    everything = _bars.sources(bars)
    if ";" not in everything:
        return lambda start, end: everything if len(bars) else ""
    return lambda start, end: _bars.sources(_bars.between(bars, start, end))


def _timed(events: pd.DataFrame, bars: pd.DataFrame, sessions: pd.DataFrame, extended: bool, benchmark) -> pd.DataFrame:
    times = pd.to_datetime(events["ts"], utc=True)
    positions, moments = markets.next_tradable_times(sessions, times, extended=extended)
    first = markets.first_trades(bars, sessions, times, extended=extended)
    labels = sessions["session"].to_numpy(dtype=object)
    closes, post_closes = list(sessions["close"]), list(sessions["post_close"])
    first_bars, refs, stamps, moments = list(first["first_bar_ts"]), list(first["ref_ts"]), list(times), list(moments)
    source_of = _sources(bars)
    out = []
    for i, (event, position) in enumerate(zip(events.itertuples(index=False), positions)):
        ts = stamps[i]
        t0, ref = first_bars[i], refs[i]
        notes = ["hour precision: timed from the start of the hour"] if event.precision == "hour" else []
        row = {"event_id": event.event_id, "event_ts": ts, "precision": event.precision,
               "kind": getattr(event, "kind", None), "headline": getattr(event, "headline", None),
               "company_id": getattr(event, "company_id", None), "benchmark_symbol": benchmark,
               "session": None, "first_bar_ts": t0, "ref_ts": ref, "session_close_ts": pd.NaT,
               "next_close_ts": pd.NaT, "bars_source": ""}
        if position < 0:
            row["note"] = "no exchange session after the event in the calendar range"
            out.append(row)
            continue
        row["session"] = labels[position]
        if moments[i] > ts:
            notes.append(f"market shut at the event; first tradable {_sessions.fmt_utc(moments[i])}")
        if pd.isna(t0):
            notes.append(f"no bars in the {labels[position]} session")
        else:
            row["session_close_ts"] = session_close_after({"close": closes[position],
                                                           "post_close": post_closes[position]}, t0)
            if pd.isna(ref):
                notes.append("no bar before the event: no reference price")
        if position + 1 < len(sessions):
            row["next_close_ts"] = closes[position + 1]
        start = ref if pd.notna(ref) else t0
        if pd.notna(start):
            row["bars_source"] = source_of(start, row["next_close_ts"] if pd.notna(row["next_close_ts"]) else closes[position])
        row["note"] = "; ".join(notes)
        out.append(row)
    frame = pd.DataFrame(out, columns=ARRIVAL_COLUMNS)
    for column in ("event_ts", "first_bar_ts", "ref_ts", "session_close_ts", "next_close_ts"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame
