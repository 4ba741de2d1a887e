"""yfinance news items (``Ticker.get_news()``, ``Ticker.news``, ``Search(...).news``) → RawArticle.

Two shapes:

- current (yfinance ≥ 0.2.48): ``{"id", "content": {"contentType", "title", "summary", "pubDate",
  "provider": {"displayName"}, "canonicalUrl": {"url"}, "clickThroughUrl": {"url"},
  "finance": {"stockTickers": [{"symbol"}]}}}``;
- legacy flat: ``{"uuid", "title", "publisher", "link", "providerPublishTime" (epoch seconds),
  "type", "relatedTickers"}``.

Items that are not stories (videos, ads) are skipped and counted, not rejected.
"""
from __future__ import annotations

from typing import Any

from dashboard.ingest import ParseError, RawArticle
from dashboard.ingest.htmltext import plain_text
from dashboard.ingest.newsfields import (
    Skipped, nested, optional_text, required_text, required_time, text_list,
)

FALLBACK_SOURCE = "Yahoo Finance"
STORY = "STORY"


def is_nested_item(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("content"), dict) and (
        "contentType" in obj["content"] or "pubDate" in obj["content"] or "title" in obj["content"])


def is_flat_item(obj: Any) -> bool:
    return isinstance(obj, dict) and "providerPublishTime" in obj


def is_item(obj: Any) -> bool:
    return is_nested_item(obj) or is_flat_item(obj)


def identity(obj: Any) -> str | None:
    """Yahoo's own id for the story (the same story fetched for two listings has one id)."""
    if not isinstance(obj, dict):
        return None
    value = obj.get("id") or obj.get("uuid") or nested(obj, "content.id")
    return str(value) if value else None


def item_url(obj: Any) -> str | None:
    if is_nested_item(obj):
        return (nested(obj, "content.canonicalUrl.url") or nested(obj, "content.clickThroughUrl.url"))
    return obj.get("link") if isinstance(obj, dict) else None


def record(obj: Any, origin: str) -> RawArticle | Skipped:
    """One item → RawArticle, or Skipped for a non-story; raises an unlocated ParseError."""
    if is_nested_item(obj):
        return _nested(obj["content"], origin)
    if is_flat_item(obj):
        return _flat(obj, origin)
    raise ParseError("item", "not a yfinance news item (no content.title/pubDate or providerPublishTime)")


def _skip_non_story(kind: Any) -> Skipped | None:
    if kind is not None and str(kind).upper() != STORY:
        return Skipped(f"not a story ({kind})")
    return None


def _nested(content: dict, origin: str) -> RawArticle | Skipped:
    skipped = _skip_non_story(content.get("contentType"))
    if skipped:
        return skipped
    title = required_text(content, "title")
    published = required_time(content, "pubDate") if content.get("pubDate") else \
        required_time(content, "displayTime")
    url = optional_text(content, "canonicalUrl.url") or optional_text(content, "clickThroughUrl.url")
    summary = plain_text(optional_text(content, "summary") or optional_text(content, "description"))
    return RawArticle(
        title=title, source=optional_text(content, "provider.displayName") or FALLBACK_SOURCE,
        published=published, time_field="pubDate", origin=origin, summary=summary, url=url,
        tickers=text_list(content, "finance.stockTickers"),
    )


def _flat(obj: dict, origin: str) -> RawArticle | Skipped:
    skipped = _skip_non_story(obj.get("type"))
    if skipped:
        return skipped
    published = required_time(obj, "providerPublishTime")
    if isinstance(published, str):
        raise ParseError("providerPublishTime", f"expected epoch seconds, got text {published!r}")
    return RawArticle(
        title=required_text(obj, "title"),
        source=optional_text(obj, "publisher") or FALLBACK_SOURCE,
        published=published, time_field="providerPublishTime", origin=origin,
        summary=plain_text(optional_text(obj, "summary")), url=optional_text(obj, "link"),
        tickers=text_list(obj, "relatedTickers"),
    )
