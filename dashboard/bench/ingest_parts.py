"""Measurements behind the ingest notes in docs/ingest.md and docs/benchmarks.md (issue 14).

``python -m dashboard.bench.ingest_parts matching [JSONL]`` — microseconds per article for
company aliases and stance phrases: the whole alternation, then cut down to what can occur
(``ingest.matching``), on the texts of one generated JSONL file.

``python -m dashboard.bench.ingest_parts checkpoint DB JSONL`` — on two copies of a large store
(e.g. ``bench/full/scratch/ingest_jsonl.duckdb`` after a full run), with and without unique
indexes on the record tables' keys (what migration 022 removed): one fresh connection adds the
JSONL file's articles (under new ids) through the columnar path, then commits and checkpoints, as each chunk of an
ingest does. Prints seconds for each step.

``python -m dashboard.bench.ingest_parts ingest N [--default-gc] [--default-row-groups]
[--no-handoff] [--record-parse] [--profile]`` — the first N generated JSONL files (5,000 articles each; 200 is
all 1M) into a fresh scratch database, with a reader beside it opening as the app does
(``bench/busy.py``): wall time, longest reader wait, opens that gave up, peak memory, CPU
seconds, and the ratio to DuckDB's ``read_json`` of the same files (the bench's floor). Each flag
turns one of issue 14's choices back to what it replaced, to measure what that choice does on
today's code: Python's default garbage-collector pace, DuckDB's default row group size, no
reader handoff; and issue 29's: ``--record-parse`` parses every file record by record (no
``ingest.columnar``). ``--profile``: the writer process's cProfile, by cumulative time.

``python -m dashboard.bench.ingest_parts parse [JSONL] [--record-parse]`` — what a parse worker
spends per article on one generated JSONL file (records, zones, identity, links, stance, rules,
content hashes), and pickling the results back to the writer, in this process: column-wise
(``ingest.columnar``), or with ``--record-parse`` record by record.

``python -m dashboard.bench.ingest_parts rowgroups DB`` — 300,000 rows of each record table of a
large store (e.g. ``bench/full/scratch/ingest_jsonl.duckdb``) appended to an empty copy of its
tables in 30 transactions, each followed by a checkpoint as a chunk's connection does: seconds of
inserts and of checkpoints with DuckDB's default row group size and with ``store.ROW_GROUP_SIZE``.
"""
from __future__ import annotations

import json
import os
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


RECORD_TABLES = tuple(KEYS)
DUCKDB_ROW_GROUP_SIZE = 122_880


