"""Full-text search (issue 30): queries, the index following the store, snippets kept inert."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dashboard import cli, config, search, store
from dashboard.ingest.pipeline import ingest_paths
from dashboard.search.index import FOLLOW_SWITCH
from tests.conftest import HOSTILE_ARTICLE

ROOT = config.PROJECT_ROOT
LETTER = {"title": "Pentagon letter names Alibaba", "source": "Bloomberg", "published": "2025-11-13T09:00:00Z",
          "summary": "An Oct 7 letter says Alibaba should be added to the 1260H list.",
          "body": "The letter went to Congress.", "tags": ["1260H"], "companies": ["alibaba"]}
QWEN = {"title": "Qwen app passes 10 million downloads", "source": "CNBC", "published": "2025-11-17T05:00:00Z",
        "summary": "Alibaba said its Qwen app passed 10 million downloads.", "companies": ["alibaba"]}
MEMO = {"title": "White House memo", "source": "Financial Times", "published": "2025-11-14T05:00:00Z",
        "summary": "A national security memo accuses Alibaba; the Pentagon was not named.",
        "companies": ["alibaba"]}
CHINESE = {"title": "阿里巴巴集团发布新模型", "source": "新华社", "published": "2025-11-15T02:00:00Z",
           "body": "阿里巴巴集团今天发布了通义千问的新版本。", "companies": ["alibaba"]}
ALL = (LETTER, QWEN, MEMO, CHINESE, HOSTILE_ARTICLE)


def write_jsonl(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def ingest(db: Path, *paths: Path):
    return ingest_paths(db, paths, companies_file=config.COMPANIES_FILE, sources_file=config.SOURCES_FILE)


def titles(db, text: str, **kwargs) -> list[str]:
    database = store.as_database(db)
    matches = search.find(database, text, **kwargs)
    with database.read() as con:
        by_id = dict(con.execute("SELECT article_id, title FROM articles").fetchall())
    return [by_id[hit.article_id] for hit in matches.hits]


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module", autouse=True)
def index_follows_writes():
    """conftest.py turns it off for the rest of the suite."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(FOLLOW_SWITCH, "1")
        yield


@pytest.fixture(scope="module")
def db(tmp_path_factory, index_follows_writes) -> Path:
    folder = tmp_path_factory.mktemp("search")
    path = folder / "search.duckdb"
    report = ingest(path, write_jsonl(folder / "articles.jsonl", *ALL))
    assert not report.rejections, report.rejections
    return path


def test_an_ingest_builds_the_index_beside_the_database(db):
    assert (db.parent / "search.duckdb.search" / "covers.json").exists()
    assert search.status(store.as_database(db)).state == "current"


def test_words_rank_a_title_match_first(db):
    assert titles(db, "pentagon") == ["Pentagon letter names Alibaba", "White House memo"]


def test_exact_phrases(db):
    assert titles(db, '"national security memo"') == ["White House memo"]
    assert titles(db, '"memo national security"') == []


def test_and_or_not(db):
    assert "Qwen app passes 10 million downloads" not in titles(db, "Alibaba AND NOT Qwen")
    assert len(titles(db, "Alibaba AND NOT Qwen")) == 3  # of the four that say Alibaba in Latin letters
    assert set(titles(db, "Qwen OR 1260H")) == {"Qwen app passes 10 million downloads", "Pentagon letter names Alibaba"}
    assert titles(db, "Qwen AND 1260H") == []
    assert titles(db, "alibaba -qwen -pentagon") == [HOSTILE_ARTICLE["title"]]
    assert titles(db, "(qwen OR memo) AND NOT pentagon") == [QWEN["title"], HOSTILE_ARTICLE["title"]]


def test_prefix_and_field(db):
    assert titles(db, "Pentag*") == ["Pentagon letter names Alibaba", "White House memo"]
    assert titles(db, "title:Pent*") == ["Pentagon letter names Alibaba"]
    database = store.as_database(db)
    matches = search.find(database, "Pentag*")
    marked = search.snippets(database, "Pentag*", matches.hits)
    assert "«Pentagon»" in marked[matches.article_ids[0]].as_text()  # a prefix hit is marked too
    assert titles(db, "tags:1260H") == ["Pentagon letter names Alibaba"]


