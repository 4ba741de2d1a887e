"""The event study of a set of events: per event × listing × window the CAR and its test, per
listing × window the pooled tests, and the CAR paths the figure draws.

It takes the reaction table's event × listing pairs and its rules, called, not copied: the first
tradable bar, the reference bar and the session close / next close come from
:mod:`~.arrivals` (the markets' first-trade rule, and the reaction table itself for dated events)
run on the study's bars, and the minute windows stop where
:func:`dashboard.analysis.reactions.window_ends` says. Then three pure steps:
estimation, event windows, pooling. docs/analysis.md ("Event study").
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from dashboard import markets
from dashboard.analysis import _bars
from dashboard.analysis.reactions import WINDOWS_MINUTES, window_ends
from dashboard.analysis.study.arrivals import arrivals, targets
from dashboard.analysis.study import estimation as est_mod
from dashboard.analysis.study.estimation import Estimate
from dashboard.analysis.study.pooling import pool
from dashboard.analysis.study.returns import DEFAULT_INTERVAL, at_interval, daily_returns, listing_returns
from dashboard.analysis.study.windows import WindowStats, estimation_blocks, overlaps, p_values, rank_u, window_stats

WINDOWS = tuple(f"{m}m" for m in WINDOWS_MINUTES) + ("session_close", "next_close")
# Bars from another event's arrival to this long after its first bar are left out of every
# estimation window (the longest minute window); a day-precision event's whole session.
LEFT_OUT_AFTER = pd.Timedelta(minutes=max(WINDOWS_MINUTES))
PATH_MINUTES = max(WINDOWS_MINUTES)
EVENT_COLUMNS = [
    "event_id", "event_ts", "precision", "kind", "headline", "company_id", "symbol", "benchmark_symbol",
    "window", "model", "interval", "car", "se", "t", "p", "alpha", "beta", "sigma",
    "n_estimation_bars", "n_left_out_bars", "n_window_bars", "window_end", "overlaps", "first_of_cluster",
    "note", "bars_source", "df", "u_rank", "var_u", "positive_blocks", "blocks", "first_pos", "last_pos",
]
PATH_COLUMNS = ["symbol", "event_id", "minutes", "car", "se"]
CAAR_PATH_COLUMNS = ["symbol", "minutes", "n_events", "caar", "low", "high"]
BAND_Z = float(stats.norm.ppf(0.975))  # the 95% band


@dataclass(frozen=True)
class StudyOptions:
    model: str = est_mod.DEFAULT_MODEL
    interval: str = DEFAULT_INTERVAL
    estimation_sessions: int = est_mod.DEFAULT_ESTIMATION_SESSIONS
    extended: bool = True
    first_of_cluster: bool = False
    min_bars: int = est_mod.MIN_ESTIMATION_BARS
    min_days: int = est_mod.MIN_ESTIMATION_DAYS


@dataclass
class StudyResult:
    events: pd.DataFrame
    pooled: pd.DataFrame
    paths: pd.DataFrame
    caar_paths: pd.DataFrame
    bars_source: str = ""
    options: StudyOptions = field(default_factory=StudyOptions)

    @property
    def synthetic(self) -> bool:
        return "synthetic" in self.bars_source


@dataclass
class _Listing:
    """One listing's inputs, prepared once for all its events."""

    symbol: str
    bars: pd.DataFrame
    sessions: pd.DataFrame
    benchmark: pd.DataFrame | None
    extended: bool
    returns: object
    excluded: np.ndarray
    event_sessions: set
    positions: dict
    daily: object = None
    cache: dict = field(default_factory=dict)


