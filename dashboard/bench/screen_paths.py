"""Two screen paths issue 18 found slow, timed in this process on the bundled case.

``python -m dashboard.bench.screen_paths [--publications 30000] [--repeats 3]`` builds a scratch
database from data/ (the real ingest, plus the synthetic price sample), then prints:

- the bundled case's reaction table (``analysis.load.reactions``, what ``reactions`` prints);
- the screen's view (``screen.load_view``) of 2025-11-14..17 after adding N seeded synthetic
  publications on 2025-11-15 (each is a publication event whose first trade the view finds).

Times are the fastest of ``--repeats`` runs after a warm-up; docs/testing.md has the results.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from dashboard import config


def _best_seconds(run, repeats: int) -> float:
    run()  # warm-up: calendars, imports, DuckDB's first queries
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.bench.screen_paths", description=__doc__)
    parser.add_argument("--publications", type=int, default=30_000, help="synthetic publications added")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from dashboard import store
    from dashboard.analysis.load import EventSelection, reactions
    from dashboard.ingest.pipeline import ingest_paths
    from dashboard.prices import sample
    from dashboard.screen import Filters, load_view
    from dashboard.store.bars import upsert_bars

    with tempfile.TemporaryDirectory(prefix="screen-paths-") as folder:
        db = Path(folder) / "case.duckdb"
        ingest_paths(db, [config.ARTICLES_DIR, config.EVENTS_FILE])
        for symbol, frame in sample.read().items():
            with store.writer(db) as con:
                upsert_bars(con, frame, symbol=symbol, interval=sample.INTERVAL, source=sample.SOURCE)

        database = store.Database(db, read_only=True)

        def reaction_table():
            with database.read() as con:
                return reactions(con, EventSelection())

        rows = len(reaction_table())
        print(f"reaction table, bundled case ({rows} rows): {_best_seconds(reaction_table, args.repeats):.2f} s")

        path = Path(folder) / "publications.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for i in range(args.publications):
                handle.write(json.dumps({
                    "title": f"Synthetic publication {i}", "source": "Synthetic Wire", "tags": ["Alibaba"],
                    "published": f"2025-11-15T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}+00:00",
                    "url": f"https://example.com/synthetic/{i}", "companies": ["alibaba"],
                }) + "\n")
        ingest_paths(db, [path], max_bytes=1 << 40)
        filters = Filters.from_query_params({"start": "2025-11-14", "end": "2025-11-17"})[0]
        view = load_view(database, filters)
        seconds = _best_seconds(lambda: load_view(database, filters), args.repeats)
        print(f"screen view, {view.total_articles:,} articles in the window: {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
