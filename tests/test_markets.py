"""Exchange sessions as the charts and the reaction analysis rely on them."""
import numpy as np
import pandas as pd
import pytest

from dashboard import markets, store, timeutil
from dashboard.store import companies as store_companies

FT_REPORT = pd.Timestamp("2025-11-14 18:02:11", tz="UTC")  # Fri 13:02 ET


def utc(text):
    return pd.Timestamp(text, tz="UTC")


def one_minute_bars(mic, start, end, price=100.0):
    times = []
    for row in markets.sessions(mic, start, end).itertuples():
        minutes = pd.date_range(row.open, row.close, freq="1min", inclusive="left")
        if pd.notna(row.break_start):
            minutes = minutes[(minutes < row.break_start) | (minutes >= row.break_end)]
        times.extend(minutes)
    count = len(times)
    return pd.DataFrame({
        "ts": pd.DatetimeIndex(times), "open": price, "high": price, "low": price,
        "close": [price + i * 0.01 for i in range(count)], "volume": 1.0,
        "source": "synthetic", "interval": "1m",
    })


def first_trade(bars, mic, ts):
    """The one first-trade rule (markets.first_trades) for a single time, as a row."""
    sessions = markets.sessions(mic, bars["ts"].min(), bars["ts"].max() + pd.Timedelta(days=5))
    return markets.first_trades(bars, sessions, [ts]).iloc[0]


def test_ft_report_finds_nyse_open_and_hkex_shut_until_monday():
    assert markets.is_open("XNYS", FT_REPORT)
    assert not markets.is_open("XHKG", FT_REPORT)
    assert markets.next_open("XHKG", FT_REPORT) == utc("2025-11-17 01:30")
    hk_bars = one_minute_bars("XHKG", "2025-11-13", "2025-11-18")
    first = first_trade(hk_bars, "XHKG", FT_REPORT)
    assert first["tradable_from"] == utc("2025-11-17 01:30")
    assert first["first_bar_ts"] == utc("2025-11-17 01:30")


def test_first_nyse_bar_after_report_is_the_bar_covering_its_minute():
    # NYSE was open: the report is tradable at once, in the 18:02 bar (where the reaction table
    # and the chart's ring both read the first trade).
    ny_bars = one_minute_bars("XNYS", "2025-11-14", "2025-11-14")
    first = first_trade(ny_bars, "XNYS", FT_REPORT)
    assert first["tradable_from"] == FT_REPORT
    assert first["first_bar_ts"] == utc("2025-11-14 18:02")
    assert first["first_close"] == ny_bars.loc[ny_bars["ts"] == utc("2025-11-14 18:02"), "close"].iloc[0]


def test_price_at_uses_only_finished_bars():
    ny_bars = markets.prepare_bars(one_minute_bars("XNYS", "2025-11-14", "2025-11-14"))
    ts, price = markets.price_at(ny_bars, FT_REPORT)
    assert ts == utc("2025-11-14 18:01")  # the 18:02 bar was still open at 18:02:11
    expected = ny_bars.loc[ny_bars["ts"] == ts, "close"].iloc[0]
    assert price == pytest.approx(expected)
    assert first_trade(ny_bars, "XNYS", FT_REPORT)["ref_price"] == price  # the price at the event
    missing_ts, missing = markets.price_at(ny_bars, utc("2025-11-14 14:30"))
    assert missing_ts is None and np.isnan(missing)


