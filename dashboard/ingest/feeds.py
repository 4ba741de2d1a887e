"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds, read by feedparser → RawArticle.

- time: ``pubDate``/``published``, else ``updated``/``dc:date``, with the offset as written;
- ``category``/``term`` → tags; ``link`` → url; the feed's title → source;
- description/summary (and Atom content) HTML → plain text (htmltext.plain_text).

XML that is not well-formed is reported with its line; feedparser's lenient reading still
yields the items it could recover, and those are kept.
"""
from __future__ import annotations

import email.utils
import re
from datetime import datetime
from typing import Iterator
from urllib.parse import urlparse

from dashboard.ingest import ParseError, RawArticle, clean_tags
from dashboard.ingest.htmltext import plain_text

_FEED_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*"
                         rb"<(?:rss|feed|rdf:RDF|RDF)\b", re.DOTALL)


def looks_like_feed(head: bytes) -> bool:
    """An RSS/RDF/Atom root element at the start of the file (after a BOM, prolog, comments)."""
    return bool(_FEED_START.match(head.removeprefix(b"\xef\xbb\xbf")))


def feed_time(raw: str) -> str:
    """RFC 822 (RSS) or RFC 3339 (Atom) text → ISO 8601 with its offset, for zones.resolve_time."""
    text = raw.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        return parsed.isoformat()
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise ParseError("published", f"unparseable feed date {text!r}") from None
    if parsed.tzinfo is None:  # "-0000": UTC with no claim about the local zone (RFC 2822)
        return parsed.isoformat() + "+00:00"
    return parsed.isoformat()


def _source(feed) -> str | None:
    title = " ".join((feed.get("title") or "").split())
    if title:
        return title
    link = feed.get("link") or ""
    return urlparse(link).hostname or None


def parse_feed(data: bytes, origin: str) -> Iterator[RawArticle | ParseError]:
    """Every entry of a feed document; bad entries as located ParseErrors (``file:item N``)."""
    import feedparser

    # Bytes, never a str: feedparser would take a string for a URL or a file name to open.
    parsed = feedparser.parse(bytes(data), resolve_relative_uris=False, sanitize_html=False)
    if parsed.bozo and _is_xml_error(parsed.bozo_exception):
        exc = parsed.bozo_exception
        line = exc.getLineNumber() if hasattr(exc, "getLineNumber") else None
        yield ParseError("xml", f"not well-formed XML: {exc.getMessage() if hasattr(exc, 'getMessage') else exc}"
                         + ("; the items read before it are kept" if parsed.entries else ""),
                         origin=origin, line=line)
    if not parsed.version and not parsed.entries:
        if not parsed.bozo:
            yield ParseError("feed", "not an RSS or Atom feed", origin=origin)
        return
    if not parsed.entries:
        yield ParseError("feed", "the feed has no items", origin=origin)
        return
    source = _source(parsed.feed)
    for number, entry in enumerate(parsed.entries, start=1):
        try:
            yield _entry(entry, source, origin, number)
        except ParseError as exc:
            yield exc.located(origin, item=number)


def _is_xml_error(exc) -> bool:
    import xml.sax

    return isinstance(exc, xml.sax.SAXException)


def _entry(entry, source: str | None, origin: str, number: int) -> RawArticle:
    title = plain_text(entry.get("title"))
    if not title:
        raise ParseError("title", "missing")
    raw_time = entry.get("published") or entry.get("updated")
    if not raw_time:
        raise ParseError("published", "missing (no pubDate, published or updated)")
    entry_source = _source(entry.get("source") or {}) or source
    if not entry_source:
        raise ParseError("source", "missing (the feed has no title or link)")
    body = None
    if entry.get("content"):
        body = plain_text("\n".join(part.get("value", "") for part in entry["content"]))
    summary = plain_text(entry.get("summary"))
    if body == summary:
        body = None
    tags = clean_tags(tag.get("term") or tag.get("label") or "" for tag in entry.get("tags") or [])
    return RawArticle(
        title=title, source=entry_source, published=feed_time(raw_time), origin=origin,
        item=number, summary=summary, body=body, url=entry.get("link") or None, tags=tags,
    )
