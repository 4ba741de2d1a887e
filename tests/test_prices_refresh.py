"""`prices refresh`, `sample`, `list` and `fetch` from the command line."""
import json

import pandas as pd
from curl_cffi.requests.exceptions import DNSError

from dashboard import config, store
from dashboard.cli import main
from dashboard.prices import refresh, yahoo
from dashboard.ingest.companies import load_registry
from dashboard.store import bars
from dashboard.store.companies import upsert_registry

FT_REPORT = pd.Timestamp("2025-11-14 18:02:11", tz="UTC")


def db_with_event(tmp_path):
    """One event, and the listings of data/companies.toml as ingest stores them (refresh reads
    the symbols to fetch from the store)."""
    db = tmp_path / "r.duckdb"
    with store.writer(db) as con:
        upsert_registry(con, load_registry(config.COMPANIES_FILE))
        con.execute("INSERT INTO events (event_id, ts, precision, kind, headline, content_hash, ingested_at)"
                    " VALUES (?, ?, 'minute', 'report', 'FT report', 'h', now())", ["ft", FT_REPORT])
    return db


def test_event_window_spans_two_sessions_before_to_three_after():
    start, end = refresh.event_window("XHKG", FT_REPORT)  # HK shut: its event session is Mon 11-17
    assert (start, end) == (pd.Timestamp("2025-11-13 01:30", tz="UTC"), pd.Timestamp("2025-11-20 08:00", tz="UTC"))
    start, end = refresh.event_window("XNYS", FT_REPORT)
    assert (start, end) == (pd.Timestamp("2025-11-12 14:30", tz="UTC"), pd.Timestamp("2025-11-19 21:00", tz="UTC"))


def test_refresh_fetches_uncached_windows_then_finds_them_cached(tmp_path):
    db = db_with_event(tmp_path)
    asked = []

    def network(symbol, start, end, interval, prepost=False):
        asked.append(symbol)
        times = pd.date_range(start, end, freq="1h", inclusive="left")
        return pd.DataFrame({"Open": 1.0, "High": 1.0, "Low": 1.0, "Close": 1.0, "Volume": 0.0},
                            index=pd.DatetimeIndex(times, name="Datetime"))

    lines = []
    now = pd.Timestamp("2025-11-28", tz="UTC")
    result = refresh.refresh(db, download=network, now=now, echo=lines.append, sleep=lambda s: None)
    assert result.ok and set(asked) == {"BABA", "9988.HK", "KWEB", "2800.HK", "HKD=X"}
    calls = len(asked)
    assert any(line.startswith("BABA: fetching 2025-11-12..2025-11-19") for line in lines)
    again = refresh.refresh(db, download=network, now=now, echo=lines.append, sleep=lambda s: None)
    assert len(asked) == calls and len(again.up_to_date) == 5  # nothing fetched twice


def test_synthetic_bars_do_not_count_as_cached(tmp_path):
    db = db_with_event(tmp_path)
    assert main(["prices", "sample", "--db", str(db)]) == 0
    with store.reader(db) as con:
        missing = refresh.missing_windows(con, "BABA", "XNYS", [FT_REPORT], pd.Timestamp("2025-11-28", tz="UTC"))
    assert missing == [refresh.event_window("XNYS", FT_REPORT)]


