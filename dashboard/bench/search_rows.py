"""The search rows of the benchmark (``dashboard/bench/search.py`` measures): a step of
``suite.measure_all``, and ``python -m dashboard.bench.search_rows [DIR]`` to run it alone on an
existing generated data set (default ``bench/full``)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from dashboard.bench import run
from dashboard.bench.search import QUERIES, ROWS_SHOWN, TAG, TARGET_BUILD_RATIO, TARGET_P50_MS


def rows(data, sizes, plan, log, *, record, ingest_seconds: float | None = None) -> list[dict]:
    """``search_build`` and one ``search_<query>`` row per query (alone and with a tag)."""
    log("search")
    size = f"{sizes.articles:,} articles"
    build = record("search_build", "search index built from every stored article (search rebuild)", size, "s",
                   baseline=ingest_seconds, baseline_name="the JSONL ingest of the same articles",
                   target=f"<= {TARGET_BUILD_RATIO:g}x the ingest")
    out = [build]
    log("  search index build + queries …")
    try:
        result = run.run_child("search", {"db": str(data.db), "repeats": max(plan.filter_repeats, 3)},
                               timeout=plan.timeout_s)
    except run.MeasurementFailed as exc:
        build["error"] = str(exc)
        return out
    log(f"  search: built in {result['build_s']:.1f} s, {result['index_bytes'] / 1e6:.0f} MB")
    build.update(value=result["build_s"], p50=result["build_s"] * 1000, p95=result["build_s"] * 1000,
                 peak_mb=result.get("peak_mb"),
                 details={"index_mb": round(result["index_bytes"] / 1e6, 1), "documents": result["documents"],
                          "load_avg": [round(x, 2) for x in os.getloadavg()]})
    if ingest_seconds:
        build["ratio"] = result["build_s"] / ingest_seconds
        build["met"] = build["ratio"] <= TARGET_BUILD_RATIO
    for key, samples in result["samples_ms"].items():
        stats = run.percentiles(samples)
        text = dict(QUERIES)[key.split("+")[0]]
        row = record(f"search_{key.replace('+', '_')}",
                     f"search {text}" + (f" + tag {TAG}" if key.endswith("+tag") else "")
                     + f": find + the store's best {ROWS_SHOWN}", size, "ms (p50)",
                     target=f"p50 <= {TARGET_P50_MS:g} ms")
        row.update(value=stats["p50"], p50=stats["p50"], p95=stats["p95"], peak_mb=result.get("peak_mb"),
                   met=stats["p50"] <= TARGET_P50_MS,
                   details={"samples": stats["n"], "matches, with filters, shown": result["counts"].get(key)})
        out.append(row)
    return out


def main(argv: list[str]) -> int:
    """Measure search alone on the data set in ``argv[0]`` and print the rows."""
    from types import SimpleNamespace

    from dashboard.bench import generate

    data = generate.Dataset(Path(argv[0]) if argv else Path("bench/full"))
    if not data.manifest.exists():
        print(f"error: no generated data set in {data.root} (run `python -m dashboard bench` first)", file=sys.stderr)
        return 2
    manifest = json.loads(data.manifest.read_text())
    sizes = generate.Sizes(**{k: v for k, v in manifest.items() if k != "generator_version"})
    plan = SimpleNamespace(filter_repeats=5, timeout_s=3600.0)  # suite.Plan's full-run values

    def record(name, what, size, unit, **fields):  # the fields of suite._record this step sets
        return {"name": name, "what": what, "size": size, "unit": unit, "value": None, "p95": None,
                "details": {}, "error": None, **fields}

    for row in rows(data, sizes, plan, lambda m: print(m, file=sys.stderr), record=record):
        value = None if row["value"] is None else round(row["value"], 2)
        print(f"{row['name']:<24} {value!s:>9} {row['unit']:<9} p95={row['p95'] and round(row['p95'], 1)}  "
              f"{row['details']}  {row['error'] or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
