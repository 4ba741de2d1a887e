"""One screen's worth of data from the store: ``Filters`` in, ``ViewData`` out; the sidebar's
options, the default window and one article for the reader.

Shared by the Streamlit app and the ``export`` command so both draw the same figure from the
same rows. Pure core: no Streamlit here. Every timestamp stays tz-aware UTC; the display zone is
only applied when drawing (``charts``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd

from dashboard import config, markets, store
from dashboard.analysis import load as analysis_load
from dashboard.formatting import ZONES
from dashboard.markets.listings import fx_symbol, shares_per_adr
from dashboard.screen.bars import (DEFAULT_MAX_POINTS, FIRST_TRADE_AFTER, FIRST_TRADE_BEFORE, downsample_frame,
                                   events_first_trades, listing_bars_in_hours)
from dashboard.screen.filters import Filters
from dashboard.screen.model import ViewData
from dashboard.screen.overlap import overlap_of
from dashboard.screen.searching import best_matches, search_matches
from dashboard.screen.steps import (DEFAULT_WINDOW_DAYS, CompanyPick, listing_view, no_bars_notice, pick_company,
                                    priced_bars, resolve_company, window_days)
from dashboard.store import articles as store_articles
from dashboard.store import bars as store_bars
from dashboard.store import companies as store_companies
from dashboard.store import events as store_events
from dashboard.store import news as store_news
from dashboard.timeutil import utc_times, window_bounds

__all__ = ["DAYS_BEFORE_PEAK", "DEFAULT_WINDOW_DAYS", "ScreenOptions", "bar_span", "default_window", "load_article",
           "load_options", "load_view", "resolve_company"]

DAYS_BEFORE_PEAK = 1  # the default window starts the day before the busiest news day


def bar_span(coverage: pd.DataFrame | None, symbols: Iterable[str]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """(first, last) bar time (UTC) over ``symbols`` in ``store.bars.coverage``; None without bars."""
    if coverage is None or not len(coverage):
        return None
    cov = coverage[coverage["symbol"].isin(set(symbols))]
    if not len(cov):
        return None
    return pd.to_datetime(cov["first_ts"], utc=True).min(), pd.to_datetime(cov["last_ts"], utc=True).max()


def _window_around_peak(
    coverage: pd.DataFrame | None, day_counts: pd.DataFrame | None, symbols: Iterable[str], zone: str
) -> tuple[dt.date, dt.date] | None:
    """The company's default dates: DEFAULT_WINDOW_DAYS around the day with the most events
    (DAYS_BEFORE_PEAK before it, the rest after), inside the span its listings have bars.

    ``day_counts``: events per local day in ``zone`` (``store.events.event_day_counts``), counted
    only over events from the UTC start of the first bar's day to the last bar (see
    ``default_window``) when there are bars.
    """
    span_of_bars = bar_span(coverage, symbols)
    first, last = span_of_bars if span_of_bars else (None, None)
    span = dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    if day_counts is not None and len(day_counts):
        busiest = day_counts[day_counts["events"] == day_counts["events"].max()]
        peak = min(busiest["day"])  # the earliest busiest day
        start_day = peak - dt.timedelta(days=DAYS_BEFORE_PEAK)
        if first is not None:
            start_day = max(start_day, first.tz_convert(zone).date())
            start_day = min(start_day, max(last.tz_convert(zone).date() - span, first.tz_convert(zone).date()))
        end_day = start_day + span
        if last is not None:
            end_day = min(end_day, last.tz_convert(zone).date())
        return start_day, end_day
    if first is not None:
        last_day = last.tz_convert(zone).date()
        return max(first.tz_convert(zone).date(), last_day - span), last_day
    return None


def default_window(con, companies: Iterable[str], symbols: Iterable[str], zone: str) -> tuple[dt.date, dt.date] | None:
    """The company's default dates (see :func:`_window_around_peak`), from the store: the
    events are counted per day in SQL, not loaded."""

    coverage = store_bars.coverage(con)
    span_of_bars = bar_span(coverage, symbols)
    bounds = {}
    if span_of_bars:
        # Events from the (UTC) start of the first bar's day through the last bar.
        bounds = dict(since=span_of_bars[0].normalize(), until=span_of_bars[1])
    day_counts = store_events.event_day_counts(con, zone=zone, companies=tuple(companies), **bounds)
    return _window_around_peak(coverage, day_counts, symbols, zone)


def load_view(
    db: Any,
    filters: Filters,
    *,
    max_points: int = DEFAULT_MAX_POINTS,
    max_articles: int | None = None,
) -> ViewData:
    """Load everything the screen shows for ``filters`` in one short read-only visit: read the
    rows (:func:`read_screen`), then price and draw each listing (``screen.steps``).

    ``max_articles``: keep only the newest that many articles (the total is in
    ``articles_total``); None keeps them all (exports).

    Raises store.DatabaseMissing / store.DatabaseBusy for the caller to explain.
    """
    zone = filters.zone if filters.zone in ZONES else "UTC"
    db = store.as_database(db)
    with db.read() as con:
        rows = read_screen(con, filters, zone, max_articles, db=db)
    notices, start, end = rows.notices, rows.start, rows.end
    adr_shares = shares_per_adr(rows.all_listings, rows.company_id)
    listing_views = []
    for listing in rows.listings:
        around = rows.around[listing["symbol"]]
        bars = around[(around["ts"] >= start) & (around["ts"] < end)].drop(columns="end").reset_index(drop=True)
        priced = priced_bars(bars, around, listing, filters, start, fx_bars=rows.fx_bars, fx_symbols=rows.fx_symbols,
                             adr_shares=adr_shares)
        notices += priced.notices if len(bars) else [no_bars_notice(listing["symbol"], rows.start_day, rows.end_day)]
        listing_views.append(listing_view(listing, priced, filters, start, end, max_points, notices))
    if any(lv.synthetic for lv in listing_views):
        notices.insert(0, f"Prices on this screen are a {config.SYNTHETIC_LABEL}.")
    overlap, overlap_note = overlap_of(listing_views, start, end, extended=filters.extended_hours)
    return ViewData(
        filters=filters, company_id=rows.company_id, company_name=rows.company_name, start=start, end=end,
        start_day=rows.start_day, end_day=rows.end_day, articles=rows.articles, events=rows.events,
        listings=listing_views, notices=notices,
        # Three parity lines (ADR, implied, premium) share these rows: half the budget keeps a
        # year's figure under 1 MB, still over two points per pixel of the 880 px plot.
        parity=None if rows.parity is None else downsample_frame(rows.parity, "premium", max(max_points // 2, 1)),
        parity_symbols=rows.parity_symbols, last_refresh=rows.last_refresh, last_news_fetch=rows.last_news_fetch,
        articles_total=rows.articles_total,
        first_trades=events_first_trades(rows.events, listing_views, rows.around, start, end,
                                         extended=filters.extended_hours),
        overlap=overlap, overlap_note=overlap_note,
    )


@dataclass
class ScreenRows:
    """What one visit to the store reads for a screen (:func:`read_screen`)."""

    company_id: str
    company_name: str
    listings: list[dict]  # the company's listings, registry order
    all_listings: pd.DataFrame  # every role (listing, benchmark, fx): the ADR and FX rules read it
    start_day: dt.date
    end_day: dt.date
    start: pd.Timestamp  # UTC, inclusive
    end: pd.Timestamp  # UTC, exclusive
    notices: list[str] = field(default_factory=list)
    articles: pd.DataFrame | None = None
    articles_total: int | None = None
    events: pd.DataFrame | None = None
    around: dict[str, pd.DataFrame] = field(default_factory=dict)  # bars reaching around the window
    fx_bars: dict[str, pd.DataFrame] = field(default_factory=dict)  # by currency (usd mode)
    fx_symbols: dict[str, str] = field(default_factory=dict)  # by currency
    parity: pd.DataFrame | None = None
    parity_symbols: tuple[str, str] | None = None
    last_refresh: dict | None = None
    last_news_fetch: dict | None = None


def read_screen(con, filters: Filters, zone: str, max_articles: int | None, *, db=None) -> ScreenRows:
    """The company (resolved once), its window, and every row the screen shows, from one
    connection (``db``, the database behind it, answers a search)."""
    pick = pick_company(store_companies.list_companies(con), filters.company)
    company_id = pick.company_id or filters.company
    all_listings = store_companies.listings(con, roles=None)
    listing_rows = store_companies.listings(con, company_id=company_id)
    listing_rows = listing_rows.to_dict("records") if listing_rows is not None else []
    symbols = [r["symbol"] for r in listing_rows]
    default = None
    if filters.start is None or filters.end is None:
        default = default_window(con, (company_id,), symbols, zone)
    start_day, end_day = window_days(filters.start, filters.end, default, pd.Timestamp.now(tz=zone).date())
    start, end = window_bounds(start_day, end_day, zone)
    rows = ScreenRows(company_id, pick.name, listing_rows, all_listings, start_day, end_day, start, end,
                      notices=[pick.notice] if pick.notice else [],
                      last_refresh=store_bars.last_refresh(con), last_news_fetch=store_news.last_news_fetch(con))
    _read_news(con, rows, filters, max_articles, db)
    _read_bars(con, rows, filters)
    if filters.parity:
        rows.parity, rows.parity_symbols = _load_parity(con, company_id, start, end, rows.notices,
                                                        filters.extended_hours, listings=all_listings)
    return rows


def _read_news(con, rows: ScreenRows, filters: Filters, max_articles: int | None, db=None) -> None:
    """The window's articles (the newest ``max_articles``, with the total; with a search, the
    best-matching first, with snippets) and events (with a search, those of matching articles)."""
    start, end = rows.start, rows.end
    # The store's `until` is inclusive; the window's end is exclusive, trimmed below.
    until = end - pd.Timedelta(microseconds=1)
    scope = dict(tags=filters.tags, companies=(rows.company_id,), sources=filters.sources, since=start, until=until)
    matches = search_matches(db, filters.search, rows.notices) if db is not None else None
    if matches is not None:
        articles, rows.articles_total = best_matches(con, db, matches, scope, max_articles)
    else:
        articles = store_articles.query_articles(con, **scope, limit=max_articles)
        if max_articles is not None and len(articles) >= max_articles:
            rows.articles_total = int(store_articles.count_articles(con, **scope))
    events = store_events.query_events(con, kinds=filters.kinds, **scope,
                                       article_ids=None if matches is None else matches.article_ids)
    if len(articles):
        articles = articles[utc_times(articles["published_at"]) < end].reset_index(drop=True)
    if len(events):
        events = events[utc_times(events["ts"]) < end].sort_values("ts", kind="stable").reset_index(drop=True)
    rows.articles, rows.events = articles, events


def _read_bars(con, rows: ScreenRows, filters: Filters) -> None:
    """Each listing's bars reaching around the window (the price at an event or at the % mode's
    reference time is read from bars finished before it, and an event late in the window first
    trades after it), in the extended-hours toggle's hours; in usd mode the FX bars too."""
    start, end = rows.start, rows.end
    lo, hi = start - FIRST_TRADE_BEFORE, end + FIRST_TRADE_AFTER
    for row in rows.listings:
        mic = row.get("exchange_mic") or ""
        # A chosen interval may be resampled: its bars never span a session part's start or end.
        cuts = markets.session_cuts(mic, lo, hi) if mic and filters.interval != "auto" else None
        frame = store_bars.query_bars(con, row["symbol"], lo, hi, interval=filters.interval, shown=(start, end),
                                      cuts=cuts)
        rows.around[row["symbol"]] = listing_bars_in_hours(markets.prepare_bars(frame), mic,
                                                           start, end, extended=filters.extended_hours)
    if filters.price_mode != "usd":
        return
    for currency in {r.get("currency") for r in rows.listings} - {"USD", None}:
        symbol = rows.fx_symbols[currency] = fx_symbol(rows.all_listings, currency)
        fx = store_bars.query_bars(con, symbol, start - markets.MAX_QUOTE_AGE, end, interval="auto")
        if fx is not None and len(fx):
            rows.fx_bars[currency] = markets.prepare_bars(fx)


