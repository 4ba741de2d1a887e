"""A hit's snippet as plain parts: text, and whether it is the matched words.

Article text is untrusted, so a snippet is never HTML: tantivy's ``Snippet.to_html`` would pass
the article's own markup through. The fragment and its highlighted ranges are taken instead and
cut into parts here; a face renders them as text (``as_text``) or as escaped markdown
(``as_markdown``, every part through ``formatting.markdown_literal``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import tantivy

from dashboard.formatting import markdown_literal
from dashboard.search.fields import CJK_RUN, TEXT_FIELDS, document
from dashboard.search.query import prefix_stems

# Characters of context before a hit the snippet marks itself (see ``_patterns``).
CONTEXT = 60
MAX_CHARS = 200


@dataclass(frozen=True)
class Snippet:
    field: str  # the field the snippet is from
    parts: tuple[tuple[str, bool], ...]  # (text, is a matched word), in order

    def as_text(self, before: str = "«", after: str = "»") -> str:
        """Plain text with each matched word between ``before`` and ``after``."""
        return " ".join("".join(f"{before}{t}{after}" if hit else t for t, hit in self.parts).split())

    def as_markdown(self) -> str:
        """Escaped markdown with the matched words in bold: the article's characters stay text."""
        out = []
        for text, hit in self.parts:
            literal = markdown_literal(text)
            if not literal:
                out.append(" " if text[:1].isspace() or text[-1:].isspace() else "")
                continue
            literal = f"**{literal}**" if hit else literal
            out.append((" " if text[:1].isspace() else "") + literal + (" " if text[-1:].isspace() else ""))
        return " ".join("".join(out).split())


def parts_of(fragment: str, ranges: list[tuple[int, int]]) -> tuple[tuple[str, bool], ...]:
    """``fragment`` cut at ``ranges`` (character offsets; overlapping ones merged)."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, last = [], 0
    for start, end in merged:
        if start > last:
            parts.append((fragment[last:start], False))
        parts.append((fragment[start:end], True))
        last = end
    if last < len(fragment):
        parts.append((fragment[last:], False))
    return tuple(parts)


def _char_ranges(fragment: str, snippet: tantivy.Snippet) -> list[tuple[int, int]]:
    """tantivy's ranges count UTF-8 bytes; Python slices count characters."""
    encoded = fragment.encode("utf-8")
    to_char = lambda offset: len(encoded[:offset].decode("utf-8", errors="ignore"))  # noqa: E731
    return [(to_char(r.start), to_char(r.end)) for r in snippet.highlighted()]


def _patterns(text: str) -> list[re.Pattern]:
    """What tantivy's generator cannot mark, found in the text instead: the query's CJK runs (the
    bigram field is not the one shown) and its prefixes (a regex term is never highlighted)."""
    found = [re.compile(re.escape(run)) for run in CJK_RUN.findall(text) if len(run) > 1]
    found += [re.compile(rf"\b{re.escape(stem)}\w*", re.IGNORECASE) for stem in prefix_stems(text)]
    return found


def _found_snippet(row: dict, text: str) -> Snippet | None:
    patterns = _patterns(text)
    for name in TEXT_FIELDS:
        value = row.get(name)
        if not patterns or not isinstance(value, str):
            continue
        spans = [(m.start(), m.end()) for pattern in patterns for m in pattern.finditer(value)]
        if not spans:
            continue
        first = min(start for start, _ in spans)
        lo, hi = max(0, first - CONTEXT), min(len(value), first + MAX_CHARS - CONTEXT)
        inside = [(max(s, lo) - lo, min(e, hi) - lo) for s, e in spans if s < hi and e > lo]
        return Snippet(name, parts_of(value[lo:hi], inside))
    return None


def snippet_of(searcher: tantivy.Searcher, query: tantivy.Query, schema: tantivy.Schema, row: dict,
               text: str, generators: dict) -> Snippet:
    """The first field of ``row`` (order of ``fields.TEXT_FIELDS``) with a matched word, cut
    around it; else the start of the summary or body, unmarked (a match only on a prefix or
    field tantivy does not highlight, marked by ``_patterns`` where it can)."""
    doc = document(row)
    for name in TEXT_FIELDS:
        if not isinstance(row.get(name), str) or not row[name]:
            continue
        if name not in generators:
            generators[name] = tantivy.SnippetGenerator.create(searcher, query, schema, name)
            generators[name].set_max_num_chars(MAX_CHARS)
        snippet = generators[name].snippet_from_doc(doc)
        if snippet.highlighted():
            fragment = snippet.fragment()
            return Snippet(name, parts_of(fragment, _char_ranges(fragment, snippet)))
    found = _found_snippet(row, text)
    if found is not None:
        return found
    for name in ("summary", "body", "title"):
        if isinstance(row.get(name), str) and row[name]:
            return Snippet(name, ((row[name][:MAX_CHARS], False),))
    return Snippet("", ())
