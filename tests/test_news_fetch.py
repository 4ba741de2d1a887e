"""`news fetch`: recorded yfinance answers in both shapes go through the same adapter code as
the network's; offline, rate-limited or refused, nothing stored changes (#12)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from curl_cffi.requests.exceptions import DNSError

from dashboard import cli, store
from dashboard.ingest.pipeline import ingest_paths
from dashboard.news import yahoo as news_yahoo
from dashboard.news.yahoo import NewsFetchFailed, fetch_news
from dashboard.store.articles import get_article, query_articles
from dashboard.store.news import last_news_fetch
from dashboard.screen import news_status_line

NEWS = Path(__file__).parent / "fixtures" / "news"
RECORDED = Path(__file__).parent / "fixtures" / "news_fetch"


def recorded(shape: str):
    """A stand-in for yfinance's Ticker(symbol).get_news(count=…): the recorded answer."""
    calls = []

    def get_news(symbol: str, count: int) -> list:
        calls.append((symbol, count))
        path = RECORDED / f"{symbol}.{shape}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    get_news.calls = calls
    return get_news


@pytest.fixture
def db(tmp_path):
    """A store that knows the companies and their listings (BABA, 9988.HK, 0700.HK)."""
    path = tmp_path / "fetch.duckdb"
    ingest_paths(path, [NEWS / "finnhub.json"], companies_file=NEWS / "companies.toml",
                 sources_file=None, tags_file=None)
    return path


def fetch(db, symbols, get_news, **kwargs):
    kwargs.setdefault("companies_file", NEWS / "companies.toml")
    kwargs.setdefault("sources_file", None)
    kwargs.setdefault("tags_file", NEWS / "tags.toml")
    return fetch_news(symbols, db=db, get_news=get_news, sleep=lambda s: None, **kwargs)


def snapshot(db):
    with store.reader(db) as con:
        return (con.execute("SELECT article_id, content_hash, tags FROM articles ORDER BY 1").fetchall(),
                con.execute("SELECT event_id, content_hash FROM events ORDER BY 1").fetchall(),
                con.execute("SELECT count(*) FROM news_fetch_log").fetchone())


def test_nested_answers_for_two_listings_store_each_story_once_with_ticker_links(db):
    get_news = recorded("nested")
    result = fetch(db, ["BABA", "9988.HK"], get_news, count=7)
    assert get_news.calls == [("BABA", 7), ("9988.HK", 7)]
    assert result.report.ok and result.items == 3
    assert result.report.items_skipped == 1  # the video
    with store.reader(db) as con:
        frame = query_articles(con, sources=["Reuters", "Bloomberg", "South China Morning Post"])
        by_title = frame.set_index("title")
        pentagon = get_article(con, by_title.loc["Pentagon list report hits Chinese tech", "article_id"])
        fetched = last_news_fetch(con)
    assert sorted(frame["title"]) == ["Alibaba cloud unit lifts forecast",
                                      "Hang Seng tech index slips at the open",
                                      "Pentagon list report hits Chinese tech"]
    assert by_title.loc["Pentagon list report hits Chinese tech", "published_at"].isoformat() == \
        "2025-11-27T00:41:00+00:00"
    assert by_title.loc["Alibaba cloud unit lifts forecast", "url"] == \
        "https://www.reuters.com/alibaba-cloud-forecast"
    # No company named in its text: linked because it was fetched for 9988.HK.
    assert by_title.loc["Hang Seng tech index slips at the open", "companies"] == ["alibaba"]
    assert ("alibaba", "ticker") in {(l["company_id"], l["how"]) for l in pentagon["company_links"]}
    assert list(pentagon["tags"]) == ["Pentagon list"]  # data rules apply to fetched news too
    assert fetched["symbols"] == ["BABA", "9988.HK"] and fetched["items"] == 3
    line = news_status_line(fetched)
    assert line.startswith("News: last fetched from Yahoo at ") and "3 stories for BABA, 9988.HK" in line


def test_flat_answer_through_the_same_adapter_and_same_story_in_both_shapes_is_one_article(db):
    fetch(db, ["BABA"], recorded("nested"))
    result = fetch(db, ["BABA"], recorded("flat"))
    assert result.items == 2 and result.report.items_skipped == 1  # the ad
    # "Alibaba cloud unit lifts forecast": same source, title and minute in both shapes, so the
    # same article (how its fields merge across batches is the store's merge rule, #11).
    assert result.report.articles.added == 1
    with store.reader(db) as con:
        assert len(query_articles(con, sources=["Reuters"])) == 1
        row = query_articles(con, sources=["MarketWatch"]).set_index("title").loc[
            "ADR spread narrows after the report"]
    assert row.published_at.isoformat() == "2025-11-27T19:00:00+00:00"
    assert row.companies == ["alibaba"]  # relatedTickers BABA; KWEB is a benchmark, no company


@pytest.mark.parametrize("failure, sentence", [
    (DNSError("Could not resolve host: query2.finance.yahoo.com"),
     "Yahoo news is unreachable (offline?); nothing was stored."),
    (ValueError("Invalid tab name"), "Yahoo refused the news request for 9988.HK (Invalid tab name); "
                                     "nothing was stored."),
])
def test_a_failure_on_any_listing_stores_nothing(db, failure, sentence):
    fetch(db, ["BABA"], recorded("nested"))
    before = snapshot(db)
    answers = recorded("nested")

    def failing(symbol, count):
        if symbol == "9988.HK":
            raise failure
        return answers(symbol, count)
    with pytest.raises(NewsFetchFailed) as caught:
        fetch(db, ["BABA", "9988.HK"], failing)
    assert str(caught.value) == sentence
    assert snapshot(db) == before


def test_rate_limit_is_retried_then_reported(db):
    from yfinance.exceptions import YFRateLimitError

    attempts = []

    def limited(symbol, count):
        attempts.append(symbol)
        raise YFRateLimitError()
    before = snapshot(db)
    with pytest.raises(NewsFetchFailed, match="rate-limiting"):
        fetch(db, ["BABA"], limited)
    assert len(attempts) == 3  # prices.yahoo.ATTEMPTS, the same retry policy as prices
    assert snapshot(db) == before


def test_cli_offline_exits_1_with_one_sentence_and_the_store_unchanged(db, monkeypatch, capsys):
    def offline(symbol, count):
        raise DNSError("Could not resolve host")
    monkeypatch.setattr(news_yahoo, "get_news_from_yahoo", offline)
    monkeypatch.setattr(news_yahoo.time, "sleep", lambda s: None)
    before = snapshot(db)
    assert cli.main(["news", "fetch", "--db", str(db)]) == 1
    out = capsys.readouterr()
    assert out.err.strip() == "error: Yahoo news is unreachable (offline?); nothing was stored."
    assert snapshot(db) == before
    # `make run` passes --offline-ok: the same sentence, exit 0.
    assert cli.main(["news", "fetch", "--db", str(db), "--offline-ok"]) == 0
    assert capsys.readouterr().err.strip() == "news: Yahoo news is unreachable (offline?); nothing was stored."


def test_cli_company_option_fetches_every_listing_of_that_company(db, monkeypatch, capsys):
    get_news = recorded("nested")
    monkeypatch.setattr(news_yahoo, "get_news_from_yahoo", get_news)
    assert cli.main(["news", "fetch", "--db", str(db), "--company", "alibaba", "--count", "5"]) == 0
    assert get_news.calls == [("BABA", 5), ("9988.HK", 5)]
    assert "news: 2 symbol(s) (BABA, 9988.HK), 3 stories" in capsys.readouterr().out
