"""The Yahoo adapter on yfinance-shaped frames injected at the single network call."""
from pathlib import Path

import pandas as pd
import pytest
from curl_cffi.requests.exceptions import DNSError
from yfinance.exceptions import YFRateLimitError

from dashboard import store
from dashboard.prices import normalise, policy, yahoo
from dashboard.store import bars

FIXTURES = Path(__file__).parent / "fixtures" / "prices"
NOW = pd.Timestamp("2025-11-28 12:00", tz="UTC")  # within 30 days of the FT report


def history_frame(name, zone):
    """Ticker.history's shape: flat columns, index 'Datetime' in the exchange zone."""
    frame = pd.read_csv(FIXTURES / name)
    index = pd.DatetimeIndex(pd.to_datetime(frame.pop("Datetime"), utc=True)).tz_convert(zone)
    frame.index = index.rename("Datetime")
    return frame


def download_frame(symbol, history):
    """yf.download's shape: MultiIndex columns (Price, Ticker), even for one ticker."""
    frame = history.copy()
    frame.columns = pd.MultiIndex.from_product([frame.columns, [symbol]], names=["Price", "Ticker"])
    frame.index = frame.index.tz_convert("UTC")
    return frame


class Recorder:
    """A stand-in for the network: returns/raises in turn, records what was asked."""

    def __init__(self, *answers):
        self.answers, self.calls, self.prepost = list(answers), [], []

    def __call__(self, symbol, start, end, interval, prepost=False):
        self.calls.append((symbol, start, end, interval))
        self.prepost.append(prepost)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def stored(db):
    with store.reader(db) as con:
        return con.execute("SELECT symbol, interval, ts, close, source FROM bars ORDER BY symbol, ts").df()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "prices.duckdb"
    store.connect(path).close()
    return path


def test_history_frame_in_new_york_zone_is_stored_in_utc(db):
    net = Recorder(history_frame("baba_history_1m.csv", "America/New_York"))
    result = yahoo.fetch(["BABA"], "2025-11-14", "2025-11-14", download=net, db=db, now=NOW, sleep=lambda s: None)
    assert result.ok and net.calls[0][3] == "1m"
    rows = stored(db)
    assert len(rows) == 8 and set(rows["source"]) == {"yahoo"}
    assert rows["ts"].iloc[4] == pd.Timestamp("2025-11-14 18:02", tz="UTC")  # 13:02 ET
    assert rows["close"].iloc[4] == pytest.approx(158.32)  # raw close, not adjusted
    assert "BABA: stored 8 1m bars" in result.lines()[0]


def test_hong_kong_zone_and_download_multiindex_give_the_same_bars(tmp_path):
    hk = history_frame("hk9988_history_1m.csv", "Asia/Hong_Kong")
    flat = normalise.normalise(hk, "9988.HK")
    multi = normalise.normalise(download_frame("9988.HK", hk), "9988.HK")
    pd.testing.assert_frame_equal(flat, multi)
    assert flat["ts"].iloc[0] == pd.Timestamp("2025-11-17 01:30", tz="UTC")
    assert str(flat["ts"].dt.tz) == "UTC" and list(flat.columns) == normalise.BAR_FRAME_COLUMNS


def test_download_with_two_tickers_keeps_only_real_bars_of_each():
    us = download_frame("BABA", history_frame("baba_history_1m.csv", "America/New_York"))
    hk = download_frame("9988.HK", history_frame("hk9988_history_1m.csv", "Asia/Hong_Kong"))
    both = pd.concat([us, hk], axis=1)  # yf.download pads each ticker's missing minutes with NaN
    assert len(normalise.normalise(both, "BABA")) == 8
    assert len(normalise.normalise(both, "9988.HK")) == 6


def test_daily_index_named_date_is_normalised():
    daily = pd.DataFrame({"Open": [159.6], "High": [161.3], "Low": [152.31], "Close": [153.8],
                          "Adj Close": [153.8], "Volume": [21_000_000]},
                         index=pd.DatetimeIndex([pd.Timestamp("2025-11-14", tz="America/New_York")], name="Date"))
    out = normalise.normalise(daily, "BABA")
    assert out["ts"].iloc[0] == pd.Timestamp("2025-11-14 05:00", tz="UTC")


def test_empty_frame_keeps_the_cache_and_says_what_is_cached(db):
    with store.writer(db) as con:
        bars.upsert_bars(con, normalise.normalise(history_frame("baba_history_1m.csv", "America/New_York"), "BABA"),
                         symbol="BABA", interval="1m", source="synthetic")
    before = stored(db)
    result = yahoo.fetch("BABA", "2025-11-14", "2025-11-14", download=Recorder(pd.DataFrame()),
                         db=db, now=NOW, sleep=lambda s: None)
    assert not result.ok and result.reports[0].status == "empty"
    pd.testing.assert_frame_equal(stored(db), before)
    assert "using cached 1m bars 2025-11-14..2025-11-14" in result.lines()[0]


