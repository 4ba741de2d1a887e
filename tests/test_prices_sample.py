"""The offline sample: deterministic, calibrated to reported prices, labelled synthetic."""
import datetime as dt
import json

import pandas as pd
import pytest

from dashboard import cli, config, markets, store
from dashboard.prices import sample
from dashboard.store import bars

# Tolerances: a close is within one tick (BABA $0.01, 9988.HK HK$0.1); "flat-ish" means within 1%.
CENT, HK_TICK = 0.011, 0.11


@pytest.fixture(scope="module")
def committed():
    return sample.read(config.SAMPLE_DIR)


def local_day(frame, zone, day):
    local = frame["ts"].dt.tz_convert(zone)
    return frame[local.dt.date.astype(str) == day]


def test_regenerating_equals_the_committed_files(tmp_path, committed):
    sample.write(tmp_path)
    fresh = sample.read(tmp_path)
    assert sorted(fresh) == sorted(committed) == sorted(sample.SYMBOLS)
    for symbol in fresh:
        pd.testing.assert_frame_equal(fresh[symbol], committed[symbol])


def session_bars(frame, mic, day):
    """(the session's bars, the previous session's bars), cut by the exchange calendar."""
    sessions = markets.sessions(mic, sample.FIRST_DAY - dt.timedelta(days=7), sample.LAST_DAY)
    position = sessions["session"].astype(str).tolist().index(day)

    def bars(row):
        return frame[(frame["ts"] >= row["open"]) & (frame["ts"] < row["close"])]
    return bars(sessions.iloc[position]), bars(sessions.iloc[position - 1])


# Figures as reported, each with what it measures (dashboard/prices/sample_bars/README.md, "Calibration points"):
# "close", "open" (first regular-session trade), "high" (the session's), or "HH:MM" (the price at
# that local time, i.e. the close of the bar before it). Moves are from the previous close.
REPORTED = [
    ("BABA", "XNYS", "2025-11-12", "close", "-1.80", 157.91),          # ETNet
    ("BABA", "XNYS", "2025-11-25", "open", "+3.9", None),              # CoinCentral, after results
    ("9988.HK", "XHKG", "2025-11-24", "high", "more than +5", None),   # Bloomberg via China Daily HK
    ("9988.HK", "XHKG", "2025-11-24", "close", "+4.67", 154.50),       # ts2.tech
    ("9988.HK", "XHKG", "2025-11-27", "12:00", "-2.32", None),         # Sing Tao, at midday
    ("BABA", "XNYS", "2025-11-28", "10:00", "-1", None),               # Barron's, "early" trading
]


@pytest.mark.parametrize("symbol, mic, day, measure, move, price", REPORTED,
                         ids=[f"{r[0]}-{r[2]}-{r[3]}" for r in REPORTED])
def test_reported_figure_holds_on_the_sample_session(committed, symbol, mic, day, measure, move, price):
    spec = next(s for s in sample.SPECS if s.symbol == symbol)
    bars_, previous = session_bars(committed[symbol], mic, day)
    previous_close = previous["close"].iloc[-1]
    if measure == "close":
        value = bars_["close"].iloc[-1]
    elif measure == "open":
        value = bars_["open"].iloc[0]
    elif measure == "high":
        value = bars_["high"].max()
        assert bars_["high"].idxmax() < bars_.index[-1]  # an intraday high, not the close
    else:
        when = pd.Timestamp(f"{day} {measure}").tz_localize(spec.zone)
        value = bars_[bars_["ts"] < when]["close"].iloc[-1]
    pct = (value / previous_close - 1) * 100
    number = move.split()[-1]
    if move.startswith("more than"):
        assert pct > float(number)
    else:
        decimals = len(number.split(".")[1]) if "." in number else 0
        assert round(pct, decimals) == float(number), f"{pct:+.3f}% vs reported {move}%"
        # and it is the tick nearest to the reported move: the sample cannot be closer
        assert abs(value - previous_close * (1 + float(number) / 100)) <= spec.tick / 2 + 1e-9
    if price is not None:
        assert value == pytest.approx(price, abs=spec.tick / 2)


