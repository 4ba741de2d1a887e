"""One screen's worth of data from the store: ``Filters`` in, ``ViewData`` out; the sidebar's
options, the default window and one article for the reader.

Shared by the Streamlit app and the ``export`` command so both draw the same figure from the
same rows. Pure core: no Streamlit here. Every timestamp stays tz-aware UTC; the display zone is
only applied when drawing (``charts``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd

from dashboard import config, markets, store
from dashboard.analysis import load as analysis_load
from dashboard.formatting import ZONES
from dashboard.screen.bars import (DEFAULT_MAX_POINTS, FIRST_TRADE_AFTER, FIRST_TRADE_BEFORE, closed_frame,
                                   extended_frame, in_usd_per_unit, price_at_reference, scale_prices, utc_times,
                                   downsample_bars, downsample_frame, events_first_trades, listing_bars_in_hours, volume_bucket_for,
                                   volume_buckets)
from dashboard.screen.overlap import overlap_of
from dashboard.screen.filters import DEFAULT_COMPANY, Filters
from dashboard.screen.model import ListingView, ViewData
from dashboard.store import articles as store_articles
from dashboard.store import bars as store_bars
from dashboard.store import companies as store_companies
from dashboard.store import events as store_events
from dashboard.store import news as store_news
from dashboard.timeutil import window_bounds

# The default window: the story days around the company's busiest news day (one screen).
DEFAULT_WINDOW_DAYS = 6


DAYS_BEFORE_PEAK = 1


def resolve_company(companies: pd.DataFrame, wanted: str) -> tuple[str, str] | None:
    """(company_id, name) matching ``wanted`` by id, name or alias, case-insensitively."""
    if companies is None or len(companies) == 0:
        return None
    key = (wanted or "").strip().casefold()
    for row in companies.to_dict("records"):
        names = [row.get("company_id"), row.get("name"), *(_as_list(row.get("aliases")))]
        if any(key == str(n).casefold() for n in names if n):
            return str(row["company_id"]), str(row.get("name") or row["company_id"])
    return None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    return [value]


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
    """Load everything the screen shows for ``filters`` in one short read-only visit.

    ``max_articles``: keep only the newest that many articles (the total is in
    ``articles_total``); None keeps them all (exports).

    Raises store.DatabaseMissing / store.DatabaseBusy for the caller to explain.
    """

    notices: list[str] = []
    zone = filters.zone if filters.zone in ZONES else "UTC"
    with store.as_database(db).read() as con:
        last_refresh = store_bars.last_refresh(con)
        last_news_fetch = store_news.last_news_fetch(con)
        companies = store_companies.list_companies(con)
        found = resolve_company(companies, filters.company)
        if found is None:
            fallback = resolve_company(companies, DEFAULT_COMPANY)
            if fallback is None and len(companies):
                row = companies.iloc[0]
                fallback = (str(row["company_id"]), str(row.get("name") or row["company_id"]))
            if filters.company != DEFAULT_COMPANY or fallback is None:
                notices.append(f"Unknown company {filters.company!r}; showing {fallback[1] if fallback else 'nothing'}.")
            found = fallback
        if found is None:
            company_id, company_name = filters.company, filters.company
        else:
            company_id, company_name = found

        listing_rows = store_companies.listings(con, company_id=company_id)
        listing_rows = listing_rows.to_dict("records") if listing_rows is not None else []
        symbols = [r["symbol"] for r in listing_rows]

        start_day, end_day = filters.start, filters.end
        if start_day is None or end_day is None:
            window = default_window(con, (company_id,), symbols, zone)
            if window is None:
                today = pd.Timestamp.now(tz=zone).date()
                window = (today - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1), today)
            start_day = start_day or (
                window[0] if end_day is None else min(window[0], end_day)
            )
            end_day = end_day or max(window[1], start_day)
        start, end = window_bounds(start_day, end_day, zone)
        # The store's `until` is inclusive; the window's end is exclusive, trimmed below.
        until = end - pd.Timedelta(microseconds=1)

        article_filters = dict(tags=filters.tags, companies=(company_id,), sources=filters.sources, since=start, until=until)
        articles = store_articles.query_articles(con, **article_filters, limit=max_articles)
        articles_total = None
        if max_articles is not None and len(articles) >= max_articles:
            articles_total = int(store_articles.count_articles(con, **article_filters))
        events = store_events.query_events(
            con, kinds=filters.kinds, companies=(company_id,), tags=filters.tags,
            sources=filters.sources, since=start, until=until,
        )
        if len(articles):
            articles = articles[utc_times(articles["published_at"]) < end].reset_index(drop=True)
        if len(events):
            events = events[utc_times(events["ts"]) < end].sort_values("ts", kind="stable").reset_index(drop=True)

        # Bars around the window too: the price at an event or at the % mode's reference time
        # is read from bars finished before it, and an event late in the window first trades after it.
        around: dict[str, pd.DataFrame] = {}
        for row in listing_rows:
            frame = store_bars.query_bars(con, row["symbol"], start - FIRST_TRADE_BEFORE, end + FIRST_TRADE_AFTER,
                                          interval=filters.interval, shown=(start, end))
            around[row["symbol"]] = listing_bars_in_hours(markets.prepare_bars(frame), row.get("exchange_mic") or "",
                                                       start, end, extended=filters.extended_hours)

        fx_bars: dict[str, pd.DataFrame] = {}
        if filters.price_mode == "usd":
            for currency in {r.get("currency") for r in listing_rows} - {"USD", None}:
                fx_symbol = f"{currency}=X"  # Yahoo's convention: units of `currency` per 1 USD
                fx = store_bars.query_bars(con, fx_symbol, start - markets.MAX_QUOTE_AGE, end, interval="auto")
                if fx is not None and len(fx):
                    fx_bars[currency] = markets.prepare_bars(fx)

        parity = parity_symbols = None
        if filters.parity:
            parity, parity_symbols = _load_parity(con, company_id, start, end, notices, filters.extended_hours)

    listing_views: list[ListingView] = []
    unit_shares = max((float(r.get("shares_per_unit") or 1) for r in listing_rows), default=1.0)
    for row in listing_rows:
        symbol = row["symbol"]
        mic = row.get("exchange_mic") or ""
        in_window = (around[symbol]["ts"] >= start) & (around[symbol]["ts"] < end)
        bars = around[symbol][in_window].drop(columns="end").reset_index(drop=True)
        currency = row.get("currency") or ""
        y_unit = currency or "price"
        reference_price = None
        if len(bars):
            if filters.price_mode == "usd":
                converted = in_usd_per_unit(bars, currency, fx_bars, unit_shares / float(row.get("shares_per_unit") or 1))
                if converted is None:
                    notices.append(
                        f"No {currency}=X bars stored, so {symbol} cannot be shown in USD; "
                        f"load FX with `python -m dashboard prices fetch` or the sample."
                    )
                else:
                    bars = converted
                    unquoted = int(bars["close"].isna().sum())
                    if unquoted:
                        notices.append(
                            f"{unquoted:,} {symbol} bars have no {currency}=X quote from the "
                            f"{markets.MAX_QUOTE_AGE.days} days before them, so they are left out in USD."
                        )
                    y_unit = f"USD per ADS ({unit_shares:g} sh)" if unit_shares > 1 else "USD"
            elif filters.price_mode == "pct":
                when = filters.reference if filters.reference is not None else start
                reference_price = price_at_reference(around[symbol], bars, when)
                if reference_price:
                    bars = scale_prices(bars, 1.0 / reference_price)
                    for col in ("open", "high", "low", "close"):
                        bars[col] = (bars[col] - 1.0) * 100.0
                    y_unit = "% change"
        else:
            notices.append(
                f"No stored bars for {symbol} between {start_day} and {end_day}. The app shows stored "
                f"prices only (Yahoo is not reachable from here): run `python -m dashboard prices sample` "
                f"for the synthetic sample or `python -m dashboard prices fetch` when online."
            )
        interval = str(bars["interval"].iloc[0]) if len(bars) and "interval" in bars else filters.interval
        total = len(bars)
        bucket = volume_bucket_for(end - start, interval) if len(bars) else ""
        volume = volume_buckets(bars, bucket)
        shown = downsample_bars(bars, max_points)
        extended = filters.extended_hours and markets.has_extended_hours(mic)
        try:
            closed = closed_frame(markets.closed_intervals(mic, start, end, extended=extended) if mic else None)
        except Exception as exc:  # an unknown exchange must not take the screen down
            notices.append(f"No trading calendar for {symbol} ({mic}): {exc}")
            closed = closed_frame(None)
        spans = extended_frame(markets.extended_intervals(mic, start, end) if extended else [])
        listing_views.append(
            ListingView(
                symbol=symbol,
                name=str(row.get("name") or symbol),
                exchange_mic=mic,
                currency=currency,
                tz=row.get("tz") or "UTC",
                shares_per_unit=float(row.get("shares_per_unit") or 1),
                bars=shown,
                total_bars=total,
                interval=interval,
                closed=closed,
                y_unit=y_unit,
                reference_price=reference_price,
                volume=volume,
                volume_bucket=bucket,
                extended=spans,
            )
        )

    if any(lv.synthetic for lv in listing_views):
        notices.insert(0, f"Prices on this screen are a {config.SYNTHETIC_LABEL}.")
    trades = events_first_trades(events, listing_views, around, start, end, extended=filters.extended_hours)
    overlap, overlap_note = overlap_of(listing_views, start, end, extended=filters.extended_hours)
    return ViewData(
        filters=filters,
        company_id=company_id,
        company_name=company_name,
        start=start,
        end=end,
        start_day=start_day,
        end_day=end_day,
        articles=articles,
        events=events,
        listings=listing_views,
        notices=notices,
        # Three parity lines (ADR, implied, premium) share these rows: half the budget keeps a
        # year's figure under 1 MB, still over two points per pixel of the 880 px plot.
        parity=None if parity is None else downsample_frame(parity, "premium", max(max_points // 2, 1)),
        parity_symbols=parity_symbols,
        last_refresh=last_refresh,
        last_news_fetch=last_news_fetch,
        articles_total=articles_total,
        first_trades=trades,
        overlap=overlap,
        overlap_note=overlap_note,
    )


def _load_parity(con, company_id: str, start, end, notices: list[str], extended: bool = True):
    """The company's ADR parity over the window, or (None, None) with a notice saying why."""
    listings = store_companies.listings(con, roles=None)
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


def load_options(db: Any, company: str, zone: str = "UTC") -> ScreenOptions:
    """Companies, tags with counts, sources, event kinds and the default window."""

    with store.as_database(db).read() as con:
        companies = store_companies.list_companies(con)
        found = resolve_company(companies, company) or resolve_company(companies, DEFAULT_COMPANY)
        if found is None and len(companies):
            found = (str(companies.iloc[0]["company_id"]), str(companies.iloc[0]["name"]))
        company_id = found[0] if found else None
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
