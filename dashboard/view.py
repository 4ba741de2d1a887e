"""One screen's worth of data: ``Filters`` in, ``ViewData`` out.

Shared by the Streamlit app and the ``export`` command so both draw the same figure from the
same rows. Pure core: no Streamlit here. Every timestamp stays tz-aware UTC; the display zone is
only applied when drawing (``charts.py``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from dashboard import config

ZONES = ("UTC", "America/New_York", "Asia/Hong_Kong")
ZONE_LABELS = {"UTC": "UTC", "America/New_York": "New York", "Asia/Hong_Kong": "Hong Kong"}
INTERVALS = ("auto", "1m", "5m", "15m", "60m", "1d")
PRICE_MODES = ("price", "pct", "usd")
PRICE_MODE_LABELS = {
    "price": "Price (listing currency)",
    "pct": "% change from a reference time",
    "usd": "USD per ADS (both listings)",
}
DEFAULT_COMPANY = "alibaba"
# Per trace: enough for a full-width chart, far below what makes the browser sluggish (~10k).
DEFAULT_MAX_POINTS = 4000
# The default window: the story days around the company's busiest news day (one screen).
DEFAULT_WINDOW_DAYS = 6
DAYS_BEFORE_PEAK = 1
# Volume is summed into buckets this wide for display, so one opening spike per session does
# not flatten every other bar (a window of a few days has hundreds of 1m bars per session).
# Beyond two months, daily sums: half hours would be thousands of bars, far more than pixels.
VOLUME_BUCKETS = ((pd.Timedelta(days=62), "1D"), (pd.Timedelta(days=2), "30min"), (pd.Timedelta(hours=12), "15min"),
                  (pd.Timedelta(0), "5min"))
# The app's tables show at most this many rows (newest first is what an analyst scans); a large
# archive holds hundreds of thousands in a long window.
MAX_TABLE_ROWS = 500
# Reactions cost a bars query per event and listing: above this many events in the window, only
# the curated ones (not article publications) are measured, and at most this many of them.
MAX_REACTION_EVENTS = 200
# Claims are read from every article body and event text: above this many, curated events only.
MAX_CLAIM_TEXTS = 600
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


# ---------------------------------------------------------------------------------------------
# Filters and their URL form


@dataclass(frozen=True)
class Filters:
    """Everything that decides what one screen shows. Hashable, so it can key a cache."""

    company: str = DEFAULT_COMPANY
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    start: dt.date | None = None  # None: the company's default window
    end: dt.date | None = None  # inclusive, a whole day in the display zone
    zone: str = "UTC"
    interval: str = "auto"
    price_mode: str = "price"
    reference: pd.Timestamp | None = None  # UTC; pct mode's base (None: start of the window)
    parity: bool = False  # draw the ADR-parity rows

    def to_query_params(self) -> dict[str, str | list[str]]:
        """Only what differs from the defaults, so a shared URL stays short."""
        params: dict[str, str | list[str]] = {}
        if self.company != DEFAULT_COMPANY:
            params["company"] = self.company
        for name in ("tags", "sources", "kinds"):
            values = list(getattr(self, name))
            if values:
                params[name] = values
        if self.start is not None:
            params["start"] = self.start.isoformat()
        if self.end is not None:
            params["end"] = self.end.isoformat()
        if self.zone != "UTC":
            params["zone"] = self.zone
        if self.interval != "auto":
            params["interval"] = self.interval
        if self.price_mode != "price":
            params["mode"] = self.price_mode
        if self.reference is not None:
            params["ref"] = self.reference.strftime("%Y-%m-%dT%H:%MZ")
        if self.parity:
            params["parity"] = "1"
        return params

    @classmethod
    def from_query_params(cls, params: Mapping[str, Any]) -> tuple["Filters", list[str]]:
        """Parse URL parameters; a bad value falls back to its default with a notice."""
        notices: list[str] = []
        values: dict[str, Any] = {}

        def one(name: str) -> str | None:
            raw = _all_values(params, name)
            return raw[-1].strip() if raw else None

        company = one("company")
        if company:
            values["company"] = company
        for name in ("tags", "sources", "kinds"):
            items = [v.strip() for v in _all_values(params, name) if v.strip()]
            values[name] = tuple(dict.fromkeys(items))  # keep order, drop repeats
        for name in ("start", "end"):
            text = one(name)
            if text:
                try:
                    values[name] = dt.date.fromisoformat(text)
                except ValueError:
                    notices.append(f"URL parameter {name}={text!r} is not a date (YYYY-MM-DD); using the default window.")
        if "start" in values and "end" in values and values["start"] > values["end"]:
            notices.append(
                f"URL parameters start={values['start']} is after end={values['end']}; using the default window."
            )
            values.pop("start")
            values.pop("end")
        for name, key, allowed in (
            ("zone", "zone", ZONES),
            ("interval", "interval", INTERVALS),
            ("mode", "price_mode", PRICE_MODES),
        ):
            text = one(name)
            if text is None or text == "":
                continue
            if text in allowed:
                values[key] = text
            else:
                default = getattr(cls, key)
                notices.append(
                    f"URL parameter {name}={text!r} is not one of {', '.join(allowed)}; using {default!r}."
                )
        ref = one("ref")
        if ref:
            try:
                values["reference"] = parse_utc(ref)
            except ValueError:
                notices.append(f"URL parameter ref={ref!r} is not a time (e.g. 2025-11-14T18:00Z); using the window start.")
        parity = one("parity")
        if parity:
            if parity.lower() in TRUE_WORDS:
                values["parity"] = True
            elif parity.lower() not in FALSE_WORDS:
                notices.append(f"URL parameter parity={parity!r} is not 1 or 0; the parity rows stay off.")
        return cls(**values), notices

    def replace(self, **changes: Any) -> "Filters":
        return dataclasses.replace(self, **changes)


def _all_values(params: Mapping[str, Any], name: str) -> list[str]:
    """All values of ``name``: st.query_params (get_all), a dict of lists, or of strings."""
    getter = getattr(params, "get_all", None)
    if callable(getter):
        return [str(v) for v in getter(name)]
    value = params.get(name)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def parse_utc(text: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(text) from exc
    if stamp is pd.NaT:
        raise ValueError(text)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def figure_filename(filters: Filters, view: "ViewData | None" = None, *, suffix: str = "") -> str:
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
    return _UNSAFE_FILENAME.sub("_", "_".join(str(p) for p in parts)).strip("_")


# ---------------------------------------------------------------------------------------------
# The loaded view


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
    # How many articles match in all when ``articles`` holds only the newest (load_view max_articles)
    articles_total: int | None = None

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


# ---------------------------------------------------------------------------------------------
# Loading


def window_bounds(start_day: dt.date, end_day: dt.date, zone: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start of start_day, start of the day after end_day) in ``zone``, as UTC."""
    start = pd.Timestamp(start_day).tz_localize(zone).tz_convert("UTC")
    end = (pd.Timestamp(end_day) + pd.Timedelta(days=1)).tz_localize(zone).tz_convert("UTC")
    return start, end


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


