"""Nothing lost on re-ingest (issue 11): the merge rule across batches, revisions, origins,
tag origins, `ingest --dry-run`, `articles show`, retraction."""
from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import cli, config, store
from dashboard.ingest import Article
from dashboard.ingest.merge import merge_article, merge_tags
from dashboard.ingest.pipeline import ingest_paths
from dashboard.store import history
from dashboard.store.articles import count_articles, get_article, list_sources, query_articles, tag_counts
from dashboard.store.events import query_events

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
CNBC_TITLE = "Alibaba is helping Chinese military target the U.S., White House memo claims: FT"
CNBC = {"title": CNBC_TITLE, "source": "CNBC", "published": "2025-11-16T23:08:17-05:00"}


def ingest(db, *paths, **kwargs):
    kwargs.setdefault("companies_file", config.COMPANIES_FILE)
    kwargs.setdefault("sources_file", config.SOURCES_FILE)
    return ingest_paths(db, paths, **kwargs)


def write_jsonl(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def cnbc(db) -> dict:
    with store.reader(db) as con:
        (article_id,) = con.execute("SELECT article_id FROM articles WHERE source = 'CNBC'").fetchone()
        return get_article(con, article_id)


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path):
    return tmp_path / "db.duckdb"


# --- the scenarios ------------------------------------------------------------------------

def test_sparse_copy_of_the_cnbc_story_blanks_nothing(db, tmp_path):
    ingest(db, config.ARTICLES_DIR)
    before = cnbc(db)
    assert before["summary"] and before["background"] and before["insights"]
    assert before["url"]  # from the bundled sparse copy, data/articles/seed-article-url.jsonl
    with store.reader(db) as con:
        stored = con.execute("SELECT count(*) FROM article_revisions WHERE article_id = ?",
                             [before["article_id"]]).fetchone()[0]
    sparse = write_jsonl(tmp_path / "sparse.jsonl", {
        **CNBC, "tags": ["Alibaba", "Tech War"], "region": "Greater China"})
    report = ingest(db, sparse)
    assert report.ok
    assert (report.articles.added, report.articles.updated, report.articles.unchanged) == (0, 0, 1)
    after = cnbc(db)
    for name in ("summary", "background", "insights", "subtitle", "region", "stance"):
        assert after[name] == before[name], name
    assert after["tags"] == before["tags"]
    with store.reader(db) as con:
        revisions = con.execute("SELECT count(*) FROM article_revisions WHERE article_id = ?",
                                [after["article_id"]]).fetchone()[0]
        origins = [r[0] for r in con.execute("SELECT origin FROM article_origins WHERE article_id = ? "
                                             "ORDER BY first_seen", [after["article_id"]]).fetchall()]
    assert revisions == stored == 2  # the text, then its URL; the sparse copy changed nothing, so no new version
    assert origins[-1] == f"{sparse}:1"  # …but the copy is remembered as delivered


def test_sparse_copy_keeps_the_body_too(db, tmp_path):
    full = write_jsonl(tmp_path / "full.jsonl", {**CNBC, "summary": "The summary.", "body": "The whole text."})
    ingest(db, full)
    report = ingest(db, write_jsonl(tmp_path / "sparse.jsonl", {**CNBC, "tags": ["Markets"]}))
    # A new tag is a change; the summary and body stay.
    assert (report.articles.updated, report.articles.unchanged) == (1, 0)
    assert report.changes[0].changed == ["tags"]
    after = cnbc(db)
    assert (after["summary"], after["body"], after["tags"]) == ("The summary.", "The whole text.", ["Markets"])


