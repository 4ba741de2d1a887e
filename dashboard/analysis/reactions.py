"""Event reactions: how each listing moved after an event, against its benchmark.

Pure functions on frames; docs/analysis.md states every rule. In short:

- the event reaches a listing at the first moment its exchange trades at or after the event
  (``tradable_from``; with ``extended``, a US listing's pre-market or after-hours counts); the
  first bar is the bar covering that moment and ``session_part`` says which part it is in;
- the reference price is the close of the last bar finished before the event (the last trade);
  ``from_close_*`` measure the same prices from the last *regular* close (the market convention);
- ``ret_Xm`` is the price X wall-clock minutes after the first bar's start over the reference;
  a window the market shuts inside (lunch break, close) stops at the shutdown and is listed in
  ``windows_cut`` instead of silently spanning the gap;
- abnormal = listing return − benchmark return measured at the same instants;
- volume ratio = volume in the first 60 minutes (cut like the returns) over the mean volume of the
  same minutes (same offset from the open) in the previous five sessions that have bars;
- a day-precision event is read against the first session that opens once its day has begun in
  the zone it was dated in (``markets.next_tradable_times``): reference = previous close,
  reaction = the session's close, and ``note`` says so (and names a session passed over).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dashboard import markets
from dashboard.formatting import ZONE_LABELS
from dashboard.analysis import _bars, _sessions

WINDOWS_MINUTES = (5, 15, 30, 60)
VOLUME_WINDOW_MINUTES = 60
BASELINE_SESSIONS = 5

REACTION_COLUMNS = [
    "event_id", "event_ts", "precision", "kind", "headline", "company_id", "symbol",
    "exchange_mic", "session", "tradable_from", "session_part", "first_bar_ts", "first_bar_open",
    "ref_ts", "ref_price", "last_close_ts", "last_close",
    *[f"ret_{m}m" for m in WINDOWS_MINUTES], "ret_session_close", "ret_next_close",
    *[f"from_close_{m}m" for m in WINDOWS_MINUTES], "from_close_session_close", "from_close_next_close",
    "session_close_ts", "next_session", "next_close_ts",
    "benchmark_symbol",
    *[f"abn_{m}m" for m in WINDOWS_MINUTES], "abn_session_close", "abn_next_close",
    "volume", "volume_baseline", "volume_ratio", "baseline_sessions",
    "windows_cut", "note", "bars_source",
]


def _nan_result() -> dict:
    result = {column: None for column in REACTION_COLUMNS}
    for column in REACTION_COLUMNS:
        if column.startswith(("ret_", "abn_", "from_close_", "volume")) or column in ("ref_price", "first_bar_open", "last_close"):
            result[column] = float("nan")
    result["baseline_sessions"] = 0
    result["windows_cut"] = ""
    return result


def _volume_in(bars: pd.DataFrame, start, end) -> tuple[float, bool]:
    volume, count = _bars.volume_sum(bars, start, end)
    return volume, count > 0


def _volume_baseline(bars, sessions, session_pos, offset, length, start_column="open") -> tuple[float, int]:
    """Mean volume of the same minutes in up to five earlier sessions that have bars."""
    volumes = []
    position = session_pos - 1
    while position >= 0 and len(volumes) < BASELINE_SESSIONS:
        row = sessions.iloc[position]
        start = row[start_column] + offset
        volume, has_bars = _volume_in(bars, start, start + length)
        if has_bars:
            volumes.append(volume)
        position -= 1
    if not volumes:
        return float("nan"), 0
    return float(np.mean(volumes)), len(volumes)


def _ratio(value: float, baseline: float) -> float:
    if not np.isfinite(value) or not np.isfinite(baseline) or baseline <= 0:
        return float("nan")
    return value / baseline


def _bench_return(bench: pd.DataFrame, ref_time, end_time, not_before) -> float:
    """Benchmark return between the same two instants as the listing's."""
    if bench is None or bench.empty:
        return float("nan")
    _, ref = markets.price_at(bench, ref_time)
    _, price = markets.price_at(bench, end_time, not_before=not_before)
    return _bars.ret(price, ref)


