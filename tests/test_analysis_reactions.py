"""Event reactions on hand-made bars: first tradable bar, reference, windows, abnormal, volume."""
from __future__ import annotations


import pandas as pd
import pytest

import analysis_builder as builder  # tests/analysis_builder.py: bars from a known step path
from dashboard import markets
from dashboard.analysis.reactions import listing_reaction, reaction_table

utc = builder.utc

NY_SESSIONS = markets.sessions("XNYS", "2025-11-01", "2025-11-25")
HK_SESSIONS = markets.sessions("XHKG", "2025-11-01", "2025-11-25")
NY_MINUTES = builder.session_minutes("XNYS", "2025-11-06", "2025-11-19")
HK_MINUTES = builder.session_minutes("XHKG", "2025-11-06", "2025-11-19")

# BABA: 100 until the FT minute, then 99, 98, 97 in steps; Monday 101, then 102 from 20:00.
BABA = builder.step_bars(NY_MINUTES, [
    ("2025-11-06", 100), ("2025-11-14 18:02", 99), ("2025-11-14 18:07", 98),
    ("2025-11-14 18:17", 97), ("2025-11-17 14:30", 101), ("2025-11-17 20:00", 102)],
    volume_steps=[("2025-11-14 18:02", "2025-11-14 19:02", 400)])
KWEB = builder.step_bars(NY_MINUTES, [("2025-11-06", 50), ("2025-11-14 18:02", 49.5),
                                      ("2025-11-17 14:30", 50.5)])
# 9988.HK: 150; 151.5 from 03:30 Fri; 153 after Friday's lunch; Monday opens 147, 148.5 at 01:35.
HK = builder.step_bars(HK_MINUTES, [
    ("2025-11-06", 150), ("2025-11-14 03:30", 151.5), ("2025-11-14 05:00", 153),
    ("2025-11-17 01:30", 147), ("2025-11-17 01:35", 148.5)])
TRACKER = builder.step_bars(HK_MINUTES, [("2025-11-06", 25), ("2025-11-17 01:30", 24.75)])


def baba(ts, precision="minute", zone="America/New_York"):
    return listing_reaction(event_ts=utc(ts), precision=precision, ts_zone=zone, bars=BABA,
                            sessions=NY_SESSIONS, benchmark_bars=KWEB)


def hk(ts, precision="minute", zone="Asia/Hong_Kong"):
    return listing_reaction(event_ts=utc(ts), precision=precision, ts_zone=zone, bars=HK,
                            sessions=HK_SESSIONS, benchmark_bars=TRACKER)


def test_ft_report_minute_on_the_adr_returns_abnormal_and_volume():
    row = baba("2025-11-14 18:02:11")
    assert row["first_bar_ts"] == utc("2025-11-14 18:02")
    assert row["tradable_from"] == utc("2025-11-14 18:02:11")
    assert row["ref_ts"] == utc("2025-11-14 18:01") and row["ref_price"] == 100
    # price at 18:07 is the 18:06 bar's close (99); at 18:17 → 98; at 18:32 and 19:02 → 97
    assert row["ret_5m"] == pytest.approx(-0.01)
    assert row["ret_15m"] == pytest.approx(-0.02)
    assert row["ret_30m"] == pytest.approx(-0.03)
    assert row["ret_60m"] == pytest.approx(-0.03)
    assert row["ret_session_close"] == pytest.approx(-0.03)
    assert row["ret_next_close"] == pytest.approx(0.02)
    # KWEB fell 1 % over the same bars and rose 1 % by Monday's close
    assert row["abn_5m"] == pytest.approx(0.0)
    assert row["abn_15m"] == pytest.approx(-0.01)
    assert row["abn_session_close"] == pytest.approx(-0.02)
    assert row["abn_next_close"] == pytest.approx(0.01)
    # 60 bars × 400 vs the same 60 minutes × 100 in the five sessions before
    assert row["volume"] == 24_000
    assert row["volume_baseline"] == 6_000
    assert row["volume_ratio"] == pytest.approx(4.0)
    assert row["baseline_sessions"] == 5
    assert row["windows_cut"] == "" and row["note"] == ""
    assert row["bars_source"] == "fixture"