def test_non_latin_text_is_found_inside_longer_runs(db):
    assert titles(db, "阿里巴巴") == ["阿里巴巴集团发布新模型"]
    assert titles(db, "通义千问") == ["阿里巴巴集团发布新模型"]
    assert titles(db, "巴巴阿里") == []  # the same characters in another order are not a match
    database = store.as_database(db)
    matches = search.find(database, "通义千问")
    marked = search.snippets(database, "通义千问", matches.hits)[matches.hits[0].article_id]
    assert "«通义千问»" in marked.as_text()


@pytest.mark.parametrize("text, reason", [
    ('"unclosed phrase', "unbalanced quotes"),
    ("title:(", "unbalanced quotes or brackets"),
    ("colour:red", "'colour' before a colon names no field"),
    ("NOT Qwen", "NOT (or -) alone excludes everything"),
    ("   ", "the search text is empty"),
])
def test_a_malformed_query_says_why(db, text, reason, capsys):
    with pytest.raises(search.QueryError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        search.find(store.as_database(db), text)
    code, out, err = run_cli(capsys, "articles", "--search", text, "--db", str(db))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and reason in err and "Traceback" not in err


def test_cli_articles_are_ranked_with_snippet_and_score(db, capsys):
    code, out, _ = run_cli(capsys, "articles", "--search", "memo", "--format", "json", "--db", str(db))
    rows = json.loads(out)
    assert code == 0
    assert [row["title"] for row in rows][0] == "White House memo"
    assert rows[0]["score"] >= rows[-1]["score"] > 0
    assert "«memo»" in rows[0]["snippet"]
    # the other filters narrow the matches
    code, out, _ = run_cli(capsys, "articles", "--search", "Alibaba", "--source", "CNBC", "--format", "json",
                           "--db", str(db))
    assert [row["title"] for row in json.loads(out)] == ["Qwen app passes 10 million downloads"]


def test_cli_events_are_those_of_matching_articles(db, capsys):
    code, out, _ = run_cli(capsys, "events", "--search", "Qwen", "--format", "json", "--db", str(db))
    assert code == 0
    assert [row["headline"] for row in json.loads(out)] == ["Qwen app passes 10 million downloads"]


def test_hostile_text_in_a_snippet_stays_text(db):
    database = store.as_database(db)
    matches = search.find(database, "script OR ampersands")
    assert matches.hits
    for marked in search.snippets(database, "script OR ampersands", matches.hits).values():
        markdown = marked.as_markdown()
        assert re.search(r"(?<!\\)[<>\[\]]", markdown) is None  # every markup character escaped
        assert "**" in markdown  # the hit is marked, as markdown, not as HTML


def test_a_missing_index_is_reported_and_rebuilt(tmp_path, capsys):
    path = tmp_path / "no-index.duckdb"
    ingest(path, write_jsonl(tmp_path / "a.jsonl", QWEN))
    import shutil

    shutil.rmtree(search.index_dir(store.as_database(path)))
    code, _, err = run_cli(capsys, "articles", "--search", "Qwen", "--db", str(path))
    assert code == 1 and "search rebuild" in err
    code, out, _ = run_cli(capsys, "search", "rebuild", "--db", str(path))
    assert code == 0 and "1 articles" in out
    assert titles(path, "qwen") == ["Qwen app passes 10 million downloads"]


def test_revisions_and_retraction_follow_in_the_same_run(tmp_path, capsys):
    path = tmp_path / "follow.duckdb"
    ingest(path, write_jsonl(tmp_path / "first.jsonl", LETTER, QWEN))
    corrected = dict(LETTER, summary="A letter from Deputy Secretary Feinberg names Alibaba.")
    ingest(path, write_jsonl(tmp_path / "second.jsonl", corrected))
    database = store.as_database(path)
    assert search.status(database).state == "current"
    [hit] = search.find(database, "Feinberg").hits
    assert not hit.on_older_revision
    [old] = search.find(database, '"added to the 1260H list"').hits  # only the first wording said it
    assert old.article_id == hit.article_id and old.where() == "older revision 1 of 2"
    code, out, _ = run_cli(capsys, "articles", "--search", '"added to the 1260H list"', "--format", "json",
                           "--db", str(path))
    assert json.loads(out)[0]["matched"] == "older revision 1 of 2"

    code, _, _ = run_cli(capsys, "articles", "retract", hit.article_id, "--reason", "wrong letter", "--db", str(path))
    assert code == 0
    assert titles(path, "Feinberg") == []
    assert titles(path, "Feinberg", include_retracted=True) == ["Pentagon letter names Alibaba"]
    code, out, _ = run_cli(capsys, "articles", "--search", "Feinberg", "--include-retracted", "--format", "json",
                           "--db", str(path))
    assert [row["retracted_reason"] for row in json.loads(out)] == ["wrong letter"]


def test_a_chunked_ingest_syncs_the_index_every_few_chunks_and_at_its_end(tmp_path, monkeypatch):
    from dashboard.ingest import pipeline

    files = [write_jsonl(tmp_path / f"part-{n}.jsonl", *[
        {"title": f"Chunked story {n}-{i}", "source": "Chunk Wire", "published": f"2025-11-{1 + n:02d}T1{i}:00:00Z",
         "summary": f"Marker{n}x{i} moved."} for i in range(3)]) for n in range(5)]
    syncs = []
    real_follow = search.follow
    monkeypatch.setattr(search, "follow", lambda db: syncs.append(search.status(db).state) or real_follow(db))
    monkeypatch.setattr(pipeline, "FOLLOW_ARTICLES", 6)
    path = tmp_path / "chunked.duckdb"
    report = pipeline.ingest_paths(path, files, companies_file=None, sources_file=None, tags_file=None,
                                   chunk_articles=3)
    assert report.articles.added == 15
    # five chunks of 3 articles, each counted 3 + 1: after chunks 2 and 4, then at the end
    assert syncs == ["missing", "stale", "stale"]
    database = store.as_database(path)
    assert search.status(database).state == "current"
    assert [hit.article_id for hit in search.find(database, "Marker4x2").hits]



# the store committed (before the index was written), or after the index committed but before it
# recorded what it covers.
_KILLED_INGEST = textwrap.dedent("""
    import os, signal, sys
    from dashboard import config
    from dashboard.search import index
    from dashboard.ingest.pipeline import ingest_paths
    point = sys.argv[3]
    if point == "before-index":
        index.sync = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
    else:
        index._write_covers = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
    ingest_paths(sys.argv[1], [sys.argv[2]], companies_file=config.COMPANIES_FILE)
""")


@pytest.mark.parametrize("point", ["before-index", "before-covers"])
def test_a_killed_ingest_leaves_the_index_consistent_after_the_next_run(tmp_path, point):
    path = tmp_path / "killed.duckdb"
    ingest(path, write_jsonl(tmp_path / "first.jsonl", LETTER))
    killed = subprocess.run([sys.executable, "-c", _KILLED_INGEST, str(path),
                             str(write_jsonl(tmp_path / "second.jsonl", QWEN, MEMO)), point],
                            cwd=ROOT, capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    database = store.as_database(path)
    assert search.status(database).state == "stale"  # the store has the articles, the index not yet
    ingest(path, write_jsonl(tmp_path / "third.jsonl", CHINESE))  # the next run
    assert search.status(database).state == "current"
    assert len(search.find(database, "alibaba").hits) == 3
    assert search.find(database, "alibaba").documents == 3  # each article indexed once
    assert titles(database, "阿里巴巴") == [CHINESE["title"]]
    assert titles(database, "qwen") == ["Qwen app passes 10 million downloads"]


def test_tags_apply_is_searchable_in_the_same_run(tmp_path, capsys):
    path = tmp_path / "retag.duckdb"
    ingest(path, write_jsonl(tmp_path / "a.jsonl", QWEN, MEMO))
    rules = tmp_path / "tags.toml"
    rules.write_text('[[rule]]\ntag = "Open Models"\nany = ["Qwen"]\n', encoding="utf-8")
    code, _, _ = run_cli(capsys, "tags", "apply", "--tags", str(rules), "--db", str(path))
    assert code == 0
    assert titles(path, 'tags:"open models"') == [QWEN["title"]]