def listing_reaction(
    *,
    event_ts,
    precision: str,
    ts_zone: str | None,
    bars: pd.DataFrame | None,
    sessions: pd.DataFrame,
    benchmark_bars: pd.DataFrame | None = None,
    benchmark_sessions: pd.DataFrame | None = None,
    extended: bool = True,
    symbol: str | None = None,
) -> dict:
    """The reaction of one listing to one event (a dict of REACTION_COLUMNS' figures).

    ``extended``: pre-market and after-hours bars count (the default) when the listing has any;
    without it they are left out and the figures are the regular session's."""
    sessions = markets.prepare_sessions(sessions)
    extended = markets.trades_extended(markets.with_session_parts(bars, sessions), extended)
    bars = markets.bars_in_hours(bars, sessions, extended=extended)
    bench = markets.bars_in_hours(benchmark_bars, sessions if benchmark_sessions is None else benchmark_sessions,
                                  extended=extended)
    event_ts = pd.Timestamp(event_ts).tz_convert("UTC")
    result = _nan_result()
    if precision == "day":
        return _day_reaction(result, event_ts, ts_zone, bars, bench, sessions, extended, symbol)

    notes = []
    if precision == "hour":
        notes.append("hour precision: timed from the start of the hour")
    session_pos, tradable_from = markets.next_tradable(sessions, event_ts, extended=extended)
    if session_pos is None:
        result["note"] = "no exchange session after the event in the calendar range"
        return result
    session = sessions.iloc[session_pos]
    end = session[markets.bounds(extended)[1]]
    result.update(session=session["session"], tradable_from=tradable_from,
                  session_close_ts=session["close"])
    if tradable_from > event_ts:
        notes.append(f"market shut at the event; first tradable {_sessions.fmt_utc(tradable_from)}")

    ref_ts, ref_price = markets.price_at(bars, event_ts)
    result.update(ref_ts=ref_ts, ref_price=ref_price)
    _last_close(result, bars, event_ts)
    first = markets.first_bar_index(bars, tradable_from, end)
    if first is None:
        result["session_part"] = markets.session_parts(sessions, [tradable_from])[0]
        notes.append(f"no bars in the {session['session']} session")
        result["note"] = "; ".join(notes)
        return result
    t0 = bars["ts"].iloc[first]
    result.update(first_bar_ts=t0, first_bar_open=float(bars["open"].iloc[first]),
                  session_part=bars["session_part"].iloc[first])
    if math.isnan(ref_price):
        notes.append("no bar before the event: no reference price")

    shutdown, ends = window_ends(session, t0, extended)
    cut = []
    for minutes, (end, was_cut) in zip(WINDOWS_MINUTES, ends):
        if was_cut:
            cut.append(f"{minutes}m")
        _, price = markets.price_at(bars, end, not_before=t0)
        result[f"ret_{minutes}m"] = _bars.ret(price, ref_price)
        result[f"from_close_{minutes}m"] = _bars.ret(price, result["last_close"])
        result[f"abn_{minutes}m"] = result[f"ret_{minutes}m"] - _bench_return(bench, event_ts, end, t0)
    if cut:
        what = "lunch break" if shutdown < session["close"] else "close"
        notes.append(f"{', '.join(cut)} window(s) stop at the {what} ({_sessions.fmt_utc(shutdown)})")
    result["windows_cut"] = ";".join(cut)

    _fill_closes(result, bars, bench, sessions, session_pos, event_ts, t0, ref_price)

    volume_end = min(t0 + pd.Timedelta(minutes=VOLUME_WINDOW_MINUTES), shutdown)
    volume, _ = _volume_in(bars, t0, volume_end)
    start = markets.bounds(extended)[0]
    baseline, count = _volume_baseline(bars, sessions, session_pos, t0 - session[start], volume_end - t0, start)
    result.update(volume=volume, volume_baseline=baseline, volume_ratio=_ratio(volume, baseline),
                  baseline_sessions=count)
    result["bars_source"] = _bars.sources(_bars.between(bars, ref_ts or t0, result["next_close_ts"] or session["close"]))
    result["note"] = "; ".join(notes)
    return result


