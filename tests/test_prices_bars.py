"""The bar cache: upsert precedence, window queries, SQL resampling, coverage."""
import pandas as pd
import pytest

from dashboard import markets, store
from dashboard.store import bars


def utc(text):
    return pd.Timestamp(text, tz="UTC")


def session_bars(mic, day, start_price=100.0, step=0.01):
    row = markets.sessions(mic, day, day).iloc[0]
    minutes = pd.date_range(row["open"], row["close"], freq="1min", inclusive="left")
    if pd.notna(row["break_start"]):
        minutes = minutes[(minutes < row["break_start"]) | (minutes >= row["break_end"])]
    closes = [start_price + step * i for i in range(len(minutes))]
    return pd.DataFrame({
        "ts": minutes, "open": [c - step for c in closes], "high": [c + 0.05 for c in closes],
        "low": [c - step - 0.05 for c in closes], "close": closes, "volume": 100.0,
    })


@pytest.fixture
def con(tmp_path):
    connection = store.connect(tmp_path / "bars.duckdb")
    yield connection
    connection.close()


def test_real_bar_replaces_synthetic_but_not_the_reverse(con):
    day = session_bars("XNYS", "2025-11-14")
    bars.upsert_bars(con, day, symbol="BABA", interval="1m", source="synthetic")
    real = day.iloc[:30].assign(close=day["close"].iloc[:30] + 1)
    assert bars.upsert_bars(con, real, symbol="BABA", interval="1m", source="yahoo") == 30
    written = bars.upsert_bars(con, day, symbol="BABA", interval="1m", source="synthetic")
    assert written == len(day) - 30
    stored = con.execute(
        "SELECT source, count(*) FROM bars GROUP BY source ORDER BY source").fetchall()
    assert stored == [("synthetic", len(day) - 30), ("yahoo", 30)]


def test_query_window_prefers_real_bars_and_sorts(con):
    day = session_bars("XNYS", "2025-11-14")
    bars.upsert_bars(con, day, symbol="BABA", interval="1m", source="synthetic")
    bars.upsert_bars(con, day.iloc[::-1].iloc[:10], symbol="BABA", interval="1m", source="import:v.csv")
    frame = bars.query_bars(con, "BABA", "2025-11-14", "2025-11-14")
    assert list(frame.columns) == bars.BAR_COLUMNS
    assert set(frame["source"]) == {"import:v.csv"}
    assert frame["ts"].is_monotonic_increasing and len(frame) == 10
    assert str(frame["ts"].dt.tz) == "UTC"


def test_auto_picks_the_finest_stored_interval(con):
    day = session_bars("XNYS", "2025-11-14")
    daily = pd.DataFrame({"ts": [utc("2025-11-14 05:00")], "open": [1.0], "high": [2.0],
                          "low": [0.5], "close": [1.5], "volume": [9.0]})
    bars.upsert_bars(con, daily, symbol="BABA", interval="1d", source="yahoo")
    bars.upsert_bars(con, day, symbol="BABA", interval="1m", source="yahoo")
    assert set(bars.query_bars(con, "BABA", "2025-11-14", "2025-11-14")["interval"]) == {"1m"}
    assert bars.query_bars(con, "BABA", "2025-11-14", "2025-11-14", "1d")["close"].tolist() == [1.5]