def test_friday_evening_report_reaches_hong_kong_on_monday_open():
    row = hk("2025-11-14 18:02:11")
    assert row["first_bar_ts"] == utc("2025-11-17 01:30")
    assert row["ref_price"] == 153  # Friday's close
    assert row["ret_5m"] == pytest.approx(147 / 153 - 1)  # the 01:34 bar
    assert row["ret_15m"] == pytest.approx(148.5 / 153 - 1)
    assert row["abn_5m"] == pytest.approx((147 / 153 - 1) - (24.75 / 25 - 1))
    assert "market shut at the event" in row["note"]


def test_weekend_event_waits_for_both_openings():
    assert hk("2025-11-15 10:00")["first_bar_ts"] == utc("2025-11-17 01:30")
    row = baba("2025-11-15 10:00")
    assert row["first_bar_ts"] == utc("2025-11-17 14:30")
    assert row["ref_price"] == 97
    assert row["ret_5m"] == pytest.approx(101 / 97 - 1)
    assert row["ret_session_close"] == pytest.approx(102 / 97 - 1)


def test_after_the_us_close_the_adr_reacts_next_session():
    row = baba("2025-11-14 22:00")
    assert row["session"].isoformat() == "2025-11-17"
    assert row["first_bar_ts"] == utc("2025-11-17 14:30")
    assert row["ref_ts"] == utc("2025-11-14 20:59") and row["ref_price"] == 97
    assert row["volume_ratio"] == pytest.approx(1.0)  # ordinary volume on Monday morning


def test_event_in_the_hk_lunch_break_starts_at_the_afternoon_open():
    row = hk("2025-11-14 04:20")
    assert row["tradable_from"] == utc("2025-11-14 05:00")
    assert row["first_bar_ts"] == utc("2025-11-14 05:00")
    assert row["ref_ts"] == utc("2025-11-14 03:59") and row["ref_price"] == 151.5
    assert row["ret_5m"] == pytest.approx(153 / 151.5 - 1)
    assert row["windows_cut"] == ""


def test_window_running_into_the_lunch_break_is_cut_and_flagged():
    row = hk("2025-11-14 03:20")
    assert row["ret_5m"] == pytest.approx(0.0)
    assert row["ret_30m"] == pytest.approx(0.01)  # 03:50 is still the morning
    assert row["ret_60m"] == pytest.approx(0.01)  # stops at 04:00, not 04:20 after lunch
    assert row["windows_cut"] == "60m"
    assert "lunch break" in row["note"]


def test_window_running_into_the_close_is_flagged():
    row = baba("2025-11-13 20:30")
    assert row["windows_cut"] == "60m"
    assert "close" in row["note"]
    assert row["ret_30m"] == pytest.approx(0.0)


def test_day_precision_uses_that_days_session_and_says_so():
    row = baba("2025-11-14 05:00", precision="day")  # Nov 14 in New York
    assert row["first_bar_ts"] == utc("2025-11-14 14:30")
    assert row["ref_ts"] == utc("2025-11-13 20:59") and row["ref_price"] == 100
    assert row["ret_session_close"] == pytest.approx(-0.03)
    assert pd.isna(row["ret_5m"])
    assert row["note"].startswith("day precision: reaction = 2025-11-14 session close")


def test_day_precision_on_a_saturday_uses_the_next_session():
    row = baba("2025-11-15 05:00", precision="day")
    assert row["session"].isoformat() == "2025-11-17"
    assert row["ret_session_close"] == pytest.approx(102 / 97 - 1)
    assert "2025-11-15 is not a session" in row["note"]


def test_no_bars_after_the_event_leaves_figures_empty_and_says_why():
    row = baba("2025-11-21 15:00")
    assert row["first_bar_ts"] is None
    assert pd.isna(row["ret_5m"])
    assert "no bars" in row["note"]


def test_reaction_table_has_a_row_per_event_and_company_listing():
    events = pd.DataFrame([
        {"event_id": "ft", "ts": utc("2025-11-14 18:02:11"), "precision": "minute", "ts_zone": "America/New_York",
         "kind": "report", "headline": "FT report", "company_id": "alibaba"},
        {"event_id": "other", "ts": utc("2025-11-14 18:02:11"), "precision": "minute", "ts_zone": "UTC",
         "kind": "report", "headline": "someone else", "company_id": "acme"},
    ])
    listings = pd.DataFrame([
        {"symbol": "BABA", "company_id": "alibaba", "role": "listing", "exchange_mic": "XNYS", "benchmark_symbol": "KWEB"},
        {"symbol": "9988.HK", "company_id": "alibaba", "role": "listing", "exchange_mic": "XHKG", "benchmark_symbol": "2800.HK"},
        {"symbol": "KWEB", "company_id": None, "role": "benchmark", "exchange_mic": "XNYS", "benchmark_symbol": None},
    ])
    table = reaction_table(events, listings, {"BABA": BABA, "KWEB": KWEB, "9988.HK": HK, "2800.HK": TRACKER},
                           {"BABA": NY_SESSIONS, "9988.HK": HK_SESSIONS})
    assert list(zip(table["event_id"], table["symbol"])) == [("ft", "BABA"), ("ft", "9988.HK")]
    assert list(table["first_bar_ts"]) == [utc("2025-11-14 18:02"), utc("2025-11-17 01:30")]
    assert str(table["event_ts"].dtype).endswith("UTC]")


