"""One owner per market rule: the chart, the reaction table, the price modes and the ADR parity
read the same answers (markets.first_trades, markets.price_at, markets.quotes_asof)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard import charts, config, store
from dashboard.analysis import load as analysis_load
from dashboard.ingest.companies import load_registry
from dashboard.store.bars import upsert_bars
from dashboard.store.companies import upsert_registry
from dashboard.screen import Filters, load_view

ALL_EVENTS = dict(start=dt.date(2025, 5, 1), end=dt.date(2026, 6, 30))  # every event in data/


def same(a, b) -> bool:
    """Equal, or both missing."""
    if pd.isna(a) or pd.isna(b):
        return pd.isna(a) and pd.isna(b)
    return a == b


@pytest.fixture(scope="module")
def all_events_view(case_db):
    return load_view(store.Database(case_db), Filters(**ALL_EVENTS))


@pytest.fixture(scope="module")
def reactions(case_db, all_events_view):
    view = all_events_view
    with store.Database(case_db).read() as con:
        return analysis_load.reactions(con, analysis_load.EventSelection(
            companies=[view.company_id], since=view.start, until=view.end - pd.Timedelta(microseconds=1)))


def test_first_trade_and_price_at_event_match_the_reaction_table_for_every_event(all_events_view, reactions):
    view = all_events_view
    timed = view.events[view.events["precision"] != "day"]
    # every timed event in data/ (day events: tests/test_day_sessions.py)
    assert len(timed) == (view.events["precision"] != "day").sum() >= 8
    assert {lv.symbol for lv in view.listings} == {"BABA", "9988.HK"}
    trades = view.first_trades.set_index(["event_id", "symbol"])
    table = reactions.set_index(["event_id", "symbol"])
    checked = priced = 0
    for event_id in timed["event_id"]:
        for lv in view.listings:
            ours, theirs = trades.loc[(event_id, lv.symbol)], table.loc[(event_id, lv.symbol)]
            assert same(ours["tradable_from"], theirs["tradable_from"]), (event_id, lv.symbol)
            assert same(ours["first_bar_ts"], theirs["first_bar_ts"]), (event_id, lv.symbol)
            assert same(ours["ref_price"], theirs["ref_price"]), (event_id, lv.symbol)
            checked += 1
            priced += pd.notna(ours["ref_price"]) and pd.notna(ours["first_bar_ts"])
    assert checked == 2 * len(timed) and priced >= 8  # the case week's events have bars on both sides


def test_the_chart_rings_the_reaction_tables_first_bar(case_db, reactions):
    view = load_view(store.Database(case_db), Filters())  # the case week
    table = reactions.set_index(["event_id", "symbol"])
    timed = view.events[view.events["precision"] != "day"]
    ringed = 0
    for event in timed.to_dict("records"):
        for lv, trade in charts.first_trades_after(view, event):
            assert trade["first_bar_ts"] == table.loc[(event["event_id"], lv.symbol), "first_bar_ts"]
            ringed += 1
    assert ringed >= len(timed)  # most events reach both listings inside the week
    key = charts.key_event(view.events)["event_id"]
    for event_id in (key, *timed["event_id"].iloc[[0, len(timed) // 2, -1]]):
        fig = charts.overlay_figure(view, highlight=event_id)
        rings = {t.name.removeprefix("first trade "): t for t in fig.data
                 if (t.name or "").startswith("first trade") and t.mode == "markers"}
        if event_id == key:
            assert set(rings) == {"BABA", "9988.HK"}
        for symbol, ring in rings.items():
            first = table.loc[(event_id, symbol), "first_bar_ts"]
            assert pd.Timestamp(ring.x[0]) == first.tz_convert("UTC").tz_localize(None), (event_id, symbol)


# ---------------------------------------------------------------------------------------------
# "USD per ADS" is the parity rule: FX as of each bar's end, never backward-filled, 5-day limit

T0 = pd.Timestamp("2025-11-17 14:30", tz="UTC")


def minute_bars(start, count, price, step, interval="1m", every=1):
    ts = pd.date_range(start, periods=count, freq=f"{every}min")
    close = price + step * np.arange(count)
    return pd.DataFrame({"ts": ts, "open": close, "high": close, "low": close, "close": close,
                         "volume": 1000.0})


@pytest.fixture(scope="module")
def fx_db(tmp_path_factory):
    """BABA and 9988.HK 1m bars at the same minutes; USDHKD as 5m bars that start ten minutes
    in, plus one quote a week earlier (too old to carry)."""
    db = store.Database(tmp_path_factory.mktemp("fx") / "fx.duckdb")
    with db.write() as con:
        upsert_registry(con, load_registry(config.COMPANIES_FILE))
        upsert_bars(con, minute_bars(T0, 40, 150.0, 0.1), symbol="BABA", interval="1m", source="yahoo")
        upsert_bars(con, minute_bars(T0, 40, 140.0, 0.05), symbol="9988.HK", interval="1m", source="yahoo")
        fx = pd.concat([minute_bars(T0 - pd.Timedelta(days=7), 1, 7.70, 0),
                        minute_bars(T0 + pd.Timedelta(minutes=10), 6, 7.78, 0.002, every=5)])
        upsert_bars(con, fx, symbol="HKD=X", interval="5m", source="yahoo")
    return db


def test_usd_per_ads_equals_the_parity_tables_adr_equivalent(fx_db):
    day = T0.date()
    view = load_view(fx_db, Filters(start=day, end=day, price_mode="usd", parity=True))
    hk = next(lv for lv in view.listings if lv.symbol == "9988.HK")
    assert hk.y_unit.startswith("USD per ADS")
    parity = view.parity.set_index("ts")
    usd = hk.bars.set_index("ts")["close"]
    assert len(usd) == 40 and set(usd.index) <= set(parity.index)
    for ts, value in usd.items():  # the same instants: ADR and home bars of the same minute
        assert same(value, parity.loc[ts, "parity"]) or value == pytest.approx(parity.loc[ts, "parity"]), ts
    # the first FX bar (14:40-14:45) has finished only at 14:45: the bars before have no quote
    quoted = usd.dropna()
    assert quoted.index.min() == T0 + pd.Timedelta(minutes=14)  # the 14:44 bar ends at 14:45
    assert any("no HKD=X quote" in n for n in view.notices)


def test_fx_bars_placed_so_backward_filling_would_change_the_answer(fx_db):
    day = T0.date()
    view = load_view(fx_db, Filters(start=day, end=day, price_mode="usd"))
    raw = load_view(fx_db, Filters(start=day, end=day))
    hk = next(lv for lv in view.listings if lv.symbol == "9988.HK").bars.set_index("ts")["close"]
    hk_raw = next(lv for lv in raw.listings if lv.symbol == "9988.HK").bars.set_index("ts")["close"]
    # 14:30: the week-old quote is beyond the 5-day limit and the next one had not finished.
    # Backward filling would have priced it with the 14:40 quote (7.78).
    assert np.isnan(hk[T0]) and np.isfinite(hk_raw[T0])
    # 14:52 (ends 14:53): the last FX bar finished by then is 14:45-14:50 (7.782), not the 14:50
    # bar that was still open (7.784) as a join on bar starts would take.
    at = T0 + pd.Timedelta(minutes=22)
    assert hk[at] == pytest.approx(hk_raw[at] * 8 / 7.782)
    assert hk[at] != pytest.approx(hk_raw[at] * 8 / 7.784)
