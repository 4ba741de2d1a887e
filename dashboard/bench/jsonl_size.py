"""A JSON Lines file far over the whole-document limit ingests in bounded memory (issue #12).

``python -m dashboard.bench.jsonl_size [--mb 60] [--dir DIR]`` writes a seeded JSONL of at least
that many megabytes (synthetic articles, never committed), ingests it with the ordinary CLI in a
fresh process into a scratch database, and prints the size, the article count, the wall time
and the ingest process's peak resident memory (VmHWM).
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dashboard import config

SEED = 20251114
_WORDS = ("alibaba cloud pentagon list report shares market tech regulator memo analysts adr "
          "hong kong new york listing earnings forecast export chips policy review").split()


def write_jsonl(path: Path, megabytes: float, seed: int = SEED) -> int:
    """Write synthetic article records until the file holds ``megabytes``; returns the count."""
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    written = count = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < target:
            minute = rng.randrange(0, 60 * 24 * 365)
            record = {
                "title": f"Synthetic report {count}: " + " ".join(rng.choices(_WORDS, k=8)),
                "source": f"Synthetic Wire {count % 40}",
                "published": time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(1735689600 + minute * 60)),
                "tags": ["synthetic", rng.choice(_WORDS)],
                "summary": " ".join(rng.choices(_WORDS, k=40)),
                "body": " ".join(rng.choices(_WORDS, k=120)),
            }
            line = json.dumps(record) + "\n"
            handle.write(line)
            written += len(line.encode("utf-8"))
            count += 1
    return count


_CHILD = """
import sys
from dashboard.cli import main
code = main(sys.argv[1:])
hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))
print('PEAK_KB', hwm.split()[1], 'EXIT', code)
"""


def measure(folder: Path, megabytes: float) -> dict:
    """Generate, ingest in a fresh process, and report."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "synthetic-large.jsonl"
    db = folder / "jsonl-size.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    count = write_jsonl(path, megabytes)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, "ingest", str(path), "--db", str(db), "--quiet",
         "--companies", str(config.COMPANIES_FILE), "--sources", "", "--tags", ""],
        capture_output=True, text=True, cwd=config.PROJECT_ROOT)
    seconds = time.perf_counter() - started
    marker = [line for line in done.stdout.splitlines() if line.startswith("PEAK_KB")]
    if done.returncode != 0 or not marker:
        raise SystemExit(f"ingest failed ({done.returncode}): {done.stderr[-2000:]}")
    _, peak_kb, _, code = marker[0].split()
    return {"file_mb": round(path.stat().st_size / 1e6, 1), "articles": count,
            "seconds": round(seconds, 1), "peak_rss_mb": round(int(peak_kb) / 1024),
            "exit": int(code), "summary": [l for l in done.stdout.splitlines() if l.startswith("articles:")]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.bench.jsonl_size", description=__doc__)
    parser.add_argument("--mb", type=float, default=60.0, help="file size to generate (default 60)")
    parser.add_argument("--dir", type=Path, default=None,
                        help="scratch folder (default: a temporary folder, removed afterwards)")
    args = parser.parse_args(argv)
    if args.dir:
        result = measure(args.dir, args.mb)
    else:
        with tempfile.TemporaryDirectory(prefix="jsonl-size-") as scratch:
            result = measure(Path(scratch), args.mb)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