def _load_parity(con, company_id: str, start, end, notices: list[str], extended: bool = True, *, listings=None):
    """The company's ADR parity over the window, or (None, None) with a notice saying why."""
    listings = store_companies.listings(con, roles=None) if listings is None else listings
    pair = analysis_load.parity_pair(listings, company_id)
    if pair is None:
        notices.append("ADR parity: this company has no ADR listing (a USD listing of several shares).")
        return None, None
    frame = analysis_load.company_parity(con, company_id, start, end, listings=listings, extended=extended)
    if frame is None or frame.empty or frame["parity"].notna().sum() == 0:
        notices.append(
            f"ADR parity: no {pair[0]['symbol']} bars with {pair[1]['symbol']} and {pair[2]} prices in this window."
        )
        return None, None
    frame = frame.copy()
    frame["ts"] = utc_times(frame["ts"])
    return frame.reset_index(drop=True), (str(pair[0]["symbol"]), str(pair[1]["symbol"]))


@dataclass
class ScreenOptions:
    """Choices for the filter widgets of one company."""

    companies: list[tuple[str, str]]  # (company_id, name)
    company_id: str | None
    tags: list[tuple[str, int, int]]  # (tag, articles, events), most used first
    sources: list[str]
    kinds: list[str]
    default_start: dt.date | None
    default_end: dt.date | None
    company: CompanyPick | None = None  # how the company asked for was resolved (screen.steps)