def window_ends(session, t0: pd.Timestamp, extended: bool) -> tuple[pd.Timestamp, list[tuple[pd.Timestamp, bool]]]:
    """The shutdown after the first bar ``t0`` (lunch break or close; with ``extended`` the end
    of after-hours instead of the close) and, per ``WINDOWS_MINUTES``, (window end, cut at the
    shutdown?). The one rule for where a minute window stops: the reactions and the event study
    (``dashboard.analysis.study``) both come here."""
    # Attribute access: ``session`` is a sessions row, as a Series or a namedtuple (itertuples).
    end = getattr(session, markets.bounds(extended)[1])
    shutdown = _sessions.next_shutdown(session, t0)
    shutdown = end if shutdown == session.close else shutdown
    ends = []
    for minutes in WINDOWS_MINUTES:
        stop = t0 + pd.Timedelta(minutes=minutes)
        ends.append((shutdown, True) if stop > shutdown else (stop, False))
    return shutdown, ends


def session_close_after(session, t0: pd.Timestamp) -> pd.Timestamp:
    """Where the "session close" window ends for a first bar at ``t0``: the regular close, or
    for a first bar in after-hours the after-hours end (the reactions and the event study)."""
    return session["close"] if t0 < session["close"] else session["post_close"]


def _last_close(result, bars, when) -> None:
    """The last regular-session close before ``when``: what ``from_close_*`` are measured from."""
    ts, price = markets.price_at(markets.regular_bars(bars), when)
    result.update(last_close_ts=ts, last_close=price)


def _fill_closes(result, bars, bench, sessions, session_pos, ref_time, t0, ref_price) -> None:
    """Returns to this session's close and to the next session's close (regular closes; after
    one, a first bar in after-hours reads the after-hours end instead)."""
    session = sessions.iloc[session_pos]
    close = session_close_after(session, t0)
    result["session_close_ts"] = close
    _, close_price = markets.price_at(bars, close, not_before=t0)
    result["ret_session_close"] = _bars.ret(close_price, ref_price)
    result["from_close_session_close"] = _bars.ret(close_price, result["last_close"])
    result["abn_session_close"] = result["ret_session_close"] - _bench_return(bench, ref_time, close, t0)
    if session_pos + 1 < len(sessions):
        following = sessions.iloc[session_pos + 1]
        result.update(next_session=following["session"], next_close_ts=following["close"])
        _, next_price = markets.price_at(bars, following["close"], not_before=following["open"])
        result["ret_next_close"] = _bars.ret(next_price, ref_price)
        result["from_close_next_close"] = _bars.ret(next_price, result["last_close"])
        result["abn_next_close"] = result["ret_next_close"] - _bench_return(
            bench, ref_time, following["close"], following["open"])


def _day_reaction(result, event_ts, ts_zone, bars, bench, sessions, extended, symbol=None) -> dict:
    """A day-precision event: the first session of the listing that opens once the event's day
    has begun in the event's zone (``markets.next_tradable_times``' day rule); the note names a
    session passed over. With ``extended``, a US session that opens after the day is over is read
    from its pre-market (the news was out before it started)."""
    starts, ends = markets.event_days([event_ts], ts_zone)
    day_start, day_end = starts[0], ends[0]
    day = day_start.tz_convert(ts_zone or "UTC").date()
    session_pos, tradable_from = markets.next_tradable(sessions, day_start, extended=extended, day_end=day_end)
    if session_pos is None:
        result["note"] = "day precision: no session on or after that date in the calendar range"
        return result
    session = sessions.iloc[session_pos]
    label = session["session"]
    skipped = markets.passed_over(sessions, session_pos, day_start, day)
    if label == day:  # the day's own session (one that ran into the day's start is no news)
        note = f"day precision: reaction = {label} session close vs the previous close"
    elif skipped is not None:
        note = (f"day precision: {_passed_over_note(sessions.iloc[skipped], day, day_start, ts_zone, symbol)}; "
                f"reaction = next session {label} close vs the previous close")
    else:
        note = f"day precision: {day} is not a session here; reaction = next session {label} close vs the previous close"
    start, end = markets.bounds(tradable_from != session["open"])  # the pre-market, or the regular session
    result.update(session=label, tradable_from=tradable_from, session_close_ts=session["close"])
    # the reference is the previous regular close, also when the pre-market comes first
    ref_ts, ref_price = markets.price_at(markets.regular_bars(bars), session["open"])
    result.update(ref_ts=ref_ts, ref_price=ref_price, last_close_ts=ref_ts, last_close=ref_price)
    first = markets.first_bar_index(bars, session[start], session[end])
    if first is None:
        result["session_part"] = markets.session_parts(sessions, [session[start]])[0]
        result["note"] = f"{note}; no bars in the {label} session"
        return result
    t0 = bars["ts"].iloc[first]
    result.update(first_bar_ts=t0, first_bar_open=float(bars["open"].iloc[first]),
                  session_part=bars["session_part"].iloc[first])
    # the benchmark from its own regular close too: the previous session's close
    previous_close = sessions.iloc[session_pos - 1]["close"] if session_pos > 0 else session["open"]
    _fill_closes(result, bars, bench, sessions, session_pos, previous_close, t0, ref_price)
    length = session["close"] - session["open"]
    volume, _ = _volume_in(bars, session["open"], session["close"])
    baseline, count = _volume_baseline(bars, sessions, session_pos, pd.Timedelta(0), length)
    result.update(volume=volume, volume_baseline=baseline, volume_ratio=_ratio(volume, baseline),
                  baseline_sessions=count)
    result["bars_source"] = _bars.sources(_bars.between(bars, ref_ts or t0, result["next_close_ts"] or session["close"]))
    result["note"] = note + "; whole-session volume vs previous sessions"
    return result


