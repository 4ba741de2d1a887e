"""The search measurement (issue 30): index build time and size, and query latency alone and
combined with a tag filter, on the generated store.

Measured in a child process (``run.py`` "search") by the step ``search_rows.rows`` of
``suite.measure_all``; runnable alone on an existing generated data set, without the rest of the
suite: ``python -m dashboard.bench.search_rows [DIR]`` (default ``bench/full``).
"""
from __future__ import annotations

import time

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
                    places, total = best_of_ranked(con, matches.article_ids, limit=ROWS_SHOWN,
                                                   tags=[TAG] if tagged else ())
                    best = [matches.article_ids[place] for place in places]
                    shown = search.ranked(query_articles(con, article_ids=best), matches, places)
                    elapsed_ms = (time.perf_counter() - began) * 1000
                    if repeat:
                        samples.setdefault(key, []).append(elapsed_ms)
                    else:
                        counts[key] = [len(matches), total, len(shown)]
    return {"build_s": build_s, "articles": built.articles, "documents": built.documents,
            "index_bytes": size, "samples_ms": samples, "counts": counts}
