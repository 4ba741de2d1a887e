"""`python -m dashboard bench --quick` runs end to end and reports every measurement.

This proves the suite works on tiny data; it asserts nothing about speed.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys

import duckdb
import pytest

from dashboard.config import DEFAULT_DB, PROJECT_ROOT

pytestmark = pytest.mark.slow  # a fresh process per measurement

# Measured alongside the JSONL ingest: not timings of their own.
INGEST_SIDE_ROWS = {"ingest_jsonl_wall", "ingest_jsonl_memory", "ingest_reader_wait", "ingest_readers_wait"}
EXPECTED_ROWS = INGEST_SIDE_ROWS | {
    "ingest_jsonl", "ingest_text", "ingest_under_readers", "filter", "chart_1d", "chart_1mo", "chart_1y",
    "app_cold", "app_warm", "payload_1d", "payload_1mo", "payload_1y", "study_cold", "study_warm",
    "lake_publish_full", "lake_publish_1pct", "lake_filter", "lake_chart_1d", "lake_chart_1mo", "lake_chart_1y",
    "page_load", "page_rerun",
    "search_build", *(f"search_{q}{tag}" for q in ("word", "phrase", "boolean", "prefix") for tag in ("", "_tag")),
}
ROWS_WITH_BASELINE = {"ingest_jsonl", "ingest_text", "ingest_under_readers", "filter", "chart_1d", "chart_1mo", "chart_1y",
                      "lake_publish_1pct", "lake_filter", "lake_chart_1d", "lake_chart_1mo", "lake_chart_1y",
                      "page_load", "page_rerun"}


def sane(number) -> bool:
    return isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number) and number > 0


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    default_db_before = DEFAULT_DB.stat().st_mtime_ns if DEFAULT_DB.exists() else None
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard", "bench", "--quick", "--dir", str(root / "data"),
         "--json", str(root / "results.json"), "--markdown", str(root / "benchmarks.md")],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )
    default_db_after = DEFAULT_DB.stat().st_mtime_ns if DEFAULT_DB.exists() else None
    return root, proc, (default_db_before, default_db_after)


def test_quick_run_succeeds_and_writes_where_asked(quick_run):
    root, proc, _ = quick_run
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (root / "results.json").exists()
    assert (root / "benchmarks.md").exists()


def test_every_measurement_has_sane_numbers(quick_run):
    root, proc, _ = quick_run
    results = json.loads((root / "results.json").read_text())
    records = {r["name"]: r for r in results["records"]}
    assert set(records) == EXPECTED_ROWS
    for name, r in records.items():
        assert r["error"] is None, f"{name}: {r['error']}"
        if name == "ingest_reader_wait":  # may well be 0: a reader that was never refused
            assert r["value"] >= 0 and r["details"]["attempts"] > 0, r
            continue
        if name == "ingest_readers_wait":  # the looping readers: none may fail
            assert r["value"] >= 0 and (r["details"]["busy"], r["details"]["errors"]) == (0, 0), r
            continue
        assert sane(r["value"]), f"{name}: value {r['value']!r}"
        assert sane(r["peak_mb"]), f"{name}: peak_mb {r['peak_mb']!r}"
        if name in ROWS_WITH_BASELINE:
            assert sane(r["baseline"]), f"{name}: baseline {r['baseline']!r}"
            assert sane(r["ratio"]), f"{name}: ratio {r['ratio']!r}"
        if not name.startswith("payload") and name not in INGEST_SIDE_ROWS:
            assert sane(r["p50"]) and sane(r["p95"]) and r["p50"] <= r["p95"], name
    # The filter is only comparable if the store and pandas found the same articles.
    assert records["filter"]["details"]["counts_agree"] is True
    # The 1% increment rewrote only some partitions of articles and bars.
    written = records["lake_publish_1pct"]["details"]["written [partitions, of, rows, s]"]
    assert written["articles"][0] < written["articles"][1] and written["bars"][0] < written["bars"][1], written
    # The browser page against the Streamlit floor: both sides measured every round, on the
    # bundled case's window, ratio = ours ÷ floor (no timing is judged here).
    for name in ("page_load", "page_rerun"):
        r, details = records[name], records[name]["details"]
        assert len(details["ours_ms"]) == len(details["floor_ms"]) == details["rounds"] >= 1, details
        assert all(sane(v) for v in details["ours_ms"] + details["floor_ms"]), details
        assert r["ratio"] == pytest.approx(r["value"] / r["baseline"])
        assert isinstance(r["met"], bool) and r["target"].startswith("<= 1.3x")
        assert details["window"] == ["2025-11-13T00:00:00+00:00", "2025-11-19T00:00:00+00:00"]
        assert details["ours_ws_bytes"] > 0 and details["floor_ws_bytes"] > 0
    # Downsampling kept the chart within its budget when the window was larger.
    for window in ("1mo", "1y"):
        details = records[f"chart_{window}"]["details"]
        assert details["bars_out"] <= details["budget"] < details["bars_in"], details


def test_results_name_the_machine_and_the_commit(quick_run):
    root, _, _ = quick_run
    results = json.loads((root / "results.json").read_text())
    machine = results["machine"]
    assert machine["cores"] >= 1 and machine["cpu"] and machine["python"]
    assert machine["versions"]["duckdb"] == duckdb.__version__
    assert results["quick"] is True
    assert results["sizes"]["articles"] == 2_000
    assert "commit" in results["git"]


def test_markdown_table_has_a_row_per_measurement(quick_run):
    root, _, _ = quick_run
    text = (root / "benchmarks.md").read_text()
    table = [line for line in text.splitlines() if line.startswith("| `")]
    assert {line.split("`")[1] for line in table} == EXPECTED_ROWS
    header = next(line for line in text.splitlines() if line.startswith("| measurement"))
    columns = header.count("|")
    assert all(line.count("|") == columns for line in table)
    assert "python -m dashboard bench --quick" in text


def test_generated_data_lives_in_its_own_folder(quick_run):
    root, _, (before, after) = quick_run
    assert before == after  # the default database was not touched
    data = root / "data"
    assert (data / "bench.duckdb").exists() and (data / "manifest.json").exists()
    with duckdb.connect(str(data / "bench.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2_000
        assert con.execute("SELECT count(*) FROM bars").fetchone()[0] == 200_000
        # Bars sit on real exchange minutes: no NYSE bar outside 13:30-21:00 UTC.
        outside = con.execute(
            "SELECT count(*) FROM bars WHERE symbol = 'BABA' AND "
            "(hour(ts) * 60 + minute(ts) < 13 * 60 + 30 OR hour(ts) >= 21)"
        ).fetchone()[0]
        assert outside == 0


def test_a_second_run_reuses_the_generated_data(quick_run, tmp_path):
    root, _, _ = quick_run
    from dashboard.bench.generate import QUICK, ensure_dataset

    messages = []
    ensure_dataset(root / "data", QUICK, log=messages.append)
    assert any("reusing" in m for m in messages)


def test_page_rows_report_a_missing_browser(tmp_path, monkeypatch):
    """Without Chromium the two page rows carry a clear error and the run goes on."""
    from types import SimpleNamespace

    from dashboard.bench import page, suite

    monkeypatch.setattr(page, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(page.shutil, "which", lambda name: None)
    data = SimpleNamespace(root=tmp_path)
    plan = SimpleNamespace(app_reruns=2)
    rows = page.rows(data, None, plan, lambda message: None, record=suite._record)
    assert [r["name"] for r in rows] == ["page_load", "page_rerun"]
    assert all("no Chromium at" in r["error"] and r["value"] is None for r in rows)
