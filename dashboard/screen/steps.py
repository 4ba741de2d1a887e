"""The loader's pure steps, in the order ``load_view`` takes them: which company, which days, the
bars of one listing in the price mode's unit, and that listing's row of the chart.

No store access here (``screen.load`` reads; these only compute), so each step is tested on
frames alone (tests/test_view_steps.py). Every timestamp is tz-aware UTC.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard import markets
from dashboard.markets.listings import fx_symbol
from dashboard.screen.bars import (closed_frame, downsample_bars, extended_frame, in_usd_per_unit, price_at_reference,
                                   scale_prices, volume_bucket_for, volume_buckets)
from dashboard.screen.filters import DEFAULT_COMPANY, Filters
from dashboard.screen.model import ListingView

# The default window: the story days around the company's busiest news day (one screen).
DEFAULT_WINDOW_DAYS = 6


@dataclass(frozen=True)
class CompanyPick:
    """The company a screen shows: the one asked for, else the default, else the first."""

    company_id: str | None  # None: the store holds no companies
    name: str
    found: bool  # the one asked for
    notice: str = ""


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


def pick_company(companies: pd.DataFrame, wanted: str) -> CompanyPick:
    """THE company resolution of a screen (the view, the sidebar's options): ``wanted`` by id,
    name or alias; else the default company, else the first stored, with a notice unless the
    default itself was asked for and is simply absent from a store holding others."""
    found = resolve_company(companies, wanted)
    if found is not None:
        return CompanyPick(found[0], found[1], True)
    fallback = resolve_company(companies, DEFAULT_COMPANY)
    if fallback is None and companies is not None and len(companies):
        row = companies.iloc[0]
        fallback = (str(row["company_id"]), str(row.get("name") or row["company_id"]))
    notice = ""
    if wanted != DEFAULT_COMPANY or fallback is None:
        notice = f"Unknown company {wanted!r}; showing {fallback[1] if fallback else 'nothing'}."
    if fallback is None:
        return CompanyPick(None, wanted, False, notice)
    return CompanyPick(fallback[0], fallback[1], False, notice)


def window_days(start: dt.date | None, end: dt.date | None, default: tuple[dt.date, dt.date] | None,
                today: dt.date) -> tuple[dt.date, dt.date]:
    """The days shown: the filters' own, and where one is missing the default window's (without
    one, the DEFAULT_WINDOW_DAYS up to ``today``), never ending before it starts."""
    if start is not None and end is not None:
        return start, end
    if default is None:
        default = (today - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1), today)
    start = start or (default[0] if end is None else min(default[0], end))
    return start, end or max(default[1], start)


@dataclass
class PricedBars:
    """One listing's bars in the price mode's unit, and what the axis calls that unit."""

    bars: pd.DataFrame
    y_unit: str
    reference_price: float | None = None
    notices: list[str] = field(default_factory=list)


def priced_bars(bars: pd.DataFrame, around: pd.DataFrame, listing: dict, filters: Filters, start: pd.Timestamp,
                *, fx_bars: dict[str, pd.DataFrame], fx_symbols: dict[str, str], adr_shares: float) -> PricedBars:
    """The price mode's arithmetic on a listing's bars in the window: ``price`` as stored; ``usd``
    as USD per ADR unit (``adr_shares`` shares, FX from ``fx_bars`` by currency); ``pct`` as %
    change from the price at the reference time (from ``around``, the bars reaching before)."""
    currency = listing.get("currency") or ""
    out = PricedBars(bars, currency or "price")
    if not len(bars):
        return out
    symbol = listing["symbol"]
    if filters.price_mode == "usd":
        fx = fx_symbols.get(currency) or fx_symbol(None, currency)
        converted = in_usd_per_unit(bars, currency, fx_bars, adr_shares / float(listing.get("shares_per_unit") or 1))
        if converted is None:
            out.notices.append(f"No {fx} bars stored, so {symbol} cannot be shown in USD; "
                               f"load FX with `python -m dashboard prices fetch` or the sample.")
            return out
        unquoted = int(converted["close"].isna().sum())
        if unquoted:
            out.notices.append(f"{unquoted:,} {symbol} bars have no {fx} quote from the "
                               f"{markets.MAX_QUOTE_AGE.days} days before them, so they are left out in USD.")
        out.bars, out.y_unit = converted, f"USD per ADS ({adr_shares:g} sh)" if adr_shares > 1 else "USD"
    elif filters.price_mode == "pct":
        when = filters.reference if filters.reference is not None else start
        out.reference_price = price_at_reference(around, bars, when)
        if out.reference_price:
            scaled = scale_prices(bars, 1.0 / out.reference_price)
            for col in ("open", "high", "low", "close"):
                scaled[col] = (scaled[col] - 1.0) * 100.0
            out.bars, out.y_unit = scaled, "% change"
    return out


def listing_view(listing: dict, priced: PricedBars, filters: Filters, start: pd.Timestamp, end: pd.Timestamp,
                 max_points: int, notices: list[str]) -> ListingView:
    """A listing's row of the chart: its bars thinned to ``max_points``, volume in display
    buckets, its exchange's closed and extended hours; a missing calendar becomes a notice."""
    symbol, bars = listing["symbol"], priced.bars
    mic = listing.get("exchange_mic") or ""
    interval = str(bars["interval"].iloc[0]) if len(bars) and "interval" in bars else filters.interval
    bucket = volume_bucket_for(end - start, interval) if len(bars) else ""
    extended = filters.extended_hours and markets.has_extended_hours(mic)
    try:
        closed = closed_frame(markets.closed_intervals(mic, start, end, extended=extended) if mic else None)
    except Exception as exc:  # an unknown exchange must not take the screen down
        notices.append(f"No trading calendar for {symbol} ({mic}): {exc}")
        closed = closed_frame(None)
    return ListingView(
        symbol=symbol,
        name=str(listing.get("name") or symbol),
        exchange_mic=mic,
        currency=listing.get("currency") or "",
        tz=listing.get("tz") or "UTC",
        shares_per_unit=float(listing.get("shares_per_unit") or 1),
        bars=downsample_bars(bars, max_points),
        total_bars=len(bars),
        interval=interval,
        closed=closed,
        y_unit=priced.y_unit,
        reference_price=priced.reference_price,
        volume=volume_buckets(bars, bucket),
        volume_bucket=bucket,
        extended=extended_frame(markets.extended_intervals(mic, start, end) if extended else []),
    )


def no_bars_notice(symbol: str, start_day: dt.date, end_day: dt.date) -> str:
    return (f"No stored bars for {symbol} between {start_day} and {end_day}. The app shows stored "
            f"prices only (Yahoo is not reachable from here): run `python -m dashboard prices sample` "
            f"for the synthetic sample or `python -m dashboard prices fetch` when online.")
