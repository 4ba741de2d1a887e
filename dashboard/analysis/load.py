"""The thin loader: gather events, articles, listings, bars and sessions from the store, then
hand them to the pure functions in reactions / parity / claims.

Each function takes an open connection (``Database.read()``) and an ``EventSelection``: which
events and articles a table covers, with the filters' meaning of docs/architecture.md ("Filters").
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dashboard import markets
from dashboard.analysis.claims import claims_table
from dashboard.analysis.parity import DEFAULT_MAX_AGE, parity_frame, premium_at
from dashboard.analysis.reactions import reaction_table
from dashboard.markets.listings import adr_listing, fx_symbol, home_listing
from dashboard.store import articles as store_articles
from dashboard.store import bars as store_bars
from dashboard.store import companies as store_companies
from dashboard.store import events as store_events
from dashboard.timeutil import window

# How far around the events to read bars and sessions: the baseline needs five earlier sessions
# (plus holidays), the reaction needs the next session's close (plus a long weekend).
BEFORE = pd.Timedelta(days=12)
AFTER = pd.Timedelta(days=7)

@dataclass
class EventSelection:
    """Which events and articles an analysis table covers: any companies, a UTC time range.
    (``screen.Filters`` is one screen's state — one company, a window of days in a display
    zone, price mode; ``screen.AnalysisScope.selection()`` turns a screen into one of these.)"""

    tags: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None


def _all_listings(con) -> pd.DataFrame:
    return store_companies.listings(con, roles=None)


def _spans(times: pd.Series, before: pd.Timedelta = BEFORE, after: pd.Timedelta = AFTER) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Merged [t − before, t + after) windows around the given times."""
    spans: list[list[pd.Timestamp]] = []
    for ts in sorted(pd.to_datetime(times, utc=True).dropna()):
        lo, hi = ts - before, ts + after
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    return [(lo, hi) for lo, hi in spans]


def _bars_for(con, symbol: str, spans) -> pd.DataFrame:
    """The finest stored bars of ``symbol`` in each span, concatenated."""
    frames = [store_bars.query_bars(con, symbol, lo, hi) for lo, hi in spans]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return store_bars.query_bars(con, symbol, pd.Timestamp(0, tz="UTC"), pd.Timestamp(1, tz="UTC"))
    return pd.concat(frames, ignore_index=True).drop_duplicates("ts").sort_values("ts").reset_index(drop=True)


def _sessions_for(mic: str | None, spans) -> pd.DataFrame | None:
    if not mic:
        return None
    frames = [markets.sessions(mic, lo, hi) for lo, hi in spans]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return markets.prepare_sessions(markets.sessions(mic, "2000-01-03", "2000-01-04")).iloc[0:0]
    joined = pd.concat(frames, ignore_index=True).drop_duplicates("session")
    return markets.prepare_sessions(joined)


def _frames(con, listings: pd.DataFrame, symbols, spans):
    """Bars and sessions per symbol; ``listings`` holds every role (for benchmarks' MICs)."""
    mic_by_symbol = dict(zip(listings["symbol"], listings["exchange_mic"]))
    bars = {s: _bars_for(con, s, spans) for s in symbols}
    sessions = {s: _sessions_for(mic_by_symbol.get(s), spans) for s in symbols}
    return bars, sessions


def select_events(con, filters: EventSelection) -> pd.DataFrame:
    """The events the filters pick (oldest first)."""
    return store_events.query_events(con, kinds=filters.kinds, companies=filters.companies,
                                     tags=filters.tags, sources=filters.sources,
                                     since=filters.since, until=filters.until)


def event_frames(con, times: pd.Series, *, before: pd.Timedelta = BEFORE, after: pd.Timedelta = AFTER,
                 companies=None):
    """(listings of every role, bars by symbol, sessions by symbol) around these times: what
    the reactions read, for another analysis of the same events (the event study reads further
    back, ``before``, for its estimation window). ``companies``: only their listings' bars."""
    listings = _all_listings(con)
    own = listings[listings["role"] == "listing"]
    if companies is not None:
        own = own[own["company_id"].isin(list(companies))]
    symbols = set(own["symbol"]) | set(own["benchmark_symbol"].dropna())
    bars, sessions = _frames(con, listings, symbols, _spans(times, before, after))
    return listings, bars, sessions


