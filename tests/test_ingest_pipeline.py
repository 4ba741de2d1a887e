"""Batch ingest: each format, identity across formats, rejections, folder walking."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dashboard import store
from dashboard.ingest.pipeline import ingest_paths
from dashboard.store.articles import get_article, query_articles
from dashboard.store.events import query_events

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def ingest(db, *paths, **kwargs):
    kwargs.setdefault("companies_file", FIXTURES / "companies.toml")
    kwargs.setdefault("sources_file", FIXTURES / "sources.toml")
    return ingest_paths(db, paths, **kwargs)


def articles(db):
    with store.reader(db) as con:
        return query_articles(con)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "test.duckdb"


def test_jsonl_records(db):
    report = ingest(db, FIXTURES / "reports.jsonl")
    assert report.rejections == []
    assert (report.articles.added, report.articles.rejected) == (4, 0)
    frame = articles(db).set_index("title")
    first = frame.loc["Memo says Alibaba aids PLA"]
    assert first.published_at.isoformat() == "2025-11-14T18:02:11+00:00"
    assert first.tags == ["Alibaba", "Tech War"]
    assert first.companies == ["alibaba"]
    assert first.url == "https://example.org/a"
    # tags as one comma-separated string
    assert frame.loc["Alibaba calls memo completely false"].tags == ["Alibaba", "Denial"]
    # CST settled by the source's zone in sources.toml
    assert frame.loc["Tencent unaffected"].published_at.isoformat() == "2025-11-17T02:00:00+00:00"
    assert frame.loc["Tencent unaffected"].published_zone == "Asia/Shanghai"
    assert frame.loc["Tencent unaffected"].companies == ["tencent"]
    day = frame.loc["Day-only report"]
    assert (day.published_precision, day.published_at.isoformat()) == ("day", "2025-11-18T00:00:00+00:00")


def test_json_array_and_csv(db):
    report = ingest(db, FIXTURES / "reports.json", FIXTURES / "reports.csv")
    assert report.rejections == []
    assert report.articles.added == 3
    frame = articles(db).set_index("title")
    assert frame.loc["Epoch-stamped item"].published_at.isoformat() == "2025-11-17T04:08:17+00:00"
    hk = frame.loc["Hong Kong shares of 9988 rise"]
    assert hk.tags == ["Markets", "Qwen"]
    assert hk.companies == ["alibaba"]
    assert hk.published_at.isoformat() == "2025-11-17T02:15:00+00:00"


def test_every_article_yields_a_publication_event(db):
    ingest(db, FIXTURES / "seed.txt")
    with store.reader(db) as con:
        article = query_articles(con).iloc[0]
        events = query_events(con, kinds=["publication"])
    assert len(events) == 1
    event = events.iloc[0]
    assert event.event_id == f"pub-{article.article_id}"
    assert event.ts == article.published_at
    assert event.tags == article.tags
    assert (event.source, event.company_id, event.article_id) == ("CNBC", "alibaba", article.article_id)


def test_second_ingest_is_unchanged(db):
    first = ingest(db, FIXTURES)
    second = ingest(db, FIXTURES)
    assert first.articles.added == 8 and first.events.added == 8 + 3
    assert (second.articles.added, second.articles.updated, second.articles.unchanged) == (0, 0, 8)
    assert (second.events.added, second.events.updated, second.events.unchanged) == (0, 0, 11)
    assert len(articles(db)) == 8


def _seed_as_json(**overrides) -> dict:
    from dashboard.ingest.text import parse_text

    raw = parse_text((FIXTURES / "seed.txt").read_bytes(), "seed.txt")
    record = {
        "title": raw.title, "source": raw.source, "published": "2025-11-17T04:08:17Z",
        "tags": raw.tags, "region": raw.region, "subtitle": raw.subtitle, "summary": raw.summary,
        "background": raw.background, "insights": raw.insights,
    }
    record.update(overrides)
    return record


def test_same_article_in_another_format_is_unchanged(db, tmp_path):
    ingest(db, FIXTURES / "seed.txt")
    copy = tmp_path / "copy.jsonl"
    # Different spelling of the same instant and title spacing/case: still the same article.
    copy.write_text(json.dumps(_seed_as_json(published="2025-11-16T23:08:17-05:00")) + "\n", encoding="utf-8")
    report = ingest(db, copy)
    assert (report.articles.added, report.articles.updated, report.articles.unchanged) == (0, 0, 1)
    assert len(articles(db)) == 1


def test_same_article_with_new_content_is_updated(db, tmp_path):
    ingest(db, FIXTURES / "seed.txt")
    copy = tmp_path / "copy.csv"
    record = _seed_as_json(url="https://www.cnbc.com/2025/11/16/alibaba.html")
    import csv

    with copy.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(record))
        writer.writeheader()
        writer.writerow({**record, "tags": ";".join(record["tags"])})
    report = ingest(db, copy)
    assert (report.articles.added, report.articles.updated) == (0, 1)
    frame = articles(db)
    assert len(frame) == 1
    assert frame.iloc[0].url == "https://www.cnbc.com/2025/11/16/alibaba.html"
    assert frame.iloc[0].tags == ["Alibaba", "US-China Relations", "Artificial Intelligence", "Tech War", "Geopolitical Risk"]


def test_same_article_twice_in_one_batch_merges_in_file_order_and_is_stable(db, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURES / "seed.txt", folder / "000_seed.txt")
    (folder / "zz.jsonl").write_text(
        json.dumps(_seed_as_json(url="https://example.org/cnbc", summary="A shorter summary.")) + "\n",
        encoding="utf-8")
    first = ingest(db, folder)
    second = ingest(db, folder)
    # One rule within a batch and across batches: the later copy's non-empty fields replace.
    assert (first.articles.added, first.articles.updated) == (1, 1)
    assert (second.articles.updated, second.articles.unchanged) == (0, 2)
    stored = articles(db).iloc[0]
    assert stored.summary == "A shorter summary."
    assert stored.url == "https://example.org/cnbc"
    with store.reader(db) as con:
        revisions = con.execute("SELECT summary, changed FROM article_revisions ORDER BY revision").fetchall()
    assert revisions[0][0].startswith("A White House memo alleges")  # the first copy is kept
    assert revisions[1] == ("A shorter summary.", ["summary", "url", "stance"])  # stance: from the text


def test_bad_records_are_rejected_and_the_rest_kept(db, tmp_path):
    bad = tmp_path / "mixed.jsonl"
    bad.write_text(
        '{"title": "Good one", "source": "S", "published": "2025-11-14T10:00:00Z"}\n'
        '{"title": "No time", "source": "S"}\n'
        '{"source": "S", "published": "2025-11-14T10:00:00Z"}\n'
        '{"title": "Bad date", "source": "S", "published": "yesterday-ish"}\n'
        '{"title": "Naive", "source": "S", "published": "2025-11-14T10:00:00"}\n'
        '{"title": "Broken json", \n'
        '{"title": "Bad tags", "source": "S", "published": "2025-11-14T10:00:00Z", "tags": 5}\n',
        encoding="utf-8",
    )
    report = ingest(db, bad)
    assert report.articles.added == 1
    assert report.articles.rejected == 6
    assert not report.ok
    expected_prefixes = [
        f"{bad}:2: published: missing",
        f"{bad}:3: title: missing",
        f"{bad}:4: published: unparseable date",
        f"{bad}:5: published: '2025-11-14T10:00:00' has no time zone",
        f"{bad}:6: json: ",
        f"{bad}:7: tags: expected a list",
    ]
    assert len(report.rejections) == len(expected_prefixes)
    for message, prefix in zip(report.rejections, expected_prefixes):
        assert message.startswith(prefix), message
    assert list(articles(db).title) == ["Good one"]


@pytest.mark.parametrize("name, content, field", [
    ("empty.txt", b"", "content"),
    ("empty.jsonl", b"\n\n", "content"),
    ("latin1.txt", "Titel\nRegion\nSource: X Published: 11/16/2025, 23:08:17 EST\n\xe9t\xe9\n".encode("latin-1"), "encoding"),
    ("syntax.json", b'[{"title": "a",\n  "source": }]', "json"),
])
def test_bad_files_are_rejected_with_file_and_field(db, tmp_path, name, content, field):
    path = tmp_path / name
    path.write_bytes(content)
    report = ingest(db, path, FIXTURES / "seed.txt")
    assert len(report.rejections) == 1
    assert report.rejections[0].startswith(str(path))
    assert f": {field}: " in report.rejections[0]
    assert report.articles.added == 1  # the seed still lands


def test_json_error_names_the_line(db, tmp_path):
    path = tmp_path / "syntax.json"
    path.write_text('[\n {"title": "a", "source": "b", "published": "2025-11-14T10:00:00Z"},\n {"title": }\n]')
    report = ingest(db, path)
    assert report.rejections[0].startswith(f"{path}:3: json:")


def test_json_array_element_errors_name_their_line(db, tmp_path):
    path = tmp_path / "items.json"
    path.write_text('[\n {"title": "a", "source": "b", "published": "2025-11-14T10:00:00Z"},\n\n'
                    ' {"title": "c", "source": "d"}\n]')
    report = ingest(db, path)
    assert report.rejections == [f"{path}:4: published: missing"]


def test_size_limit_applies_to_whole_documents_and_names_the_setting(db, tmp_path):
    record = {"title": "x", "source": "s", "published": "2025-11-14T10:00:00Z", "body": "y" * 500}
    path = tmp_path / "big.json"
    path.write_text(json.dumps([record] * 30), encoding="utf-8")
    report = ingest(db, path, max_bytes=10_000)
    assert report.articles.rejected == 1
    (message,) = report.rejections
    assert message.startswith(f"{path}: size: 0.0 MB is over the 0.01 MB limit")
    assert "--max-bytes" in message
    assert ingest(db, path).articles.added == 1  # default 5 MB limit lets it through (30 copies, one article)


def test_line_files_have_no_size_limit(db, tmp_path):
    path = tmp_path / "big.jsonl"
    lines = [json.dumps({"title": f"x{n}", "source": "s", "published": "2025-11-14T10:00:00Z",
                         "body": "y" * 500}) for n in range(30)]
    path.write_text("\n".join(lines), encoding="utf-8")
    csv_path = tmp_path / "big.csv"
    csv_path.write_text("title,source,published,body\n" + "".join(
        f"c{n},s,2025-11-14T10:00:00Z,{'y' * 500}\n" for n in range(30)), encoding="utf-8")
    report = ingest(db, path, csv_path, max_bytes=1_000)
    assert report.rejections == []
    assert report.articles.added == 60


def test_bom_is_accepted(db, tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"title": "t", "source": "s", "published": "2025-11-14T10:00:00Z"}\n')
    assert ingest(db, path).articles.added == 1


def test_folder_walk_skips_what_it_does_not_know(db, tmp_path):
    folder = tmp_path / "data"
    (folder / "articles" / "deep").mkdir(parents=True)
    shutil.copy(FIXTURES / "seed.txt", folder / "articles" / "deep" / "seed.txt")
    shutil.copy(FIXTURES / "events.csv", folder / "events.csv")
    shutil.copy(FIXTURES / "companies.toml", folder / "companies.toml")
    (folder / "sources.toml").write_text("")
    (folder / "README.md").write_text("# notes")
    (folder / "bars.parquet").write_bytes(b"PAR1")
    (folder / "prices.csv").write_text("ts,open,high,low,close\n2025-11-14T14:30:00Z,1,1,1,1\n")
    (folder / "old.duckdb").write_bytes(b"x")
    # the store's search index beside it (`make run` writes data/dashboard.duckdb.search/)
    (folder / "old.duckdb.search").mkdir()
    (folder / "old.duckdb.search" / "meta.json").write_text('{"version": 3, "stamp": "x"}')
    (folder / ".hidden.jsonl").write_text("not json")
    (folder / ".cache").mkdir()
    (folder / ".cache" / "x.txt").write_text("garbage")
    report = ingest(db, folder, companies_file=None)
    assert report.rejections == []
    skipped = sorted(Path(s.split(":")[0]).name for s in report.skipped)
    assert skipped == ["README.md", "bars.parquet", "old.duckdb", "prices.csv", "sources.toml"]
    assert report.articles.added == 1
    assert report.events.added == 3 + 1
    # the companies.toml found in the folder was used for linking
    assert articles(db).iloc[0].companies == ["alibaba"]


def test_unrecognised_file_named_explicitly_is_rejected(db, tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("hello")
    report = ingest(db, path, tmp_path / "missing.txt")
    assert report.rejections == [
        f"{path}: format: not an article, feed, events or companies file (.md)",
        f"{tmp_path / 'missing.txt'}: path: no such file or folder",
    ]


def test_dst_contradiction_is_a_warning_not_a_rejection(db, tmp_path):
    path = tmp_path / "summer.txt"
    path.write_text("Summer story\nRegion\nSource: Wire Published: 07/04/2025, 12:00:00 EST\nTag\n"
                    "A subtitle with enough words in it\n\nNews Summary\n\nText.\n", encoding="utf-8")
    report = ingest(db, path)
    assert report.ok
    assert any("summer.txt: published: EST" in w and "contradicts" in w for w in report.warnings)
    assert articles(db).iloc[0].published_at.isoformat() == "2025-07-04T17:00:00+00:00"


def test_article_fields_are_stored_for_get_article(db):
    ingest(db, FIXTURES / "seed.txt")
    with store.reader(db) as con:
        article_id = query_articles(con).iloc[0].article_id
        record = get_article(con, article_id)
        assert get_article(con, "nope") is None
    assert record["title"].startswith("Alibaba is helping")
    assert record["stance"] == "mixed"
    assert record["origin"].endswith("seed.txt")
    assert {"company_id": "alibaba", "how": "tag"} in record["company_links"]
    assert {"company_id": "alibaba", "how": "alias"} in record["company_links"]


def test_non_http_urls_are_dropped_with_a_warning(db, tmp_path):
    path = tmp_path / "links.jsonl"
    path.write_text('{"title": "t", "source": "s", "published": "2025-11-14T10:00:00Z", "url": "javascript:alert(1)"}\n',
                    encoding="utf-8")
    report = ingest(db, path)
    assert report.ok
    assert any("url: only http(s) links are kept" in w for w in report.warnings)
    assert articles(db).iloc[0].url is None


def test_a_batch_of_many_files_gives_the_same_result_in_workers_as_in_one_process(tmp_path, monkeypatch):
    """Many article files are parsed in worker processes; the outcome must not depend on it."""
    import json

    from dashboard.ingest import pipeline

    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(6):
        lines = [json.dumps({"title": f"Alibaba note {n}-{k}", "source": "Wire",
                             "published": f"2025-11-{10 + n:02d}T0{k}:00:00Z", "tags": ["Alibaba"],
                             "summary": "Alibaba shares fell 1%."}) for k in range(5)]
        lines.append("{not json")  # one bad line per file: reported with its file and line
        lines.append(lines[0])     # and one repeat: counted unchanged, never duplicated
        (folder / f"part-{n}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(db, min_files):
        monkeypatch.setattr(pipeline, "PARALLEL_MIN_FILES", min_files)
        report = pipeline.ingest_paths(db, [folder])
        with store.reader(db) as con:
            rows = con.execute("SELECT article_id, title, stance, tags FROM articles ORDER BY 1").fetchall()
        return report, rows

    parallel, parallel_rows = run(tmp_path / "p.duckdb", 2)
    serial, serial_rows = run(tmp_path / "s.duckdb", 10**9)
    assert parallel_rows == serial_rows and len(serial_rows) == 30
    assert parallel.rejections == serial.rejections and len(serial.rejections) == 6
    assert (parallel.articles.added, parallel.articles.unchanged) == (30, 6)


def test_an_ingest_leaves_the_callers_garbage_collector_as_it_found_it(db, tmp_path):
    """A batch paces Python's collector for itself; an embedding process (the app, a notebook)
    keeps its own settings afterwards, also when the batch fails."""
    import gc

    original = gc.get_threshold()
    gc.set_threshold(900, 11, 12)
    try:
        assert ingest(db, FIXTURES / "reports.jsonl").articles.added
        assert gc.get_threshold() == (900, 11, 12)
        with pytest.raises(store.DatabaseBusy):
            with store.reader(db):  # this process holds the file read-only: the write is refused
                ingest(store.Database(db, wait_seconds=0.2), FIXTURES / "reports.jsonl")
        assert gc.get_threshold() == (900, 11, 12)
    finally:
        gc.set_threshold(*original)
