"""A day-precision event is read against the first session that opens once its day has begun in
the zone it was dated in (markets.next_tradable_times' day rule): New York-dated Friday news
reaches Hong Kong on Monday, Hong Kong-dated news reaches New York the same calendar day. One rule
for the reaction table, markets.first_trades (the chart's ring) and the whole bundled case."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import analysis_builder as builder  # tests/analysis_builder.py: bars from a known step path
from dashboard import markets, store
from dashboard.analysis import load as analysis_load
from dashboard.analysis.reactions import listing_reaction
from dashboard.screen import Filters, load_view
from dashboard.store import events as store_events

utc = builder.utc

NY_SESSIONS = markets.sessions("XNYS", "2025-11-01", "2025-11-25")
HK_SESSIONS = markets.sessions("XHKG", "2025-11-01", "2025-11-25")
# 9988.HK: 150, Friday 11-14 153 from its afternoon, Monday 11-17 opens 147 and ends 148.5
HK = builder.step_bars(builder.session_minutes("XHKG", "2025-11-06", "2025-11-19"), [
    ("2025-11-06", 150), ("2025-11-14 05:00", 153), ("2025-11-17 01:30", 147), ("2025-11-17 06:00", 148.5)])
# BABA: 100, Thursday 11-13 101 from 20:00Z, Friday 11-14 97 from 18:02Z
BABA = builder.step_bars(builder.session_minutes("XNYS", "2025-11-06", "2025-11-19"), [
    ("2025-11-06", 100), ("2025-11-13 20:00", 101), ("2025-11-14 18:02", 97)])


def day_start(day: str, zone: str) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize(zone).tz_convert("UTC")


def hk(day: str, zone: str) -> dict:
    return listing_reaction(event_ts=day_start(day, zone), precision="day", ts_zone=zone, bars=HK,
                            sessions=HK_SESSIONS, symbol="9988.HK")


def baba(day: str, zone: str) -> dict:
    return listing_reaction(event_ts=day_start(day, zone), precision="day", ts_zone=zone, bars=BABA,
                            sessions=NY_SESSIONS, symbol="BABA")


def test_new_york_friday_news_reaches_hong_kong_on_monday_and_the_note_says_why():
    row = hk("2025-11-14", "America/New_York")
    # Hong Kong's Friday session ran 20:30 Thursday to 03:00 Friday, New York time
    assert str(row["session"]) == "2025-11-17"
    assert row["first_bar_ts"] == row["tradable_from"] == utc("2025-11-17 01:30")
    assert row["ref_ts"] == utc("2025-11-14 07:59") and row["ref_price"] == 153  # Friday's close
    assert row["ret_session_close"] == pytest.approx(148.5 / 153 - 1)
    assert ("9988.HK's 2025-11-14 session opened before 2025-11-14 began in New York "
            "(20:30 on 11-13 there); reaction = next session 2025-11-17 close") in row["note"]


def test_hong_kong_dated_news_is_read_against_hong_kongs_own_session():
    row = hk("2025-11-14", "Asia/Hong_Kong")
    assert str(row["session"]) == "2025-11-14" and row["first_bar_ts"] == utc("2025-11-14 01:30")
    assert row["note"].startswith("day precision: reaction = 2025-11-14 session close")


def test_a_session_that_closed_before_the_day_began_is_named_so():
    row = hk("2025-11-14", "Pacific/Honolulu")  # Friday begins 10:00Z there, two hours after HK shut
    assert str(row["session"]) == "2025-11-17"
    assert "9988.HK's 2025-11-14 session closed before 2025-11-14 began in Honolulu" in row["note"]


def test_hong_kong_dated_news_reaches_new_york_the_same_calendar_day():
    # Friday 11-14 in Hong Kong began at 11:00 ET on Thursday, while New York's Thursday traded:
    # that session opened before the news could have come, so Friday's is read
    friday = baba("2025-11-14", "Asia/Hong_Kong")
    assert str(friday["session"]) == "2025-11-14" and friday["first_bar_ts"] == utc("2025-11-14 14:30")
    assert friday["ref_price"] == 101 and friday["ret_session_close"] == pytest.approx(97 / 101 - 1)
    # Monday 11-17 in Hong Kong began on Sunday: New York's Monday
    monday = baba("2025-11-17", "Asia/Hong_Kong")
    assert str(monday["session"]) == "2025-11-17" and monday["first_bar_ts"] == utc("2025-11-17 14:30")
    # and Saturday in Hong Kong (Friday evening in New York): Monday
    assert str(baba("2025-11-15", "Asia/Hong_Kong")["session"]) == "2025-11-17"


def test_an_events_day_is_the_whole_local_day_in_its_zone():
    starts, ends = markets.event_days([utc("2025-11-02 12:00"), utc("2025-11-14 05:00")],
                                      ["America/New_York", "Asia/Hong_Kong"])
    assert (starts[0], ends[0]) == (utc("2025-11-02 04:00"), utc("2025-11-03 05:00"))  # clocks went back: 25 h
    assert (starts[1], ends[1]) == (utc("2025-11-13 16:00"), utc("2025-11-14 16:00"))  # Friday in Hong Kong


def test_first_trades_follow_the_same_day_rule_as_the_reaction_table():
    days = [("2025-11-14", "America/New_York"), ("2025-11-14", "Asia/Hong_Kong"), ("2025-11-15", "Asia/Hong_Kong")]
    timed = utc("2025-11-14 18:02:11")  # the FT minute, in the same call: a timed event keeps its rule
    times = [day_start(d, z) for d, z in days] + [timed]
    precisions = ["day"] * len(days) + ["minute"]
    zones = [z for _, z in days] + ["America/New_York"]
    for symbol, bars, sessions, react in (("9988.HK", HK, HK_SESSIONS, hk), ("BABA", BABA, NY_SESSIONS, baba)):
        found = markets.first_trades(bars, sessions, times, precisions=precisions, zones=zones)
        for (day, zone), trade in zip(days, found.iloc[:len(days)].to_dict("records")):
            row = react(day, zone)
            assert trade["tradable_from"] == row["tradable_from"], (symbol, day, zone)
            assert trade["first_bar_ts"] == row["first_bar_ts"], (symbol, day, zone)
            assert (trade["ref_ts"], trade["ref_price"]) == (row["ref_ts"], row["ref_price"]), (symbol, day, zone)
        moment = markets.next_tradable(sessions, timed)[1]
        assert found["tradable_from"].iloc[-1] == moment and found["time"].iloc[-1] == timed


# ---------------------------------------------------------------------------------------------
# The bundled case: every event × listing


@pytest.fixture(scope="module")
def case_reactions(case_db):
    with store.Database(case_db).read() as con:
        table = analysis_load.reactions(con, analysis_load.EventSelection())
        events = store_events.query_events(con)
    return table.merge(events[["event_id", "ts_zone"]], on="event_id", how="left")


def test_no_reaction_row_reads_a_session_that_began_before_its_events_day(case_reactions):
    table = case_reactions
    day = table[table["precision"] == "day"]
    assert len(day) >= 150 and day["first_bar_ts"].notna().sum() >= 100
    starts = markets.event_days(day["event_ts"], day["ts_zone"])[0]
    read = day["first_bar_ts"].notna().to_numpy()
    assert (day["first_bar_ts"][read] >= starts[read]).all()
    assert (day["tradable_from"][read] >= starts[read]).all()
    # the FT day in New York: 9988.HK first trades it on Monday, flat (HK$154.9 to HK$154.9)
    ft_day = day[(day["symbol"] == "9988.HK") & (day["ts_zone"] == "America/New_York")
                 & (day["event_ts"] == day_start("2025-11-14", "America/New_York"))]
    assert len(ft_day) >= 20
    assert set(ft_day["session"].astype(str)) == {"2025-11-17"}
    assert ft_day["ret_session_close"].abs().max() < 0.0005
    assert ft_day["note"].str.contains("9988.HK's 2025-11-14 session opened before 2025-11-14 began in New York").all()


def test_the_screens_first_trades_for_day_events_match_the_reaction_table(case_db, case_reactions):
    view = load_view(store.Database(case_db), Filters(start=dt.date(2025, 11, 12), end=dt.date(2025, 11, 19)))
    trades = view.first_trades.set_index(["event_id", "symbol"])
    table = case_reactions.set_index(["event_id", "symbol"])
    day = view.events[view.events["precision"] == "day"]
    checked = 0
    for event_id in day["event_id"]:
        for lv in view.listings:
            ours, theirs = trades.loc[(event_id, lv.symbol)], table.loc[(event_id, lv.symbol)]
            for column in ("tradable_from", "first_bar_ts", "ref_price"):
                a, b = ours[column], theirs[column]
                assert (pd.isna(a) and pd.isna(b)) or a == b, (event_id, lv.symbol, column)
            checked += 1
    assert checked >= 40


def test_a_picked_day_event_rings_the_reaction_tables_first_bars(case_db, case_reactions):
    from dashboard import charts

    view = load_view(store.Database(case_db), Filters())  # the case week
    denial = "2025-11-14-alibaba-denial-reuters"  # dated 2025-11-14 in New York
    table = case_reactions.set_index(["event_id", "symbol"])
    fig = charts.overlay_figure(view, highlight=denial)
    rings = {t.name.removeprefix("first trade "): t for t in fig.data
             if (t.name or "").startswith("first trade") and t.mode == "markers"}
    assert set(rings) == {"BABA", "9988.HK"}
    for symbol, ring in rings.items():
        assert pd.Timestamp(ring.x[0]) == table.loc[(denial, symbol), "first_bar_ts"].tz_convert("UTC").tz_localize(None)
    assert pd.Timestamp(rings["9988.HK"].x[0]) == pd.Timestamp("2025-11-17 01:30")  # Monday, not Friday
    labels = [a.text for a in fig.layout.annotations if (a.name or "") == "first trade 9988.HK"]
    assert labels == ["<b>9988.HK first trades the Alibaba denial (dated 11-14 in New York)</b> · Mon 01:30 UTC"]
    assert not [a for a in fig.layout.annotations if (a.name or "").startswith("wait ")]  # no made-up wait
