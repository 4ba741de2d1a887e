"""The event-study measurement: `analysis.study` on 1,000 events × 2 listings (BABA, 9988.HK)
over the last year of the bench store's 1-minute bars, cold (first call in a fresh process) and
warm (the same study again). The events are the store's Alibaba events in that year, the last
1,000 of them."""
from __future__ import annotations

import time

import pandas as pd

STUDY_EVENTS = 1000
TARGET_WARM_S = 2.0


def pick_selection(con, count: int = STUDY_EVENTS):
    """The last ``count`` Alibaba events before the last BABA bar, as an EventSelection."""
    from dashboard.analysis.load import EventSelection
    from dashboard.store.bars import coverage
    from dashboard.store.events import query_event_times

    cov = coverage(con)
    last = pd.Timestamp(cov[cov["symbol"] == "BABA"]["last_ts"].max()).tz_convert("UTC")
    first = pd.Timestamp(cov[cov["symbol"] == "BABA"]["first_ts"].min()).tz_convert("UTC")
    times = query_event_times(con, companies=["alibaba"], since=max(first, last - pd.Timedelta(days=365)),
                              until=last - pd.Timedelta(days=2))["ts"]
    times = times.iloc[-count:]
    if times.empty:
        raise ValueError("the bench store holds no Alibaba events in the last year of bars")
    return EventSelection(companies=["alibaba"], since=times.iloc[0].isoformat(), until=times.iloc[-1].isoformat())


def child_study(params: dict) -> dict:
    from dashboard.analysis.study.load import study
    from dashboard.bench.lake import source

    samples = []
    with source(params).read() as con:
        selection = pick_selection(con, params.get("events", STUDY_EVENTS))
        started = time.perf_counter()
        result = study(con, selection)
        cold_ms = (time.perf_counter() - started) * 1000
        for _ in range(params.get("repeats", 3)):
            started = time.perf_counter()
            study(con, selection)
            samples.append((time.perf_counter() - started) * 1000)
    events = result.events
    return {"cold_ms": cold_ms, "warm_samples_ms": samples,
            "events": int(events["event_id"].nunique()), "listings": int(events["symbol"].nunique()),
            "rows": int(len(events)), "with_statistics": int(events["car"].notna().sum()),
            "pooled_rows": int(len(result.pooled)), "since": selection.since, "until": selection.until}