def _passed_over_note(skipped, day, day_start, ts_zone, symbol) -> str:
    """Why a day event skipped a session: "9988.HK's 2025-11-14 session opened before 2025-11-14
    began in New York (20:30 on 11-13 there)"."""
    zone = ts_zone or "UTC"
    where = ZONE_LABELS.get(zone, zone.split("/")[-1].replace("_", " "))
    whose = f"{symbol}'s" if symbol else "the listing's"
    if skipped["close"] <= day_start:
        return f"{whose} {skipped['session']} session closed before {day} began in {where}"
    opened = skipped["open"].tz_convert(zone)
    return (f"{whose} {skipped['session']} session opened before {day} began in {where} "
            f"({opened:%H:%M} on {opened:%m-%d} there)")


def reaction_table(
    events: pd.DataFrame,
    listings: pd.DataFrame,
    bars_by_symbol: dict[str, pd.DataFrame],
    sessions_by_symbol: dict[str, pd.DataFrame],
    *,
    extended: bool = True,
) -> pd.DataFrame:
    """One row per event × listing of the event's company (every listing if it names none);
    ``extended=False`` leaves pre-market and after-hours bars out (``reactions --regular-only``)."""
    rows = []
    sessions_by_symbol = {s: markets.prepare_sessions(f) for s, f in sessions_by_symbol.items() if f is not None}
    # Session parts once per listing, not once per event (they cover all of its bars).
    bars_by_symbol = {s: markets.with_session_parts(b, sessions_by_symbol[s]) if s in sessions_by_symbol
                      else markets.prepare_bars(b) for s, b in bars_by_symbol.items()}
    own = listings[listings.get("role", pd.Series("listing", index=listings.index)).fillna("listing") == "listing"]
    for event in events.itertuples(index=False):
        company = getattr(event, "company_id", None)
        targets = own[own["company_id"] == company] if isinstance(company, str) and company else own
        for listing in targets.itertuples(index=False):
            benchmark = listing.benchmark_symbol if isinstance(listing.benchmark_symbol, str) else None
            sessions = sessions_by_symbol.get(listing.symbol)
            if sessions is None:
                continue
            figures = listing_reaction(
                event_ts=event.ts,
                precision=event.precision,
                ts_zone=getattr(event, "ts_zone", None),
                bars=bars_by_symbol.get(listing.symbol),
                sessions=sessions,
                benchmark_bars=bars_by_symbol.get(benchmark) if benchmark else None,
                benchmark_sessions=sessions_by_symbol.get(benchmark) if benchmark else None,
                extended=extended,
                symbol=listing.symbol,
            )
            figures.update(
                event_id=event.event_id, event_ts=pd.Timestamp(event.ts).tz_convert("UTC"),
                precision=event.precision, kind=getattr(event, "kind", None),
                headline=getattr(event, "headline", None), company_id=listing.company_id,
                symbol=listing.symbol, exchange_mic=listing.exchange_mic, benchmark_symbol=benchmark,
            )
            rows.append(figures)
    table = pd.DataFrame(rows, columns=REACTION_COLUMNS)
    for column in ("event_ts", "tradable_from", "first_bar_ts", "ref_ts", "last_close_ts", "session_close_ts", "next_close_ts"):
        table[column] = pd.to_datetime(table[column], utc=True)
    return table
