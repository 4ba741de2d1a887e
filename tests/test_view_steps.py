"""The loader's steps one at a time, on frames (no store): which company, which days, a listing's
bars in the price mode's unit and its chart row; and the listing-role rules they use (the ADR,
the FX series, the extended-hours toggle)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from conftest import session_bars
from dashboard import markets
from dashboard.markets.listings import adr_listing, fx_symbol, home_listing, shares_per_adr
from dashboard.screen import DEFAULT_COMPANY, Filters, listing_view, pick_company, priced_bars, window_days

COMPANIES = pd.DataFrame({"company_id": ["alibaba", "tencent"], "name": ["Alibaba Group", "Tencent"],
                          "aliases": [["BABA", "阿里巴巴"], ["腾讯"]]})
LISTINGS = pd.DataFrame({
    "symbol": ["BABA", "9988.HK", "KWEB", "HKD=X", "CNH=X"],
    "company_id": ["alibaba", "alibaba", None, None, None],
    "role": ["listing", "listing", "benchmark", "fx", "fx"],
    "exchange_mic": ["XNYS", "XHKG", "XNYS", None, None],
    "currency": ["USD", "HKD", "USD", "HKD", "CNH"],
    "shares_per_unit": [8.0, 1.0, 1.0, 1.0, 1.0],
})
BABA = LISTINGS.iloc[0].to_dict()
HK = LISTINGS.iloc[1].to_dict()
START, END = pd.Timestamp("2025-11-14 00:00", tz="UTC"), pd.Timestamp("2025-11-15 00:00", tz="UTC")


# --- which company ---------------------------------------------------------------------------

def test_a_company_is_found_by_alias_in_any_case():
    pick = pick_company(COMPANIES, "baba")
    assert (pick.company_id, pick.name, pick.found, pick.notice) == ("alibaba", "Alibaba Group", True, "")


def test_an_unknown_company_falls_back_to_the_default_with_a_notice():
    pick = pick_company(COMPANIES, "Evil Corp")
    assert pick.company_id == DEFAULT_COMPANY and not pick.found
    assert pick.notice == "Unknown company 'Evil Corp'; showing Alibaba Group."


def test_without_the_default_the_first_company_is_shown_and_only_a_wrong_name_is_noticed():
    others = COMPANIES.iloc[1:]
    assert pick_company(others, DEFAULT_COMPANY).company_id == "tencent"
    assert pick_company(others, DEFAULT_COMPANY).notice == ""
    assert "showing Tencent" in pick_company(others, "nope").notice


def test_an_empty_store_shows_nothing_and_says_so():
    pick = pick_company(COMPANIES.iloc[0:0], "alibaba")
    assert pick.company_id is None and pick.notice == "Unknown company 'alibaba'; showing nothing."


# --- which days ------------------------------------------------------------------------------

DEFAULT = (dt.date(2025, 11, 13), dt.date(2025, 11, 18))
TODAY = dt.date(2026, 1, 10)


@pytest.mark.parametrize("start, end, wanted", [
    (dt.date(2025, 11, 1), dt.date(2025, 11, 2), (dt.date(2025, 11, 1), dt.date(2025, 11, 2))),
    (None, None, DEFAULT),
    (dt.date(2025, 11, 15), None, (dt.date(2025, 11, 15), dt.date(2025, 11, 18))),
    (dt.date(2025, 11, 20), None, (dt.date(2025, 11, 20), dt.date(2025, 11, 20))),  # never ends before it starts
    (None, dt.date(2025, 11, 10), (dt.date(2025, 11, 10), dt.date(2025, 11, 10))),
])
def test_the_days_are_the_filters_own_else_the_default_windows(start, end, wanted):
    assert window_days(start, end, DEFAULT, TODAY) == wanted


def test_without_a_default_window_the_days_end_today():
    assert window_days(None, None, None, TODAY) == (dt.date(2026, 1, 5), TODAY)


# --- the price mode --------------------------------------------------------------------------

def _bars(mic: str, price: float) -> pd.DataFrame:
    return markets.prepare_bars(session_bars(mic, START - pd.Timedelta(days=3), END, price=price, seed=7))


def _in_window(around: pd.DataFrame) -> pd.DataFrame:
    return around[(around["ts"] >= START) & (around["ts"] < END)].drop(columns="end").reset_index(drop=True)


def test_price_mode_leaves_the_bars_in_the_listings_currency():
    around = _bars("XHKG", 130.0)
    priced = priced_bars(_in_window(around), around, HK, Filters(), START, fx_bars={}, fx_symbols={}, adr_shares=8)
    assert priced.y_unit == "HKD" and priced.bars["close"].equals(_in_window(around)["close"])


def test_pct_mode_is_the_change_from_the_price_at_the_reference_time():
    around = _bars("XHKG", 130.0)
    bars = _in_window(around)
    reference = bars["ts"].iloc[10] + pd.Timedelta(minutes=1)  # the 11th bar has finished
    priced = priced_bars(bars, around, HK, Filters(price_mode="pct", reference=reference), START,
                         fx_bars={}, fx_symbols={}, adr_shares=8)
    assert priced.y_unit == "% change"
    assert priced.reference_price == pytest.approx(bars["close"].iloc[10])
    assert priced.bars["close"].iloc[10] == pytest.approx(0.0)
    assert priced.bars["close"].iloc[20] == pytest.approx((bars["close"].iloc[20] / bars["close"].iloc[10] - 1) * 100)


def test_usd_mode_prices_the_home_listing_per_adr_unit_with_the_fx_as_of_each_bar():
    around = _bars("XHKG", 130.0)
    bars = _in_window(around)
    fx = markets.prepare_bars(pd.DataFrame({"ts": pd.date_range(START - pd.Timedelta(days=3), END, freq="1h"),
                                            "open": 7.8, "high": 7.8, "low": 7.8, "close": 7.8, "volume": 0.0,
                                            "interval": "60m"}))
    priced = priced_bars(bars, around, HK, Filters(price_mode="usd"), START, fx_bars={"HKD": fx},
                         fx_symbols={"HKD": "HKD=X"}, adr_shares=8)
    assert priced.y_unit == "USD per ADS (8 sh)" and priced.notices == []
    np.testing.assert_allclose(priced.bars["close"], bars["close"] * 8 / 7.8)


def test_usd_mode_without_fx_bars_keeps_the_prices_and_names_the_missing_series():
    around = _bars("XHKG", 130.0)
    priced = priced_bars(_in_window(around), around, HK, Filters(price_mode="usd"), START, fx_bars={},
                         fx_symbols={"HKD": "HKD=X"}, adr_shares=8)
    assert priced.y_unit == "HKD"
    (notice,) = priced.notices
    assert notice.startswith("No HKD=X bars stored, so 9988.HK cannot be shown in USD")


# --- a listing's row -------------------------------------------------------------------------

def test_a_listing_row_is_thinned_and_keeps_its_total():
    around = _bars("XNYS", 160.0)
    bars = _in_window(around)
    priced = priced_bars(bars, around, BABA, Filters(), START, fx_bars={}, fx_symbols={}, adr_shares=8)
    notices: list[str] = []
    row = listing_view(BABA, priced, Filters(), START, END, 50, notices)
    assert row.total_bars == len(bars) > 50 >= len(row.bars)
    assert len(row.closed) and len(row.extended) and notices == []
    off = listing_view(BABA, priced, Filters(extended_hours=False), START, END, 50, notices)
    assert off.extended.empty


def test_an_unknown_exchange_is_a_notice_not_a_crash():
    around = _bars("XHKG", 130.0)
    odd = dict(HK, exchange_mic="XMARS")
    priced = priced_bars(_in_window(around), around, odd, Filters(), START, fx_bars={}, fx_symbols={}, adr_shares=8)
    notices: list[str] = []
    row = listing_view(odd, priced, Filters(), START, END, 4000, notices)
    assert row.closed.empty and notices and "No trading calendar for 9988.HK (XMARS)" in notices[0]


# --- the listing-role rules ------------------------------------------------------------------

def test_the_adr_is_the_usd_listing_of_several_shares_and_home_the_other_currency():
    assert adr_listing(LISTINGS, "alibaba")["symbol"] == "BABA"
    assert home_listing(LISTINGS, "alibaba")["symbol"] == "9988.HK"
    assert shares_per_adr(LISTINGS, "alibaba") == 8.0
    without = LISTINGS[LISTINGS["symbol"] != "BABA"]
    assert adr_listing(without, "alibaba") is None and shares_per_adr(without, "alibaba") == 1.0


def test_the_fx_series_is_the_registrys_fx_row_else_yahoos_name():
    renamed = LISTINGS.replace({"symbol": {"HKD=X": "USDHKD"}})
    assert fx_symbol(renamed, "HKD") == "USDHKD"
    assert fx_symbol(LISTINGS, "HKD") == "HKD=X"
    assert fx_symbol(LISTINGS, "JPY") == "JPY=X"  # no [[fx]] row: Yahoo's convention
    assert fx_symbol(LISTINGS, "USD") is None


def test_extended_hours_off_keeps_only_the_regular_sessions_bars():
    sessions = markets.sessions("XNYS", START - pd.Timedelta(days=1), END + pd.Timedelta(days=1))
    ts = pd.date_range("2025-11-14 13:00", "2025-11-14 22:00", freq="30min", tz="UTC")
    bars = pd.DataFrame({"ts": ts, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0,
                         "interval": "30m"})
    every = markets.bars_in_hours(bars, sessions, extended=True)
    regular = markets.bars_in_hours(bars, sessions, extended=False)
    assert set(every["session_part"]) == {"pre", "regular", "post"}
    assert set(regular["session_part"]) == {"regular"}
    assert list(regular["ts"]) == list(every[every["session_part"] == "regular"]["ts"])