# BABA and KWEB with extended hours (thin volume 10): Friday's regular close 97, after-hours 96 from
# 22:00Z; Monday's pre-market trades 99 from 09:00Z (04:00 ET), 100 from 12:00Z; the regular
# session opens at 101.
NY_EXTENDED = builder.session_minutes("XNYS", "2025-11-06", "2025-11-19", extended=True)
BABA_EXTENDED = builder.step_bars(NY_EXTENDED, [
    ("2025-11-06", 100), ("2025-11-14 18:02", 99), ("2025-11-14 18:07", 98), ("2025-11-14 18:17", 97),
    ("2025-11-14 22:00", 96), ("2025-11-17 09:00", 99), ("2025-11-17 12:00", 100),
    ("2025-11-17 14:30", 101), ("2025-11-17 20:00", 102)])
KWEB_EXTENDED = builder.step_bars(NY_EXTENDED, [("2025-11-06", 50), ("2025-11-17 09:00", 50.5)])


def baba_extended(ts, precision="minute", zone="America/New_York", extended=True):
    return listing_reaction(event_ts=utc(ts), precision=precision, ts_zone=zone, bars=BABA_EXTENDED,
                            sessions=NY_SESSIONS, benchmark_bars=KWEB_EXTENDED, extended=extended)


def test_a_saturday_event_reaches_the_adr_in_mondays_premarket():
    row = baba_extended("2025-11-15 02:00")  # Saturday 10:00 in Hong Kong
    assert row["session_part"] == "pre" and str(row["session"]) == "2025-11-17"
    assert row["tradable_from"] == row["first_bar_ts"] == utc("2025-11-17 09:00")  # 04:00 ET
    assert hk("2025-11-15 02:00")["first_bar_ts"] == utc("2025-11-17 01:30")      # Hong Kong first
    # from the last trade (Friday's after-hours 96) and from the last regular close (97)
    assert (row["ref_price"], row["last_close"]) == (96, 97)
    assert row["ret_5m"] == pytest.approx(99 / 96 - 1)
    assert row["from_close_5m"] == pytest.approx(99 / 97 - 1)
    assert row["from_close_session_close"] == pytest.approx(102 / 97 - 1)  # Monday's regular close
    assert row["abn_5m"] == pytest.approx((99 / 96 - 1) - (50.5 / 50 - 1))  # KWEB in the pre-market too


def test_regular_only_gives_the_regular_session_figures():
    row = baba_extended("2025-11-15 02:00", extended=False)
    assert row["session_part"] == "regular" and row["first_bar_ts"] == utc("2025-11-17 14:30")
    assert row["ref_price"] == row["last_close"] == 97
    assert row["ret_5m"] == pytest.approx(101 / 97 - 1)


def test_after_the_close_the_adr_reacts_in_after_hours():
    row = baba_extended("2025-11-14 21:30")
    assert row["session_part"] == "post" and row["first_bar_ts"] == utc("2025-11-14 21:30")
    assert row["ref_price"] == row["last_close"] == 97
    assert row["ret_60m"] == pytest.approx(96 / 97 - 1)
    assert row["windows_cut"] == ""  # after-hours runs on to 01:00Z


def test_a_day_event_on_a_weekend_reaches_the_adr_at_the_premarket():
    row = baba_extended("2025-11-15 00:00", precision="day", zone="Asia/Hong_Kong")
    assert row["session_part"] == "pre" and row["first_bar_ts"] == utc("2025-11-17 09:00")
    assert row["ref_price"] == 97  # the previous regular close, not the after-hours trade
    assert row["ret_session_close"] == pytest.approx(102 / 97 - 1)
    on_a_session_day = baba_extended("2025-11-17 05:00", precision="day")
    assert on_a_session_day["session_part"] == "regular"  # the news may have come at any time that day
