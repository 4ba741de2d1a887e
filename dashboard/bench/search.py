"""The search measurement (issue 30): index build time and size, and query latency alone and
combined with a tag filter, on the generated store.

A step of ``suite.measure_all`` (``rows``), measured in a child process like the others; also
runnable alone on an existing generated data set, without the rest of the suite:
``python -m dashboard.bench.search [DIR]`` (default ``bench/full``).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

TARGET_P50_MS = 50.0
TARGET_BUILD_RATIO = 2.0  # the index build within 2x the ingest of the same articles
# Drawn from the generator's vocabulary (dashboard/bench/generate.py): a word in 1 of 15 articles,
# a phrase in 1 of 12, a boolean of two such words, a prefix.
QUERIES = (
    ("word", "licence"),
    ("phrase", '"denies report of"'),
    ("boolean", "(merger OR buyback) AND NOT denies"),
    ("prefix", "semicond*"),
)
TAG = "Semiconductors"
ROWS_SHOWN = 50  # what a page lists: the best 50, with the store's filters applied


def child_search(params: dict) -> dict:
    """Build the index from nothing, then time each query: ``find`` plus the store's
    ``query_articles`` of the best 50 (alone, and with a tag filter)."""
    from dashboard import search, store
    from dashboard.store.articles import best_of_ranked, query_articles

    db = store.as_database(params["db"])
    started = time.perf_counter()
    built = search.sync(db, full=True)
    build_s = time.perf_counter() - started
    folder = search.index_dir(db)
    size = sum(path.stat().st_size for path in folder.iterdir() if path.is_file())
    samples: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    with db.read() as con:
        for repeat in range(params["repeats"] + 1):  # the first round warms caches, not counted
            for name, text in QUERIES:
                for tagged in (False, True):
                    key = f"{name}+tag" if tagged else name
                    began = time.perf_counter()
                    matches = search.find(db, text)
                    best, total = best_of_ranked(con, matches.article_ids, limit=ROWS_SHOWN,
                                                 tags=[TAG] if tagged else ())
                    shown = search.ranked(query_articles(con, article_ids=best), matches)
                    elapsed_ms = (time.perf_counter() - began) * 1000
                    if repeat:
                        samples.setdefault(key, []).append(elapsed_ms)
                    else:
                        counts[key] = [len(matches), total, len(shown)]
    return {"build_s": build_s, "articles": built.articles, "documents": built.documents,
            "index_bytes": size, "samples_ms": samples, "counts": counts}


def rows(data, sizes, plan, log, *, record, ingest_seconds: float | None = None) -> list[dict]:
    """``search_build`` and one ``search_<query>`` row per query (alone and with a tag)."""
    from dashboard.bench import run

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
    build.update(value=result["build_s"], peak_mb=result.get("peak_mb"),
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
        row.update(value=stats["p50"], p50=stats["p50"], p95=stats["p95"], met=stats["p50"] <= TARGET_P50_MS,
                   details={"samples": stats["n"], "matches, with filters, shown": result["counts"].get(key)})
        out.append(row)
    return out


def main(argv: list[str]) -> int:
    """Measure search alone on the data set in ``argv[0]`` and print the rows."""
    from dashboard.bench import generate, suite

    import json

    data = generate.Dataset(Path(argv[0]) if argv else Path("bench/full"))
    if not data.manifest.exists():
        print(f"error: no generated data set in {data.root} (run `python -m dashboard bench` first)", file=sys.stderr)
        return 2
    manifest = json.loads(data.manifest.read_text())
    sizes = generate.Sizes(**{k: v for k, v in manifest.items() if k != "generator_version"})
    plan = suite.Plan.for_run(sizes, quick=False)
    for row in rows(data, sizes, plan, lambda m: print(m, file=sys.stderr), record=suite._record):
        print(f"{row['name']:<24} {row['value'] if row['value'] is None else round(row['value'], 2)!s:>9} "
              f"{row['unit']:<9} p95={row['p95'] and round(row['p95'], 1)}  {row['details']}  {row['error'] or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
