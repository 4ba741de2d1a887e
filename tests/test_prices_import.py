"""Vendor import: good rows stored, bad rows named by line and reason."""
from pathlib import Path

import pandas as pd
import pytest

from dashboard import store
from dashboard.cli import main
from dashboard.prices import importer
from dashboard.store import bars

FIXTURES = Path(__file__).parent / "fixtures" / "prices"
BAD = FIXTURES / "vendor_bad_rows.csv"


def test_bad_rows_are_named_and_good_rows_stored(tmp_path, capsys):
    db = tmp_path / "i.duckdb"
    code = main(["prices", "import", str(BAD), "--symbol", "BABA", "--db", str(db)])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err == [
        "vendor_bad_rows.csv:4: high: 159.8 is below open/close",
        "vendor_bad_rows.csv:5: close: must be > 0 (got -159.9)",
        "vendor_bad_rows.csv:6: volume: must be >= 0 (got -5)",
        "vendor_bad_rows.csv:7: timestamp: duplicate of line 3",
        "vendor_bad_rows.csv:8: Timestamp: cannot read 'not a time' as a date/time",
        "vendor_bad_rows.csv:9: close: not a number ('abc')",
    ]
    with store.reader(db) as con:
        rows = bars.query_bars(con, "BABA", "2025-11-14", "2025-11-14")
    assert rows["ts"].dt.strftime("%H:%M").tolist() == ["14:30", "14:31", "14:37"]
    assert set(rows["source"]) == {"import:vendor_bad_rows.csv"} and set(rows["interval"]) == {"1m"}


def test_naive_timestamps_need_a_zone(tmp_path, capsys):
    path = tmp_path / "naive.csv"
    path.write_text("Date,Open,High,Low,Close,Volume\n2025-11-17 09:30,153.5,153.9,153.2,153.4,100\n"
                    "2025-11-17 09:31,153.4,153.5,152.8,152.9,100\n", encoding="utf-8")
    db = tmp_path / "n.duckdb"
    assert main(["prices", "import", str(path), "--symbol", "9988.HK", "--db", str(db)]) == 1
    assert "naive.csv:2: Date: timestamp has no time zone; pass --tz ZONE" in capsys.readouterr().err
    assert main(["prices", "import", str(path), "--symbol", "9988.HK", "--tz", "Asia/Hong_Kong",
                 "--db", str(db)]) == 0
    with store.reader(db) as con:
        first = bars.query_bars(con, "9988.HK", "2025-11-17", "2025-11-17")["ts"].iloc[0]
    assert first == pd.Timestamp("2025-11-17 01:30", tz="UTC")


def test_parquet_with_datetime_index_and_daily_interval_inferred(tmp_path):
    frame = pd.DataFrame({"open": [159.0, 159.6], "high": [160.5, 161.3], "low": [158.7, 152.31],
                          "close": [159.84, 153.8], "volume": [1.6e7, 2.1e7]},
                         index=pd.DatetimeIndex(["2025-11-13", "2025-11-14"], name="Datetime").tz_localize("America/New_York"))
    path = tmp_path / "vendor.parquet"
    frame.to_parquet(path)
    con = store.connect(tmp_path / "p.duckdb")
    result = importer.import_file(con, path, "BABA")
    assert (result.interval, result.stored, result.problems) == ("1d", 2, [])
    con.close()


def test_missing_column_and_bad_zone_are_file_errors(tmp_path):
    path = tmp_path / "noclose.csv"
    path.write_text("timestamp,open,high,low\n2025-11-14T14:30Z,1,2,0.5\n", encoding="utf-8")
    with pytest.raises(importer.ImportFileError, match="noclose.csv: no close column"):
        importer.read_vendor_file(path, "BABA")
    with pytest.raises(importer.ImportFileError, match="not an IANA time zone"):
        importer.read_vendor_file(BAD, "BABA", tz="Mars/Olympus")