def test_dns_error_is_retried_then_reported_and_loses_no_bars(db):
    with store.writer(db) as con:
        bars.upsert_bars(con, normalise.normalise(history_frame("baba_history_1m.csv", "America/New_York"), "BABA"),
                         symbol="BABA", interval="1m", source="yahoo")
    before = stored(db)
    net = Recorder(DNSError("Could not resolve host: query2.finance.yahoo.com"))
    waits = []
    result = yahoo.fetch(["BABA", "9988.HK"], "2025-11-14", "2025-11-17", download=net, db=db,
                         now=NOW, sleep=waits.append)
    assert len(net.calls) == yahoo.ATTEMPTS  # the second symbol does not wait on a dead network
    assert waits == sorted(waits) and len(waits) == yahoo.ATTEMPTS - 1 and waits[0] > 0
    assert [r.status for r in result.reports] == ["unreachable", "unreachable"]
    assert result.lines()[0] == "BABA: Yahoo unreachable — using cached 1m bars 2025-11-14..2025-11-14 (yahoo)"
    assert result.lines()[1] == "9988.HK: Yahoo unreachable — no cached bars"
    pd.testing.assert_frame_equal(stored(db), before)


def test_rate_limit_recovers_after_a_retry(db):
    good = history_frame("baba_history_1m.csv", "America/New_York")
    net = Recorder(YFRateLimitError(), good)
    waits = []
    result = yahoo.fetch("BABA", "2025-11-14", "2025-11-14", download=net, db=db, now=NOW, sleep=waits.append)
    assert result.ok and len(net.calls) == 2 and waits == [yahoo.RATE_LIMIT_BACKOFF]


def test_persistent_rate_limit_is_reported(db):
    result = yahoo.fetch("BABA", "2025-11-14", "2025-11-14", download=Recorder(YFRateLimitError()),
                         db=db, now=NOW, sleep=lambda s: None)
    assert result.reports[0].status == "rate_limited"
    assert "rate limit" in result.lines()[0] and stored(db).empty


def test_long_one_minute_window_is_chunked(db):
    net = Recorder(pd.DataFrame())
    yahoo.fetch("BABA", "2025-11-10", "2025-11-27", "1m", download=net, db=db, now=NOW, sleep=lambda s: None)
    spans = [(start, end) for _, start, end, _ in net.calls]
    assert len(spans) == 3
    assert spans[0][0] == pd.Timestamp("2025-11-10", tz="UTC") and spans[-1][1] == pd.Timestamp("2025-11-28", tz="UTC")
    assert all(end - start <= pd.Timedelta(days=8) for start, end in spans)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))  # contiguous, no gaps


def test_interval_yahoo_no_longer_serves_is_refused_with_the_oldest_date(db):
    net = Recorder(pd.DataFrame())
    result = yahoo.fetch("BABA", "2025-11-14", "2025-11-14", "1m", download=net, db=db,
                         now=pd.Timestamp("2026-11-28", tz="UTC"), sleep=lambda s: None)
    assert result.reports[0].status == "refused" and not net.calls
    assert "2026-10-29" in result.lines()[0]


@pytest.mark.parametrize("age, expected", [
    (pd.Timedelta(days=30), "1m"), (pd.Timedelta(days=30, minutes=1), "2m"),
    (pd.Timedelta(days=60), "2m"), (pd.Timedelta(days=60, minutes=1), "60m"),
    (pd.Timedelta(days=730), "60m"), (pd.Timedelta(days=731), "1d")])
def test_auto_interval_policy_at_its_boundaries(age, expected):
    start = NOW - age
    assert policy.choose_interval(start, start + pd.Timedelta(days=1), NOW) == expected


def test_explicit_interval_within_its_limit_is_kept():
    assert policy.choose_interval(NOW - pd.Timedelta(days=59), NOW, NOW, "5m") == "5m"
    with pytest.raises(policy.IntervalUnavailable, match="60 days"):
        policy.choose_interval(NOW - pd.Timedelta(days=61), NOW, NOW, "5m")


def test_intraday_requests_for_us_listings_ask_for_extended_hours(tmp_path):
    """prepost=True for BABA's 1m request (XNYS), not for 9988.HK (HKEX has none) nor daily bars."""
    from dashboard import config
    from dashboard.ingest.pipeline import ingest_paths

    path = tmp_path / "listed.duckdb"
    ingest_paths(path, [config.EVENTS_FILE])  # stores data/companies.toml's listings too
    us = Recorder(history_frame("baba_history_1m.csv", "America/New_York"))
    yahoo.fetch("BABA", "2025-11-14", "2025-11-14", "1m", download=us, db=path, now=NOW, sleep=lambda s: None)
    hk = Recorder(history_frame("hk9988_history_1m.csv", "Asia/Hong_Kong"))
    yahoo.fetch("9988.HK", "2025-11-17", "2025-11-17", "1m", download=hk, db=path, now=NOW, sleep=lambda s: None)
    daily = Recorder(pd.DataFrame())
    yahoo.fetch("BABA", "2024-01-02", "2024-01-05", "1d", download=daily, db=path, now=NOW, sleep=lambda s: None)
    assert us.prepost == [True] and hk.prepost == [False] and daily.prepost == [False]