def test_conflicting_copy_replaces_the_summary_adds_the_tag_and_keeps_the_old_summary(db, tmp_path, capsys):
    ingest(db, config.ARTICLES_DIR)
    before = cnbc(db)
    conflict = write_jsonl(tmp_path / "conflict.jsonl", {
        **CNBC, "summary": "A corrected summary from a later feed.", "tags": ["National Security"]})
    report = ingest(db, conflict)
    assert (report.articles.updated, report.articles.unchanged) == (1, 0)
    assert {"summary", "tags"} <= set(report.changes[0].changed)
    after = cnbc(db)
    assert after["summary"] == "A corrected summary from a later feed."
    assert after["tags"] == before["tags"] + ["National Security"]
    assert after["background"] == before["background"]

    code, out, _ = run_cli(capsys, "articles", "show", before["article_id"], "--db", str(db))
    assert code == 0
    assert "before: " + before["summary"][:80] in out
    assert "after:  A corrected summary from a later feed." in out
    assert f"National Security  (from {conflict}:1)" in out
    assert "Alibaba  (from data/articles/" in out or "Alibaba  (from " + str(config.ARTICLES_DIR) in out

    code, out, _ = run_cli(capsys, "articles", "show", before["article_id"], "--db", str(db), "--format", "json")
    shown = json.loads(out)
    # 1: the text export, 2: its source page (data/articles/seed-article-url.jsonl), 3: this copy
    assert [r["revision"] for r in shown["revisions"]] == [1, 2, 3]
    assert shown["revisions"][1]["summary"] == before["summary"]  # the old version, whole
    assert shown["revisions"][2]["summary"] == after["summary"]
    assert {"summary", "tags"} <= set(shown["revisions"][2]["changed"])
    assert shown["revisions"][0]["changed"] == [] and shown["revisions"][1]["changed"] == ["url"]
    assert {t["tag"]: t["origin"] for t in shown["tags"]}["National Security"] == f"{conflict}:1"
    assert [o["origin"] for o in shown["origins"]][-1] == f"{conflict}:1"
    assert all(o["first_seen"].endswith("Z") and o["last_seen"].endswith("Z") for o in shown["origins"])


def test_an_old_copy_delivered_again_does_not_undo_a_correction(db, tmp_path):
    first = write_jsonl(tmp_path / "a.jsonl", {**CNBC, "summary": "First."})
    second = write_jsonl(tmp_path / "b.jsonl", {**CNBC, "summary": "Corrected."})
    ingest(db, first)
    ingest(db, second)
    again = ingest(db, first)
    assert (again.articles.updated, again.articles.unchanged) == (0, 1)
    assert cnbc(db)["summary"] == "Corrected."


def test_ingest_dry_run_writes_nothing_and_says_what_would_change(db, tmp_path, capsys):
    ingest(db, config.ARTICLES_DIR)
    conflict = write_jsonl(tmp_path / "conflict.jsonl", {
        **CNBC, "summary": "A corrected summary.", "tags": ["National Security"]},
        {"title": "A new story", "source": "Wire", "published": "2025-11-18T10:00:00Z"},
        {"title": "No time", "source": "Wire"})
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    files_before = sorted(p.name for p in db.parent.iterdir())
    code, out, err = run_cli(capsys, "ingest", "--dry-run", str(conflict), "--db", str(db))
    assert code == 1  # one record rejected, as a real run would say
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in db.parent.iterdir()) == files_before  # no WAL either
    assert "would be updated: article " in out and "(summary, tags" in out
    assert "would be added: article " in out and "A new story" in out
    assert "articles: 1 added, 1 updated, 0 unchanged, 1 rejected" in out
    assert "dry run: nothing was written" in out
    assert "published: missing" in err
    # …and the real run does what the dry run said
    report = ingest(db, conflict)
    assert (report.articles.added, report.articles.updated, report.articles.rejected) == (1, 1, 1)


def test_dry_run_against_a_missing_database_creates_no_file(tmp_path, capsys):
    db = tmp_path / "absent.duckdb"
    code, out, _ = run_cli(capsys, "ingest", "--dry-run", str(FIXTURES / "reports.jsonl"), "--db", str(db))
    assert code == 0 and "articles: 4 added" in out
    assert not db.exists()


def test_articles_json_rows_carry_the_article_id(db, capsys):
    ingest(db, config.ARTICLES_DIR)
    code, out, _ = run_cli(capsys, "articles", "--format", "json", "--db", str(db))
    rows = json.loads(out)
    assert rows and all(len(r["article_id"]) == 16 for r in rows)
    code, out, _ = run_cli(capsys, "articles", "show", rows[0]["article_id"], "--format", "json", "--db", str(db))
    assert json.loads(out)["article_id"] == rows[0]["article_id"]


