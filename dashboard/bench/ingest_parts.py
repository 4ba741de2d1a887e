"""Two measurements behind the ingest notes in docs/ingest.md and docs/benchmarks.md (issue 14).

``python -m dashboard.bench.ingest_parts matching [JSONL]`` — microseconds per article for
company aliases and stance phrases: the whole alternation, then cut down to what can occur
(``ingest.matching``), on the texts of one generated JSONL file.

``python -m dashboard.bench.ingest_parts checkpoint DB JSONL`` — on two copies of a large store
(e.g. ``bench/full/scratch/ingest_jsonl.duckdb`` after a full run), with and without unique
indexes on the record tables' keys (what migration 022 removed): one fresh connection adds the
JSONL file's articles (under new ids) through the columnar path, then commits and checkpoints, as each chunk of an
ingest does. Prints seconds for each step.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from dashboard.config import PROJECT_ROOT

DEFAULT_JSONL = PROJECT_ROOT / "bench" / "full" / "articles" / "jsonl" / "part-0000.jsonl"
COMPANIES = PROJECT_ROOT / "bench" / "full" / "articles" / "companies.toml"
KEYS = {"articles": "article_id", "events": "event_id", "article_tags": "article_id, tag",
        "event_tags": "event_id, tag", "article_companies": "article_id, company_id, how",
        "article_revisions": "article_id, revision", "event_revisions": "event_id, revision",
        "article_origins": "article_id, origin, copy_hash", "event_origins": "event_id, origin, copy_hash"}


def matching(jsonl: Path) -> None:
    from dashboard.ingest import stance
    from dashboard.ingest.companies import load_registry

    matcher = load_registry(COMPANIES).matcher
    texts = []
    for line in jsonl.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts.append("\n".join(t for t in (record.get("title"), record.get("subtitle"), record.get("summary")) if t))
    cases = {"aliases": [matcher._folded_re], "stance": [stance._ALLEGATION, stance._DENIAL]}
    for name, alternations in cases.items():
        for how, run in (("whole", lambda a, t: a.whole.finditer(t)), ("cut down", lambda a, t: a.finditer(t))):
            started = time.perf_counter()
            for text in texts:
                for alternation in alternations:
                    for _ in run(alternation, text):
                        pass
            print(f"{name}, {how}: {(time.perf_counter() - started) / len(texts) * 1e6:.1f} µs per article")


def checkpoint(db: Path, jsonl: Path) -> None:
    from dashboard import store
    from dashboard.ingest.context import Context
    from dashboard.ingest.outcomes import build_outcomes
    from dashboard.ingest.companies import load_registry
    from dashboard.ingest.shapes import parse_json_lines
    from dashboard.records import Article
    from dashboard.store.bulk import insert_new_articles

    context = Context(registry=load_registry(COMPANIES))
    with jsonl.open("rb") as handle:
        outcomes = build_outcomes(parse_json_lines(handle, str(jsonl), []), context, str(jsonl))
    articles = [o[0] for o in outcomes if isinstance(o, tuple) and isinstance(o[0], Article)]
    for article in articles:  # new to the store, even if the file was ingested into it
        article.article_id += "-bench"
    with tempfile.TemporaryDirectory() as scratch:
        for keyed in (True, False):
            copy = Path(scratch) / f"{'keyed' if keyed else 'unkeyed'}.duckdb"
            shutil.copy(db, copy)
            if keyed:
                with store.writer(copy) as con:
                    for table, key in KEYS.items():
                        con.execute(f"CREATE UNIQUE INDEX bench_key_{table} ON {table} ({key})")
            con = store.connect(copy)
            con.execute("SET checkpoint_threshold = '100GB'")  # checkpoint when asked, to time it
            con.execute("BEGIN")
            started = time.perf_counter()
            insert_new_articles(con, articles, datetime.now(timezone.utc))
            inserted = time.perf_counter()
            con.execute("COMMIT")
            committed = time.perf_counter()
            con.execute("CHECKPOINT")
            done = time.perf_counter()
            con.close()
            print(f"{'with' if keyed else 'without'} key indexes: {len(articles):,} articles inserted in "
                  f"{inserted - started:.2f} s, commit {committed - inserted:.2f} s, "
                  f"first checkpoint {done - committed:.2f} s")


def main(argv: list[str]) -> int:
    if argv[:1] == ["matching"]:
        matching(Path(argv[1]) if len(argv) > 1 else DEFAULT_JSONL)
    elif argv[:1] == ["checkpoint"] and len(argv) == 3:
        checkpoint(Path(argv[1]), Path(argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
