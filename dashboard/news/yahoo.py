"""The yfinance news adapter. ``get_news_from_yahoo`` is the only network call; ``fetch_news``
maps what it returns through the same code as a saved yfinance news file
(``dashboard.ingest.yfnews``) and stores it through the same merge rule as an ingest.

All symbols are fetched before anything is stored: offline, on a rate limit or on an error the
fetch ends with one sentence and the database is left exactly as it was.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Callable

import pandas as pd

from dashboard import config
from dashboard.ingest import ParseError
from dashboard.ingest import yfnews
from dashboard.ingest.companies import Registry, load_registry
from dashboard.ingest.newsfields import Skipped
from dashboard.ingest.outcomes import build_outcomes
from dashboard.ingest.pipeline import IngestReport, ParsedBatch, load_context, store_parsed
from dashboard.prices.yahoo import RateLimited, Unreachable, with_retries

DEFAULT_COUNT = 20
YAHOO_HOST = "query2.finance.yahoo.com"
GetNews = Callable[[str, int], list]


def get_news_from_yahoo(symbol: str, count: int) -> list:
    """One yfinance request: the newest ``count`` news items for ``symbol`` (raw dicts)."""
    import socket

    import yfinance as yf

    # Offline, yfinance spends seconds on its cookie/crumb retries before failing; a name lookup
    # fails at once (socket.gaierror is an OSError, which the retry wrapper calls unreachable).
    socket.getaddrinfo(YAHOO_HOST, 443)

    cache = Path(config.CACHE_DIR) / "yfinance"
    cache.mkdir(parents=True, exist_ok=True)
    yf.set_tz_cache_location(str(cache))
    logging.getLogger("yfinance").setLevel(logging.CRITICAL)  # we report failures ourselves
    yf.config.debug.hide_exceptions = False  # offline must raise, not look like "no news"
    return yf.Ticker(symbol).get_news(count=count, tab="news")


class NewsFetchFailed(Exception):
    """The fetch could not complete; the message is one sentence for the user."""


@dataclasses.dataclass
class NewsFetchResult:
    symbols: list[str]
    items: int  # stories mapped (duplicates across listings counted once)
    report: IngestReport

    def lines(self) -> list[str]:
        return [f"news: {len(self.symbols)} symbol(s) ({', '.join(self.symbols)}), {self.items} stories",
                *self.report.summary_lines()]


def _download_all(symbols: list[str], count: int, get_news: GetNews, sleep) -> dict[str, list]:
    answers: dict[str, list] = {}
    for symbol in symbols:
        try:
            items = with_retries(lambda: get_news(symbol, count), sleep)
        except Unreachable:
            raise NewsFetchFailed("Yahoo news is unreachable (offline?); nothing was stored.") from None
        except RateLimited:
            raise NewsFetchFailed("Yahoo is rate-limiting news requests; nothing was stored, "
                                  "try again in a few minutes.") from None
        except Exception as exc:  # noqa: BLE001 - yfinance raises many kinds; one sentence for all
            raise NewsFetchFailed(f"Yahoo refused the news request for {symbol} ({exc}); "
                                  "nothing was stored.") from None
        if not isinstance(items, list):
            raise NewsFetchFailed(f"Yahoo answered the news request for {symbol} with "
                                  f"{type(items).__name__}, not a list; nothing was stored.")
        answers[symbol] = items
    return answers


def _records(answers: dict[str, list]):
    """Each story once (the same story for two listings has one Yahoo id and one URL), with the
    symbol it was fetched for among its tickers."""
    seen: dict[str, object] = {}
    for symbol, items in answers.items():
        origin = f"yahoo news {symbol}"
        for number, obj in enumerate(items, start=1):
            keys = [k for k in (yfnews.identity(obj), yfnews.item_url(obj)) if k]
            first = next((seen[k] for k in keys if k in seen), None)
            if first is not None:
                if symbol not in first.tickers:
                    first.tickers.append(symbol)
                continue
            try:
                record = yfnews.record(obj, origin)
            except ParseError as exc:
                yield exc.located(origin, item=number)
                continue
            if not isinstance(record, Skipped):
                record.item = number
                if symbol not in record.tickers:
                    record.tickers.append(symbol)
                for key in keys:
                    seen[key] = record
            yield record


def fetch_news(symbols: list[str], *, count: int = DEFAULT_COUNT, db=None,
               get_news: GetNews | None = None, sleep: Callable[[float], None] = time.sleep,
               companies_file=config.COMPANIES_FILE, sources_file=config.SOURCES_FILE,
               tags_file=config.TAGS_FILE, now=None) -> NewsFetchResult:
    """Fetch news for ``symbols`` and store it; raises NewsFetchFailed (nothing stored) when any
    request fails. ``get_news`` replaces the network call (tests pass recorded answers)."""
    from dashboard.store.news import record_news_fetch

    db = config.resolve_db_path(db)
    answers = _download_all(list(symbols), count, get_news or get_news_from_yahoo, sleep)
    report = IngestReport()
    context = load_context(report, sources_file=sources_file, tags_file=tags_file)
    parsed = ParsedBatch(registry=load_registry(companies_file) if companies_file else Registry())
    context.registry = parsed.registry
    records = list(_records(answers))
    stories = sum(1 for r in records if not isinstance(r, (ParseError, Skipped)))
    parsed.collect(build_outcomes(records, context, "yahoo news"), report)
    fetched_at = pd.Timestamp(now) if now is not None else pd.Timestamp.now("UTC")
    message = f"{stories} stories for {', '.join(answers)}"
    store_parsed(db, parsed, report,
                 also=lambda con: record_news_fetch(con, fetched_at, list(answers), stories, message))
    return NewsFetchResult(list(answers), stories, report)
