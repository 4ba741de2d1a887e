"""The loaded screen: one ``ListingView`` per listing row, one ``ViewData`` per ``Filters``, and
the file name a view is saved under."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from dashboard.formatting import UNSAFE_FILENAME_CHARS, ZONE_LABELS
from dashboard.screen.filters import Filters

@dataclass
class ListingView:
    """One listing's row of the chart: its bars (already downsampled) and closed periods."""

    symbol: str
    name: str
    exchange_mic: str
    currency: str
    tz: str
    shares_per_unit: float
    bars: pd.DataFrame  # ts, open, high, low, close, volume, source, interval; values in y_unit
    total_bars: int  # in the window, before downsampling
    interval: str  # what the bars are (never "auto")
    closed: pd.DataFrame  # start, end (UTC): the exchange is shut
    y_unit: str  # what the y values are, for the axis title
    reference_price: float | None = None  # pct mode: the price 0% stands for
    # Volume summed per display bucket from every bar (not the downsampled ones): ts, volume.
    volume: pd.DataFrame | None = None
    volume_bucket: str = ""  # e.g. "30min"; "" when the bars are shown as they are
    # start, end (UTC), part (pre | post): extended hours drawn (empty when off or none)
    extended: pd.DataFrame | None = None

    @property
    def shown_bars(self) -> int:
        return len(self.bars)

    @property
    def downsampled(self) -> bool:
        return self.shown_bars < self.total_bars

    @property
    def sources(self) -> tuple[str, ...]:
        if self.bars.empty or "source" not in self.bars:
            return ()
        return tuple(sorted(set(self.bars["source"].dropna().astype(str))))

    @property
    def synthetic(self) -> bool:
        return any(s == "synthetic" for s in self.sources)


@dataclass
class ViewData:
    """Everything one screen shows, loaded from the store for one ``Filters``."""

    filters: Filters
    company_id: str
    company_name: str
    start: pd.Timestamp  # UTC, inclusive
    end: pd.Timestamp  # UTC, exclusive
    start_day: dt.date
    end_day: dt.date  # inclusive
    articles: pd.DataFrame
    events: pd.DataFrame
    listings: list[ListingView]
    notices: list[str] = field(default_factory=list)
    # filters.parity: analysis.parity_frame rows (ts, adr, parity, premium, …), downsampled
    parity: pd.DataFrame | None = None
    parity_symbols: tuple[str, str] | None = None  # (ADR, home) symbols
    # store.bars.last_refresh(): how the last `prices refresh` went (None: never run)
    last_refresh: dict | None = None
    # store.news.last_news_fetch(): the last successful `news fetch` (None: never)
    last_news_fetch: dict | None = None
    # How many articles match in all when ``articles`` holds only the newest (load_view max_articles)
    articles_total: int | None = None
    # Per event and listing, by markets.first_trades (the reaction table's rule, the day rule for
    # day-precision events; the chart rings timed events only): event_id,
    # symbol, time, tradable_from, first_bar_ts, first_close, ref_ts, ref_price. The chart draws
    # its first-trade rings from these rows and never recomputes them.
    first_trades: pd.DataFrame | None = None
    # start, end (UTC): when every listing trades at once (markets.overlap_intervals, extended
    # hours counted); ``overlap_note`` says why there is none (HKEX shuts before the US pre-market)
    overlap: pd.DataFrame | None = None
    overlap_note: str = ""

    @property
    def total_articles(self) -> int:
        return len(self.articles) if self.articles_total is None else max(self.articles_total, len(self.articles))

    @property
    def synthetic(self) -> bool:
        return any(lv.synthetic for lv in self.listings)

    @property
    def has_bars(self) -> bool:
        return any(not lv.bars.empty for lv in self.listings)

    @property
    def zone(self) -> str:
        return self.filters.zone


def figure_filename(filters: Filters, view: ViewData | None = None, *, suffix: str = "") -> str:
    """A file name that says what the chart holds (no extension), e.g.
    ``alibaba_BABA-9988.HK_2025-11-12_2025-11-19_utc``."""
    company = view.company_id if view is not None else filters.company
    parts = [company]
    if view is not None and view.listings:
        parts.append("-".join(lv.symbol for lv in view.listings))
    start = view.start_day if view is not None else filters.start
    end = view.end_day if view is not None else filters.end
    if start is not None:
        parts.append(start.isoformat())
    if end is not None:
        parts.append(end.isoformat())
    parts.append(ZONE_LABELS.get(filters.zone, filters.zone).lower().replace(" ", "-"))
    if filters.price_mode != "price":
        parts.append(filters.price_mode)
    if suffix:
        parts.append(suffix)
    return UNSAFE_FILENAME_CHARS.sub("_", "_".join(str(p) for p in parts)).strip("_")
