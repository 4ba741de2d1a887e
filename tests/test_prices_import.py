"""Vendor import: every shape users have, symbols and zones from the file, bad rows named."""
import json
from pathlib import Path

import pandas as pd
import pytest

from bar_files import write_bar_files
from dashboard import store
from dashboard.cli import main
from dashboard.ingest.pipeline import ingest_paths
from dashboard.prices import importer
from dashboard.store import bars

FIXTURES = Path(__file__).parent / "fixtures" / "prices"
BAD = FIXTURES / "vendor_bad_rows.csv"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("bar-files")
    return path, write_bar_files(path)


@pytest.fixture
def listed_db(tmp_path):
    """A database that knows the registry's listings (and so their exchange zones)."""
    db = tmp_path / "listed.duckdb"
    ingest_paths(db, [])
    return db


def listed(db, capsys):
    capsys.readouterr()
    assert main(["prices", "list", "--format", "json", "--db", str(db)]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_folder_of_every_shape_imports_with_the_right_bars_per_symbol(folder, listed_db, capsys):
    path, specs = folder
    for spec in specs:
        code = main(["prices", "import", str(spec["file"]), *spec["args"], "--db", str(listed_db)])
        assert code == 0, (spec["file"].name, capsys.readouterr())
    rows = listed(listed_db, capsys)
    got = {(r["symbol"], r["source"]): r for r in rows}
    expected = {(symbol, f"import:{spec['file'].name}"): want
                for spec in specs for symbol, want in spec["series"].items()}
    assert set(got) == set(expected)
    for key, want in expected.items():
        row = got[key]
        assert (row["interval"], row["rows"]) == (want["interval"], want["rows"]), key
        first, last = pd.Timestamp(row["first_bar"]), pd.Timestamp(row["last_bar"])
        assert (first, last) == (want["first"], want["last"]), key


def test_two_ticker_download_keeps_each_markets_minutes_and_extended_hours(folder, listed_db, capsys):
    path, _ = folder
    assert main(["prices", "import", str(path / "yf_download_BABA_9988HK_1m.csv"), "--db", str(listed_db)]) == 0
    out = capsys.readouterr().out
    assert "yf_download_BABA_9988HK_1m.csv: BABA: stored 100 1m bars 2025-11-14 13:00Z..2025-11-17 14:59Z" in out
    assert "9988.HK: stored 90 1m bars 2025-11-14 01:30Z..2025-11-17 02:29Z" in out
    assert "yfinance download CSV; rejected 0 row(s)" in out
    with store.reader(listed_db) as con:
        baba = bars.query_bars(con, "BABA", "2025-11-14", "2025-11-14")
    # 08:00-08:09 New York is pre-market: kept, not dropped.
    assert baba["ts"].dt.strftime("%H:%M").tolist()[:11] == [f"13:0{m}" for m in range(10)] + ["14:30"]


def test_daily_download_is_keyed_by_the_exchange_date(folder, listed_db):
    path, _ = folder
    with store.writer(listed_db) as con:
        result = importer.import_file(con, path / "yf_download_BABA_1d.csv")
        hk = importer.import_file(con, path / "history_9988HK_1d.csv", symbol="9988.HK")
    [baba] = result.series
    assert baba.interval == "1d" and baba.first == pd.Timestamp("2025-01-02 05:00", tz="UTC")
    # Summer dates sit at New York midnight in EDT.
    assert pd.Timestamp("2025-07-01 04:00", tz="UTC") in set(baba.bars["ts"])
    assert hk.series[0].first == pd.Timestamp("2025-01-01 16:00", tz="UTC")
    with store.reader(listed_db) as con:
        week = bars.query_bars(con, "BABA", "2025-11-10", "2025-11-14", interval="1d")
    assert week["ts"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [f"2025-11-{d} 05:00" for d in range(10, 15)]


def test_symbol_is_needed_only_when_the_file_names_none(folder, listed_db, capsys):
    path, _ = folder
    code = main(["prices", "import", str(path / "history_KWEB_1m.csv"), "--db", str(listed_db)])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "error: history_KWEB_1m.csv: the file does not name its symbol, so pass --symbol SYMBOL.")
    code = main(["prices", "import", str(path / "aggregates_BABA_5m.json"), "--symbol", "KWEB", "--db", str(listed_db)])
    assert code == 1
    assert "aggregates_BABA_5m.json: --symbol KWEB contradicts the file, which names BABA" in capsys.readouterr().err


def test_symbol_picks_one_ticker_out_of_a_download(folder, tmp_path):
    path, _ = folder
    result = importer.read_bars(path / "yf_download_BABA_9988HK_1m.csv", symbol="9988.hk")
    assert [(s.symbol, len(s.bars)) for s in result.series] == [("9988.HK", 90)]


def test_naive_times_take_the_listing_zone_or_need_tz(tmp_path, listed_db, capsys):
    path = tmp_path / "naive.csv"
    path.write_text("Date,Open,High,Low,Close,Volume\n2025-11-17 09:30,153.5,153.9,153.2,153.4,100\n"
                    "2025-11-17 09:31,153.4,153.5,152.8,152.9,100\n", encoding="utf-8")
    db = tmp_path / "n.duckdb"
    assert main(["prices", "import", str(path), "--symbol", "0700.HK", "--db", str(db)]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: naive.csv:2: Date: the times have no UTC offset and 0700.HK is not a known listing; "
        "pass --tz ZONE (e.g. America/New_York)")
    assert main(["prices", "import", str(path), "--symbol", "0700.HK", "--tz", "Asia/Hong_Kong", "--db", str(db)]) == 0
    assert main(["prices", "import", str(path), "--symbol", "9988.HK", "--db", str(listed_db)]) == 0
    for database, symbol in [(db, "0700.HK"), (listed_db, "9988.HK")]:
        with store.reader(database) as con:
            first = bars.query_bars(con, symbol, "2025-11-17", "2025-11-17")["ts"].iloc[0]
        assert first == pd.Timestamp("2025-11-17 01:30", tz="UTC")


def test_bad_rows_are_named_duplicates_warned_and_good_rows_stored(tmp_path, capsys):
    db = tmp_path / "i.duckdb"
    code = main(["prices", "import", str(BAD), "--symbol", "BABA", "--db", str(db)])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err == [
        "vendor_bad_rows.csv:4: high: 159.8 is below open/close",
        "vendor_bad_rows.csv:5: close: must be > 0 (got -159.9)",
        "vendor_bad_rows.csv:6: volume: must be >= 0 (got -5)",
        "vendor_bad_rows.csv:8: Timestamp: cannot read 'not a time' as a date/time",
        "vendor_bad_rows.csv:9: close: not a number ('abc')",
        "vendor_bad_rows.csv: BABA: 1 row(s) repeat an earlier bar time; the later row wins",
    ]
    with store.reader(db) as con:
        rows = bars.query_bars(con, "BABA", "2025-11-14", "2025-11-14")
    assert rows["ts"].dt.strftime("%H:%M").tolist() == ["14:30", "14:31", "14:37"]
    assert set(rows["source"]) == {"import:vendor_bad_rows.csv"} and set(rows["interval"]) == {"1m"}


def test_later_duplicate_wins(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("ts,open,high,low,close\n2025-11-14T14:30Z,1,2,0.5,1.5\n2025-11-14T14:31Z,1,2,0.5,1.5\n"
                    "2025-11-14T14:30Z,1,2,0.5,1.9\n", encoding="utf-8")
    result = importer.read_bars(path, symbol="BABA")
    assert result.series[0].bars["close"].tolist() == [1.9, 1.5]
    assert result.warnings == ["dup.csv: BABA: 1 row(s) repeat an earlier bar time; the later row wins"]


def test_json_items_and_sparse_download_rows_are_named(tmp_path):
    agg = tmp_path / "agg.json"
    agg.write_text(json.dumps({"ticker": "BABA", "results": [
        {"t": 1763649000000, "o": 160, "h": 161, "l": 159, "c": 160.5, "v": 10},
        {"t": 1763649060000, "o": 160, "h": 159, "l": 158, "c": 160.5, "v": 10},
        {"t": "soon", "o": 160, "h": 161, "l": 159, "c": 160.5, "v": 10},
        {"t": 1763649120000, "o": 160, "h": 161, "l": 159, "c": 160.5, "v": 10}]}), encoding="utf-8")
    result = importer.read_bars(agg)
    assert result.problems == ["agg.json:results[1]: high: 159 is below open/close",
                               "agg.json:results[2]: t: cannot read 'soon' as a date/time"]
    assert result.series[0].first == pd.Timestamp("2025-11-20 14:30", tz="UTC")
    download = tmp_path / "dl.csv"
    download.write_text("Price,Close,Close,High,High,Low,Low,Open,Open,Volume,Volume\n"
                        "Ticker,9988.HK,BABA,9988.HK,BABA,9988.HK,BABA,9988.HK,BABA,9988.HK,BABA\n"
                        "Datetime,,,,,,,,,,\n"
                        "2025-11-14 09:30:00-05:00,,160,,161,,159,,160,,100\n"
                        "2025-11-14 09:31:00-05:00,,160,,161,,159,,,,100\n"
                        "2025-11-14 09:32:00-05:00,,160,,161,,159,,160,,100\n", encoding="utf-8")
    result = importer.read_bars(download)
    assert result.problems == ["dl.csv:5: open: empty"]
    assert [(s.symbol, len(s.bars)) for s in result.series] == [("BABA", 2)]


def test_interval_is_checked_against_the_spacing(folder):
    path, _ = folder
    with pytest.raises(importer.ImportFileError, match="--interval 5m, but most bars are 00:01:00 apart"):
        importer.read_bars(path / "history_KWEB_1m.csv", symbol="KWEB", interval="5m")
    odd = path.parent / "odd.csv"
    odd.write_text("ts,open,high,low,close\n2025-11-14T14:30Z,1,2,0.5,1.5\n2025-11-14T14:37Z,1,2,0.5,1.5\n",
                   encoding="utf-8")
    with pytest.raises(importer.ImportFileError, match="cannot tell the bar interval .*; pass --interval"):
        importer.read_bars(odd, symbol="BABA")
    assert importer.read_bars(odd, symbol="BABA", interval="1m").series[0].interval == "1m"


def test_each_file_is_its_own_transaction(folder, listed_db, tmp_path, capsys):
    path, _ = folder
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    code = main(["prices", "import", str(broken), str(path / "aggregates_BABA_5m.json"), "--db", str(listed_db)])
    assert code == 1
    assert "error: broken.json: not valid JSON" in capsys.readouterr().err
    with store.reader(listed_db) as con:
        assert bars.count_bars(con, "BABA") == 12


def test_parquet_with_datetime_index_and_daily_interval_inferred(tmp_path):
    frame = pd.DataFrame({"open": [159.0, 159.6], "high": [160.5, 161.3], "low": [158.7, 152.31],
                          "close": [159.84, 153.8], "volume": [1.6e7, 2.1e7]},
                         index=pd.DatetimeIndex(["2025-11-13", "2025-11-14"], name="Datetime").tz_localize("America/New_York"))
    path = tmp_path / "vendor.parquet"
    frame.to_parquet(path)
    con = store.connect(tmp_path / "p.duckdb")
    result = importer.import_file(con, path, "BABA")
    assert (result.series[0].interval, result.stored, result.problems) == ("1d", 2, [])
    con.close()


def test_missing_column_and_bad_zone_are_file_errors(tmp_path):
    path = tmp_path / "noclose.csv"
    path.write_text("timestamp,open,high,low\n2025-11-14T14:30Z,1,2,0.5\n", encoding="utf-8")
    with pytest.raises(importer.ImportFileError, match="noclose.csv: no close column"):
        importer.read_bars(path, "BABA")
    with pytest.raises(importer.ImportFileError, match="not an IANA time zone"):
        importer.read_bars(BAD, "BABA", tz="Mars/Olympus")


@pytest.fixture(scope="module")
def imported_case_db(folder, tmp_path_factory):
    """The case database (events, companies, synthetic sample) plus every file of the folder."""
    from conftest import _build_db

    db = _build_db(tmp_path_factory.mktemp("imported") / "case.duckdb")
    for spec in folder[1]:
        assert main(["prices", "import", str(spec["file"]), *spec["args"], "--db", str(db)]) == 0
    return db


def test_chart_draws_the_imported_daily_bars_over_a_long_window(imported_case_db, folder):
    from dashboard.charts import overlay_figure
    from dashboard.view import Filters, load_view

    specs = {spec["file"].name: spec for spec in folder[1]}
    view = load_view(imported_case_db, Filters(start=pd.Timestamp("2025-01-01").date(),
                                               end=pd.Timestamp("2025-11-28").date()))
    by_symbol = {lv.symbol: lv for lv in view.listings}
    baba, hk = by_symbol["BABA"], by_symbol["9988.HK"]
    assert (baba.interval, baba.total_bars) == ("1d", specs["yf_download_BABA_1d.csv"]["series"]["BABA"]["rows"])
    assert baba.sources == ("import:yf_download_BABA_1d.csv",) and not view.synthetic
    assert (hk.interval, hk.total_bars) == ("1d", specs["history_9988HK_1d.csv"]["series"]["9988.HK"]["rows"])
    fig = overlay_figure(view)
    [trace] = [t for t in fig.data if t.legendgroup == "BABA" and t.type in ("candlestick", "scatter")]
    assert len(trace.x) == baba.total_bars


def test_a_short_window_still_draws_the_imported_minutes(imported_case_db):
    from dashboard.view import Filters, load_view

    view = load_view(imported_case_db, Filters(start=pd.Timestamp("2025-11-13").date(),
                                               end=pd.Timestamp("2025-11-18").date()))
    baba = {lv.symbol: lv for lv in view.listings}["BABA"]
    assert baba.interval == "1m" and baba.total_bars == 100


def test_a_yfinance_frame_saved_as_parquet_and_json_bars_by_symbol(tmp_path):
    from bar_files import download, history, minutes

    baba = minutes("America/New_York", [("2025-11-14 09:30", "2025-11-14 09:40")])
    hk = minutes("Asia/Hong_Kong", [("2025-11-17 09:30", "2025-11-17 09:35")])
    path = tmp_path / "frame.parquet"
    download({"BABA": history(baba, 159.0, 1), "9988.HK": history(hk, 157.0, 2)}, daily=False).to_parquet(path)
    result = importer.read_bars(path)
    assert result.shape == "yfinance frame as Parquet" and result.problems == []
    assert {s.symbol: (s.interval, len(s.bars)) for s in result.series} == {"BABA": ("1m", 10), "9988.HK": ("1m", 5)}
    bars_json = tmp_path / "bars.json"
    bars_json.write_text(json.dumps({"bars": {"KWEB": [
        {"t": "2025-11-18T14:30:00Z", "o": 36, "h": 36.2, "l": 35.9, "c": 36.1, "v": 5},
        {"t": "2025-11-18T14:35:00Z", "o": 36.1, "h": 36.3, "l": 36.0, "c": 36.2, "v": 7}]}}), encoding="utf-8")
    [kweb] = importer.read_bars(bars_json).series
    assert (kweb.symbol, kweb.interval, kweb.last) == ("KWEB", "5m", pd.Timestamp("2025-11-18 14:35", tz="UTC"))