def test_first_trades_for_thousands_of_times_match_the_rule_bar_by_bar():
    """A window of thousands of publications is answered in one vectorised pass; every row must
    be what the rule says for that time alone: the last bar finished by it (its close is the
    price at the event) and the first bar of its tradable session at or after it."""
    bars = markets.prepare_bars(one_minute_bars("XHKG", "2025-11-13", "2025-11-18"))
    sessions = markets.sessions("XHKG", utc("2025-11-12"), utc("2025-11-24"))
    rng = np.random.default_rng(7)
    seconds = np.r_[rng.integers(0, 6 * 86_400, 1_500), rng.integers(0, 6 * 1_440, 1_500) * 60]  # half on bar edges
    times = utc("2025-11-12 20:00") + pd.to_timedelta(seconds, unit="s")
    found = markets.first_trades(bars, sessions, times)
    ends, starts = list(bars["end"]), list(bars["ts"])
    for row in found.sample(300, random_state=1).itertuples():
        finished = [i for i, end in enumerate(ends) if end <= row.time]
        if finished:
            assert row.ref_ts == starts[finished[-1]]
        else:
            assert pd.isna(row.ref_ts)
        close = sessions.loc[sessions["open"] <= row.tradable_from, "close"].iloc[-1]
        after = [i for i, end in enumerate(ends) if end > row.tradable_from and starts[i] < close]
        if after:
            assert row.first_bar_ts == starts[after[0]]
            assert row.first_close == bars["close"].iloc[after[0]]
        else:
            assert pd.isna(row.first_bar_ts)
    # the one-event form on bars in microseconds (as DuckDB returns them) agrees, times before
    # every bar included
    micro = bars.assign(ts=bars["ts"].dt.as_unit("us"), end=bars["end"].dt.as_unit("us"))
    for row in found.sample(40, random_state=2).itertuples():
        ts, price = markets.price_at(micro, row.time)
        assert (ts, price) == (row.ref_ts, row.ref_price) or (ts is None and pd.isna(row.ref_ts) and np.isnan(price))
        close = sessions.loc[sessions["open"] <= row.tradable_from, "close"].iloc[-1]
        first = markets.first_bar_index(micro, row.tradable_from, close)
        assert (pd.isna(row.first_bar_ts) if first is None else micro["ts"].iloc[first] == row.first_bar_ts)
    assert markets.price_at(micro, utc("2025-05-02 12:00"))[0] is None
    lunch = found[found["time"].dt.strftime("%H:%M").between("04:01", "04:59")
                  & (found["time"].dt.day_of_week < 5) & (found["time"] > utc("2025-11-13"))
                  & (found["time"] < utc("2025-11-18"))]
    assert len(lunch) and (lunch["first_bar_ts"].dt.strftime("%H:%M") == "05:00").all()  # after the lunch break


def test_event_in_hong_kong_lunch_break():
    lunch = utc("2025-11-17 04:20")
    assert not markets.is_open("XHKG", lunch)
    assert markets.is_open("XHKG", utc("2025-11-17 03:59"))
    assert markets.next_open("XHKG", lunch) == utc("2025-11-17 05:00")
    hk_bars = one_minute_bars("XHKG", "2025-11-17", "2025-11-17")
    assert first_trade(hk_bars, "XHKG", lunch)["first_bar_ts"] == utc("2025-11-17 05:00")
    assert markets.session_close("XHKG", lunch) == utc("2025-11-17 08:00")


def test_thanksgiving_and_early_close():
    days = markets.sessions("XNYS", "2025-11-26", "2025-11-28")["session"].astype(str).tolist()
    assert days == ["2025-11-26", "2025-11-28"]
    assert not markets.is_open("XNYS", utc("2025-11-27 16:00"))
    assert markets.next_open("XNYS", utc("2025-11-27 16:00")) == utc("2025-11-28 14:30")
    assert markets.session_close("XNYS", utc("2025-11-28 15:00")) == utc("2025-11-28 18:00")
    assert markets.is_open("XNYS", utc("2025-11-28 17:59"))
    assert not markets.is_open("XNYS", utc("2025-11-28 18:00"))
    assert markets.is_open("XHKG", utc("2025-11-27 02:00"))  # Hong Kong traded on Thanksgiving


def test_dst_switch_moves_the_nyse_open_in_utc():
    assert markets.next_open("XNYS", utc("2025-10-31 00:00")) == utc("2025-10-31 13:30")
    assert markets.next_open("XNYS", utc("2025-11-03 00:00")) == utc("2025-11-03 14:30")
    assert markets.is_open("XNYS", utc("2025-10-31 13:45"))
    assert not markets.is_open("XNYS", utc("2025-11-03 13:45"))


def test_closed_intervals_cover_night_lunch_and_weekend():
    closed = markets.closed_intervals("XHKG", utc("2025-11-14 00:00"), utc("2025-11-18 00:00"))
    assert (utc("2025-11-14 04:00"), utc("2025-11-14 05:00")) in closed
    assert (utc("2025-11-14 08:00"), utc("2025-11-17 01:30")) in closed  # weekend in one span
    assert closed[0] == (utc("2025-11-14 00:00"), utc("2025-11-14 01:30"))
    for begin, end in closed:
        assert not markets.is_open("XHKG", begin)
        assert not markets.is_open("XHKG", end - pd.Timedelta(seconds=1))


def test_fx_trades_all_weekday_and_not_at_weekends(case_db):
    assert markets.is_open(markets.FX, utc("2025-11-14 23:30"))
    assert not markets.is_open(markets.FX, utc("2025-11-15 12:00"))
    assert markets.next_open(markets.FX, utc("2025-11-15 12:00")) == utc("2025-11-17 00:00")
    # the markets of the listings as ingested into the store (not re-read from companies.toml)
    with store.Database(case_db).read() as con:
        mics = markets.listing_mics(store_companies.listings(con, roles=None))
    assert markets.mic_for("HKD=X", mics) == markets.FX
    assert markets.mic_for("9988.HK", mics) == "XHKG"
    assert markets.mic_for("KWEB", mics) == "XNYS"
    with pytest.raises(KeyError, match="not a stored listing"):
        markets.mic_for("NOPE", mics)