def test_show_of_an_unknown_id_says_so(db, capsys):
    ingest(db, FIXTURES / "seed.txt", companies_file=None, sources_file=None)
    code, _, err = run_cli(capsys, "events", "show", "no-such-event", "--db", str(db))
    assert code == 1 and "no event 'no-such-event'" in err


def test_events_show_has_the_same_shape(db, tmp_path, capsys):
    header = ("event_id,ts_local,precision,zone,kind,stance,actor,source,headline,detail,company,"
              "symbol,value,tags,source_url")
    path = tmp_path / "events.csv"
    path.write_text(f"{header}\ne1,2025-11-14,day,America/New_York,market,,a,s,Old headline,Detail,,,,x,https://e.org\n")
    ingest(db, path)
    edited = tmp_path / "later.csv"
    edited.write_text(f"{header}\ne1,2025-11-14,day,America/New_York,market,,a,s,New headline,,,,,y,https://e.org\n")
    report = ingest(db, edited)
    assert report.events.updated == 1
    code, out, _ = run_cli(capsys, "events", "show", "e1", "--format", "json", "--db", str(db))
    shown = json.loads(out)
    assert shown["headline"] == "New headline" and shown["detail"] == "Detail"  # blank kept the detail
    assert [t["tag"] for t in shown["tags"]] == ["x", "y"]
    assert [r["headline"] for r in shown["revisions"]] == ["Old headline", "New headline"]
    assert set(shown["revisions"][1]["changed"]) == {"headline", "tags"}
    assert [o["origin"] for o in shown["origins"]] == [f"{path}:2", f"{edited}:2"]


# --- retraction -------------------------------------------------------------------------------------

def test_retract_hides_the_article_and_its_publication_event_but_keeps_them(db, capsys):
    ingest(db, config.ARTICLES_DIR)
    article_id = cnbc(db)["article_id"]
    with store.reader(db) as con:
        shown_before = count_articles(con, tags=["Alibaba"])
    code, out, _ = run_cli(capsys, "articles", "retract", article_id, "--reason", "wrong story", "--db", str(db))
    assert code == 0 and "retracted article" in out
    with store.reader(db) as con:
        assert article_id not in set(query_articles(con)["article_id"])
        assert count_articles(con, sources=["CNBC"]) == 0
        tagged = tag_counts(con, companies=["alibaba"]).set_index("tag")["articles"]
        assert tagged["Alibaba"] == count_articles(con, tags=["Alibaba"]) == shown_before - 1
        assert f"pub-{article_id}" not in set(query_events(con)["event_id"])
        kept = query_articles(con, include_retracted=True)
        row = kept[kept["article_id"] == article_id].iloc[0]
        assert row["retracted_reason"] == "wrong story" and row["retracted_at"] is not None
        events = query_events(con, include_retracted=True)
        assert f"pub-{article_id}" in set(events["event_id"])
    assert "CNBC" not in list_sources_with_events(db)  # no other CNBC article or event here
    code, out, _ = run_cli(capsys, "articles", "--include-retracted", "--format", "json", "--db", str(db))
    (shown,) = [r for r in json.loads(out) if r["article_id"] == article_id]
    assert shown["retracted_reason"] == "wrong story" and shown["retracted_at"].endswith("Z")
    code, out, _ = run_cli(capsys, "articles", "show", article_id, "--db", str(db))
    assert "Retracted " in out and "wrong story" in out
    # a later copy does not bring it back
    report = ingest(db, config.ARTICLES_DIR)
    assert (report.articles.added, report.articles.updated) == (0, 0)
    with store.reader(db) as con:
        assert article_id not in set(query_articles(con)["article_id"])


def list_sources_with_events(db) -> list[str]:
    with store.reader(db) as con:
        return list_sources(con)


def test_a_record_can_ask_to_be_retracted(db, tmp_path):
    ingest(db, write_jsonl(tmp_path / "a.jsonl", {**CNBC, "summary": "Text."}))
    report = ingest(db, write_jsonl(tmp_path / "b.jsonl", {**CNBC, "retracted": "the wire withdrew it"}))
    assert report.articles.updated == 1 and report.changes[0].changed == ["retracted"]
    with store.reader(db) as con:
        assert query_articles(con).empty
        (row,) = query_articles(con, include_retracted=True).itertuples()
    assert row.retracted_reason == "the wire withdrew it" and row.summary == "Text."
    ingest(db, write_jsonl(tmp_path / "c.jsonl", {**CNBC, "retracted": True, "title": "Other"}))
    with store.reader(db) as con:
        reasons = set(query_articles(con, include_retracted=True)["retracted_reason"])
    assert any(r.startswith("retracted by ") and r.endswith("c.jsonl:1") for r in reasons)


