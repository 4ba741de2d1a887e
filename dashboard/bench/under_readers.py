"""The two issue-32 rows alone, without the rest of the suite: the JSONL ingest of a generated
data set alone, then again while three processes loop over the app's read.

    python -m dashboard.bench.under_readers DIR [--articles N]

DIR is a folder `python -m dashboard bench` generated (its articles/jsonl is what is ingested);
the rows are printed as JSON, with the load average before and after (the machine's load is
part of the result).
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from dashboard.bench import suite
from dashboard.bench.generate import FULL, Dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.bench.under_readers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path, help="a generated bench folder (holds articles/jsonl)")
    parser.add_argument("--articles", type=int, default=FULL.articles, help="articles to ingest (whole files)")
    args = parser.parse_args(argv)
    plan = suite.Plan(ingest_articles=args.articles, filter_specs=0, filter_repeats=0, chart_repeats=0,
                      app_reruns=0, timeout_s=1800, app_window_timeout_s=60)
    before = os.getloadavg()
    rows = suite.ingest_under_readers_rows(Dataset(args.dir), FULL, plan, print)
    print(json.dumps({"load_before": before, "load_after": os.getloadavg(), "rows": rows}, indent=1, default=str))
    return 0 if all(row["error"] is None for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