def test_claims_on_the_sample_differ_nowhere(case_db, capsys):
    """No two sources in the corpus contradict each other on a price the sample covers, so every
    checkable claim agrees (dashboard/prices/sample_bars/README.md lists the near-disagreements and how they
    resolve); what cannot be checked is pre-market or outside the sample's dates."""
    assert cli.main(["claims", "--db", str(case_db), "--format", "json"]) == 0
    claims = json.loads(capsys.readouterr().out)
    assert claims
    differs = [(c["source"], c["quote"], c["verdict_text"]) for c in claims if c["verdict"] == "differs"]
    assert differs == []
    unchecked = [c for c in claims if c["verdict"] == "cannot check"]
    for claim in unchecked:
        outside = claim["session"] is not None and claim["session"] > sample.LAST_DAY.isoformat()
        assert outside or "2026" in claim["published_at"], claim["verdict_text"]
    premarket = {(c["source"], c["session"]): c["verdict"] for c in claims if c["measure"] == "pre-market"
                 and c["session"] and c["session"] <= sample.LAST_DAY.isoformat()}
    assert premarket == {("Aigazine", "2025-11-17"): "agrees", ("CoinCentral", "2025-11-25"): "agrees"}
    agreed = {(c["source"], c["session"], c["listing"]) for c in claims if c["verdict"] == "agrees"}
    assert {("ETNet", "2025-11-12", "BABA"), ("CoinCentral", "2025-11-25", "BABA"),
            ("Bloomberg", "2025-11-24", "9988.HK"), ("Sing Tao Headline", "2025-11-27", "9988.HK")} <= agreed


@pytest.mark.parametrize("day, close", [
    ("2025-11-12", 157.91), ("2025-11-13", 159.84), ("2025-11-14", 153.80),
    ("2025-11-17", 157.71), ("2025-11-18", 159.72)])
def test_baba_closes_match_reported(committed, day, close):
    regular, _ = session_bars(committed["BABA"], "XNYS", day)
    assert regular["close"].iloc[-1] == pytest.approx(close, abs=CENT)


def test_baba_ft_day_is_flat_until_the_report_then_drops_to_the_reported_low(committed):
    day, _ = session_bars(committed["BABA"], "XNYS", "2025-11-14")
    before = day[day["ts"] < pd.Timestamp("2025-11-14 18:02", tz="UTC")]
    after = day[day["ts"] >= pd.Timestamp("2025-11-14 18:02", tz="UTC")]
    assert (before["low"] > 159.84 * 0.99).all() and (before["high"] < 159.84 * 1.01).all()
    low = after["low"].min()
    assert low / 159.84 - 1 == pytest.approx(-0.0473, abs=0.002)  # reported ≈ −4.7 %
    assert day["low"].min() == low
    assert after["volume"].mean() > 1.5 * before["volume"].mean()


def test_9988_monday_low_early_high_later_close_unchanged(committed):
    hk = committed["9988.HK"]
    assert local_day(hk, "Asia/Hong_Kong", "2025-11-14")["close"].iloc[-1] == pytest.approx(154.9, abs=HK_TICK)
    day = local_day(hk, "Asia/Hong_Kong", "2025-11-17")
    assert day["close"].iloc[-1] == pytest.approx(154.9, abs=HK_TICK)
    assert day["low"].min() == pytest.approx(152.1, abs=HK_TICK)
    assert day["high"].max() == pytest.approx(158.0, abs=HK_TICK)
    low_at = day.loc[day["low"].idxmin(), "ts"]
    high_at = day.loc[day["high"].idxmax(), "ts"]
    assert low_at < high_at < pd.Timestamp("2025-11-17 04:00", tz="UTC")  # both in the morning
    tuesday = local_day(hk, "Asia/Hong_Kong", "2025-11-18")["close"].iloc[-1]
    assert tuesday / 154.9 - 1 == pytest.approx(-0.0019, abs=0.0007)