def load_options(db: Any, company: str, zone: str = "UTC") -> ScreenOptions:
    """Companies, tags with counts, sources, event kinds and the default window."""

    with store.as_database(db).read() as con:
        companies = store_companies.list_companies(con)
        pick = pick_company(companies, company)
        company_id = pick.company_id
        scope = (company_id,) if company_id else ()
        article_tags = store_articles.tag_counts(con, companies=scope)
        # Counts from SQL: loading the company's events (187k at benchmark size) took over a second.
        event_facets = store_events.event_facets(con, companies=scope)
        sources = store_articles.list_sources(con)
        symbols = []
        if company_id:
            symbols = store_companies.listings(con, company_id=company_id)["symbol"].tolist()
        window = default_window(con, scope, symbols, zone)

    # Spellings that differ only in case are one tag, shown as first met: articles' (their
    # smallest spelling) before events' (in event order).
    counts: dict[str, list] = {}
    for tag, n in zip(article_tags.get("tag", []), article_tags.get("articles", [])):
        counts.setdefault(str(tag).casefold(), [str(tag), 0, 0])[1] += int(n)
    event_tags = event_facets["tags"]
    for tag, n in zip(event_tags["tag"], event_tags["events"]):
        counts.setdefault(str(tag).casefold(), [str(tag), 0, 0])[2] += int(n)
    tags = sorted((tuple(v) for v in counts.values()), key=lambda t: (-(t[1] + t[2]), t[0].casefold()))
    kinds = sorted({str(k) for k in event_facets["kinds"]["kind"] if k})
    return ScreenOptions(
        companies=[(str(r["company_id"]), str(r["name"])) for r in companies.to_dict("records")],
        company_id=company_id,
        company=pick,
        tags=tags,
        sources=list(sources),
        kinds=kinds,
        default_start=window[0] if window else None,
        default_end=window[1] if window else None,
    )


def load_article(db: Any, article_id: str) -> dict | None:
    """One article (with tags and companies) for the reader; ``history``: its tags with origins,
    origins and revisions (store.history.history), retracted or not."""
    from dashboard.store import history

    with store.as_database(db).read() as con:
        article = store_articles.get_article(con, article_id)
        if article is not None:
            article["history"] = history.history(con, history.ARTICLES, article_id)
        return article
