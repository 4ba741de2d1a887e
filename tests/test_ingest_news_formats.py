"""News formats as analysts save them: one file of each in a folder ingests with exit 0, and every
article gets the right UTC time, source, url, tags and company links (#12)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dashboard import cli, store
from dashboard.ingest.pipeline import ingest_paths
from dashboard.store.articles import get_article, query_articles

NEWS = Path(__file__).parent / "fixtures" / "news"

# title → (UTC time, source, url, tags, companies): read off the fixture files by hand.
EXPECTED = {
    "Pentagon weighs adding more names to its 1260H list": (
        "2025-11-14T18:30:00+00:00", "Reuters", "https://www.reuters.com/world/pentagon-1260h",
        ["Pentagon list"], ["alibaba"]),
    "Hong Kong tech shares slip in early trade": (
        "2025-11-14T11:00:00+00:00", "Bloomberg", "https://www.bloomberg.com/news/hk-tech-slip",
        [], ["tencent"]),
    "Regulators review platform rules": (
        "2025-11-14T12:15:00+00:00", "Caixin Global",
        "https://www.caixinglobal.com/2025-11-14/platform-rules", ["Regulation", "Tech"], ["alibaba"]),
    "Tencent expands cloud computing in Asia": (
        "2025-11-15T00:00:00+00:00", "Example RDF Wire", "https://example.org/rdf/1", ["Cloud"],
        ["tencent"]),
    "Alibaba responds to report on military ties": (
        "2025-11-15T17:45:00+00:00", "Example Atom Desk", "https://atom.example.com/alibaba-responds",
        ["Statement"], ["alibaba"]),
    "Memo alleges Alibaba helped the Chinese military": (
        "2025-11-14T18:00:00+00:00", "Financial Times", "https://www.ft.com/content/memo-alibaba",
        [], ["alibaba"]),
    "Alibaba shares fall in Hong Kong after report": (
        "2025-11-17T02:15:00+00:00", "scmp.com", "https://www.scmp.com/tech/article/alibaba-shares",
        [], ["alibaba"]),
    "Analysts weigh the ADR discount": (
        "2025-11-14T17:00:00+00:00", "MarketWatch", "https://www.marketwatch.com/story/adr-discount",
        [], ["alibaba"]),
    "Options traders position for volatility": (
        "2025-11-17T15:45:00+00:00", "Benzinga",
        "https://www.benzinga.com/markets/options/baba-volatility", ["options", "earnings"],
        ["alibaba", "tencent"]),
    "Chip export curbs widen": (
        "2025-11-18T01:30:00+00:00", "Vendor Wire", "https://vendor.example.com/chips",
        ["semiconductors", "policy"], ["alibaba"]),
}


def ingest(db, *paths, **kwargs):
    kwargs.setdefault("companies_file", NEWS / "companies.toml")
    kwargs.setdefault("sources_file", NEWS / "sources.toml")
    kwargs.setdefault("tags_file", NEWS / "tags.toml")
    return ingest_paths(db, paths, **kwargs)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "news.duckdb"


def test_a_folder_of_every_format_ingests_with_exit_0_and_right_fields(db, capsys):
    code = cli.main(["ingest", str(NEWS), "--db", str(db), "--companies", str(NEWS / "companies.toml"),
                     "--sources", str(NEWS / "sources.toml"), "--tags", str(NEWS / "tags.toml")])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "rejected:" not in out.err and "Traceback" not in out.err
    assert "articles: 10 added, 0 updated, 0 unchanged, 0 rejected" in out.out
    assert "items skipped (not stories, removed): 2" in out.out
    with store.reader(db) as con:
        frame = query_articles(con)
    got = {row.title: (row.published_at.isoformat(), row.source, row.url, list(row.tags),
                       sorted(row.companies)) for row in frame.itertuples()}
    assert got == EXPECTED


def test_skipped_items_are_counted_per_file_and_not_stored(db):
    report = ingest(db, NEWS / "yahoo_nested.json", NEWS / "newsapi.json")
    assert report.ok and report.items_skipped == 2
    assert f"{NEWS / 'yahoo_nested.json'}: 1 item skipped: not a story (VIDEO) ×1" in report.warnings
    with store.reader(db) as con:
        titles = set(query_articles(con)["title"])
    assert "Markets wrap (video)" not in titles and "[Removed]" not in titles


def test_feed_html_becomes_plain_text_and_script_never_survives(db):
    ingest(db, NEWS / "rss2.xml", NEWS / "yahoo_nested.json", NEWS / "atom.xml")
    with store.reader(db) as con:
        summaries = dict(zip(*[query_articles(con)[c] for c in ("title", "summary")]))
    assert summaries["Regulators review platform rules"] == \
        "Beijing's regulators review rules for 阿里巴巴 and peers."
    assert summaries["Pentagon weighs adding more names to its 1260H list"] == \
        "The Defense Department list & its consequences."
    assert summaries["Alibaba responds to report on military ties"] == \
        "The company called the report completely false."
    assert not any("<" in s or "alert" in s for s in summaries.values())


def test_feed_offsets_are_kept_as_the_zone(db):
    ingest(db, NEWS / "rss2.xml", NEWS / "rss1.xml", NEWS / "atom.xml")
    with store.reader(db) as con:
        frame = query_articles(con).set_index("title")
    assert frame.loc["Regulators review platform rules", "published_zone"] == "UTC+08:00"
    assert frame.loc["Tencent expands cloud computing in Asia", "published_zone"] == "UTC+09:00"
    assert frame.loc["Alibaba responds to report on military ties", "published_zone"] == "UTC-05:00"


def test_gdelt_time_is_stored_as_when_gdelt_saw_it(db):
    ingest(db, NEWS / "gdelt.json")
    with store.reader(db) as con:
        row = query_articles(con).iloc[0]
    assert row.published_at.isoformat() == "2025-11-17T02:15:00+00:00"
    assert "when GDELT's crawler saw the article, not the publisher's time" in row.published_raw
    assert row.region == "Hong Kong"


def test_tickers_link_companies_even_when_the_text_names_none(db):
    ingest(db, NEWS / "yahoo_flat.json", NEWS / "finnhub.json", NEWS / "polygon.json")
    with store.reader(db) as con:
        frame = query_articles(con).set_index("title")
        links = get_article(con, frame.loc["Options traders position for volatility", "article_id"])
    # "Hong Kong tech shares slip" names no company; relatedTickers 0700.HK is Tencent's listing.
    assert frame.loc["Hong Kong tech shares slip in early trade", "companies"] == ["tencent"]
    assert {(l["company_id"], l["how"]) for l in links["company_links"]} == {
        ("alibaba", "ticker"), ("tencent", "ticker")}


def test_detection_is_by_content_not_extension(db, tmp_path):
    shutil.copy(NEWS / "atom.xml", tmp_path / "saved-feed")  # no extension
    shutil.copy(NEWS / "rss1.xml", tmp_path / "wire.rdf")
    shutil.copy(NEWS / "polygon.json", tmp_path / "polygon-response.txt")
    report = ingest(db, tmp_path)
    assert report.rejections == [] and report.skipped == []
    assert report.articles.added == 3


def test_the_same_story_from_two_formats_is_one_article(db, tmp_path):
    (tmp_path / "ours.jsonl").write_text(
        '{"title": "Analysts weigh the ADR discount", "source": "MarketWatch", '
        '"published": "2025-11-14T17:00:00Z", "tags": ["ADR"]}\n', encoding="utf-8")
    report = ingest(db, NEWS / "finnhub.json", tmp_path / "ours.jsonl")
    assert (report.articles.added, report.articles.unchanged) == (1, 1)
    with store.reader(db) as con:
        row = query_articles(con).iloc[0]
    assert list(row.tags) == ["ADR"] and row.summary.startswith("The spread")


def test_user_mapping_reads_a_vendor_json_too(db, tmp_path):
    (tmp_path / "sources.toml").write_text(
        '[format."nested-vendor"]\ntitle = "meta.headline"\npublished = "meta.when"\n'
        'source_name = "Nested Vendor"\nrecords = "data.items"\ntags = "labels"\nzone = "Asia/Tokyo"\n',
        encoding="utf-8")
    path = tmp_path / "vendor.json"
    path.write_text('{"data": {"items": [{"meta": {"headline": "Yen moves", "when": "2025-11-14 09:00"},'
                    ' "labels": "fx, japan"}]}}', encoding="utf-8")
    report = ingest(db, path, sources_file=tmp_path / "sources.toml")
    assert report.rejections == []
    with store.reader(db) as con:
        row = query_articles(con).iloc[0]
    assert (row.title, row.source, row.published_at.isoformat(), list(row.tags)) == (
        "Yen moves", "Nested Vendor", "2025-11-14T00:00:00+00:00", ["fx", "japan"])
