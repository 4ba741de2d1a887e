"""Fill the cache around stored events: for each event, from two sessions before its day to three
sessions after, for every listing, benchmark and FX pair, fetch what is not yet cached."""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

import pandas as pd

from dashboard import markets, store
from dashboard.timeutil import to_utc
from dashboard.prices import yahoo
from dashboard.store import bars as bar_store
from dashboard.store import companies as store_companies

SESSIONS_BEFORE = 2
SESSIONS_AFTER = 3
OFFLINE_LINE = "offline: Yahoo unreachable — serving cached bars"


@dataclasses.dataclass
class RefreshResult:
    fetched: list[yahoo.SymbolReport] = dataclasses.field(default_factory=list)
    up_to_date: list[str] = dataclasses.field(default_factory=list)
    offline: bool = False

    @property
    def ok(self) -> bool:
        return not self.offline and all(r.ok for r in self.fetched)


def event_window(mic: str, ts) -> tuple[pd.Timestamp, pd.Timestamp]:
    """From the open two sessions before the event's session to the close three sessions after."""
    ts = to_utc(ts)
    table = markets.sessions(mic, ts - pd.Timedelta(days=20), ts + pd.Timedelta(days=20))
    after = table.index[table["close"] > ts]
    at = int(after[0]) if len(after) else len(table) - 1
    first = max(0, at - SESSIONS_BEFORE)
    last = min(len(table) - 1, at + SESSIONS_AFTER)
    return table["open"].iloc[first], table["close"].iloc[last]


def merge(spans: list[tuple[pd.Timestamp, pd.Timestamp]]) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    merged: list[list[pd.Timestamp]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def missing_windows(con, symbol: str, mic: str, events, now) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Event windows with a finished session that has no real (non-synthetic) bar yet."""
    now = to_utc(now)
    missing = []
    for start, end in merge([event_window(mic, ts) for ts in events]):
        if start >= now:
            continue
        done = markets.sessions(mic, start, min(end, now))
        done = done[done["close"] <= now]
        have = bar_store.real_bar_dates(con, symbol, start, end)
        if any(row.open.date() not in have for row in done.itertuples()):
            missing.append((start, end))
    return missing


def refresh(db=None, *, download=None, now=None, sleep: Callable[[float], None] = time.sleep,
            echo: Callable[[str], None] = print) -> RefreshResult:
    """Fetch the uncached event windows of every known symbol, one progress line per symbol.

    The outcome is recorded in the store (``refresh_log``) so the app can say what it serves.
    """
    db = store.as_database(db)
    now = to_utc(now if now is not None else pd.Timestamp.now("UTC"))
    result = RefreshResult()
    if not db.exists():
        echo(f"{db.name}: no database yet — nothing to refresh")
        return result
    plan = []
    with db.read() as con:
        events = bar_store.event_times(con)
        for symbol, mic in markets.listing_mics(store_companies.listings(con, roles=None)).items():
            plan.append((symbol, missing_windows(con, symbol, mic, events, now)))
    if not events:
        echo("no events stored yet — nothing to refresh")
        _record(db, now, "nothing_to_do", "no events stored yet")
        return result
    for symbol, windows in plan:
        if not windows:
            result.up_to_date.append(symbol)
            echo(f"{symbol}: event windows already cached")
            continue
        for start, end in windows:
            fetched = yahoo.fetch([symbol], start, end, "auto", download=download, db=db, now=now,
                                  sleep=sleep, progress=echo)
            report = fetched.reports[0]
            result.fetched.append(report)
            if report.status == "unreachable":
                result.offline = True
                _record(db, now, "offline", f"{OFFLINE_LINE} ({report.message})")
                return result
            echo(report.message)
    if not result.fetched:
        _record(db, now, "up_to_date", "every event window was already cached")
    elif result.ok:
        _record(db, now, "fetched", "; ".join(r.message for r in result.fetched))
    else:
        _record(db, now, "partial", "; ".join(r.message for r in result.fetched))
    return result


def _record(db: store.Database, now: pd.Timestamp, status: str, message: str) -> None:
    with db.write() as con:
        bar_store.record_refresh(con, status, message, now)