def default_window(
    coverage: pd.DataFrame | None, day_counts: pd.DataFrame | None, symbols: Iterable[str], zone: str
) -> tuple[dt.date, dt.date] | None:
    """The company's default dates: DEFAULT_WINDOW_DAYS around the day with the most events
    (DAYS_BEFORE_PEAK before it, the rest after), inside the span its listings have bars.

    ``day_counts``: events per local day in ``zone`` (``store.events.event_day_counts``), counted
    only over events from the UTC start of the first bar's day to the last bar (see
    ``_default_window``) when there are bars.
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


def _default_window(con, companies: Iterable[str], symbols: Iterable[str], zone: str) -> tuple[dt.date, dt.date] | None:
    """default_window from the store: the events are counted per day in SQL, not loaded."""
    from dashboard.store import bars as store_bars
    from dashboard.store import events as store_events

    coverage = store_bars.coverage(con)
    span_of_bars = bar_span(coverage, symbols)
    bounds = {}
    if span_of_bars:
        # Events from the (UTC) start of the first bar's day through the last bar.
        bounds = dict(since=span_of_bars[0].normalize(), until=span_of_bars[1])
    day_counts = store_events.event_day_counts(con, zone=zone, companies=tuple(companies), **bounds)
    return default_window(coverage, day_counts, symbols, zone)


def downsample_bars(bars: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most ``max_points`` rows, chosen by MinMaxLTTB on the close (keeps spikes and shape)."""
    if len(bars) <= max_points:
        return bars
    from tsdownsample import MinMaxLTTBDownsampler

    x = bars["ts"].astype("int64").to_numpy()
    y = bars["close"].to_numpy(dtype="float64")
    keep = MinMaxLTTBDownsampler().downsample(x, y, n_out=max(int(max_points), 4))
    return bars.iloc[np.sort(keep.astype(np.int64))].reset_index(drop=True)


