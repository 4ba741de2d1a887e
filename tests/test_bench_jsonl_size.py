"""The JSONL size benchmark helper runs end to end (its numbers go to docs/benchmarks.md)."""
from __future__ import annotations

from dashboard.bench.jsonl_size import measure, write_jsonl


def test_generator_is_seeded_and_reaches_the_size(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    count = write_jsonl(first, 0.05)
    assert write_jsonl(second, 0.05) == count
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_size >= 50_000
    assert len(first.read_text(encoding="utf-8").splitlines()) == count


def test_measure_ingests_a_file_over_the_whole_document_limit(tmp_path):
    result = measure(tmp_path, 6.0)  # over the 5 MB limit whole documents keep
    assert result["exit"] == 0 and result["file_mb"] >= 6.0
    assert result["summary"] == [f"articles: {result['articles']} added, 0 updated, 0 unchanged, 0 rejected"]
    assert result["peak_rss_mb"] > 0
