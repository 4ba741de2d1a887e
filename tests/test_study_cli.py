"""`python -m dashboard study` on the bundled case (real ingest, the synthetic sample bars)."""
from __future__ import annotations

import csv
import io
import json

import pytest

from dashboard import cli, config

EVENT_FIELDS = {"event_id", "event_ts", "symbol", "window", "model", "car", "se", "t", "p", "alpha", "beta",
                "sigma", "n_estimation_bars", "note"}
POOLED_FIELDS = {"symbol", "window", "n_events", "caar", "t_cs", "z_patell", "z_bmp", "z_kp", "z_rank", "z_sign",
                 "p_cs", "p_patell", "p_bmp", "p_kp", "p_rank", "p_sign"}


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def study_json(case_db):
    import contextlib

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert cli.main(["study", "--db", str(case_db), "--format", "json", "--since", "2025-11-13",
                         "--until", "2025-11-18"]) == 0
    return json.loads(buffer.getvalue())


def test_json_is_one_object_of_events_pooled_and_bars_source(study_json):
    assert set(study_json) == {"events", "pooled", "bars_source"}
    assert study_json["bars_source"] == "synthetic"
    assert EVENT_FIELDS <= set(study_json["events"][0])
    assert POOLED_FIELDS <= set(study_json["pooled"][0])
    assert {row["symbol"] for row in study_json["pooled"]} == {"BABA", "9988.HK"}
    windows = {row["window"] for row in study_json["pooled"]}
    assert windows == {"5m", "15m", "30m", "60m", "session_close", "next_close"}


def test_json_carries_fractions_and_times_in_utc(study_json):
    measured = [row for row in study_json["events"] if row["car"] is not None]
    assert measured, "the case has minute-precision events with estimation bars"
    assert all(abs(row["car"]) < 0.5 for row in measured)  # fractions: a 2% move is 0.02
    assert all(row["event_ts"].endswith("Z") for row in study_json["events"])
    assert all(0 <= row["p"] <= 1 for row in measured)
    unmeasured = [row for row in study_json["events"] if row["car"] is None]
    assert all(row["note"] for row in unmeasured)  # every missing figure says why


def test_table_says_the_bars_are_synthetic(capsys, case_db):
    code, out, _ = run(capsys, "study", "--db", str(case_db), "--since", "2025-11-13", "--until", "2025-11-18")
    assert code == 0
    assert "caar" in out.splitlines()[0]
    assert config.SYNTHETIC_LABEL in out


def test_a_selection_with_no_statistics_says_why(capsys, case_db):
    # the case's allegations and denials are dated to the day, before the sample's first sessions
    code, out, _ = run(capsys, "study", "--db", str(case_db), "--kind", "allegation", "--until", "2025-11-12")
    assert code == 0
    assert "no pooled rows match" in out
    assert "--table events" in out


def test_csv_of_the_event_rows_has_every_public_column(capsys, case_db):
    code, out, _ = run(capsys, "study", "--db", str(case_db), "--format", "csv", "--table", "events",
                       "--model", "constant-mean", "--interval", "1m", "--since", "2025-11-14", "--until", "2025-11-14")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and EVENT_FIELDS <= set(rows[0])
    assert {row["model"] for row in rows} == {"constant-mean"}
    assert {row["interval"] for row in rows} == {"1m"}


def test_regular_only_and_first_of_cluster_are_accepted(capsys, case_db):
    code, out, _ = run(capsys, "study", "--db", str(case_db), "--format", "json", "--regular-only",
                       "--first-of-cluster", "--estimation-sessions", "3", "--since", "2025-11-13", "--until", "2025-11-18")
    assert code == 0
    events = json.loads(out)["events"]
    assert all(row["first_of_cluster"] for row in events)


@pytest.mark.parametrize("argv", [["--interval", "15m"], ["--model", "fama-french"], ["--estimation-sessions", "0"]])
def test_bad_options_are_usage_errors(capsys, case_db, argv):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["study", "--db", str(case_db), *argv])
    assert exit_.value.code == 2