def volume_bucket_for(window: pd.Timedelta, interval: str) -> str:
    """How wide the display's volume buckets are for a window (never finer than the bars)."""
    wanted = next(bucket for longer_than, bucket in VOLUME_BUCKETS if window > longer_than)
    try:
        from dashboard.store.bars import interval_length

        if interval_length(interval) >= pd.Timedelta(wanted):
            return ""
    except (KeyError, TypeError, ValueError):
        return ""
    return wanted


def volume_buckets(bars: pd.DataFrame, bucket: str) -> pd.DataFrame:
    """Volume summed per ``bucket`` (floored in UTC: session opens fall on whole half hours)."""
    if bars is None or bars.empty or "volume" not in bars:
        return pd.DataFrame({"ts": pd.Series(dtype="datetime64[ns, UTC]"), "volume": pd.Series(dtype="float64")})
    ts = _utc(bars["ts"])
    if not bucket:
        return pd.DataFrame({"ts": ts.to_numpy(), "volume": bars["volume"].astype("float64").to_numpy()})
    summed = bars["volume"].astype("float64").groupby(ts.dt.floor(bucket).to_numpy()).sum(min_count=1)
    return pd.DataFrame({"ts": pd.to_datetime(summed.index, utc=True), "volume": summed.to_numpy()})


def downsample_frame(frame: pd.DataFrame, column: str, max_points: int) -> pd.DataFrame:
    """``downsample_bars`` on any column (e.g. the ADR premium)."""
    if len(frame) <= max_points:
        return frame.reset_index(drop=True)
    picked = downsample_bars(frame.rename(columns={column: "close", "close": "_close"}), max_points)
    return picked.rename(columns={"close": column, "_close": "close"})


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True)


def _closed_frame(raw: Any) -> pd.DataFrame:
    """Normalise markets.closed_intervals output (frame or pairs) to start/end UTC columns."""
    if raw is None:
        return pd.DataFrame({"start": pd.Series(dtype="datetime64[ns, UTC]"), "end": pd.Series(dtype="datetime64[ns, UTC]")})
    if isinstance(raw, pd.DataFrame):
        frame = raw.rename(columns={"closed_start": "start", "closed_end": "end"})[["start", "end"]]
    else:
        frame = pd.DataFrame(list(raw), columns=["start", "end"])
    return pd.DataFrame({"start": _utc(frame["start"]), "end": _utc(frame["end"])})


def _last_close_at_or_before(bars: pd.DataFrame, when: pd.Timestamp) -> float | None:
    before = bars[bars["ts"] <= when]
    if len(before):
        return float(before["close"].iloc[-1])
    return float(bars["close"].iloc[0]) if len(bars) else None


