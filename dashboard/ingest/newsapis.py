"""News-API responses saved to files → RawArticle: NewsAPI, GDELT DOC 2.0 ArtList, Finnhub
company-news, Polygon (Benzinga-style) news.

Each ``*_record`` maps one item and raises an unlocated ParseError; ``*_error`` reads an API error
envelope saved by mistake (``{"status": "error", …}``) into one sentence.
"""
from __future__ import annotations

import re
from typing import Any

from dashboard.ingest import ParseError, RawArticle
from dashboard.ingest.htmltext import plain_text
from dashboard.ingest.newsfields import (
    Skipped, nested, optional_text, required_text, required_time, text_list,
)

GDELT_NOTE = "GDELT seendate: when GDELT's crawler saw the article, not the publisher's time"
_GDELT_SEEN = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")
# NewsAPI replaces articles a publisher withdrew with this placeholder.
NEWSAPI_REMOVED = "[Removed]"


# --- NewsAPI: {"status": "ok", "totalResults", "articles": [{"source": {"name"}, ...}]} ---------

def is_newsapi(document: Any) -> bool:
    return isinstance(document, dict) and "status" in document and (
        "articles" in document or "totalResults" in document or "code" in document)


def newsapi_error(document: dict) -> str | None:
    if str(document.get("status", "")).lower() == "ok":
        return None
    return (f"NewsAPI error response ({document.get('code') or document.get('status')}): "
            f"{document.get('message') or 'no message'}")


def newsapi_record(obj: Any, origin: str) -> RawArticle | Skipped:
    _require_object(obj)
    title = required_text(obj, "title")
    if title == NEWSAPI_REMOVED:
        return Skipped("removed by the publisher ([Removed])")
    return RawArticle(
        title=title, source=optional_text(obj, "source.name") or "NewsAPI",
        published=required_time(obj, "publishedAt"), time_field="publishedAt", origin=origin,
        summary=plain_text(optional_text(obj, "description")),
        body=plain_text(optional_text(obj, "content")), url=optional_text(obj, "url"),
    )


def is_newsapi_item(obj: Any) -> bool:
    return isinstance(obj, dict) and "publishedAt" in obj and "title" in obj


# --- GDELT DOC 2.0 ArtList: {"articles": [{"url", "title", "seendate", "domain", ...}]} ---------

def is_gdelt(document: Any) -> bool:
    if not isinstance(document, dict) or "status" in document:
        return False
    articles = document.get("articles")
    return (isinstance(articles, list)
            and (not articles or is_gdelt_item(articles[0])))


def is_gdelt_item(obj: Any) -> bool:
    return isinstance(obj, dict) and "seendate" in obj


def gdelt_record(obj: Any, origin: str) -> RawArticle:
    _require_object(obj)
    seen = required_text(obj, "seendate")
    match = _GDELT_SEEN.match(seen)
    if not match:
        raise ParseError("seendate", f"expected YYYYMMDDTHHMMSSZ, got {seen!r}")
    y, mo, d, h, mi, s = match.groups()
    return RawArticle(
        title=required_text(obj, "title"), source=required_text(obj, "domain"),
        published=f"{y}-{mo}-{d}T{h}:{mi}:{s}Z", time_field="seendate", origin=origin, url=optional_text(obj, "url"),
        region=optional_text(obj, "sourcecountry"), time_note=GDELT_NOTE,
    )


# --- Finnhub company-news: [{"datetime", "headline", "source", "summary", "url", "related"}] ------

def is_finnhub_item(obj: Any) -> bool:
    return isinstance(obj, dict) and "headline" in obj and "datetime" in obj


def finnhub_error(document: Any) -> str | None:
    if isinstance(document, dict) and set(document) == {"error"}:
        return f"Finnhub error response: {document['error']}"
    return None


def finnhub_record(obj: Any, origin: str) -> RawArticle:
    _require_object(obj)
    published = required_time(obj, "datetime")
    if isinstance(published, str):
        raise ParseError("datetime", f"expected epoch seconds, got text {published!r}")
    return RawArticle(
        title=required_text(obj, "headline"), source=optional_text(obj, "source") or "Finnhub",
        published=published, time_field="datetime", origin=origin,
        summary=plain_text(optional_text(obj, "summary")),
        url=optional_text(obj, "url"), tickers=text_list(obj, "related"),
        tags=[t for t in [optional_text(obj, "category")] if t and t != "company"],
    )


# --- Polygon / Benzinga-style: {"status", "results": [{"published_utc", "publisher": {...}}]} ----

def is_polygon(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    results = document.get("results")
    if isinstance(results, list):
        return not results or is_polygon_item(results[0])
    return str(document.get("status", "")).upper() == "ERROR" and "request_id" in document


def is_polygon_item(obj: Any) -> bool:
    return isinstance(obj, dict) and "published_utc" in obj


def polygon_error(document: dict) -> str | None:
    if str(document.get("status", "")).upper() != "ERROR":
        return None
    return f"Polygon error response: {document.get('error') or document.get('message') or 'no message'}"


def polygon_record(obj: Any, origin: str) -> RawArticle:
    _require_object(obj)
    return RawArticle(
        title=required_text(obj, "title"),
        source=optional_text(obj, "publisher.name") or "Polygon",
        published=required_time(obj, "published_utc"), time_field="published_utc", origin=origin,
        summary=plain_text(optional_text(obj, "description")),
        url=optional_text(obj, "article_url"), tags=text_list(obj, "keywords"),
        tickers=text_list(obj, "tickers"),
    )


def _require_object(obj: Any) -> None:
    if not isinstance(obj, dict):
        raise ParseError("item", f"expected an object, got {type(obj).__name__}")


def nested_items(document: dict, key: str) -> list:
    value = nested(document, key)
    if not isinstance(value, list):
        raise ParseError(key, "expected a list of items")
    return value
