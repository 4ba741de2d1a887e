"""Our page from several source trees against the Streamlit floor, in one browser (issue 28).

``python -m dashboard.bench.page_ab TREE [TREE ...] [--rounds N]`` serves ``dashboard/app.py`` of
each tree (a checkout or ``git worktree`` of this repository; each server imports its own tree's
``dashboard`` package) and the floor, all on the bundled database, and visits them in turn every
round, reversing the order each round, so one change is compared with another under the same
machine noise. It prints, per tree, the median load and rerun and their ratio to the floor's
(the same visit and the same "drawn and idle" signal as ``dashboard.bench.page``). The A/B
numbers of docs/benchmarks.md ("issue 28, part 3") come from it.

A probe, not part of the suite or its tests. Known: served a trivial one-chart page instead of a
tree of this app, its first visit now and then never reached the idle signal (2 of 8 runs) for
a reason not found yet; with trees of this app every visit of the day did.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import urllib.parse
from pathlib import Path

from dashboard.bench import page


def compare(trees: list[Path], rounds: int, db_path: Path, log_dir: Path, log=lambda m: None) -> dict:
    """Medians per tree and for the floor: ``{name: {"load_ms", "rerun_ms", "load_ratio", "rerun_ratio"}}``."""
    problem = page.browser_problem()
    if problem:
        raise page.PageBenchError(problem)
    from playwright.sync_api import sync_playwright

    servers = {str(tree): page.Server(f"ab{i}", tree / "dashboard" / "app.py",
                                      {"DASHBOARD_DB": str(db_path), "PYTHONPATH": str(tree)}, log_dir, cwd=tree)
               for i, tree in enumerate(trees)}
    servers["floor"] = page.Server("abfloor", page.FLOOR, {"FLOOR_DB": str(db_path)}, log_dir)
    try:
        start, end = page.default_window(db_path)
        urls = {name: server.url for name, server in servers.items()}
        urls["floor"] += "?" + urllib.parse.urlencode({"start": start, "end": end})
        visits: dict[str, list[dict]] = {name: [] for name in urls}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(page.CHROMIUM), args=page.CHROMIUM_ARGS)
            try:
                for server in servers.values():
                    server.wait_healthy()
                context = browser.new_context(viewport=page.VIEWPORT)
                context.add_init_script(page.BENCH_INIT_JS)
                for name, url in urls.items():  # warm-up: server caches, imports, the HTTP cache
                    log(f"warm-up {name}")
                    page.visit(context, url)
                names = list(urls)
                for i in range(rounds):
                    for name in names if i % 2 == 0 else names[::-1]:
                        visits[name].append(page.visit(context, urls[name]))
                        log(f"round {i + 1}/{rounds} {name}: load {visits[name][-1]['load_ms']:.0f} ms, "
                            f"rerun {visits[name][-1]['rerun_ms']:.0f} ms")
                context.close()
            finally:
                browser.close()
    finally:
        for server in servers.values():
            server.stop()
    medians = {name: {kind: statistics.median(v[f"{kind}_ms"] for v in vs) for kind in ("load", "rerun")}
               for name, vs in visits.items()}
    return {name: {"load_ms": m["load"], "rerun_ms": m["rerun"],
                   "load_ratio": m["load"] / medians["floor"]["load"],
                   "rerun_ratio": m["rerun"] / medians["floor"]["rerun"]} for name, m in medians.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.bench.page_ab", description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs="+", type=Path, help="source trees of this repository to serve")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--db", type=Path, help="a database to read (default: the bundled data, built anew)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="page-ab-"))
    db_path = args.db or page.build_bundled_db(folder / "page.duckdb")
    result = compare([t.resolve() for t in args.trees], args.rounds, db_path, folder,
                     log=lambda m: print(m, file=sys.stderr, flush=True))
    for name, row in result.items():
        print(f"{name:40s} load {row['load_ms']:6.0f} ms ({row['load_ratio']:.2f}x)  "
              f"rerun {row['rerun_ms']:5.0f} ms ({row['rerun_ratio']:.2f}x)", file=sys.stderr)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
