"""`bench`: generate large data (once) into a scratch folder and measure the hot paths.

It uses its own database under --dir, never the default one, so it takes no --db.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# A maintainer's tool, run from the checkout's root (`make bench`): its defaults are folders of
# the current directory, as the data folder's are.
HERE = Path.cwd()
DEFAULT_DIR = HERE / "bench"
DEFAULT_MARKDOWN = HERE / "docs" / "benchmarks.md"


def _positive(text: str) -> int:
    value = int(text.replace("_", ""))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: must be a positive whole number")
    return value


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "bench",
        help="benchmark ingest, filters, the chart data path and the app on large generated data",
        description="Generates (once, seeded) 1M articles and 10M 1-minute bars into a separate "
                    "database under --dir and measures each path beside a baseline.",
    )
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes (2k articles, 200k bars): proves the suite works in under a minute")
    p.add_argument("--dir", type=Path, metavar="DIR",
                   help=f"scratch folder for generated data (default {DEFAULT_DIR}/full or /quick)")
    p.add_argument("--articles", type=_positive, metavar="N", help="articles to generate")
    p.add_argument("--bars", type=_positive, metavar="N", help="1-minute bars to generate (over 25 symbols)")
    p.add_argument("--ingest-articles", type=_positive, metavar="N",
                   help="articles fed to the JSONL ingest (default: 200 for --quick, all for a full run); "
                        "the aggregator-text ingest takes at most 20k of them")
    p.add_argument("--json", type=Path, metavar="OUT", help="results JSON (default DIR/results.json)")
    p.add_argument("--markdown", type=Path, metavar="OUT",
                   help=f"markdown report (default {DEFAULT_MARKDOWN} for full runs, DIR/benchmarks.md for --quick)")
    p.add_argument("--regenerate", action="store_true", help="generate the data again even if it is there")
    p.set_defaults(func=run)


def run(args) -> int:
    from dashboard.bench import generate, report, suite

    preset = generate.QUICK if args.quick else generate.FULL
    sizes = generate.Sizes(articles=args.articles or preset.articles, bars=args.bars or preset.bars,
                           symbols=preset.symbols, seed=preset.seed)
    if sizes.bars < sizes.symbols * 400:
        print(f"error: --bars {sizes.bars}: need at least {sizes.symbols * 400} (a day per symbol)", file=sys.stderr)
        return 2
    root = args.dir or DEFAULT_DIR / ("quick" if args.quick else "full")
    json_path = args.json or root / "results.json"
    markdown_path = args.markdown or (root / "benchmarks.md" if args.quick else DEFAULT_MARKDOWN)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    had_data = (root / "manifest.json").exists() and not args.regenerate
    data = generate.ensure_dataset(root, sizes, log=log, force=args.regenerate)
    generation_s = time.perf_counter() - started
    reused = had_data and generation_s < 5
    plan = suite.Plan.for_run(sizes, quick=args.quick, ingest_articles=args.ingest_articles)
    records = suite.measure_all(data, sizes, plan, log=log)

    results = report.build_results(
        records,
        sizes={"articles": sizes.articles, "bars": sizes.bars, "symbols": sizes.symbols,
               "seed": sizes.seed, "label": sizes.label(), "ingest_articles": plan.ingest_articles},
        quick=args.quick,
        generation={"seconds": None if reused else generation_s, "dir": str(root)},
    )
    report.write_json(results, json_path)
    report.write_markdown(results, markdown_path, json_path=_shown(json_path),
                          command=_command_line(args))
    failed = [r["name"] for r in records if r.get("error")]
    log(f"results: {json_path}; report: {markdown_path}; {len(records)} rows, "
        f"{len(failed)} with errors{': ' + ', '.join(failed) if failed else ''}")
    return 1 if failed else 0


def _shown(path: Path) -> Path:
    try:
        return path.resolve().relative_to(HERE)
    except ValueError:
        return path


def _command_line(args) -> str:
    parts = ["python -m dashboard bench"]
    if args.quick:
        parts.append("--quick")
    for flag in ("articles", "bars", "ingest_articles"):
        value = getattr(args, flag)
        if value:
            parts.append(f"--{flag.replace('_', '-')} {value}")
    return " ".join(parts)
