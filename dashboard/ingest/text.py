"""The aggregator's plain-text export (data/articles/000_*.txt).

Layout::

    Title
    Region
    Source: <name>Published: <MM/DD/YYYY, HH:MM:SS ZONE>
    Tag
    Tag …
    Subtitle

    News Summary | Background | In-Depth AI Insights   (headings, any subset, any order)

    text…

Between the source name and ``Published:`` the real file has nothing; a space, ``|``, ``·`` or a
line break are accepted too. Headings that are not one of the three known ones are kept, with
their text, in ``body``.
"""
from __future__ import annotations

import re

from dashboard.ingest import ParseError, RawArticle, clean_tags

SECTION_FIELDS = {
    "news summary": "summary",
    "summary": "summary",
    "background": "background",
    "in-depth ai insights": "insights",
}

_SOURCE_LINE = re.compile(r"^Source:\s*(?P<source>.*?)\s*[|·]?\s*(?:Published:\s*(?P<published>.*))?$")
_MAX_HEADING_WORDS = 6
_BOM = "\ufeff"


def decode(data: bytes, field_name: str = "encoding") -> str:
    """UTF-8 (with or without BOM) or a ParseError naming the first bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.start + 1].hex()
        raise ParseError(field_name, f"not UTF-8 (byte 0x{bad} at offset {exc.start})") from None


def _looks_like_heading(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if not line or line.lower() in SECTION_FIELDS:
        return bool(line)
    before_blank = index == 0 or not lines[index - 1].strip()
    after_blank = index + 1 < len(lines) and not lines[index + 1].strip()
    has_text_after = any(l.strip() for l in lines[index + 1:])
    return (before_blank and after_blank and has_text_after
            and len(line.split()) <= _MAX_HEADING_WORDS and not line.endswith((".", ":", "?", "!")))


def parse_text(data: bytes | str, origin: str = "<text>") -> RawArticle:
    """Parse one aggregator text file; raises ParseError (with a line number when it helps)."""
    try:
        text = decode(data) if isinstance(data, (bytes, bytearray)) else str(data)
    except ParseError as exc:
        raise exc.located(origin) from None
    text = text.lstrip(_BOM).replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise ParseError("content", "contains NUL bytes (binary file?)", origin=origin)
    lines = text.split("\n")
    if not any(line.strip() for line in lines):
        raise ParseError("content", "file is empty", origin=origin)

    def next_nonblank(start: int) -> int:
        while start < len(lines) and not lines[start].strip():
            start += 1
        return start

    i = next_nonblank(0)
    title = lines[i].strip()
    if title.startswith("Source:"):
        raise ParseError("title", "missing (the first line is the Source line)", origin=origin, line=i + 1)
    i = next_nonblank(i + 1)
    region = None
    if i < len(lines) and not lines[i].strip().startswith("Source:"):
        region = lines[i].strip()
        i = next_nonblank(i + 1)
    if i >= len(lines) or not lines[i].strip().startswith("Source:"):
        raise ParseError("published", "no 'Source: … Published: …' line after the title and region",
                         origin=origin, line=min(i, len(lines) - 1) + 1)
    source_line_no = i + 1
    match = _SOURCE_LINE.match(lines[i].strip())
    source = (match["source"] if match else "").strip()
    published = match["published"] if match else None
    i += 1
    if published is None:  # "Published:" on its own line
        j = next_nonblank(i)
        if j < len(lines) and lines[j].strip().startswith("Published:"):
            published = lines[j].strip()[len("Published:"):]
            i = j + 1
    if not source:
        raise ParseError("source", "missing after 'Source:'", origin=origin, line=source_line_no)
    if published is None:
        raise ParseError("published", "no 'Published:' label on the Source line or the line after it "
                         "(expected 'Source: <name>Published: <MM/DD/YYYY, HH:MM:SS ZONE>')",
                         origin=origin, line=source_line_no)
    if not published.strip():
        raise ParseError("published", "missing after 'Published:'", origin=origin, line=source_line_no)

    # Tags then the subtitle: the block of lines up to the first blank line.
    block: list[str] = []
    while i < len(lines) and lines[i].strip():
        block.append(lines[i].strip())
        i += 1
    subtitle = None
    if block and (len(block) > 1 or len(block[0].split()) > 4):
        subtitle = block.pop()
    tags = clean_tags(block)

    sections: dict[str, list[str]] = {"summary": [], "background": [], "insights": [], "body": []}
    rest = lines[i:]
    current = "body"
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            sections[current].append("\n".join(paragraph).strip())
            paragraph.clear()

    for index, line in enumerate(rest):
        stripped = line.strip()
        if stripped and _looks_like_heading(rest, index):
            flush()
            known = SECTION_FIELDS.get(stripped.lower())
            if known:
                current = known
            else:
                current = "body"
                sections["body"].append(stripped)  # unknown heading: kept with its text
            continue
        if stripped:
            paragraph.append(stripped)
        else:
            flush()
    flush()

    def joined(name: str) -> str | None:
        value = "\n\n".join(p for p in sections[name] if p)
        return value or None

    return RawArticle(
        title=title, source=source, published=published.strip(), origin=origin, region=region,
        subtitle=subtitle, summary=joined("summary"), background=joined("background"),
        insights=joined("insights"), body=joined("body"), tags=tags,
    )