def test_an_events_file_row_can_be_retracted(db, tmp_path, capsys):
    header = ("event_id,ts_local,precision,zone,kind,stance,actor,source,headline,detail,company,"
              "symbol,value,tags,source_url,retracted")
    path = tmp_path / "events.csv"
    path.write_text(f"{header}\n"
                    "e1,2025-11-14,day,America/New_York,market,,a,s,Kept,,,,,,https://e.org,\n"
                    "e2,2025-11-14,day,America/New_York,market,,a,s,Withdrawn,,,,,,https://e.org,misdated\n")
    assert ingest(db, path).ok
    code, out, _ = run_cli(capsys, "events", "--format", "json", "--db", str(db))
    assert [e["event_id"] for e in json.loads(out)] == ["e1"]
    code, out, _ = run_cli(capsys, "events", "--include-retracted", "--format", "json", "--db", str(db))
    assert {e["event_id"]: e["retracted_reason"] for e in json.loads(out)} == {"e1": None, "e2": "misdated"}


# --- storage ------------------------------------------------------------------------------------------

def test_migration_turns_existing_rows_into_their_first_revision(tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL)")
    for version, name, sql in store.migrations():
        if version < 13:
            raw.execute(sql)
            raw.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, name])
    raw.execute("INSERT INTO articles (article_id, title, source, published_at, published_precision, summary, "
                "origin, content_hash, ingested_at, tags, tag_keys) VALUES ('a1', 'T', 'S', "
                "TIMESTAMPTZ '2025-11-14 10:00:00+00', 'minute', 'Old summary', 'old.txt', 'h1', "
                "TIMESTAMPTZ '2025-11-20 00:00:00+00', ['X'], ['x'])")
    raw.execute("INSERT INTO article_tags (article_id, tag, position) VALUES ('a1', 'X', 0)")
    raw.execute("INSERT INTO events (event_id, ts, precision, kind, headline, origin, content_hash, ingested_at) "
                "VALUES ('e1', TIMESTAMPTZ '2025-11-14 10:00:00+00', 'minute', 'report', 'H', 'ev.csv:2', 'h2', "
                "TIMESTAMPTZ '2025-11-20 00:00:00+00')")
    raw.close()
    with store.writer(path) as con:
        # Its only version: implicit in the row since 023, read the same through history().
        [first] = history.history(con, history.ARTICLES, "a1")["revisions"]
        assert (first["revision"], first["summary"], first["tags"], first["changed"], first["origin"]) == (
            1, "Old summary", ["X"], [], "old.txt")
        # 021 then rewrote the hash of that first copy with the rest (test_hashes.py).
        current = con.execute("SELECT content_hash FROM articles").fetchone()[0]
        assert current != "h1"
        assert con.execute("SELECT origin, copy_hash FROM article_origins").fetchall() == [("old.txt", current)]
        assert con.execute("SELECT tag, origin FROM article_tags").fetchall() == [("X", "old.txt")]
        assert [(r["revision"], r["headline"]) for r in history.history(
            con, history.EVENTS, "e1")["revisions"]] == [(1, "H")]
        assert con.execute("SELECT origin FROM event_origins").fetchall() == [("ev.csv:2",)]
        assert con.execute("SELECT count(*) FROM articles WHERE retracted_at IS NULL").fetchone()[0] == 1


# --- the rule, pure ---------------------------------------------------------------------------------

def _article(**values) -> Article:
    base = dict(article_id="a", title="T", source="S", published_at=pd.Timestamp("2025-11-14T10:00Z"), published_raw="", published_zone="UTC",
                published_precision="minute", region=None, subtitle=None, summary=None, background=None,
                insights=None, body=None, url=None, stance="neutral", origin="first.jsonl:1", tags=[],
                company_links=[])
    return Article(**{**base, **values})


