"""Team mode on one machine: publish the store into a SQLite catalog with a file warehouse, read it
back through the read commands, time-travel with --as-of, and survive kill -9 and lost races."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import cli, config, store
from dashboard.lake import log
from dashboard.lake.catalog import LakeError, LakeLocation, LakeReadOnly, open_catalog
from dashboard.lake.publish import publish
from dashboard.lake.read import open_lake

NEW_ARTICLE = {
    "title": "Alibaba says the report is baseless, again",
    "source": "Lake Wire",
    "published": "2025-11-17T08:00:00+00:00",
    "tags": ["Alibaba"],
    "url": "https://example.com/lake-wire",
    "summary": "A later article, added after the first publish.",
    "body": "Only the second publish has it.",
    "companies": ["alibaba"],
}


@pytest.fixture
def local_db(case_db, tmp_path) -> Path:
    """A private copy of the case database (these tests add rows to it)."""
    path = tmp_path / "local.duckdb"
    shutil.copy(case_db, path)
    return path


@pytest.fixture
def lake(tmp_path) -> LakeLocation:
    return LakeLocation(f"sqlite:///{tmp_path / 'catalog.db'}", f"file://{tmp_path / 'warehouse'}")


def lake_args(location: LakeLocation) -> list[str]:
    return ["--catalog", location.catalog_uri, "--warehouse", location.warehouse]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def add_article(db: Path, tmp_path: Path, article: dict = NEW_ARTICLE) -> None:
    from dashboard.ingest.pipeline import ingest_paths

    extra = tmp_path / f"extra-{len(list(tmp_path.glob('extra-*')))}.jsonl"
    extra.write_text(json.dumps(article) + "\n", encoding="utf-8")
    report = ingest_paths(db, [extra])
    assert not report.rejections, report.rejections


def test_publish_then_read_commands_give_the_local_rows(local_db, lake, capsys):
    result = publish(local_db, lake)
    assert {t.name for t in result.tables} >= {"articles", "article_tags", "article_companies", "events",
                                               "event_tags", "listings", "companies", "bars", "refresh_log"}
    for command in (["articles"], ["events"], ["articles", "--tag", "Alibaba", "--since", "2025-11-14",
                                               "--until", "2025-11-15"], ["prices", "list"]):
        code, from_file, _ = run_cli(capsys, *command, "--db", str(local_db), "--format", "json")
        assert code == 0
        code, from_lake, err = run_cli(capsys, *command, *lake_args(lake), "--db", "/nonexistent/x.duckdb",
                                       "--format", "json")
        assert code == 0, err
        assert json.loads(from_lake) == json.loads(from_file)
        assert json.loads(from_lake), command  # something was compared


def test_second_publish_writes_only_the_changed_month_and_as_of_reads_the_first(local_db, lake, tmp_path, capsys):
    first = publish(local_db, lake)
    add_article(local_db, tmp_path)
    second = publish(local_db, lake)
    by_name = {t.name: t for t in second.tables}
    assert by_name["articles"].written_partitions == 1  # November 2025 only
    assert by_name["articles"].partitions >= 2
    assert by_name["events"].written_partitions == 1  # its publication event
    assert not by_name["bars"].committed and not by_name["listings"].committed
    assert by_name["bars"].snapshot_id == {t.name: t for t in first.tables}["bars"].snapshot_id

    def titles(*extra):
        code, out, err = run_cli(capsys, "articles", *lake_args(lake), *extra, "--format", "json")
        assert code == 0, err
        return {row["title"] for row in json.loads(out)}

    latest, old = titles(), titles("--as-of", first.published_at.isoformat())
    assert NEW_ARTICLE["title"] in latest and NEW_ARTICLE["title"] not in old
    assert latest - old == {NEW_ARTICLE["title"]}
    with store.reader(local_db) as con:
        assert len(latest) == con.execute("SELECT count(DISTINCT title) FROM articles").fetchone()[0]
    # Each lake version is named by its publish-log snapshot, the key the app caches on.
    assert open_lake(lake).cache_key() == f"lake:{second.log_snapshot_id}"
    assert open_lake(lake, first.published_at).cache_key() == f"lake:{first.log_snapshot_id}"


def test_as_of_before_the_first_publish_and_an_empty_lake_are_clear_errors(local_db, lake, capsys):
    code, _, err = run_cli(capsys, "articles", *lake_args(lake))
    assert code == 1 and "nothing published yet" in err
    publish(local_db, lake)
    code, _, err = run_cli(capsys, "articles", *lake_args(lake), "--as-of", "2020-01-01")
    assert code == 1 and "nothing was published by then" in err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["articles", "--as-of", "2020-01-01"])
    assert exit_.value.code == 2 and "give --catalog and --warehouse" in capsys.readouterr().err


def test_a_chart_window_opens_only_the_files_of_its_symbol(local_db, lake, tmp_path, monkeypatch):
    """Bars too big to hold in memory are scanned per query, and the query's filters reach the
    file list: with another symbol's files gone, BABA's window still reads."""
    from dashboard.store.bars import query_bars

    monkeypatch.setenv("DASHBOARD_LAKE_MATERIALIZE_ROWS", "10000")  # bars (42k rows) are "big"
    publish(local_db, lake)
    warehouse = Path(lake.warehouse.removeprefix("file://"))
    for path in warehouse.rglob("*.parquet"):
        if "/bars/" in str(path) and "symbol=KWEB" in str(path):
            path.rename(tmp_path / path.name)
    database = open_lake(lake)
    with database.read() as con, store.reader(local_db) as local:
        window = ("2025-11-14", "2025-11-18")
        assert query_bars(con, "BABA", *window, interval="1m").equals(query_bars(local, "BABA", *window, interval="1m"))
        with pytest.raises(Exception, match="KWEB|No such file|not found"):
            query_bars(con, "KWEB", *window, interval="1m")


def test_tables_added_by_later_migrations_are_published_too(local_db, lake):
    # A table no publish code names (as a later migration would add), and the revision and
    # origin tables of issue 11, which came after the lake was written.
    with store.writer(local_db) as con:
        con.execute("CREATE TABLE annotations_added_later (article_id VARCHAR, revision INTEGER, title VARCHAR)")
        con.execute("INSERT INTO annotations_added_later VALUES ('a1', 1, 'first'), ('a1', 2, 'second')")
        local_revisions = con.execute("SELECT count(*) FROM article_revisions").fetchone()[0]
        local_origins = con.execute("SELECT count(*) FROM article_origins").fetchone()[0]
    assert local_revisions and local_origins
    publish(local_db, lake)
    with open_lake(lake).read() as con:
        assert con.execute("SELECT revision, title FROM annotations_added_later ORDER BY revision").fetchall() == [
            (1, "first"), (2, "second")]
        assert con.execute("SELECT count(*) FROM article_revisions").fetchone()[0] == local_revisions
        assert con.execute("SELECT count(*) FROM article_origins").fetchone()[0] == local_origins


def test_the_lake_store_refuses_writes(local_db, lake):
    publish(local_db, lake)
    with pytest.raises(LakeReadOnly, match="read-only"):
        with open_lake(lake).write():
            pass


def test_a_publish_that_loses_the_race_retries_against_the_winner(local_db, lake, tmp_path):
    """Two publishers: the second commits while the first is writing; the first's commit fails,
    it compares again with what the winner wrote, and finishes with the same lake."""
    publish(local_db, lake)
    add_article(local_db, tmp_path)
    other = tmp_path / "other.duckdb"
    shutil.copy(local_db, other)
    raced = []

    def other_machine_commits_first(table):
        if table.name()[-1] == "articles" and not raced:
            raced.append(publish(other, LakeLocation(lake.catalog_uri, lake.warehouse)))

    result = publish(local_db, lake, before_commit=other_machine_commits_first)
    articles = {t.name: t for t in result.tables}["articles"]
    assert raced and articles.retries == 1
    assert not articles.committed  # the winner already wrote exactly this content
    with open_lake(lake).read() as con, store.reader(local_db) as local:
        assert sorted(con.execute("SELECT article_id FROM articles").fetchall()) == sorted(
            local.execute("SELECT article_id FROM articles").fetchall())


def test_a_publish_that_always_loses_says_so(local_db, lake, tmp_path, monkeypatch):
    from dashboard.lake import publish as publish_module

    publish(local_db, lake)
    add_article(local_db, tmp_path)
    monkeypatch.setattr(publish_module, "COMMIT_ATTEMPTS", 1)
    other = tmp_path / "other.duckdb"
    shutil.copy(local_db, other)
    add_article(other, tmp_path, dict(NEW_ARTICLE, title="Only the other machine has this"))

    def someone_else_commits(table):
        if table.name()[-1] == "articles":
            publish(other, lake)

    with pytest.raises(LakeError, match="another publish committed this table"):
        publish(local_db, lake, before_commit=someone_else_commits)


def test_a_publish_killed_part_way_leaves_the_previous_publish_readable(local_db, lake, tmp_path):
    first = publish(local_db, lake)
    add_article(local_db, tmp_path)
    with store.writer(local_db) as con:  # and change a table published after articles
        con.execute("UPDATE listings SET name = name || ' (renamed)'")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "publish", "--db", str(local_db), *lake_args(lake)],
        cwd=config.PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:  # kill -9 right after articles is committed, before listings
        if line.strip().startswith("articles:"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    catalog = open_catalog(lake)
    assert log.resolve(catalog, lake).publish_id == first.publish_id  # the log never saw it
    assert catalog.load_table((lake.namespace, "articles")).current_snapshot().snapshot_id != \
        {t.name: t for t in first.tables}["articles"].snapshot_id  # though articles was committed
    with open_lake(lake).read() as con:  # readers still see the first publish, all of it
        titles = {t for (t,) in con.execute("SELECT title FROM articles").fetchall()}
        assert NEW_ARTICLE["title"] not in titles
        assert not con.execute("SELECT count(*) FROM listings WHERE name LIKE '%(renamed)'").fetchone()[0]
    done = subprocess.run([sys.executable, "-m", "dashboard", "publish", "--db", str(local_db), *lake_args(lake)],
                          cwd=config.PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "articles: unchanged" in done.stdout  # the killed run's commit is kept, not redone
    with open_lake(lake).read() as con:
        titles = {t for (t,) in con.execute("SELECT title FROM articles").fetchall()}
        assert NEW_ARTICLE["title"] in titles
        assert con.execute("SELECT count(*) FROM listings WHERE name LIKE '%(renamed)'").fetchone()[0] > 0


def test_the_report_manifest_names_the_lake_snapshot(local_db, lake):
    import io
    import zipfile

    from dashboard import export
    from dashboard.screen import Filters, load_view

    result = publish(local_db, lake)
    database = open_lake(lake)
    filters = Filters.from_query_params({"start": "2025-11-14", "end": "2025-11-17"})[0]
    view = load_view(database, filters)
    from dashboard import charts

    data = export.report_for(database, view, charts.overlay_figure(view), include_static=False)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert manifest["data_source"]["kind"] == "iceberg"
    assert manifest["data_source"]["snapshot_id"] == result.log_snapshot_id
    assert manifest["data_source"]["table_snapshots"]["bars"] == {t.name: t for t in result.tables}["bars"].snapshot_id


def test_search_reads_each_publish_with_an_index_of_its_own(local_db, lake, tmp_path, capsys, monkeypatch):
    """A server searching the lake builds the index of the publish it reads on its first search:
    the latest publish finds the article added before it, an --as-of read of the first does not."""
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path / "cache")
    first = publish(local_db, lake)
    add_article(local_db, tmp_path)
    publish(local_db, lake)

    def found(*extra):
        code, out, err = run_cli(capsys, "articles", *lake_args(lake), "--search", "baseless", *extra,
                                 "--format", "json")
        assert code == 0, err
        return [row["title"] for row in json.loads(out)]

    assert found() == [NEW_ARTICLE["title"]]
    assert found("--as-of", first.published_at.isoformat()) == []
    assert len(list((tmp_path / "cache" / "search").iterdir())) == 2  # one index per publish read