def test_auto_draws_daily_bars_when_minutes_cover_few_of_the_windows_days(con):
    days = pd.bdate_range("2025-10-01", "2025-11-28", tz="America/New_York").tz_convert("UTC")
    daily = pd.DataFrame({"ts": days, "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 9.0})
    bars.upsert_bars(con, daily, symbol="BABA", interval="1d", source="import:d.csv")
    for day in ["2025-11-13", "2025-11-14", "2025-11-17"]:
        bars.upsert_bars(con, session_bars("XNYS", day), symbol="BABA", interval="1m", source="import:m.csv")
    two_months = bars.query_bars(con, "BABA", "2025-10-01", "2025-11-28")
    assert set(two_months["interval"]) == {"1d"} and len(two_months) == len(days)
    # Minutes on 3 of the 4 days with bars: the minutes.
    assert set(bars.query_bars(con, "BABA", "2025-11-13", "2025-11-18")["interval"]) == {"1m"}
    # Minutes on 3 of 10: the daily bars.
    assert set(bars.query_bars(con, "BABA", "2025-11-10", "2025-11-21")["interval"]) == {"1d"}
    # A screen reading a month around what it shows counts the shown days only.
    around = bars.query_bars(con, "BABA", "2025-11-01", "2025-11-28", shown=("2025-11-13", "2025-11-18"))
    assert set(around["interval"]) == {"1m"}


def test_resampling_to_five_minutes_in_sql(con):
    day = session_bars("XNYS", "2025-11-14")
    bars.upsert_bars(con, day, symbol="BABA", interval="1m", source="yahoo")
    five = bars.query_bars(con, "BABA", "2025-11-14", "2025-11-14", "5m")
    assert len(five) == len(day) // 5
    first = day.iloc[:5]
    assert five.iloc[0]["ts"] == utc("2025-11-14 14:30")
    assert five.iloc[0][["open", "high", "low", "close", "volume"]].tolist() == pytest.approx([
        first["open"].iloc[0], first["high"].max(), first["low"].min(),
        first["close"].iloc[-1], first["volume"].sum()])
    assert set(five["interval"]) == {"5m"}


def test_hourly_buckets_never_span_the_hong_kong_lunch_or_night(con):
    for day in ["2025-11-14", "2025-11-17"]:
        bars.upsert_bars(con, session_bars("XHKG", day), symbol="9988.HK", interval="1m", source="yahoo")
    hourly = bars.query_bars(con, "9988.HK", "2025-11-14", "2025-11-17", "60m")
    # Per session 01:30 (half hour), 02, 03, then 05, 06, 07 → 6 buckets; the first labelled 01:30.
    assert len(hourly) == 12
    assert hourly.iloc[0]["ts"] == utc("2025-11-14 01:30")
    assert utc("2025-11-14 04:00") not in set(hourly["ts"])


def extended_day_bars(day):
    """Every minute of an NYSE day from the 04:00 pre-market to the 20:00 after-hours close: the
    regular session's minutes trade 1,000 shares each, the extended ones 10 (so a mix shows)."""
    row = markets.prepare_sessions(markets.sessions("XNYS", day, day)).iloc[0]
    minutes = pd.date_range(row["pre_open"], row["post_close"], freq="1min", inclusive="left")
    regular = (minutes >= row["open"]) & (minutes < row["close"])
    closes = [100.0 + 0.01 * i for i in range(len(minutes))]
    frame = pd.DataFrame({"ts": minutes, "open": closes, "high": closes, "low": closes, "close": closes,
                          "volume": [1000.0 if r else 10.0 for r in regular]})
    return frame


def test_a_chosen_interval_never_mixes_pre_market_or_after_hours_into_the_session(con):
    """An hour bar from 09:00 ET held the last pre-market half hour and the first regular one;
    cut at the session's edges (markets.session_cuts), the pre-market stops at the 09:30 open,
    the session's hours start there, and after-hours starts at the 16:00 close."""
    frame = extended_day_bars("2025-11-14")
    bars.upsert_bars(con, frame, symbol="BABA", interval="1m", source="yahoo")
    lo, hi = utc("2025-11-14 05:00"), utc("2025-11-15 05:00")
    hourly = bars.query_bars(con, "BABA", lo, hi, "1h", cuts=markets.session_cuts("XNYS", lo, hi))
    parts = markets.session_parts(markets.sessions("XNYS", lo, hi), hourly["ts"])
    # Each bar's volume comes from one part only: 1,000 a minute in the session, 10 outside it
    # (a mixed bar would be 1,000·k + 10·j with 0 < j <= 60: never a multiple of 1,000).
    for volume, part in zip(hourly["volume"], parts):
        assert volume % 1000 == 0 if part == "regular" else volume <= 600, (volume, part)
    local = [t.tz_convert("America/New_York").strftime("%H:%M") for t in hourly["ts"]]
    assert local[:7] == ["04:00", "05:00", "06:00", "07:00", "08:00", "09:00", "09:30"]
    assert "15:30" in local and "16:00" in local and local[-1] == "19:00"
    assert hourly["volume"].sum() == frame["volume"].sum()  # nothing dropped, nothing counted twice
    by_label = dict(zip(local, hourly["volume"]))
    assert by_label["09:00"] == 30 * 10 and by_label["09:30"] == 60 * 1000 and by_label["15:30"] == 30 * 1000
    # Without cuts (what the store did before): the 09:00 bar held both parts.
    mixed = bars.query_bars(con, "BABA", lo, hi, "1h")
    nine = mixed[mixed["ts"] == utc("2025-11-14 14:00")]["volume"].iloc[0]
    assert nine == 30 * 10 + 30 * 1000


def test_daily_resample_groups_by_exchange_date(con):
    con.execute("INSERT INTO listings (symbol, exchange_mic, tz) VALUES (?, ?, ?)",
                ["BABA", "XNYS", "America/New_York"])
    for day in ["2025-11-13", "2025-11-14"]:
        bars.upsert_bars(con, session_bars("XNYS", day), symbol="BABA", interval="1m", source="yahoo")
    daily = bars.query_bars(con, "BABA", "2025-11-13", "2025-11-14", "1d")
    assert daily["ts"].tolist() == [utc("2025-11-13 05:00"), utc("2025-11-14 05:00")]
    assert daily["close"].iloc[1] == pytest.approx(session_bars("XNYS", "2025-11-14")["close"].iloc[-1])


def test_coverage_reports_each_symbol_interval_and_source(con):
    bars.upsert_bars(con, session_bars("XNYS", "2025-11-14"), symbol="BABA", interval="1m", source="synthetic")
    bars.upsert_bars(con, session_bars("XHKG", "2025-11-17"), symbol="9988.HK", interval="1m", source="yahoo")
    cov = bars.coverage(con)
    assert list(cov.columns) == bars.COVERAGE_COLUMNS
    baba = cov[cov["symbol"] == "BABA"].iloc[0]
    assert (baba["interval"], baba["source"], baba["rows"]) == ("1m", "synthetic", 390)
    assert baba["first_ts"] == utc("2025-11-14 14:30") and baba["last_ts"] == utc("2025-11-14 20:59")


def test_upsert_rejects_naive_timestamps_and_unknown_intervals(con):
    naive = session_bars("XNYS", "2025-11-14").assign(ts=lambda f: f["ts"].dt.tz_localize(None))
    with pytest.raises(ValueError, match="time zone"):
        bars.upsert_bars(con, naive, symbol="BABA", interval="1m", source="yahoo")
    with pytest.raises(KeyError, match="interval"):
        bars.upsert_bars(con, session_bars("XNYS", "2025-11-14"), symbol="BABA", interval="7x", source="yahoo")
    assert bars.count_bars(con) == 0


def _force_mixed_source_path(monkeypatch):
    """Make query_bars believe the window has several real sources, so it takes the generic path."""
    real = bars._stored_intervals

    def several_sources(*args):
        stored = real(*args)
        stored["real_sources"] = stored["real_sources"].where(~stored["has_real"], 2)
        return stored

    monkeypatch.setattr(bars, "_stored_intervals", several_sources)


@pytest.mark.parametrize("source", ["yahoo", "synthetic"])
def test_one_source_window_gives_the_same_frame_as_the_generic_path(con, monkeypatch, source):
    day = session_bars("XNYS", "2025-11-14")
    day.loc[3, "volume"] = float("nan")  # a bar without volume stays NaN on both paths
    bars.upsert_bars(con, day, symbol="BABA", interval="1m", source=source)
    fast = bars.query_bars(con, "BABA", "2025-11-14", "2025-11-14")
    _force_mixed_source_path(monkeypatch)
    generic = bars.query_bars(con, "BABA", "2025-11-14", "2025-11-14")
    assert len(fast) == len(day) and set(fast["source"]) == {source}
    assert set(fast["interval"]) == {"1m"} and str(fast["ts"].dt.tz) == "UTC"
    assert pd.isna(fast.loc[3, "volume"])
    pd.testing.assert_frame_equal(fast, generic)


def test_window_with_two_real_sources_keeps_each_bars_source(con):
    day = session_bars("XNYS", "2025-11-14")
    bars.upsert_bars(con, day.iloc[:100], symbol="BABA", interval="1m", source="yahoo")
    bars.upsert_bars(con, day.iloc[100:150], symbol="BABA", interval="1m", source="import:v.csv")
    frame = bars.query_bars(con, "BABA", "2025-11-14", "2025-11-14")
    assert list(frame.columns) == bars.BAR_COLUMNS and len(frame) == 150
    assert list(frame["source"]) == ["yahoo"] * 100 + ["import:v.csv"] * 50
    assert frame["ts"].is_monotonic_increasing and str(frame["ts"].dt.tz) == "UTC"


def test_empty_one_source_window_has_the_frame_columns(con):
    day = session_bars("XNYS", "2025-11-14")
    bars.upsert_bars(con, day, symbol="BABA", interval="1m", source="yahoo")
    frame = bars.query_bars(con, "BABA", "2025-11-14T01:00Z", "2025-11-14T02:00Z")
    assert frame.empty and list(frame.columns) == bars.BAR_COLUMNS