def test_refresh_offline_ok_says_so_in_one_line_and_keeps_bars(tmp_path, capsys, monkeypatch):
    db = db_with_event(tmp_path)
    main(["prices", "sample", "--db", str(db)])
    with store.reader(db) as con:
        before = bars.coverage(con)
    capsys.readouterr()

    def offline(symbol, start, end, interval, prepost=False):
        raise DNSError("Could not resolve host: query2.finance.yahoo.com")

    monkeypatch.setattr(yahoo, "download_from_yahoo", offline)
    monkeypatch.setattr(yahoo, "CONNECTION_BACKOFF", 0.0)
    assert main(["prices", "refresh", "--offline-ok", "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == refresh.OFFLINE_LINE
    assert main(["prices", "refresh", "--db", str(db)]) == 1
    assert "Yahoo unreachable" in capsys.readouterr().err
    with store.reader(db) as con:
        pd.testing.assert_frame_equal(bars.coverage(con), before)


def test_list_json_labels_synthetic_coverage(tmp_path, capsys):
    db = tmp_path / "l.duckdb"
    main(["prices", "sample", "--db", str(db)])
    capsys.readouterr()
    assert main(["prices", "list", "--format", "json", "--db", str(db)]) == 0
    records = json.loads(capsys.readouterr().out)
    by_symbol = {r["symbol"]: r for r in records}
    for symbol in ["BABA", "9988.HK", "HKD=X", "KWEB", "2800.HK"]:
        rec = by_symbol[symbol]
        assert (rec["interval"], rec["source"], rec["label"]) == ("1m", "synthetic", config.SYNTHETIC_LABEL)
        assert rec["first_bar"].startswith("2025-11-10") and rec["last_bar"].startswith("2025-11-28")
    assert main(["prices", "list", "--db", str(db)]) == 0
    assert config.SYNTHETIC_LABEL in capsys.readouterr().out


def test_offline_fetch_exits_non_zero_and_leaves_the_cache(tmp_path, capsys, monkeypatch):
    db = tmp_path / "f.duckdb"
    main(["prices", "sample", "--db", str(db)])
    with store.reader(db) as con:
        before = con.execute("SELECT * FROM bars ORDER BY symbol, ts").df()

    def offline(symbol, start, end, interval, prepost=False):
        raise DNSError("Could not resolve host: query2.finance.yahoo.com")

    monkeypatch.setattr(yahoo, "download_from_yahoo", offline)
    monkeypatch.setattr(yahoo, "CONNECTION_BACKOFF", 0.0)
    capsys.readouterr()
    assert main(["prices", "fetch", "BABA", "--start", "2025-11-14", "--end", "2025-11-15", "--db", str(db)]) == 1
    assert "BABA: Yahoo unreachable — using cached 1m bars 2025-11-10..2025-11-28" in capsys.readouterr().err
    with store.reader(db) as con:
        pd.testing.assert_frame_equal(con.execute("SELECT * FROM bars ORDER BY symbol, ts").df(), before)


def test_refresh_outcome_is_recorded_for_the_app(tmp_path):
    db = db_with_event(tmp_path)
    now = pd.Timestamp("2025-11-28", tz="UTC")

    def unreachable(symbol, start, end, interval, prepost=False):
        raise DNSError("Could not resolve host: query1.finance.yahoo.com")

    with store.reader(db) as con:
        assert bars.last_refresh(con) is None
    refresh.refresh(db, download=unreachable, now=now, echo=lambda line: None, sleep=lambda s: None)
    with store.reader(db) as con:
        outcome = bars.last_refresh(con)
    assert outcome["status"] == "offline" and outcome["checked_at"] == now
    assert outcome["message"].startswith(refresh.OFFLINE_LINE)

    def network(symbol, start, end, interval, prepost=False):
        times = pd.date_range(start, end, freq="1h", inclusive="left")
        return pd.DataFrame({"Open": 1.0, "High": 1.0, "Low": 1.0, "Close": 1.0, "Volume": 0.0},
                            index=pd.DatetimeIndex(times, name="Datetime"))

    later = now + pd.Timedelta(hours=1)
    refresh.refresh(db, download=network, now=later, echo=lambda line: None, sleep=lambda s: None)
    with store.reader(db) as con:
        assert bars.last_refresh(con)["status"] == "fetched"
    refresh.refresh(db, download=network, now=later + pd.Timedelta(hours=1), echo=lambda line: None,
                    sleep=lambda s: None)
    with store.reader(db) as con:
        assert bars.last_refresh(con)["status"] == "up_to_date"