def ingest(files: int, *, default_gc: bool, default_row_groups: bool, no_handoff: bool,
           profile: bool, record_parse: bool = False) -> None:
    import cProfile
    import gc
    import pstats
    import resource
    import subprocess

    from dashboard import store
    from dashboard.ingest import pipeline

    if default_gc:
        pipeline.GC_THRESHOLDS = gc.get_threshold()
    if default_row_groups:
        store.ROW_GROUP_SIZE = DUCKDB_ROW_GROUP_SIZE
    if no_handoff:
        store.READER_HANDOFF_S = 0.0
    if record_parse:
        from dashboard.ingest import outcomes

        outcomes.columnar_articles = lambda path, context: None
    paths = [COMPANIES, *sorted((COMPANIES.parent / "jsonl").glob("*.jsonl"))[:files]]
    with tempfile.TemporaryDirectory(dir=PROJECT_ROOT / "bench") as scratch:
        db = Path(scratch) / "ingest.duckdb"
        reader = subprocess.Popen([sys.executable, "-m", "dashboard.bench.busy", str(db)], cwd=PROJECT_ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        reader.stdout.readline()  # "probing": it is looking for the file before the ingest makes it
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        try:
            if profiler:
                profiler.enable()
            report = pipeline.ingest_paths(db, paths)
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
        finally:
            probe = json.loads(reader.communicate("")[0])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # CPU seconds say more than wall time on a shared machine: the writer's own, and its
    # children's (the parse workers, and the reader, which is nearly idle).
    cpu = {who: resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)}
    writer_cpu, children_cpu = (u.ru_utime + u.ru_stime for u in cpu.values())
    print(f"{report.articles.added:,} articles from {files} files in {elapsed:.1f} s "
          f"({report.articles.added / elapsed:,.0f}/s); writer peak RSS {peak_mb:,.0f} MB, with its "
          f"workers {probe['tree_peak_mb']:,.0f} MB PSS; reader: longest wait {probe['longest_wait_s']:.2f} s, "
          f"{probe['waited']} of {probe['attempts']} opens waited, {probe['busy']} gave up; CPU: writer "
          f"{writer_cpu:.1f} s, parse workers and reader {children_cpu:.1f} s; load average "
          f"{os.getloadavg()[0]:.1f}")
    from dashboard.bench.run import child_read_json

    with tempfile.TemporaryDirectory(dir=PROJECT_ROOT / "bench") as scratch:
        floor = child_read_json({"db": str(Path(scratch) / "floor.duckdb"), "paths": [str(p) for p in paths[1:]]})
    print(f"DuckDB read_json of the same files: {floor['seconds']:.2f} s; the ingest took "
          f"{elapsed / floor['seconds']:.1f}x that")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def rowgroups(db: Path) -> None:
    import duckdb

    from dashboard import store

    with duckdb.connect(str(db), read_only=True) as source:
        data = {t: source.sql(f"SELECT * FROM {t} LIMIT 300000").to_arrow_table() for t in RECORD_TABLES}
        ddl = {t: source.execute("SELECT sql FROM duckdb_tables() WHERE table_name = ?", [t]).fetchone()[0]
               for t in RECORD_TABLES}
    rounds = 30
    with tempfile.TemporaryDirectory() as scratch:
        for size in (DUCKDB_ROW_GROUP_SIZE, store.ROW_GROUP_SIZE):
            path = Path(scratch) / f"rg{size}.duckdb"
            inserting = checkpointing = 0.0
            for round_ in range(rounds):
                con = duckdb.connect()
                con.execute(f"ATTACH '{path}' AS target (ROW_GROUP_SIZE {size})")
                con.execute("USE target")
                con.execute("SET checkpoint_threshold = '100GB'")  # checkpoint when asked, to time it
                if round_ == 0:
                    for table in RECORD_TABLES:
                        con.execute(ddl[table])
                started = time.perf_counter()
                con.execute("BEGIN")
                for table, rows in data.items():
                    step = rows.num_rows // rounds
                    con.register("part", rows.slice(round_ * step, step))
                    con.execute(f"INSERT INTO {table} SELECT * FROM part")
                    con.unregister("part")
                con.execute("COMMIT")
                committed = time.perf_counter()
                con.execute("CHECKPOINT")
                inserting += committed - started
                checkpointing += time.perf_counter() - committed
                con.close()
            print(f"row groups of {size:,}: inserts and commits {inserting:.2f} s, checkpoints "
                  f"{checkpointing:.2f} s ({rounds} transactions)")


def parse(jsonl: Path, record_parse: bool = False) -> None:
    import pickle

    from dashboard.ingest.columnar import ColumnarArticles
    from dashboard.ingest.companies import load_registry
    from dashboard.ingest.context import Context
    from dashboard.ingest.files import Found
    from dashboard.ingest.outcomes import articles_of_file

    context = Context(registry=load_registry(COMPANIES), columnar=not record_parse)
    started = time.perf_counter()
    outcomes = articles_of_file(Found(jsonl, "jsonl"), None, context)
    parsed = time.perf_counter()
    pickle.loads(pickle.dumps(outcomes))
    done = time.perf_counter()
    # A file parsed column-wise is one outcome holding every article.
    articles = sum(o.table.num_rows if isinstance(o, ColumnarArticles) else 1 for o in outcomes)
    print(f"{articles:,} articles ({'columnar' if isinstance(outcomes[0], ColumnarArticles) else 'per record'}): "
          f"parse {(parsed - started) / articles * 1e6:.1f} µs per article, "
          f"pickle round trip {(done - parsed) / articles * 1e6:.1f} µs")


def main(argv: list[str]) -> int:
    flags = {"--default-gc", "--default-row-groups", "--no-handoff", "--profile", "--record-parse"}
    if argv[:1] == ["matching"]:
        matching(Path(argv[1]) if len(argv) > 1 else DEFAULT_JSONL)
    elif argv[:1] == ["checkpoint"] and len(argv) == 3:
        checkpoint(Path(argv[1]), Path(argv[2]))
    elif argv[:1] == ["ingest"] and len(argv) >= 2 and argv[1].isdigit() and set(argv[2:]) <= flags:
        ingest(int(argv[1]), default_gc="--default-gc" in argv, default_row_groups="--default-row-groups" in argv,
               no_handoff="--no-handoff" in argv, profile="--profile" in argv,
               record_parse="--record-parse" in argv)
    elif argv[:1] == ["parse"]:
        files = [a for a in argv[1:] if a != "--record-parse"]
        parse(Path(files[0]) if files else DEFAULT_JSONL, record_parse="--record-parse" in argv)
    elif argv[:1] == ["rowgroups"] and len(argv) == 2:
        rowgroups(Path(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