def reactions(con, filters: EventSelection, *, extended: bool = True) -> pd.DataFrame:
    """The reaction table for the filtered events (docs/analysis.md), with the ADR premium;
    ``extended=False`` (``--regular-only``) leaves pre-market and after-hours bars out."""
    events = store_events.query_events(con, kinds=filters.kinds, companies=filters.companies,
                                       tags=filters.tags, sources=filters.sources,
                                       since=filters.since, until=filters.until)
    listings = _all_listings(con)
    own = listings[listings["role"] == "listing"]
    spans = _spans(events["ts"])
    symbols = set(own["symbol"]) | set(own["benchmark_symbol"].dropna())
    bars, sessions = _frames(con, listings, symbols, spans)
    table = reaction_table(events, own, bars, sessions, extended=extended)
    table["adr_premium_at_event"] = float("nan")
    table["adr_premium_at_first_bar"] = float("nan")
    for company_id in table["company_id"].dropna().unique():
        parity = company_parity(con, company_id, spans=spans, listings=listings, extended=extended)
        if parity is None or parity.empty:
            continue
        rows = table["company_id"] == company_id
        table.loc[rows, "adr_premium_at_event"] = premium_at(parity, table.loc[rows, "event_ts"])["premium"].to_numpy()
        # e.g. the discount Hong Kong opened into on Monday after the ADR priced Friday's news
        table.loc[rows, "adr_premium_at_first_bar"] = premium_at(parity, table.loc[rows, "first_bar_ts"])["premium"].to_numpy()
    return table


def parity_pair(listings: pd.DataFrame, company_id: str) -> tuple[dict, dict, str] | None:
    """(ADR listing, home listing, FX symbol) of a company, or None if it has no ADR (the rules:
    ``markets.listings``)."""
    adr, home = adr_listing(listings, company_id), home_listing(listings, company_id)
    if adr is None or home is None:
        return None
    return adr, home, fx_symbol(listings, home["currency"])


def company_parity(con, company_id: str, start=None, end=None, *, spans=None,
                   listings: pd.DataFrame | None = None, extended: bool = True) -> pd.DataFrame | None:
    """:func:`parity_frame` for a company's ADR over ``[start, end)`` (or the given spans); with
    ``extended`` its pre-market and after-hours bars too (against Hong Kong's last price)."""
    listings = _all_listings(con) if listings is None else listings
    pair = parity_pair(listings, company_id)
    if pair is None:
        return None
    adr, home, fx = pair
    spans = spans or [window(start, end)]
    # the home price and FX are carried forward while their markets are shut: read back further
    lookback = [(lo - DEFAULT_MAX_AGE, hi) for lo, hi in spans]
    adr_bars = _bars_for(con, adr["symbol"], spans)
    if not extended and not adr_bars.empty:
        adr_bars = markets.bars_in_hours(adr_bars, _sessions_for(adr.get("exchange_mic"), spans), extended=False)
    return parity_frame(
        adr_bars, _bars_for(con, home["symbol"], lookback),
        _bars_for(con, fx, lookback),
        adr_shares_per_unit=float(adr["shares_per_unit"]),
        home_shares_per_unit=float(home["shares_per_unit"] or 1),
    )


def claims(con, filters: EventSelection) -> pd.DataFrame:
    """Every move claim in the filtered articles and events, checked against stored bars.

    ``--kind`` narrows events only; articles are included unless kinds are given without
    ``publication``.
    """
    events = store_events.query_events(con, kinds=filters.kinds, companies=filters.companies,
                                       tags=filters.tags, sources=filters.sources,
                                       since=filters.since, until=filters.until)
    if filters.kinds and "publication" not in [k.lower() for k in filters.kinds]:
        articles = None
    else:
        articles = store_articles.query_articles(con, tags=filters.tags, companies=filters.companies,
                                                 sources=filters.sources, since=filters.since,
                                                 until=filters.until)
    listings = _all_listings(con)
    own = listings[listings["role"] == "listing"]
    times = pd.concat([events["ts"], articles["published_at"] if articles is not None else pd.Series(dtype="datetime64[ns, UTC]")])
    spans = _spans(times)
    bars, sessions = _frames(con, listings, set(own["symbol"]), spans)
    # Names and aliases as ingested (for "Alibaba fell 2.2% …"), not re-read from companies.toml.
    return claims_table(articles, events, own, bars, sessions, store_companies.company_names(con))