def test_sessions_are_in_utc_with_lunch_break_columns():
    table = markets.sessions("XHKG", "2025-11-17", "2025-11-17")
    assert list(table.columns) == ["session", "open", "break_start", "break_end", "close", "pre_open", "post_close"]
    row = table.iloc[0]
    assert (row["open"], row["break_start"], row["break_end"], row["close"]) == (
        utc("2025-11-17 01:30"), utc("2025-11-17 04:00"), utc("2025-11-17 05:00"), utc("2025-11-17 08:00"))
    assert (row["pre_open"], row["post_close"]) == (row["open"], row["close"])  # HKEX: no extended hours
    assert str(table["open"].dt.tz) == "UTC"


@pytest.mark.parametrize("when, part", [
    ("2025-11-17 08:59", "closed"), ("2025-11-17 09:00", "pre"),     # 04:00 ET: the pre-market opens
    ("2025-11-17 14:29", "pre"), ("2025-11-17 14:30", "regular"),    # 09:30 ET
    ("2025-11-17 20:59", "regular"), ("2025-11-17 21:00", "post"),   # 16:00 ET
    ("2025-11-18 00:59", "post"), ("2025-11-18 01:00", "closed"),    # 20:00 ET
    ("2025-11-15 15:00", "closed"),                                  # Saturday
    ("2025-11-28 18:00", "post"), ("2025-11-28 21:59", "post"),      # early close 13:00 ET: post to 17:00
    ("2025-11-28 22:00", "closed"),
    ("2025-10-31 08:00", "pre"), ("2025-10-31 13:30", "regular"),    # summer time: 04:00 EDT = 08:00Z
])
def test_session_part_of_a_time_comes_from_the_nyse_calendar(when, part):
    sessions = markets.sessions("XNYS", "2025-10-27", "2025-12-01")
    assert markets.session_parts(sessions, [utc(when)])[0] == part


def test_hong_kong_has_no_extended_hours_and_never_overlaps_new_york():
    hk = markets.sessions("XHKG", "2025-11-17", "2025-11-17")
    assert list(markets.session_parts(hk, [utc("2025-11-17 01:29"), utc("2025-11-17 01:30")])) == ["closed", "regular"]
    # HKEX closes 08:00Z (16:00 HKT = 03:00 ET in winter); the US pre-market opens 09:00Z: no overlap
    assert markets.overlap_intervals("XNYS", "XHKG", "2025-11-10", "2025-11-29") == []
    monday = (utc("2025-11-17 00:00"), utc("2025-11-18 00:00"))
    assert markets.closed_intervals("XNYS", *monday, extended=True) == [(monday[0], utc("2025-11-17 09:00"))]
    assert markets.extended_intervals("XNYS", *monday) == [
        (utc("2025-11-17 09:00"), utc("2025-11-17 14:30"), "pre"),
        (utc("2025-11-17 21:00"), utc("2025-11-18 00:00"), "post")]  # after-hours runs on to 01:00Z


def test_a_saturday_event_reaches_the_adr_at_mondays_premarket_before_hong_kong_no():
    saturday = pd.Timestamp("2025-11-15 10:00", tz="Asia/Hong_Kong")
    ny = markets.sessions("XNYS", "2025-11-10", "2025-11-25")
    hk = markets.sessions("XHKG", "2025-11-10", "2025-11-25")
    assert markets.next_tradable(ny, saturday, extended=True)[1] == utc("2025-11-17 09:00")  # 04:00 ET
    assert markets.next_tradable(ny, saturday)[1] == utc("2025-11-17 14:30")                # 09:30 ET
    assert markets.next_tradable(hk, saturday)[1] == utc("2025-11-17 01:30")                # 09:30 HKT, first


@pytest.mark.parametrize("name, length", [("1m", pd.Timedelta(minutes=1)), ("60m", pd.Timedelta(hours=1)),
                                          ("1h", pd.Timedelta(hours=1)), ("1d", pd.Timedelta(days=1)),
                                          ("1wk", pd.Timedelta(days=7))])
def test_interval_length_reads_the_names_bars_are_stored_under(name, length):
    assert timeutil.interval_length(name) == length


@pytest.mark.parametrize("name", ["", "auto", "1x", None, "m1"])
def test_an_unknown_interval_is_one_clear_error_everywhere(name):
    with pytest.raises(timeutil.UnknownInterval, match="unknown bar interval"):
        timeutil.interval_length(name)
    frame = pd.DataFrame({"ts": [utc("2025-11-14 18:00")], "close": [1.0], "interval": [name]})
    with pytest.raises(KeyError, match="unknown bar interval"):  # not silently 0 or 1 minute
        markets.prepare_bars(frame)
