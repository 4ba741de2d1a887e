"""The benchmark's report table: every number in the unit its row is measured in."""
import json
from pathlib import Path

from dashboard.bench import report


def row(name, unit, value, baseline, ratio):
    return {"name": name, "what": name, "size": "1M", "unit": unit, "value": value, "baseline": baseline,
            "ratio": ratio, "p50": None, "p95": None, "peak_mb": 400.0, "baseline_peak_mb": None,
            "target": None, "met": None}


def cells(table: str, name: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith(f"| `{name}`"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_a_row_in_seconds_shows_its_baseline_in_seconds_too():
    """The ingest under readers against the ingest alone (90.9 s against 47.9 s) once printed
    its baseline as "47.9 ms"."""
    table = report.render_table({"records": [
        row("ingest_under_readers", "s", 90.9, 47.9, 1.9),
        row("filter", "ms (p50)", 19.2, 54.0, 0.35),
        row("ingest_jsonl", "articles/s", 19432.0, 537662.0, 27.67),
    ]})
    assert cells(table, "ingest_under_readers")[2:5] == ["90.9 s", "47.9 s", "1.90x"]
    assert cells(table, "filter")[2:4] == ["19.2 ms", "54.0 ms"]
    assert cells(table, "ingest_jsonl")[2:4] == ["19,432/s", "537,662/s"]