def study_table(events: pd.DataFrame, listings: pd.DataFrame, bars_by_symbol: dict, sessions_by_symbol: dict,
                *, context_events: pd.DataFrame | None = None, options: StudyOptions = StudyOptions()) -> StudyResult:
    """The study of ``events`` on every listing of each event's company. The windows of these
    events and of ``context_events`` (the companies' other curated events) are left out of
    every estimation window."""
    own = listings[listings.get("role", pd.Series("listing", index=listings.index)).fillna("listing") == "listing"]
    universe = events if context_events is None else pd.concat([events, context_events], ignore_index=True)
    universe = universe.drop_duplicates("event_id").sort_values("ts", kind="stable").reset_index(drop=True)
    sessions_by_symbol = {s: markets.prepare_sessions(f) for s, f in sessions_by_symbol.items() if f is not None}
    bars_at = {s: at_interval(b, options.interval) for s, b in bars_by_symbol.items()}
    rows, paths, used = [], [], []
    for listing in own.itertuples(index=False):
        if listing.symbol not in sessions_by_symbol or targets(events, listing.company_id).empty:
            continue
        prepared = _prepare(listing, targets(universe, listing.company_id), bars_at, sessions_by_symbol, options)
        used.append(prepared.bars)
        group = arrivals(events, listing, prepared.bars, prepared.sessions, extended=prepared.extended,
                         raw_bars=bars_at, all_sessions=sessions_by_symbol, own=own,
                         requested_extended=options.extended)
        for row, plan in zip(group.itertuples(index=False), _plan_windows(prepared, group)):
            event_rows, path = _event(prepared, row, plan, options)
            rows += event_rows
            paths += path
    table = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    table["p"] = p_values(table["t"].to_numpy(dtype="float64"), table["df"].to_numpy(dtype="float64"))
    table["event_ts"] = pd.to_datetime(table["event_ts"], utc=True)
    table["window_end"] = pd.to_datetime(table["window_end"], utc=True)
    _flag_clusters(table)
    if options.first_of_cluster:
        table = table[table["first_of_cluster"]].reset_index(drop=True)
    path_frame = pd.DataFrame(paths, columns=PATH_COLUMNS)
    kept = table[table["window"] == f"{PATH_MINUTES}m"][["symbol", "event_id"]]
    path_frame = path_frame.merge(kept, on=["symbol", "event_id"], how="inner")
    return StudyResult(events=table, pooled=pool(table), paths=path_frame, caar_paths=caar_paths(path_frame),
                       bars_source=_bars.sources(*used), options=options)


def _prepare(listing, others, bars_at, sessions_by_symbol, options) -> _Listing:
    sessions = sessions_by_symbol[listing.symbol]
    bars = markets.with_session_parts(bars_at.get(listing.symbol), sessions)
    extended = markets.trades_extended(bars, options.extended)  # the reactions' own rule
    bars = bars if extended else markets.regular_bars(bars)
    benchmark_symbol = listing.benchmark_symbol if isinstance(listing.benchmark_symbol, str) else None
    benchmark = None
    if benchmark_symbol and benchmark_symbol in bars_at:
        benchmark = markets.with_session_parts(bars_at[benchmark_symbol],
                                               sessions_by_symbol.get(benchmark_symbol, sessions))
        benchmark = benchmark if extended else markets.regular_bars(benchmark)
    returns = listing_returns(bars, sessions, benchmark, extended=extended)
    positions = {s: i for i, s in enumerate(sessions["session"])}
    excluded, event_sessions = _left_out(returns, bars, sessions, extended, others)
    return _Listing(listing.symbol, bars, sessions, benchmark, extended, returns, excluded, event_sessions, positions)


def _left_out(returns, bars, sessions, extended: bool, others: pd.DataFrame) -> tuple[np.ndarray, set]:
    """Bars inside some event's window — from its arrival to LEFT_OUT_AFTER past its first bar
    (:func:`markets.first_trades`, the chart's and the reactions' rule, for all events at
    once); a day-precision event's whole first session — and the sessions holding an event."""
    marks = np.zeros(len(returns) + 1, dtype=np.int64)
    if others.empty or bars.empty:
        return np.zeros(len(returns), dtype=bool), set()
    times = pd.to_datetime(others["ts"], utc=True)
    first = markets.first_trades(bars, sessions, times, extended=extended)
    end_column = markets.bounds(extended)[1]
    closes = pd.DatetimeIndex(sessions[end_column])
    at = np.searchsorted(closes.asi8, pd.DatetimeIndex(first["tradable_from"]).as_unit("ns").asi8, side="right")
    day = (others["precision"] == "day").to_numpy()
    lo = np.where(day, pd.DatetimeIndex(first["tradable_from"]).as_unit("ns").asi8,
                  pd.DatetimeIndex(times).as_unit("ns").asi8)
    session_close = closes.asi8[np.minimum(at, len(closes) - 1)] if len(closes) else lo
    after_first = pd.DatetimeIndex(first["first_bar_ts"] + LEFT_OUT_AFTER).as_unit("ns").asi8
    hi = np.where(day, session_close, after_first)
    nat = np.iinfo(np.int64).min
    valid = (lo != nat) & (hi != nat) & pd.notna(first["tradable_from"]).to_numpy()
    starts = np.searchsorted(returns.end, lo[valid], side="right")
    stops = np.searchsorted(returns.ts, hi[valid], side="left")
    keep = stops > starts
    np.add.at(marks, starts[keep], 1)
    np.add.at(marks, stops[keep], -1)
    sessions_hit = {int(p) for p in at[valid] if p < len(closes)}
    return np.cumsum(marks[:-1]) > 0, sessions_hit