def _scale_prices(bars: pd.DataFrame, factor: pd.Series | float) -> pd.DataFrame:
    out = bars.copy()
    for col in ("open", "high", "low", "close"):
        out[col] = out[col] * factor
    return out


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
    from dashboard import markets, store
    from dashboard.store import articles as store_articles
    from dashboard.store import bars as store_bars
    from dashboard.store import companies as store_companies
    from dashboard.store import events as store_events

    notices: list[str] = []
    zone = filters.zone if filters.zone in ZONES else "UTC"
    with store.as_database(db).read() as con:
        last_refresh = store_bars.last_refresh(con)
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
            window = _default_window(con, (company_id,), symbols, zone)
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
            articles = articles[_utc(articles["published_at"]) < end].reset_index(drop=True)
        if len(events):
            events = events[_utc(events["ts"]) < end].sort_values("ts", kind="stable").reset_index(drop=True)

        raw_bars: dict[str, pd.DataFrame] = {}
        for row in listing_rows:
            # Keep the bar just before the window so pct mode has its base and lines start at the edge.
            frame = store_bars.query_bars(con, row["symbol"], start, end, interval=filters.interval)
            if frame is None:
                frame = pd.DataFrame(columns=["ts", "open", "high", "low", "close", "volume", "source", "interval"])
            frame = frame.copy()
            if len(frame):
                frame["ts"] = _utc(frame["ts"])
                frame = frame[(frame["ts"] >= start) & (frame["ts"] < end)].sort_values("ts").reset_index(drop=True)
            raw_bars[row["symbol"]] = frame

        fx_bars: dict[str, pd.DataFrame] = {}
        if filters.price_mode == "usd":
            for currency in {r.get("currency") for r in listing_rows} - {"USD", None}:
                fx_symbol = f"{currency}=X"  # Yahoo's convention: units of `currency` per 1 USD
                fx = store_bars.query_bars(
                    con, fx_symbol, start - pd.Timedelta(days=7), end, interval="auto"
                )
                if fx is not None and len(fx):
                    fx = fx.copy()
                    fx["ts"] = _utc(fx["ts"])
                    fx_bars[currency] = fx.sort_values("ts").reset_index(drop=True)

        parity = parity_symbols = None
        if filters.parity:
            parity, parity_symbols = _load_parity(con, company_id, start, end, notices)

    listing_views: list[ListingView] = []
    unit_shares = max((float(r.get("shares_per_unit") or 1) for r in listing_rows), default=1.0)
    for row in listing_rows:
        symbol = row["symbol"]
        mic = row.get("exchange_mic") or ""
        bars = raw_bars[symbol]
        currency = row.get("currency") or ""
        y_unit = currency or "price"
        reference_price = None
        if len(bars):
            if filters.price_mode == "usd":
                spu = float(row.get("shares_per_unit") or 1)
                if currency == "USD":
                    factor: pd.Series | float = unit_shares / spu
                elif currency in fx_bars:
                    fx = fx_bars[currency][["ts", "close"]].rename(columns={"close": "fx"})
                    joined = pd.merge_asof(bars[["ts"]], fx, on="ts", direction="backward")
                    joined["fx"] = joined["fx"].bfill()  # a bar before the first FX quote takes the next
                    factor = (unit_shares / spu) / joined["fx"].to_numpy()
                else:
                    factor = float("nan")
                    notices.append(
                        f"No {currency}=X bars stored, so {symbol} cannot be shown in USD; "
                        f"load FX with `python -m dashboard prices fetch` or the sample."
                    )
                if not (isinstance(factor, float) and np.isnan(factor)):
                    bars = _scale_prices(bars, factor)
                    y_unit = f"USD per ADS ({unit_shares:g} sh)" if unit_shares > 1 else "USD"
            elif filters.price_mode == "pct":
                when = filters.reference if filters.reference is not None else start
                reference_price = _last_close_at_or_before(bars, when)
                if reference_price:
                    bars = _scale_prices(bars, 1.0 / reference_price)
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
        try:
            closed = _closed_frame(markets.closed_intervals(mic, start, end)) if mic else _closed_frame(None)
        except Exception as exc:  # an unknown exchange must not take the screen down
            notices.append(f"No trading calendar for {symbol} ({mic}): {exc}")
            closed = _closed_frame(None)
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
            )
        )

    if any(lv.synthetic for lv in listing_views):
        notices.insert(0, f"Prices on this screen are a {config.SYNTHETIC_LABEL}.")
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
        articles_total=articles_total,
    )


def price_status_line(last_refresh: dict | None) -> tuple[str, bool]:
    """(one sentence on where the prices come from, is it a warning?) for the screen's header.

    The app never calls Yahoo itself; `prices refresh` (run by `make run`) does, and records
    how it went.
    """
    if last_refresh is None:
        return ("Prices: never refreshed from Yahoo here — showing stored bars only "
                "(run: python -m dashboard prices refresh — it fetches event windows when online).", False)
    when = pd.Timestamp(last_refresh["checked_at"]).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")
    status = last_refresh["status"]
    if status == "offline":
        return f"Prices: Yahoo was unreachable at the last refresh ({when}) — serving cached bars.", True
    if status == "partial":
        return f"Prices: the last refresh ({when}) fetched some windows but not all — {last_refresh['message']}", True
    if status == "fetched":
        return f"Prices: event windows fetched from Yahoo at {when}; cached in the local store.", False
    return f"Prices: the local store already held every event window at the last refresh ({when}).", False


