"""Revision 1 is implicit in the current row until a second version arrives (issue 29).

A new article costs one row in ``articles`` and none in ``article_revisions`` (its publication
event likewise); everything that reads history — ``history()``, ``articles show``, the search rows,
a lake publish read back — answers as it did when every first version was a row. The old layout is
rebuilt here as the code before this change wrote it (revision 1 inserted with every new record,
``_as_the_old_code_wrote``) on the same ingests with the same clock, so the two stores can be
compared whole; migration 023 then turns the old layout into the new one.
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dashboard import cli, config, store
from dashboard.commands.records import _load
from dashboard.ingest import pipeline
from dashboard.ingest.pipeline import ingest_paths
from dashboard.lake.catalog import LakeLocation
from dashboard.lake.publish import publish
from dashboard.lake.read import open_lake
from dashboard.store import history
from dashboard.store.search_rows import search_rows

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
STORIES = [{"title": f"Alibaba story {n}", "source": "Implicit Wire", "tags": ["Alibaba", f"t{n % 3}"],
            "published": f"2025-11-{1 + n:02d}T10:00:00Z", "summary": f"Summary {n}.",
            "url": f"https://example.com/{n}", "companies": ["alibaba"]} for n in range(12)]


def _as_the_old_code_wrote(con) -> None:
    """Revision 1 of every record that has no revision row, as the insert before 023 wrote it with
    the record (its row's values; an article's first ``ingested_at``, an event's ``ingested_at``)."""
    fields = ", ".join(history.ARTICLES.fields)
    con.execute(f"INSERT INTO article_revisions SELECT article_id, 1, {fields}, tags, company_ids, content_hash, "
                "origin, ingested_at, [] FROM articles a WHERE article_id NOT IN "
                "(SELECT article_id FROM article_revisions)")
    fields = ", ".join(f'"{name}"' for name in history.EVENTS.fields)
    con.execute(f"INSERT INTO event_revisions SELECT event_id, 1, {fields}, tags, content_hash, origin, "
                "ingested_at, [] FROM events WHERE event_id NOT IN (SELECT event_id FROM event_revisions)")


class _Clock:
    """The ingest's ``datetime``, one fixed minute per batch (both stores see the same times)."""

    def __init__(self):
        self.calls = 0

    def now(self, zone=None):
        self.calls += 1
        return START + timedelta(minutes=self.calls)


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _batches(root: Path) -> list[list[Path]]:
    first = _write(root / "stories.jsonl", STORIES)
    corrected = [dict(s, summary=s["summary"] + " Corrected.", tags=s["tags"] + ["Correction"]) for s in STORIES[:3]]
    retracted = [dict(STORIES[3], retracted="withdrawn by the wire")]
    later = _write(root / "later.jsonl", corrected + retracted + STORIES[6:9])  # + unchanged copies
    again = _write(root / "again.jsonl", [dict(corrected[0], url="https://example.com/moved")])
    events = root / "events.csv"
    lines = config.EVENTS_FILE.read_text(encoding="utf-8").splitlines()
    events.write_text("\n".join([lines[0], lines[1].replace("US lawmakers ask", "Lawmakers ask"), *lines[2:]]) + "\n",
                      encoding="utf-8")
    return [[config.ARTICLES_DIR, config.EVENTS_FILE, first], [later], [again, events]]


def _ingest_all(db: Path, batches, old_layout: bool, monkeypatch) -> None:
    clock = _Clock()
    monkeypatch.setattr(pipeline, "datetime", clock)
    for batch in batches:
        report = ingest_paths(db, batch)
        assert report.ok and not report.rejections, report.rejections
        if old_layout:
            with store.writer(db) as con:
                _as_the_old_code_wrote(con)
    monkeypatch.undo()
    with store.writer(db) as con:  # an explicit retraction: no revision, on either layout
        assert history.retract(con, history.ARTICLES, _id_of(con, STORIES[4]), "duplicate", START + timedelta(hours=1))


def _id_of(con, story: dict) -> str:
    return con.execute("SELECT article_id FROM articles WHERE title = ?", [story["title"]]).fetchone()[0]


def _answers(con) -> dict:
    """Everything a reader is told about the history of every record."""
    articles = [key for (key,) in con.execute("SELECT article_id FROM articles ORDER BY 1").fetchall()]
    events = [key for (key,) in con.execute("SELECT event_id FROM events ORDER BY 1").fetchall()]
    # repr: a missing text may come back as NaN, which equals nothing
    search = sorted(repr(tuple(row)) for frame in search_rows(con) for row in frame.itertuples(index=False))
    return {"articles": {key: history.history(con, history.ARTICLES, key) for key in articles},
            "events": {key: history.history(con, history.EVENTS, key) for key in events},
            "show": {key: _load(con, "article", key) for key in articles},
            "search": search}


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("implicit")
    batches = _batches(root)
    patch = pytest.MonkeyPatch()
    try:
        _ingest_all(root / "new.duckdb", batches, False, patch)
        _ingest_all(root / "old.duckdb", batches, True, patch)
    finally:
        patch.undo()
    return root


def test_a_new_article_costs_one_row_and_no_revision_row(tmp_path):
    for columnar in (True, False):
        db = tmp_path / f"one-{columnar}.duckdb"
        assert ingest_paths(db, [_write(tmp_path / "one.jsonl", STORIES[:1])], columnar=columnar).articles.added == 1
        with store.reader(db) as con:
            counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
                "articles", "article_revisions", "article_origins", "events", "event_revisions", "event_origins")}
            assert counts == {"articles": 1, "article_revisions": 0, "article_origins": 1,
                              "events": 1, "event_revisions": 0, "event_origins": 1}, columnar
            [only] = history.history(con, history.ARTICLES, _id_of(con, STORIES[0]))["revisions"]
            row = con.execute("SELECT * FROM articles").fetchdf().iloc[0]
            assert only["revision"] == 1 and only["changed"] == [] and only["summary"] == "Summary 0."
            assert only["content_hash"] == row["content_hash"] and only["origin"].endswith("one.jsonl:1")
            assert only["ingested_at"] == row["ingested_at"].to_pydatetime()