def _base(row, listing: _Listing, options: StudyOptions) -> dict:
    return {
        "event_id": row.event_id, "event_ts": row.event_ts, "precision": row.precision, "kind": row.kind,
        "headline": row.headline, "company_id": row.company_id, "symbol": listing.symbol,
        "benchmark_symbol": row.benchmark_symbol, "model": options.model, "interval": options.interval,
        "bars_source": row.bars_source,
    }


def _rows(base: dict, est: Estimate | None, left_out: int, results: dict, notes: list[str]) -> list[dict]:
    out = []
    for window in WINDOWS:
        stats_, end, first_pos, last_pos, blocks = results.get(window, (WindowStats.missing(), None, -1, -1, np.zeros(0)))
        u, var_u = rank_u(stats_.t, blocks)
        out.append({
            **base, "window": window, "car": stats_.car, "se": stats_.se, "t": stats_.t, "p": stats_.p,
            "alpha": est.alpha if est else np.nan, "beta": est.beta if est else np.nan,
            "sigma": est.sigma if est else np.nan, "n_estimation_bars": est.n if est else 0,
            "n_left_out_bars": left_out, "n_window_bars": stats_.n_bars, "window_end": end,
            "note": "; ".join(notes), "df": est.df if est else 0, "u_rank": u, "var_u": var_u,
            "positive_blocks": int(np.sum(blocks > 0)), "blocks": len(blocks),
            "first_pos": first_pos, "last_pos": last_pos,
        })
    return out


def _position(listing: _Listing, row) -> int | None:
    """The position of the row's session in the listing's sessions (None without one)."""
    return listing.positions.get(row.session) if row.session is not None and not pd.isna(row.session) else None


def _plan_windows(listing: _Listing, group: pd.DataFrame) -> list:
    """For each timed event with a first bar and a reference: (ref position, t0, window ends,
    path steps in minutes) and the last bar of each window and step — one
    :func:`markets.asof_positions` call for all of a listing's events."""
    plans, stops, not_before = [], [], []
    step = listing.returns.step
    steps = np.arange(1, int(pd.Timedelta(minutes=PATH_MINUTES) / step) + 1) * step
    # Session rows as namedtuples and opens as a list: a DataFrame row per event cost ~0.4 ms.
    sessions = list(listing.sessions.itertuples(index=False))
    opens = [s.open for s in sessions]
    for row in group.itertuples(index=False):
        position = _position(listing, row)
        if row.precision == "day" or position is None or pd.isna(row.first_bar_ts) or pd.isna(row.ref_ts):
            plans.append(None)
            continue
        t0 = pd.Timestamp(row.first_bar_ts)
        shutdown, ends = window_ends(sessions[position], t0, listing.extended)
        following = opens[position + 1] if position + 1 < len(opens) else t0
        window_stops = [end for end, _ in ends] + [row.session_close_ts, row.next_close_ts]
        path_steps = [m for m in steps if t0 + m <= shutdown]
        plans.append((int(np.searchsorted(listing.returns.ts, pd.Timestamp(row.ref_ts).value)), t0,
                      window_stops, path_steps, len(stops)))
        stops += window_stops + [t0 + m for m in path_steps]
        not_before += [t0] * (len(window_stops) - 1) + [following] + [t0] * len(path_steps)
    lasts = markets.asof_positions(listing.bars, stops, not_before=not_before) if stops else np.zeros(0, int)
    return [None if plan is None else (*plan[:4], lasts[plan[4]:plan[4] + len(plan[2]) + len(plan[3])])
            for plan in plans]


