"""Team mode in the benchmark: publish times, and the lake read paths beside the local file.

The lake is a SQLite catalog with a file warehouse under the bench folder (the same code serves
PostgreSQL + S3; only the catalog round trips and object-store latency differ). The increment is
the newest 1% of articles and bars, held back from the full publish and added afterwards: what a
scheduled ingest + publish adds.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

TARGET_LAKE_RATIO = 3.0
# (table, time column) held back for the increment; child tables follow their articles.
_HELD = (("articles", "published_at"), ("bars", "ts"))
_CHILDREN = ("article_tags", "article_companies")


def location_params(root: Path) -> dict:
    root = root.resolve()
    return {"catalog": f"sqlite:///{root / 'lake' / 'catalog.db'}", "warehouse": f"file://{root / 'lake' / 'warehouse'}"}


def source(params: dict):
    """What a measurement child reads: the lake's latest publish, or the local file."""
    if "lake" not in params:
        from dashboard import store

        return store.as_database(params["db"])
    import os

    from dashboard.lake.catalog import LakeLocation

    if params["lake"].get("materialize_rows") is not None:
        os.environ["DASHBOARD_LAKE_MATERIALIZE_ROWS"] = str(params["lake"]["materialize_rows"])
    from dashboard.lake.read import open_lake

    return open_lake(LakeLocation(params["lake"]["catalog"], params["lake"]["warehouse"]))


def child_publish(params: dict) -> dict:
    """Full publish of the big database minus its newest 1%, then the 1% increment; plus, for
    comparison, pyiceberg's Table.upsert of the same article increment."""
    import duckdb

    from dashboard.lake.catalog import LakeLocation
    from dashboard.lake.publish import publish

    scratch = Path(params["scratch"])
    lake_dir = Path(params["lake"]["catalog"].removeprefix("sqlite:///")).parent
    shutil.rmtree(lake_dir, ignore_errors=True)
    lake_dir.mkdir(parents=True)
    src, held = scratch / "publish_src.duckdb", scratch / "publish_held.duckdb"
    for path in (src, held):
        path.unlink(missing_ok=True)
    shutil.copy(params["db"], src)
    con = duckdb.connect(str(src))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("ATTACH ? AS held", [str(held)])
    for table, column in _HELD:
        cut = con.execute(f"SELECT quantile_disc({column}, 0.99) FROM {table}").fetchone()[0]
        con.execute(f"CREATE TABLE held.{table} AS SELECT * FROM {table} WHERE {column} > ?", [cut])
        if table == "articles":
            for child in _CHILDREN:
                con.execute(f"CREATE TABLE held.{child} AS SELECT * FROM {child}"
                            " WHERE article_id IN (SELECT article_id FROM held.articles)")
                con.execute(f"DELETE FROM {child} WHERE article_id IN (SELECT article_id FROM held.articles)")
        con.execute(f"DELETE FROM {table} WHERE {column} > ?", [cut])
    con.execute("DETACH held")
    con.close()

    location = LakeLocation(params["lake"]["catalog"], params["lake"]["warehouse"])
    started = time.perf_counter()
    full = publish(src, location)
    full_s = time.perf_counter() - started

    con = duckdb.connect(str(src))
    con.execute("ATTACH ? AS held (READ_ONLY)", [str(held)])
    for table in (*(t for t, _ in _HELD), *_CHILDREN):
        con.execute(f"INSERT INTO {table} SELECT * FROM held.{table}")
    increment_articles = con.execute("SELECT * FROM held.articles").to_arrow_table()
    con.close()
    started = time.perf_counter()
    increment = publish(src, location)
    increment_s = time.perf_counter() - started
    written = {t.name: [t.written_partitions, t.partitions, t.written_rows, round(t.seconds, 2)]
               for t in increment.tables if t.committed}
    return {"full_s": full_s, "increment_s": increment_s, "written": written,
            "rows": {t.name: t.rows for t in increment.tables},
            "upsert_s": _upsert_seconds(location, increment_articles, src),
            "articles_overwrite_s": next(t.seconds for t in increment.tables if t.name == "articles")}


def _upsert_seconds(location, increment, src: Path) -> float:
    """pyiceberg's Table.upsert of the article increment into a copy of the articles table as it
    was before the increment (unpartitioned: upsert reads every file to find matches anyway)."""
    import duckdb

    from dashboard.lake.catalog import open_catalog

    catalog = open_catalog(location)
    catalog.create_namespace_if_not_exists("bench_upsert")
    con = duckdb.connect(str(src), read_only=True)
    before = con.sql("SELECT * FROM articles WHERE article_id NOT IN (SELECT unnest(?::VARCHAR[]))",
                     params=[increment.column("article_id").to_pylist()]).to_arrow_table()
    con.close()
    table = catalog.create_table(("bench_upsert", "articles"), schema=before.schema)
    table.append(before)
    started = time.perf_counter()
    table.upsert(increment, join_cols=["article_id"])
    return time.perf_counter() - started