def test_history_reads_as_it_did_when_every_first_version_was_a_row(stores):
    with store.reader(stores / "new.duckdb") as new, store.reader(stores / "old.duckdb") as old:
        answers, expected = _answers(new), _answers(old)
        assert answers == expected
        # What was changed has every version as a row; the rest none.
        kept = {key: count for key, count in new.execute(
            "SELECT article_id, count(*) FROM article_revisions GROUP BY 1").fetchall()}
        assert new.execute("SELECT count(*) FROM article_revisions").fetchone()[0] < \
            old.execute("SELECT count(*) FROM article_revisions").fetchone()[0]
    corrected, withdrawn, unchanged, retracted = (answers["articles"][_key(answers, STORIES[n])] for n in (0, 3, 6, 4))
    assert [(r["revision"], r["summary"], r["changed"]) for r in corrected["revisions"]] == [
        (1, "Summary 0.", []), (2, "Summary 0. Corrected.", ["summary", "tags"]), (3, "Summary 0. Corrected.", ["url"])]
    assert [r["ingested_at"] for r in corrected["revisions"]] == [START + timedelta(minutes=n) for n in (1, 2, 3)]
    assert kept[_key(answers, STORIES[0])] == 3 and kept[_key(answers, STORIES[3])] == 2
    assert [r["changed"] for r in withdrawn["revisions"]] == [[], ["retracted"]]
    assert withdrawn["retracted_reason"] == "withdrawn by the wire"
    assert len(unchanged["revisions"]) == 1 and len(unchanged["origins"]) == 2  # delivered twice, one version
    assert len(retracted["revisions"]) == 1 and retracted["retracted_reason"] == "duplicate"
    lawmakers = answers["events"]["2025-05-02-lawmakers-urge-sec-delisting"]["revisions"]
    assert [r["headline"][:16] for r in lawmakers] == ["US lawmakers ask", "Lawmakers ask th"]


def _key(answers, story) -> str:
    [key] = [k for k, shown in answers["show"].items() if shown["title"] == story["title"]]
    return key


def test_migration_023_turns_the_old_layout_into_the_new_one(stores, tmp_path):
    migrated = tmp_path / "migrated.duckdb"
    shutil.copy(stores / "old.duckdb", migrated)
    with store.writer(migrated) as con:
        before = _answers(con)
        con.execute("DELETE FROM schema_version WHERE version >= 23")
    with store.writer(migrated) as con:  # opening migrates
        assert _answers(con) == before
        con.execute("DELETE FROM schema_version WHERE version >= 23")
    with store.writer(migrated) as con, store.reader(stores / "new.duckdb") as new:  # and again: no change
        for table in ("article_revisions", "event_revisions"):
            assert con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() == \
                new.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall(), table


def test_a_revision_row_that_differs_from_its_row_is_kept(stores, tmp_path):
    odd = tmp_path / "odd.duckdb"
    shutil.copy(stores / "old.duckdb", odd)
    with store.writer(odd) as con:
        key = _id_of(con, STORIES[9])
        con.execute("UPDATE article_revisions SET summary = 'As first delivered.' WHERE article_id = ?", [key])
        con.execute("DELETE FROM schema_version WHERE version >= 23")
    with store.writer(odd) as con:
        [only] = history.history(con, history.ARTICLES, key)["revisions"]
        assert only["summary"] == "As first delivered."


@pytest.mark.slow
def test_a_lake_publish_reads_the_same_history_either_layout(stores, tmp_path, capsys):
    for layout in ("new", "old"):  # a publish made before 023 is read by this code too
        lake = LakeLocation(f"sqlite:///{tmp_path / layout}.db", f"file://{tmp_path / layout}-warehouse")
        local = tmp_path / f"{layout}.duckdb"
        shutil.copy(stores / f"{layout}.duckdb", local)
        with store.reader(local) as con:
            expected = _answers(con)
        publish(local, lake)
        with open_lake(lake).read() as con:
            assert _answers(con) == expected, layout
        key = _key(expected, STORIES[0])
        assert cli.main(["articles", "--catalog", lake.catalog_uri, "--warehouse", lake.warehouse,
                         "show", key, "--format", "json"]) == 0
        assert [r["revision"] for r in json.loads(capsys.readouterr().out)["revisions"]] == [1, 2, 3]
