"""`reactions`, `claims`, `parity` end to end: a real DuckDB file, real ingest, fixture bars."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import analysis_builder as builder  # tests/analysis_builder.py: bars from a known step path
from dashboard import cli, config, store
from dashboard.ingest.pipeline import ingest_paths
from dashboard.store.bars import upsert_bars


EVENTS = Path(__file__).parent / "fixtures" / "analysis" / "events.csv"
NY = builder.session_minutes("XNYS", "2025-11-06", "2025-11-19")
HK = builder.session_minutes("XHKG", "2025-11-06", "2025-11-19")
BARS = {
    # 159.84 into the FT minute (18:02Z Fri), 158.20 for five minutes, 152.31 low, 153.80 close
    "BABA": builder.step_bars(NY, [("2025-11-06", 159.84), ("2025-11-14 18:02", 158.20),
                                   ("2025-11-14 18:07", 155.00), ("2025-11-14 19:00", 153.00),
                                   ("2025-11-14 20:30", 153.80), ("2025-11-17 14:30", 157.71)],
                              lows=[("2025-11-14 19:30", 152.31)]),
    "KWEB": builder.step_bars(NY, [("2025-11-06", 30.0), ("2025-11-14 18:02", 29.7)]),
    "9988.HK": builder.step_bars(HK, [("2025-11-06", 154.9), ("2025-11-17 01:30", 153.0),
                                      ("2025-11-17 02:00", 156.0)]),
    "2800.HK": builder.step_bars(HK, [("2025-11-06", 25.0)]),
    "HKD=X": builder.step_bars(pd.date_range("2025-11-06", "2025-11-19", freq="1min", tz="UTC"),
                               [("2025-11-06", 7.78)]),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis_cli")
    shutil.copy(config.ARTICLES_DIR / "000_9279edc7659a31d4.txt", folder / "000_9279edc7659a31d4.txt")
    shutil.copy(EVENTS, folder / "events.csv")
    path = folder / "test.duckdb"
    report = ingest_paths(path, [folder], companies_file=config.COMPANIES_FILE)
    assert report.ok, report.rejections
    with store.writer(path) as con:
        for symbol, frame in BARS.items():
            upsert_bars(con, frame, symbol=symbol, interval="1m", source="synthetic")
    return path


def run(capsys, *argv) -> str:
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out


def test_reactions_json_for_the_ft_report(db, capsys):
    rows = json.loads(run(capsys, "reactions", "--db", str(db), "--format", "json"))
    ft = {r["symbol"]: r for r in rows if r["event_id"] == "ft-tweet"}
    assert ft["BABA"]["first_bar_ts"] == "2025-11-14T18:02:00Z"
    assert ft["BABA"]["ref_price"] == 159.84
    assert ft["BABA"]["ret_5m"] == pytest.approx(158.20 / 159.84 - 1)
    assert ft["BABA"]["abn_5m"] == pytest.approx((158.20 / 159.84 - 1) - (29.7 / 30.0 - 1))
    assert ft["BABA"]["ret_session_close"] == pytest.approx(153.80 / 159.84 - 1)
    assert ft["9988.HK"]["first_bar_ts"] == "2025-11-17T01:30:00Z"
    # +30m is the price at 02:00 (the 01:59 bar: 153.0); +60m reaches the 156.0 from 02:00 on
    assert ft["9988.HK"]["ret_30m"] == pytest.approx(153.0 / 154.9 - 1)
    assert ft["9988.HK"]["ret_60m"] == pytest.approx(156.0 / 154.9 - 1)
    assert ft["BABA"]["bars_source"] == "synthetic"
    # the premium as the FT story broke, and the discount Hong Kong opened into on Monday
    assert ft["BABA"]["adr_premium_at_event"] == pytest.approx(159.84 / (154.9 * 8 / 7.78) - 1)
    assert ft["9988.HK"]["adr_premium_at_first_bar"] == pytest.approx(153.80 / (154.9 * 8 / 7.78) - 1)
    assert all(r["event_ts"].endswith("Z") for r in rows)


def test_reactions_filters(db, capsys):
    rows = json.loads(run(capsys, "reactions", "--db", str(db), "--format", "json", "--kind", "market"))
    assert {r["event_id"] for r in rows} == {"benzinga"}
    rows = json.loads(run(capsys, "reactions", "--db", str(db), "--format", "json",
                          "--since", "2025-11-15", "--until", "2025-11-15"))
    assert rows == []


def test_claims_json_marks_the_close_and_the_intraday_figure(db, capsys):
    rows = json.loads(run(capsys, "claims", "--db", str(db), "--format", "json"))
    close = next(r for r in rows if r["origin"] == "article" and r["size_pct"] == -3.78)
    assert (close["verdict"], close["matched"], close["session"]) == ("agrees", "close", "2025-11-14")
    intraday = next(r for r in rows if r["origin_id"] == "benzinga")
    assert intraday["measure"] == "intraday" and intraday["price"] == 152.31
    assert (intraday["verdict"], intraday["matched"]) == ("agrees", "intraday low")
    assert intraday["published_at"] == "2025-11-14T05:00:00Z"


def test_claims_csv_reads_back_and_table_shows_the_synthetic_label(db, capsys):
    text = run(capsys, "claims", "--db", str(db), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"verdict", "verdict_text", "bars_source"} <= set(rows[0])
    assert any(r["size_pct"] == "-3.78" for r in rows)
    table = run(capsys, "claims", "--db", str(db))
    assert config.SYNTHETIC_LABEL in table


def test_parity_shows_the_weekend_discount(db, capsys):
    rows = json.loads(run(capsys, "parity", "--db", str(db), "--since", "2025-11-14",
                          "--until", "2025-11-14", "--format", "json"))
    last_friday = rows[-1]
    assert last_friday["ts"] == "2025-11-14T20:59:00Z"
    assert last_friday["hk_ts"] == "2025-11-14T07:59:00Z"  # Hong Kong shut: its last price
    assert last_friday["premium"] == pytest.approx(153.80 / (154.9 * 8 / 7.78) - 1)
    assert last_friday["premium"] < -0.03


SATURDAY_DENIAL = "2025-11-15-alibaba-denial-scmp-saturday"  # data/events.csv, a day in Hong Kong


def test_on_the_bundled_data_the_weekend_denial_reaches_baba_in_mondays_premarket(case_db, capsys):
    rows = json.loads(run(capsys, "reactions", "--db", str(case_db), "--format", "json"))
    denial = {r["symbol"]: r for r in rows if r["event_id"] == SATURDAY_DENIAL}
    assert denial["BABA"]["session_part"] == "pre"
    assert denial["BABA"]["first_bar_ts"] == "2025-11-17T09:00:00Z"  # Monday 04:00 ET
    assert denial["BABA"]["last_close"] == 153.80  # Friday's regular close (GlobeNewswire)
    assert denial["9988.HK"]["first_bar_ts"] == "2025-11-17T01:30:00Z"  # 09:30 HKT, the earlier
    assert denial["9988.HK"]["session_part"] == "regular"
    regular = json.loads(run(capsys, "reactions", "--db", str(case_db), "--format", "json", "--regular-only"))
    today = {r["symbol"]: r for r in regular if r["event_id"] == SATURDAY_DENIAL}
    assert today["BABA"]["session_part"] == "regular"
    assert today["BABA"]["first_bar_ts"] == "2025-11-17T14:30:00Z"
    assert "session_part" in run(capsys, "reactions", "--db", str(case_db), "--kind", "denial")


def test_parity_uses_the_adrs_premarket_against_hong_kongs_last_price(case_db, capsys):
    args = ["parity", "--db", str(case_db), "--since", "2025-11-17", "--until", "2025-11-17", "--format", "json"]
    rows = json.loads(run(capsys, *args))
    premarket = [r for r in rows if "2025-11-17T09:00:00Z" <= r["ts"] < "2025-11-17T14:30:00Z"]
    assert premarket and all(r["hk_ts"] == "2025-11-17T07:59:00Z" for r in premarket)  # HK had closed
    regular = json.loads(run(capsys, *args, "--regular-only"))
    assert min(r["ts"] for r in regular) == "2025-11-17T14:30:00Z"