def test_bars_are_in_session_one_minute_and_consistent(committed):
    for spec in sample.SPECS:
        frame = committed[spec.symbol]
        assert frame["ts"].min().date() >= sample.FIRST_DAY and frame["ts"].max().date() <= sample.LAST_DAY
        sessions = markets.sessions(spec.mic, sample.FIRST_DAY, sample.LAST_DAY + dt.timedelta(days=1))
        parts = set(markets.session_parts(sessions, frame["ts"]))
        assert parts == ({"pre", "regular", "post"} if spec.extended else {"regular"}), spec.symbol
        regular = frame[markets.session_parts(sessions, frame["ts"]) == "regular"]
        assert markets.open_mask(spec.mic, regular["ts"]).all(), spec.symbol
        assert frame["ts"].is_unique and frame["ts"].is_monotonic_increasing
        assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
        assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
        assert (frame["low"] > 0).all() and (frame["volume"] >= 0).all()
    baba_days = committed["BABA"]["ts"].dt.tz_convert("America/New_York").dt.date.astype(str)
    assert "2025-11-27" not in set(baba_days)  # Thanksgiving
    # early close at 13:00 ET; after-hours then runs to 17:00 ET
    assert committed["BABA"]["ts"].max() == pd.Timestamp("2025-11-28 21:59", tz="UTC")
    hkd = committed["HKD=X"]
    assert hkd["low"].min() >= 7.76 and hkd["high"].max() <= 7.79


# Pre-market figures as reported, pinned at 08:00 ET (the sources give no time): the price at
# that moment (the close of the 07:59 bar) as a move from the previous regular close.
PREMARKET = [("2025-11-17", "+3.06", 158.50),   # Aigazine
             ("2025-11-25", "+4.0", None)]      # CoinCentral, "about 4%"


@pytest.mark.parametrize("day, move, price", PREMARKET, ids=[p[0] for p in PREMARKET])
def test_reported_premarket_figure_holds(committed, day, move, price):
    frame = committed["BABA"]
    regular, previous = session_bars(frame, "XNYS", day)
    when = pd.Timestamp(f"{day} 08:00").tz_localize("America/New_York")
    value = frame[frame["ts"] < when]["close"].iloc[-1]
    pct = (value / previous["close"].iloc[-1] - 1) * 100
    decimals = len(move.split(".")[1])
    assert round(pct, decimals) == float(move), f"{pct:+.3f}% vs reported {move}%"
    if price is not None:
        assert value == pytest.approx(price, abs=0.005)


def test_extended_hours_volume_is_thin(committed):
    frame = committed["BABA"]
    sessions = markets.sessions("XNYS", sample.FIRST_DAY, sample.LAST_DAY + dt.timedelta(days=1))
    parts = markets.session_parts(sessions, frame["ts"])
    regular = frame[parts == "regular"]["volume"].mean()
    for part in ("pre", "post"):
        assert frame[parts == part]["volume"].mean() < 0.1 * regular, part


def test_volume_is_u_shaped(committed):
    frame = committed["KWEB"].copy()
    minute = frame["ts"].dt.tz_convert("America/New_York")
    frame["minute_of_day"] = minute.dt.hour * 60 + minute.dt.minute
    by_minute = frame.groupby("minute_of_day")["volume"].mean()
    midday = by_minute.loc[12 * 60:13 * 60].mean()
    assert by_minute.loc[9 * 60 + 30:9 * 60 + 40].mean() > 2 * midday
    assert by_minute.loc[15 * 60 + 50:15 * 60 + 59].mean() > 2 * midday


def test_loading_stores_synthetic_rows_and_never_overrides_real(tmp_path):
    con = store.connect(tmp_path / "s.duckdb")
    real = pd.DataFrame({"ts": [pd.Timestamp("2025-11-14 18:02", tz="UTC")], "open": [1.0],
                         "high": [1.0], "low": [1.0], "close": [1.0], "volume": [0.0]})
    bars.upsert_bars(con, real, symbol="BABA", interval="1m", source="yahoo")
    written = sample.load(con)
    cov = bars.coverage(con)
    synthetic = cov[cov["source"] == sample.SOURCE]
    assert set(synthetic["symbol"]) == set(sample.SYMBOLS)
    assert written["BABA"] == len(sample.read()["BABA"]) - 1
    kept = con.execute("SELECT source, close FROM bars WHERE symbol='BABA' AND ts = ?",
                       [real["ts"].iloc[0]]).fetchone()
    assert kept == ("yahoo", 1.0)
    con.close()


def test_sample_readme_labels_the_data_synthetic_and_names_the_seed():
    text = (config.SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    assert config.SYNTHETIC_LABEL in text
    assert str(sample.SEED) in text