def test_a_tag_keeps_the_origin_that_first_gave_it_including_a_rule():
    tags, origins = merge_tags(["Alibaba"], {"alibaba": "first.jsonl:1"}, ["ALIBABA", "Cloud"],
                               {"cloud": "rule: cloud-words"}, "feed:item-7")
    assert tags == ["Alibaba", "Cloud"]
    assert origins == {"alibaba": "first.jsonl:1", "cloud": "rule: cloud-words"}


def test_merge_article_never_blanks_and_names_what_changed():
    current = _article(summary="Kept", body="Body", tags=["A"], tag_origins={"a": "first.jsonl:1"})
    merged, changed = merge_article(current, _article(summary="", body="New body", tags=["B"],
                                                      origin="second.jsonl:1"))
    assert (merged.summary, merged.body, merged.tags) == ("Kept", "New body", ["A", "B"])
    assert changed == ["body", "tags"]
    assert merged.tag_origins == {"a": "first.jsonl:1", "b": "second.jsonl:1"}
    same, nothing = merge_article(merged, _article(summary="Kept"))
    assert same is merged and nothing == []


# --- the property ---------------------------------------------------------------------------------

MERGED_FIELDS = ("region", "subtitle", "summary", "background", "insights", "body", "url")
VALUES = {name: st.sampled_from([f"{name} one", f"{name} two", f"{name} three", ""])
          for name in MERGED_FIELDS}
VALUES["url"] = st.sampled_from(["https://example.org/1", "https://example.org/2", ""])
COPY = st.fixed_dictionaries({}, optional={**VALUES, "tags": st.lists(
    st.sampled_from(["Alpha", "Beta", "Gamma", "Delta"]), unique=True, max_size=3)})


def _model(copies: list[dict]) -> tuple[dict, list[str], list[tuple]]:
    """The rule on paper: (fields, tags, each distinct version in order). A copy identical to one
    delivered before is a repeat and changes nothing."""
    fields, tags, versions, seen = {}, [], [], set()
    for copy in copies:
        given = {k: v for k, v in copy.items() if k != "tags" and v}
        key = (tuple(sorted(given.items())), tuple(copy.get("tags", [])))
        if key in seen:
            continue
        seen.add(key)
        fields.update(given)
        tags += [t for t in copy.get("tags", []) if t not in tags]
        version = (tuple(sorted(fields.items())), tuple(tags))
        if not versions or versions[-1] != version:
            versions.append(version)
    return fields, tags, versions


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(COPY, min_size=1, max_size=5))
def test_any_sequence_of_copies_keeps_every_field_every_version_and_reruns_change_nothing(copies):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        db = folder / "db.duckdb"
        files = [write_jsonl(folder / f"copy{n}.jsonl", {**CNBC, **copy}) for n, copy in enumerate(copies)]
        for path in files:
            assert ingest(db, path, companies_file=None, sources_file=None).ok
        fields, tags, versions = _model(copies)
        stored = cnbc(db)
        for name in MERGED_FIELDS:
            assert stored[name] == fields.get(name), name
        assert stored["tags"] == tags
        with store.reader(db) as con:
            [article_id] = [key for (key,) in con.execute("SELECT article_id FROM articles").fetchall()]
            revisions = history.history(con, history.ARTICLES, article_id)["revisions"]
        assert [(tuple(sorted((n, r[n]) for n in MERGED_FIELDS if r[n])), tuple(r["tags"]))
                for r in revisions] == versions
        snapshot = _dump(db)
        for path in files:
            report = ingest(db, path, companies_file=None, sources_file=None)
            assert (report.articles.added, report.articles.updated) == (0, 0)
        assert _dump(db) == snapshot


_TABLES = ("articles", "article_tags", "article_companies", "article_revisions", "article_origins",
           "events", "event_tags", "event_revisions", "event_origins")


def _dump(db, skip=("last_seen",)) -> dict:
    """Every row of every record table, leaving out ``skip`` (when a copy was last seen moves
    on every delivery, as it should)."""
    with store.reader(db) as con:
        result = {}
        for table in _TABLES:
            names = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in skip]
            result[table] = con.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY ALL").fetchall()
        return result
