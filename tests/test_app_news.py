"""News from every format on the screen: the tag and company filters find them (#12)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import open_app_at as open_app
from dashboard.ingest.pipeline import ingest_paths

NEWS = Path(__file__).parent / "fixtures" / "news"
WINDOW = {"start": "2025-11-13", "end": "2025-11-19", "zone": "UTC"}


@pytest.fixture(scope="module")
def news_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("news-app") / "news.duckdb"
    report = ingest_paths(db, [NEWS], companies_file=NEWS / "companies.toml",
                          sources_file=NEWS / "sources.toml", tags_file=NEWS / "tags.toml")
    assert report.ok, report.rejections
    return db


def articles(at: AppTest):
    (frame,) = [d.value for d in at.dataframe if "title" in d.value.columns]
    return frame


def test_feed_and_vendor_tags_and_rule_tags_filter_the_articles(news_db, monkeypatch):
    at = open_app(news_db, monkeypatch, {**WINDOW, "company": "alibaba"})
    titles = set(articles(at)["title"])
    assert {"Regulators review platform rules", "Options traders position for volatility",
            "Alibaba shares fall in Hong Kong after report", "Chip export curbs widen",
            "Analysts weigh the ADR discount", "Memo alleges Alibaba helped the Chinese military",
            "Alibaba responds to report on military ties",
            "Pentagon weighs adding more names to its 1260H list"} == titles
    tags = next(w for w in at.sidebar.multiselect if w.label.startswith("Tags"))
    offered = {option.rsplit(" (", 1)[0] for option in tags.options}  # "tag (n art., m ev.)"
    assert {"Pentagon list", "Regulation", "options", "semiconductors", "Statement"} <= offered
    tags.set_value(["Pentagon list", "Regulation"]).run()
    assert not at.exception
    assert set(articles(at)["title"]) == {"Pentagon weighs adding more names to its 1260H list",
                                          "Regulators review platform rules"}


def test_ticker_linked_news_shows_under_its_company(news_db, monkeypatch):
    at = open_app(news_db, monkeypatch, {**WINDOW, "company": "tencent"})
    assert set(articles(at)["title"]) == {"Hong Kong tech shares slip in early trade",
                                          "Tencent expands cloud computing in Asia",
                                          "Options traders position for volatility"}
    assert any("News: never fetched from Yahoo here" in c.proto.help.replace("\\", "")  # the header's status tooltip
               for c in at.caption)


# In a real browser: the same filters, typed and picked as a user does (tests/browser_helpers.py).


@pytest.fixture(scope="module")
def news_server(news_db):
    from conftest import run_streamlit

    with run_streamlit(news_db) as url:
        yield url


def _expected_articles(db, **params) -> int:
    from dashboard import store
    from dashboard.screen import Filters, load_view

    filters = Filters.from_query_params({**WINDOW, **params})[0]
    return load_view(store.Database(db, read_only=True), filters).total_articles


@pytest.mark.browser
def test_a_rule_tag_and_a_ticker_link_filter_the_news_in_the_browser(news_server, news_db, app_page):
    from urllib.parse import urlencode

    app, page = app_page, app_page.page
    app.open(f"{news_server}/?{urlencode({**WINDOW, 'company': 'alibaba'})}")
    everything = _expected_articles(news_db, company="alibaba")
    header = page.locator("[data-testid=stMain] [data-testid=stCaptionContainer]").first  # the summary line

    def articles_shown() -> str:
        return re.search(r"[\d,]+ articles", header.inner_text()).group(0)

    assert articles_shown() == f"{everything:,} articles"
    tags = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").first.get_by_role("combobox")
    app.click(tags)
    app.fill(tags, "Pentagon list")  # a tag only a tagging rule gives
    app.click(page.get_by_role("option", name="Pentagon list", exact=False).first, reruns=True)
    app.press("Escape")
    app.wait_idle()
    one_rule = _expected_articles(news_db, company="alibaba", tags="Pentagon list")
    assert 0 < one_rule < everything
    assert articles_shown() == f"{one_rule:,} articles"
    # Tencent's news includes an article linked only by a ticker in the vendor's record.
    app.open(f"{news_server}/?{urlencode({**WINDOW, 'company': 'tencent'})}")
    linked = _expected_articles(news_db, company="tencent")
    assert linked > 0
    assert articles_shown() == f"{linked:,} articles"