def _load_parity(con, company_id: str, start, end, notices: list[str]):
    """The company's ADR parity over the window, or (None, None) with a notice saying why."""
    from dashboard.analysis import load as analysis_load

    from dashboard.store import companies as store_companies

    listings = store_companies.listings(con, roles=None)
    pair = analysis_load.parity_pair(listings, company_id)
    if pair is None:
        notices.append("ADR parity: this company has no ADR listing (a USD listing of several shares).")
        return None, None
    frame = analysis_load.company_parity(con, company_id, start, end, listings=listings)
    if frame is None or frame.empty or frame["parity"].notna().sum() == 0:
        notices.append(
            f"ADR parity: no {pair[0]['symbol']} bars with {pair[1]['symbol']} and {pair[2]} prices in this window."
        )
        return None, None
    frame = frame.copy()
    frame["ts"] = _utc(frame["ts"])
    return frame.reset_index(drop=True), (str(pair[0]["symbol"]), str(pair[1]["symbol"]))


# ---------------------------------------------------------------------------------------------
# What the sidebar offers, and one article for the reader


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
    from dashboard import store
    from dashboard.store import articles as store_articles
    from dashboard.store import companies as store_companies
    from dashboard.store import events as store_events

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
        window = _default_window(con, scope, symbols, zone)

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
    """One article (with tags and companies) for the reader."""
    from dashboard import store
    from dashboard.store import articles as store_articles

    with store.as_database(db).read() as con:
        return store_articles.get_article(con, article_id)


# ---------------------------------------------------------------------------------------------
# Reactions and reported-vs-computed claims for the screen (issue 6), shaped for tables

UP_COLOR, DOWN_COLOR = "#0072B2", "#D55E00"  # Okabe-Ito blue / vermillion: safe for red-green CVD
RETURN_COLUMNS = {
    "ret_5m": "+5m", "ret_15m": "+15m", "ret_30m": "+30m", "ret_60m": "+60m",
    "ret_session_close": "to close", "ret_next_close": "next close",
}


@dataclass(frozen=True)
class AnalysisScope:
    """What the analysis tables cover: the screen's company, filters and window. Hashable."""

    company_id: str
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    kinds: tuple[str, ...]
    since: pd.Timestamp
    until: pd.Timestamp  # inclusive

    def analysis_filters(self):
        from dashboard.analysis.load import Filters as AnalysisFilters

        return AnalysisFilters(tags=list(self.tags), companies=[self.company_id], sources=list(self.sources),
                               kinds=list(self.kinds), since=self.since, until=self.until)


def analysis_scope(view: ViewData) -> AnalysisScope:
    f = view.filters
    return AnalysisScope(view.company_id, tuple(f.tags), tuple(f.sources), tuple(f.kinds),
                         view.start, view.end - pd.Timedelta(microseconds=1))


def reaction_scope(view: ViewData, limit: int = MAX_REACTION_EVENTS) -> tuple[AnalysisScope | None, str]:
    """What the reaction table measures, and a note when that is not every event on screen.

    Up to ``limit`` events: all of them. Beyond: the curated events only (article publications
    are the bulk of a large archive), and of those the first ``limit`` in time order. None when
    nothing is left to measure."""
    scope = analysis_scope(view)
    events = view.events
    if events is None or len(events) <= limit:
        return scope, ""
    kinds = events["kind"].astype(str).str.lower()
    curated_kinds = sorted(set(kinds) - {"publication"})
    picked_publications = "publication" in {k.lower() for k in view.filters.kinds}
    if curated_kinds:
        chosen = events[kinds.isin(curated_kinds)]
        scope = dataclasses.replace(scope, kinds=tuple(curated_kinds))
    elif picked_publications:
        chosen = events
    else:
        return None, (f"Reactions are not computed for the {len(events):,} article publications in this window "
                      f"(more than {limit:,}): narrow the dates, pick a tag or source, or pick the kind "
                      f"'publication' to measure the first {limit:,}.")
    candidates = len(chosen)
    if len(chosen) > limit:
        last = pd.Timestamp(chosen["ts"].sort_values(kind="stable").iloc[limit - 1])
        scope = dataclasses.replace(scope, until=min(scope.until, last))
        chosen = chosen[pd.to_datetime(chosen["ts"], utc=True) <= last]
    left_out = []
    if len(events) > candidates:
        left_out.append(f"{len(events) - candidates:,} article publications")
    if candidates > len(chosen):
        left_out.append(f"{candidates - len(chosen):,} events after the first {len(chosen):,} in time order")
    return scope, (f"Reactions for {len(chosen):,} of the {len(events):,} events in this window; left out to keep "
                   f"the page quick: {' and '.join(left_out)}. Narrow the dates or pick tags, sources or event "
                   "kinds to measure others.")


