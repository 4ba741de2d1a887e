"""Bad news files: every format says `file[:line|:item N]: field: reason`, keeps the good records
and exits 1; never a traceback (#12)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard import cli, store
from dashboard.ingest.pipeline import ingest_paths
from dashboard.store.articles import query_articles

NEWS = Path(__file__).parent / "fixtures" / "news"


def ingest(db, *paths, **kwargs):
    kwargs.setdefault("companies_file", NEWS / "companies.toml")
    kwargs.setdefault("sources_file", NEWS / "sources.toml")
    kwargs.setdefault("tags_file", None)
    return ingest_paths(db, paths, **kwargs)


def titles(db) -> set[str]:
    with store.reader(db) as con:
        return set(query_articles(con)["title"])


@pytest.fixture
def db(tmp_path):
    return tmp_path / "bad.duckdb"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


RSS_HEAD = '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Wire</title>\n'


def test_broken_xml_names_its_line_and_keeps_the_items_before_it(db, tmp_path, capsys):
    path = write(tmp_path / "broken.xml", RSS_HEAD +
                 "<item><title>Good one</title><pubDate>Fri, 14 Nov 2025 10:00:00 GMT</pubDate></item>\n"
                 "<item><title>Bad</tit></item>\n</channel></rss>\n")
    code = cli.main(["ingest", str(path), "--db", str(db), "--tags", ""])
    err = capsys.readouterr().err
    assert code == 1
    assert f"rejected: {path}:4: xml: not well-formed XML: mismatched tag" in err
    assert "Traceback" not in err
    assert "Good one" in titles(db)


def test_feed_with_no_items(db, tmp_path):
    path = write(tmp_path / "empty.xml", RSS_HEAD + "</channel></rss>\n")
    report = ingest(db, path)
    assert report.rejections == [f"{path}: feed: the feed has no items"]


def test_feed_items_without_title_or_time_are_rejected_by_item(db, tmp_path):
    path = write(tmp_path / "items.xml", RSS_HEAD +
                 "<item><title>Kept</title><pubDate>Fri, 14 Nov 2025 10:00:00 +0000</pubDate></item>\n"
                 "<item><pubDate>Fri, 14 Nov 2025 11:00:00 +0000</pubDate></item>\n"
                 "<item><title>No time</title></item>\n"
                 "<item><title>Bad time</title><pubDate>yesterday-ish</pubDate></item>\n"
                 "</channel></rss>\n")
    report = ingest(db, path)
    assert report.rejections == [
        f"{path}:item 2: title: missing",
        f"{path}:item 3: published: missing (no pubDate, published or updated)",
        f"{path}:item 4: published: unparseable feed date 'yesterday-ish'",
    ]
    assert titles(db) == {"Kept"}


@pytest.mark.parametrize("envelope, expected", [
    ({"status": "error", "code": "apiKeyInvalid", "message": "Your API key is invalid."},
     "status: NewsAPI error response (apiKeyInvalid): Your API key is invalid.; "
     "this file holds an API error, not articles"),
    ({"status": "ERROR", "request_id": "abc", "error": "Unknown API Key"},
     "status: Polygon error response: Unknown API Key; this file holds an API error, not articles"),
    ({"error": "You don't have access to this resource."},
     "status: Finnhub error response: You don't have access to this resource.; "
     "this file holds an API error, not articles"),
])
def test_api_error_envelopes(db, tmp_path, envelope, expected):
    path = write(tmp_path / "response.json", json.dumps(envelope))
    report = ingest(db, path)
    assert report.rejections == [f"{path}: {expected}"]


def test_epoch_out_of_range_and_missing_fields_in_vendor_arrays(db, tmp_path):
    finnhub = write(tmp_path / "finnhub.json", json.dumps([
        {"datetime": 1763139600, "headline": "Good", "source": "S", "url": "https://x.test/a"},
        {"datetime": 99999999999, "headline": "Far future", "source": "S"},
        {"datetime": 1763139600, "headline": "", "source": "S"},
    ], indent=1))
    yahoo = write(tmp_path / "yahoo.json", json.dumps([
        {"title": "Flat ok", "publisher": "P", "providerPublishTime": 1763139600},
        {"title": "Flat no time", "publisher": "P", "providerPublishTime": None},
        {"content": {"contentType": "STORY", "pubDate": "2025-11-14T10:00:00Z"}},
    ], indent=1))
    newsapi = write(tmp_path / "newsapi.json", json.dumps({"status": "ok", "articles": [
        {"source": {"name": "N"}, "title": "Api ok", "publishedAt": "2025-11-14T10:00:00Z"},
        {"source": {"name": "N"}, "title": "Api no time"},
    ]}))
    polygon = write(tmp_path / "polygon.json", json.dumps({"status": "OK", "results": [
        {"title": "Poly old", "published_utc": "1970-01-01T00:00:00Z", "publisher": {"name": "B"}},
    ]}))
    gdelt = write(tmp_path / "gdelt.json", json.dumps({"articles": [
        {"title": "Gdelt bad", "seendate": "2025-11-14", "domain": "d.test"}]}))
    report = ingest(db, finnhub, yahoo, newsapi, polygon, gdelt)
    assert report.rejections == [
        f"{finnhub}:8: datetime: epoch seconds 99999999999 out of range (1990–2100)",
        f"{finnhub}:13: headline: missing",
        f"{yahoo}:7: providerPublishTime: missing",
        f"{yahoo}:12: title: missing",
        f"{newsapi}:item 2: publishedAt: missing",
        f"{polygon}:item 1: published_utc: '1970-01-01T00:00:00Z' is outside 1990–2100",
        f"{gdelt}:item 1: seendate: expected YYYYMMDDTHHMMSSZ, got '2025-11-14'",
    ]
    assert titles(db) == {"Good", "Flat ok", "Api ok"}


def test_unknown_json_shape_lists_the_known_shapes_and_the_mapping(db, tmp_path, capsys):
    path = write(tmp_path / "vendor.json", json.dumps({"items": [{"hl": "x", "t": 1}]}))
    code = cli.main(["ingest", str(path), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 1
    line = next(l for l in err.splitlines() if l.startswith("rejected:"))
    assert line.startswith(f"rejected: {path}: format: unknown JSON shape; known shapes: our records")
    for shape in ("yfinance news", "NewsAPI", "GDELT DOC 2.0 ArtList", "Finnhub", "Polygon"):
        assert shape in line
    assert '[format."my-vendor"]' in line and "data/sources.toml" in line


def test_unknown_jsonl_record_and_bad_user_mapping(db, tmp_path):
    lines = write(tmp_path / "mixed.jsonl",
                  '{"title": "Ok", "source": "S", "published": "2025-11-14T10:00:00Z"}\n{"hl": 1}\n')
    sources = write(tmp_path / "sources.toml", '[format."v"]\ntitle = "h"\nzone = "Mars/Base"\n')
    report = ingest(db, lines, sources_file=sources)
    assert report.rejections[0] == f"{sources}: format.v: missing published, source or source_name"
    assert report.rejections[1].startswith(f"{lines}:2: record: unknown record shape; known shapes:")
    assert titles(db) == {"Ok"}


def test_mapped_csv_naive_time_uses_the_format_zone_and_bad_rows_are_located(db, tmp_path):
    path = write(tmp_path / "vendor.csv", "headline,ts,outlet\nFine,2025-11-14 09:30,V\n"
                 ",2025-11-14 09:30,V\nNo time,,V\n")
    report = ingest(db, path)
    assert report.rejections == [f"{path}:3: headline: missing", f"{path}:4: ts: missing"]
    with store.reader(db) as con:
        row = query_articles(con).iloc[0]
    assert (row.published_at.isoformat(), row.published_zone) == ("2025-11-14T01:30:00+00:00", "Asia/Shanghai")


def test_whole_document_cap_names_file_size_limit_and_setting(db, tmp_path, capsys):
    path = write(tmp_path / "big.xml", RSS_HEAD + "<item><title>x</title></item>\n" * 400 + "</channel></rss>")
    code = cli.main(["ingest", str(path), "--db", str(db), "--max-bytes", "4000"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"rejected: {path}: size: 0.0 MB is over the 0.004 MB limit for whole-document files " \
           "(raise it with --max-bytes BYTES; JSON Lines and CSV have no limit)" in err


def _summary(out: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in out.splitlines() if line.startswith(("articles:", "files:")))


def test_a_deeply_nested_array_is_rejected_and_counted_as_rejected(db, tmp_path, capsys):
    path = write(tmp_path / "nested.json", "[" * 100_000 + "]" * 100_000)
    code = cli.main(["ingest", str(path), "--db", str(db), "--tags", ""])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"rejected: {path}: format: unknown JSON shape; known shapes:" in err
    assert "Traceback" not in err
    assert _summary(out) == {"articles": "0 added, 0 updated, 0 unchanged, 1 rejected",
                             "files": "0 read, 0 skipped, 1 rejected"}


def test_fields_over_their_limits_are_cut_with_a_warning_and_a_rerun_is_unchanged(db, tmp_path):
    from dashboard.ingest import limits

    record = {"title": "Huge " + "t" * 5_000_000, "source": "Wire", "published": "2025-11-14T10:00:00Z",
              "summary": "fine", "body": "b" * (limits.FIELD_LIMITS["body"] + 5),
              "url": "https://example.com/" + "u" * limits.URL_LIMIT}
    path = write(tmp_path / "huge.jsonl", json.dumps({"title": "Small", "source": "Wire",
                                                       "published": "2025-11-14T09:00:00Z"}) + "\n" + json.dumps(record) + "\n")
    report = ingest(db, path)
    assert report.ok and report.articles.added == 2
    assert report.warnings == [
        f"{path}:2: title: 5,000,005 characters, over the 1,000-character limit; kept the first 1,000",
        f"{path}:2: body: 1,000,005 characters, over the 1,000,000-character limit; kept the first 1,000,000",
        f"{path}:2: url: 2,068 characters, over the 2,048-character limit; dropped",
    ]
    with store.reader(db) as con:
        title, body, url = con.execute("SELECT title, body, url FROM articles WHERE title LIKE 'Huge%'").fetchone()
    assert (title, len(body), url) == (record["title"][:1_000], 1_000_000, None)
    again = ingest(db, path)  # the cut happens before the identity and the content hash
    assert (again.articles.added, again.articles.updated, again.articles.unchanged) == (0, 0, 2)


def test_a_symlink_loop_in_a_folder_is_skipped_with_the_reason(db, tmp_path, capsys):
    folder = tmp_path / "news"
    folder.mkdir()
    write(folder / "good.jsonl", json.dumps({"title": "Good", "source": "S", "published": "2025-11-14T10:00:00Z"}) + "\n")
    (folder / "loop-a").symlink_to(folder / "loop-b")
    (folder / "loop-b").symlink_to(folder / "loop-a")
    (folder / "here").symlink_to(folder)
    code = cli.main(["ingest", str(folder), "--db", str(db), "--tags", ""])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"skipped: {folder / 'loop-a'}: symlink loop (the link leads back to itself)" in out
    assert f"skipped: {folder / 'loop-b'}: symlink loop (the link leads back to itself)" in out
    assert f"skipped: {folder / 'here'}: link to a folder: not followed" in out
    assert _summary(out)["files"] == "1 read, 3 skipped"
    assert titles(db) == {"Good"}


def test_a_text_file_without_a_published_label_says_the_label_is_missing(db, tmp_path):
    path = write(tmp_path / "story.txt", "A title\n\nGreater China\nSource: CNBC\nAlibaba\n\nNews Summary\n\nBody.\n")
    report = ingest(db, path)
    assert report.rejections == [f"{path}:4: published: no 'Published:' label on the Source line or the "
                                 "line after it (expected 'Source: <name>Published: <MM/DD/YYYY, HH:MM:SS ZONE>')"]
    empty = write(tmp_path / "empty-time.txt", "A title\n\nSource: CNBCPublished: \nAlibaba\n")
    assert ingest(db, empty).rejections == [f"{empty}:3: published: missing after 'Published:'"]
