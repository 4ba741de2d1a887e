"""Reading article files, the events file and the companies registry into plain records.

Parsers are pure (bytes/str in, records or :class:`ParseError` out); ``pipeline.ingest_paths``
is the only part that touches the database. See docs/ingest.md for formats and rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dashboard.records import Article, Event  # noqa: F401  (re-exported: the parsers' records)
from dashboard.taxonomy import EVENT_KINDS, PRECISIONS, STANCES  # noqa: F401  (what the parsers accept)


class ParseError(ValueError):
    """Bad input, located: ``file[:line|:item N]: field: reason``.

    ``item`` numbers a record inside a whole document (a feed entry, an element of a news-API
    response) where a line number would not help.
    """

    def __init__(self, field_name: str, reason: str, *, origin: str = "", line: int | None = None,
                 item: int | None = None):
        self.field = field_name
        self.reason = reason
        self.origin = origin
        self.line = line
        self.item = item
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = self.origin or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        elif self.item is not None:
            where = f"{where}:item {self.item}"
        return f"{where}: {self.field}: {self.reason}"

    def __reduce__(self):
        # Rebuilt from its fields, so it crosses a process boundary (parallel parsing) intact.
        return _rebuild_parse_error, (self.field, self.reason, self.origin, self.line, self.item)

    def located(self, origin: str, line: int | None = None, item: int | None = None) -> "ParseError":
        """The same error, naming the file (and line or item) it came from."""
        return ParseError(self.field, self.reason, origin=origin,
                          line=self.line if line is None else line,
                          item=self.item if item is None else item)


def _rebuild_parse_error(field_name: str, reason: str, origin: str, line: int | None,
                         item: int | None = None) -> ParseError:
    return ParseError(field_name, reason, origin=origin, line=line, item=item)


@dataclass
class RawArticle:
    """An article as read from a file, before its timestamp and links are resolved."""

    title: str
    source: str
    published: Any  # the raw text (or epoch number) as found in the file
    origin: str
    line: int | None = None
    item: int | None = None  # position in a whole document (feed entry, API response element)
    region: str | None = None
    subtitle: str | None = None
    summary: str | None = None
    background: str | None = None
    insights: str | None = None
    body: str | None = None
    url: str | None = None
    tags: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)  # explicit company names/ids
    precision: str | None = None
    tickers: list[str] = field(default_factory=list)  # symbols the source links (related tickers)
    # What the time means when it is not the publisher's (GDELT: when its crawler saw the page);
    # kept beside the raw time text.
    time_note: str | None = None
    zone: str | None = None  # zone of naive times, from a user format (else the source's zone)
    time_field: str = "published"  # the file's name for the time field, for messages


def clean_tags(tags) -> list[str]:
    """Trim, drop empties and case-insensitive repeats, keep the author's order."""
    result: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        tag = " ".join(str(tag).split())
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            result.append(tag)
    return result