def load_reactions(db: Any, scope: AnalysisScope) -> pd.DataFrame:
    """analysis.load.reactions for the screen's events (every listing of the company)."""
    from dashboard import store
    from dashboard.analysis import load as analysis_load

    with store.as_database(db).read() as con:
        return analysis_load.reactions(con, scope.analysis_filters())


def claims_scope(view: ViewData, limit: int = MAX_CLAIM_TEXTS) -> tuple[AnalysisScope | None, str]:
    """What the claims panel reads, and a note when that is not every text on screen: above
    ``limit`` articles and events, the curated events only (no article bodies)."""
    scope = analysis_scope(view)
    events = view.events if view.events is not None else pd.DataFrame(columns=["kind"])
    if view.total_articles + len(events) <= limit:
        return scope, ""
    curated_kinds = sorted(set(events["kind"].astype(str).str.lower()) - {"publication"})
    if not curated_kinds:
        return None, (f"Claims are not checked for the {view.total_articles:,} articles in this window (more than "
                      f"{limit:,}): narrow the dates or pick a tag or source.")
    scope = dataclasses.replace(scope, kinds=tuple(curated_kinds))
    curated = int(events["kind"].astype(str).str.lower().isin(curated_kinds).sum())
    return scope, (f"Claims checked in the {curated:,} curated events only; the {view.total_articles:,} articles "
                   f"in this window (more than {limit:,}) are left out: narrow the dates or pick a tag or source.")


def load_claims(db: Any, scope: AnalysisScope) -> pd.DataFrame:
    """analysis.load.claims for the screen's articles and events."""
    from dashboard import store
    from dashboard.analysis import load as analysis_load

    with store.as_database(db).read() as con:
        return analysis_load.claims(con, scope.analysis_filters())


def signed_pct(value: Any, digits: int = 2) -> str:
    """'+1.27%' / '−3.78%' with a real minus sign; '' when missing."""
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):+.{digits}f}%".replace("-", "−")


def signed_bp(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):+.0f} bp".replace("-", "−")


def _when(ts: Any, zone: str, precision: str = "minute") -> str:
    if ts is None or pd.isna(ts):
        return ""
    if precision == "day":
        # A day-precision time is midnight in the zone it was reported in; its midday in UTC
        # falls on that date for every zone within ±12 h, whatever the display zone.
        day = pd.Timestamp(ts).tz_convert("UTC") + pd.Timedelta(hours=12)
        return f"{day:%a %m-%d} (day)"
    local = pd.Timestamp(ts).tz_convert(zone)
    return f"{local:%a %m-%d %H:%M}" + (" (hour)" if precision == "hour" else "")


def _wait(event_ts: Any, first: Any) -> str:
    if first is None or pd.isna(first) or event_ts is None or pd.isna(event_ts):
        return ""
    minutes = int(round((pd.Timestamp(first) - pd.Timestamp(event_ts)).total_seconds() / 60))
    if minutes <= 1:
        return "at once"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    return "+" + " ".join(([f"{days}d"] if days else []) + ([f"{hours}h"] if hours else []) + ([f"{mins}m"] if mins and not days else []))