def _event(listing: _Listing, row, plan, options: StudyOptions) -> tuple[list[dict], list[dict]]:
    base = _base(row, listing, options)
    notes = [row.note] if isinstance(row.note, str) and row.note else []
    position = _position(listing, row)
    if position is None:
        return _rows(base, None, 0, {}, notes), []
    if row.precision == "day":
        return _day_event(listing, row, position, base, notes, options), []
    est, left_out, why = _intraday_estimate(listing, position, options)
    notes += why
    if est is None or plan is None:
        return _rows(base, est, left_out, {}, notes), []
    ref_pos, t0, stops, path_steps, lasts = plan
    results = {}
    for window, end, last in zip(WINDOWS, stops, lasts[:len(stops)]):
        if pd.isna(end) or last <= ref_pos:
            continue
        stats_ = _window(est, listing.returns, ref_pos + 1, int(last))
        results[window] = (stats_, end, ref_pos + 1, int(last), estimation_blocks(est, stats_.n_bars))
    return _rows(base, est, left_out, results, notes), _path(listing, est, row, ref_pos, path_steps, lasts[len(stops):])


def _window(est: Estimate, r, first: int, last: int) -> WindowStats:
    span = slice(first, last + 1)
    rm = np.nan_to_num(r.rm[span])  # no benchmark trade over a bar: the benchmark did not move
    # p comes later, for the whole table in one scipy call
    return window_stats(est, est.abnormal(r.r[span], rm), est.factor(r.gap[span], r.offset[span]), rm, with_p=False)


def _path(listing: _Listing, est: Estimate, row, ref_pos: int, path_steps, lasts) -> list[dict]:
    """The event's CAR and se at each bar step up to PATH_MINUTES after the first bar (until the
    shutdown): the windows' sums, cumulated once."""
    lasts = np.asarray(lasts, dtype=np.int64)
    reached = lasts > ref_pos
    if not reached.any():
        return []
    r = listing.returns
    span = slice(ref_pos + 1, int(lasts[reached].max()) + 1)
    rm = np.nan_to_num(r.rm[span])
    ar = est.abnormal(r.r[span], rm)
    if not np.all(np.isfinite(ar)):
        return []
    cum_ar = np.cumsum(ar)
    cum_f = np.cumsum(est.factor(r.gap[span], r.offset[span]))
    cum_x = np.cumsum(est.design(rm), axis=0)
    out = [{"symbol": listing.symbol, "event_id": row.event_id, "minutes": 0.0, "car": 0.0, "se": 0.0}]
    for minutes, last in zip(path_steps, lasts):
        if last <= ref_pos:
            continue
        i = int(last) - ref_pos - 1
        x = cum_x[i]
        variance = est.sigma2 * cum_f[i] + (float(x @ est.cov @ x) if len(x) else 0.0)
        out.append({"symbol": listing.symbol, "event_id": row.event_id, "minutes": minutes / pd.Timedelta(minutes=1),
                    "car": float(cum_ar[i]), "se": float(np.sqrt(variance))})
    return out


def _intraday_estimate(listing: _Listing, position: int, options: StudyOptions):
    """(Estimate or None, bars left out, notes) for the sessions before ``position`` (cached:
    every event of one session shares its estimation window)."""
    if position in listing.cache:
        return listing.cache[position]
    r = listing.returns
    lo = np.searchsorted(r.session, position - options.estimation_sessions, side="left")
    hi = np.searchsorted(r.session, position, side="left")
    span = slice(lo, hi)
    left_out = listing.excluded[span]
    keep = ~left_out & est_mod.usable(options.model, r.r[span], r.rm[span])
    notes = []
    sessions_seen = len(np.unique(r.session[span])) if hi > lo else 0
    if sessions_seen < options.estimation_sessions:
        notes.append(f"estimation: bars in {sessions_seen} of the {options.estimation_sessions} sessions before")
    n = int(keep.sum())
    est = None
    if n < options.min_bars:
        notes.append(f"{n} estimation bars (fewer than {options.min_bars}): no statistics")
    else:
        def kept(a):
            return a[span][keep]
        est = est_mod.estimate_intraday(options.model, kept(r.r), np.nan_to_num(kept(r.rm)), kept(r.gap),
                                        kept(r.offset), r.step / pd.Timedelta(minutes=1))
    if int(left_out.sum()):
        notes.append(f"{int(left_out.sum())} bars in other events' windows left out of the estimation")
    listing.cache[position] = (est, int(left_out.sum()), notes)
    return listing.cache[position]