def reaction_rows(table: pd.DataFrame, zone: str, event_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The reaction table as the screen shows it: timed events first (the story), then the
    day-precision ones, each in time order. Returns in % (signed, ×100), abnormal in bp, the
    ADR premium in %, and the notes an analyst needs (closed market, day precision, window cut,
    synthetic bars). Keeps ``event_id`` for selection."""
    columns = ["event_id", "event time", "event", "listing", "first trade", "wait", "ref price",
               *RETURN_COLUMNS.values(), "abnormal to close", "benchmark", "volume ×", "ADR premium at event", "notes"]
    if table is None or table.empty:
        return pd.DataFrame(columns=columns)
    table = table.copy()
    if event_ids is not None:
        table = table[table["event_id"].isin(set(event_ids))]
    table["_order"] = (table["precision"] == "day").astype(int)  # timed (minute or hour) first
    table = table.sort_values(["_order", "event_ts", "event_id"], kind="stable").reset_index(drop=True)
    out = pd.DataFrame({
        "event_id": table["event_id"],
        "event time": [_when(t, zone, p) for t, p in zip(table["event_ts"], table["precision"])],
        "event": table["headline"],
        "listing": table["symbol"],
        "first trade": [
            f"session {s}" if p == "day" and s is not None else _when(t, zone)
            for t, p, s in zip(table["first_bar_ts"], table["precision"], table["session"])
        ],
        "wait": [("" if p == "day" else _wait(e, t)) for e, t, p in zip(table["event_ts"], table["tradable_from"], table["precision"])],
        "ref price": table["ref_price"],
    })
    for column, label in RETURN_COLUMNS.items():
        out[label] = table[column] * 100
    out["abnormal to close"] = table["abn_session_close"] * 1e4
    out["benchmark"] = table["benchmark_symbol"]
    out["volume ×"] = table["volume_ratio"]
    out["ADR premium at event"] = table["adr_premium_at_event"] * 100
    notes = []
    for note, cut, source in zip(table["note"], table["windows_cut"], table["bars_source"]):
        bits = [str(note)] if note and not pd.isna(note) else []
        if cut and not pd.isna(cut):
            bits.append(f"cut: {cut}")
        if source and not pd.isna(source) and "synthetic" in str(source):
            bits.append(config.SYNTHETIC_LABEL)
        notes.append("; ".join(bits))
    out["notes"] = notes
    return out


def _sign_color(value: Any) -> str:
    if value is None or pd.isna(value) or value == 0:
        return ""
    return f"color: {UP_COLOR if value > 0 else DOWN_COLOR}"


def style_reactions(rows: pd.DataFrame):
    """A pandas Styler: signed %, bp, ×, and blue up / vermillion down (colour-blind safe)."""
    pct_columns = [*RETURN_COLUMNS.values(), "ADR premium at event"]
    styler = rows.style.format(signed_pct, subset=pct_columns, na_rep="")
    styler = styler.format(signed_bp, subset=["abnormal to close"], na_rep="")
    styler = styler.format(lambda v: "" if pd.isna(v) else f"{v:.1f}×", subset=["volume ×"])
    styler = styler.format(lambda v: "" if pd.isna(v) else f"{v:,.2f}", subset=["ref price"])
    return styler.map(_sign_color, subset=[*pct_columns, "abnormal to close"])


def claim_rows(claims: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Reported vs computed, one line per claim, as plain text: listing, quote, claimed,
    computed, verdict (agrees / differs by x pp / cannot check) and the reason."""
    columns = ["published", "source", "listing", "quote", "claimed", "computed", "verdict", "detail"]
    if claims is None or claims.empty:
        return pd.DataFrame(columns=columns)
    claims = claims.sort_values(["published_at", "origin", "origin_id"], kind="stable").reset_index(drop=True)
    rows = []
    for c in claims.to_dict("records"):
        claimed = []
        if c.get("size_pct") is not None and not pd.isna(c.get("size_pct")):
            qualifier = c.get("qualifier")
            claimed.append(signed_pct(c["size_pct"]) + (f" ({qualifier})" if qualifier and qualifier != "exact" else ""))
        if c.get("price") is not None and not pd.isna(c.get("price")):
            claimed.append(f"{c.get('currency') or ''} {c['price']:,.2f}".strip())
        measure = c.get("measure") or ""
        claimed_text = " at ".join(claimed) + (f" · {measure}" if measure and measure != "unspecified" else "")
        computed = []
        if c.get("computed_pct") is not None and not pd.isna(c.get("computed_pct")):
            computed.append(signed_pct(c["computed_pct"]))
        if c.get("computed_price") is not None and not pd.isna(c.get("computed_price")):
            computed.append(f"{c['computed_price']:,.2f}")
        matched = c.get("matched")
        session = c.get("session")
        where = " ".join(str(x) for x in (matched if matched and not pd.isna(matched) else "", session or "") if x)
        verdict = str(c.get("verdict") or "")
        if verdict == "differs" and c.get("diff_pp") is not None and not pd.isna(c.get("diff_pp")):
            verdict = f"differs by {c['diff_pp']:+.2f} pp".replace("-", "−")
        detail = str(c.get("verdict_text") or "")
        if "synthetic" in str(c.get("bars_source") or ""):
            detail += f" [{config.SYNTHETIC_LABEL}]"
        rows.append({
            "published": _when(c.get("published_at"), zone, c.get("precision") or "minute"),
            "source": c.get("source") or "",
            "listing": c.get("listing") or "—",
            "quote": " ".join(str(c.get("quote") or "").split()),
            "claimed": claimed_text,
            "computed": " at ".join(computed) + (f" ({where})" if computed and where else ""),
            "verdict": verdict,
            "detail": detail,
        })
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------------------------
# Tables and reader lines as the screen shows them (pure; the app only displays them)


def _lane_label(kind: str, stance: str) -> str:
    from dashboard import charts

    return charts.STANCE_GROUPS[charts.stance_group(kind, stance)].label


def listed_events(view: ViewData) -> pd.DataFrame:
    """The events the Events table lists: the newest MAX_TABLE_ROWS, in time order."""
    return view.events.tail(MAX_TABLE_ROWS) if len(view.events) > MAX_TABLE_ROWS else view.events


def shown_note(shown: int, total: int, noun: str) -> str | None:
    """The sentence under a table that lists fewer rows than match (None when it lists all)."""
    if total <= shown:
        return None
    return (f"Showing the newest {shown:,} of {total:,} {noun}. Narrow the dates or pick tags, sources or "
            "event kinds to list others (exports hold them all).")


def format_time(ts: pd.Timestamp, precision: str, zone: str) -> str:
    """A table cell: local time in ``zone``, or the day alone for day-precision times."""
    local = pd.Timestamp(ts).tz_convert(zone)
    if precision == "day":
        return f"{local:%Y-%m-%d} (day)"
    return f"{local:%Y-%m-%d %H:%M}"


def event_table(events: pd.DataFrame, zone: str) -> pd.DataFrame:
    """The Events table as shown: times in the display zone, the lane each event is drawn in."""
    return pd.DataFrame({
        "time": [format_time(t, p, zone) for t, p in zip(events["ts"], events["precision"])],
        "lane": [_lane_label(k, s) for k, s in zip(events["kind"], events["stance"])],
        "kind": events["kind"],
        "actor": events["actor"],
        "headline": events["headline"],
        "source": events["source"],
        "tags": ["; ".join(t or []) for t in events["tags"]],
    })


def article_table(articles: pd.DataFrame, zone: str) -> pd.DataFrame:
    """The Articles table as shown."""
    return pd.DataFrame({
        "published": [format_time(t, p or "minute", zone) for t, p in zip(articles["published_at"], articles["published_precision"])],
        "title": articles["title"],
        "source": articles["source"],
        "tags": ["; ".join(t or []) for t in articles["tags"]],
    })


def times_line(ts, precision: str, zone_name: str | None) -> str:
    """The reader's time line: the instant in UTC, New York and Hong Kong; a day-precision time
    as the day in the zone it was reported in (never a made-up minute)."""
    ts = pd.Timestamp(ts)
    if precision == "day":
        zone = zone_name or "UTC"
        return f"{ts.tz_convert(zone):%a %Y-%m-%d} (a whole day in {zone}; no time of day reported)"
    parts = [f"{ZONE_LABELS[z]} {ts.tz_convert(z):%a %Y-%m-%d %H:%M}" for z in ZONES]
    suffix = " (to the hour)" if precision == "hour" else ""
    return " · ".join(parts) + suffix