def _day_event(listing: _Listing, row, position: int, base: dict, notes: list[str], options: StudyOptions) -> list[dict]:
    """A day-precision event: the session's return (and the next session's) against daily
    residuals; minute windows do not apply (the event has no time of day)."""
    if listing.daily is None:
        listing.daily = daily_returns(listing.bars, listing.sessions, listing.benchmark)
    d = listing.daily
    key = ("day", position)
    if key not in listing.cache:
        span = np.arange(max(position - options.estimation_sessions, 0), position)
        others = np.array([p in listing.event_sessions for p in span], dtype=bool)
        keep = span[~others & est_mod.usable(options.model, d.r[span], d.rm[span])]
        est = (est_mod.estimate_daily(options.model, d.r[keep], np.nan_to_num(d.rm[keep]))
               if len(keep) >= options.min_days else None)
        why = [] if est else [f"{len(keep)} estimation sessions (fewer than {options.min_days}): no statistics"]
        listing.cache[key] = (est, int(others.sum()), why)
    est, left_out, why = listing.cache[key]
    notes = notes + ["day precision: daily windows only (session close, next close)"] + why
    results = {}
    r = listing.returns
    for window, last_session in (("session_close", position), ("next_close", position + 1)):
        if est is None or last_session >= len(d.r):
            continue
        span = slice(position, last_session + 1)
        rm = np.nan_to_num(d.rm[span])
        stats_ = window_stats(est, est.abnormal(d.r[span], rm), np.ones(len(rm)), rm)
        first_pos = int(np.searchsorted(r.session, position, side="left"))
        last_pos = int(np.searchsorted(r.session, last_session, side="right")) - 1
        end = listing.sessions.iloc[last_session]["close"]
        results[window] = (stats_, end, first_pos, last_pos, estimation_blocks(est, stats_.n_bars))
    return _rows(base, est, left_out, results, notes)


def _flag_clusters(table: pd.DataFrame) -> None:
    """``overlaps``/``first_of_cluster`` per listing × window (windows sharing bars)."""
    table["overlaps"] = False
    table["first_of_cluster"] = True
    for _, group in table.groupby(["symbol", "window"], sort=False):
        flag, first, _ = overlaps(group["first_pos"].to_numpy(dtype="int64"), group["last_pos"].to_numpy(dtype="int64"))
        table.loc[group.index, "overlaps"] = flag
        table.loc[group.index, "first_of_cluster"] = first


def caar_paths(paths: pd.DataFrame) -> pd.DataFrame:
    """Per listing and step: the mean CAR of the events with a value there and a 95% band
    (± 1.96 × √Σ se² / N: independent events)."""
    if paths.empty:
        return pd.DataFrame(columns=CAAR_PATH_COLUMNS)
    grouped = paths.groupby(["symbol", "minutes"], sort=True)
    out = grouped.agg(n_events=("car", "size"), caar=("car", "mean"),
                      se2=("se", lambda s: float(np.sum(np.square(s))))).reset_index()
    half = BAND_Z * np.sqrt(out["se2"]) / out["n_events"]
    out["low"], out["high"] = out["caar"] - half, out["caar"] + half
    return out[CAAR_PATH_COLUMNS]


# What the CLI, the exports and the screen show (the pooling's helper columns left out).
PUBLIC_EVENT_COLUMNS = [
    "event_id", "event_ts", "precision", "kind", "symbol", "benchmark_symbol", "window", "model", "interval",
    "car", "se", "t", "p", "alpha", "beta", "sigma", "n_estimation_bars", "n_left_out_bars", "n_window_bars",
    "window_end", "overlaps", "first_of_cluster", "note", "bars_source", "headline",
]


def public_events(result: StudyResult) -> pd.DataFrame:
    """The per-event rows as shown and exported."""
    return result.events[PUBLIC_EVENT_COLUMNS].reset_index(drop=True)


def export_table(result: StudyResult) -> pd.DataFrame:
    """The study as one table (CSV/Parquet exports): the pooled rows (``row = pooled``, their
    tests in the ``z_*``/``p_*`` columns), then the per-event rows; every row says its bars."""
    pooled = result.pooled.assign(row="pooled", bars_source=result.bars_source)
    events = public_events(result).assign(row="event")
    table = pd.concat([pooled, events], ignore_index=True)
    for column in ("n_events", "n_estimation_bars", "n_left_out_bars", "n_window_bars"):
        table[column] = table[column].astype("Int64")
    return table[
        ["row"] + [c for c in pooled.columns if c != "row"]
        + [c for c in events.columns if c not in pooled.columns and c != "row"]]
