"""A user's search text as a tantivy query: words, "exact phrases", AND/OR/NOT, prefix*, fields.

Two spellings are rewritten before tantivy's query parser reads the text, each for a reason
checked against tantivy 0.27: ``word*`` (the parser drops the star and looks for the whole word,
so a prefix becomes a regex on each field, the only prefix form it takes outside a phrase), and
``NOT word`` (``a AND NOT b`` parses to a clause that matches nothing; ``-b`` is the same meaning
and works). Quoted phrases are left as they are.
"""
from __future__ import annotations

import re

import tantivy

from dashboard.search.fields import BOOSTS, CJK_RUN, SEARCHED, TEXT_FIELDS

HELP = ('words, "exact phrases", AND / OR / NOT, a prefix* (e.g. Pentag*), or field:word '
        f"(fields: {', '.join(TEXT_FIELDS)})")
_QUOTED = re.compile(r'"[^"]*"\*?|"[^"]*$')
_NOT = re.compile(r"(?<![\w-])NOT\s+")
_PREFIX = re.compile(r"(?<![\w:/*])(?:(\w+):)?(\w+)\*")


class QueryError(ValueError):
    """A search text that cannot be read; the message says why and how to write it."""


def _prefix(match: re.Match) -> str:
    field, stem = match.group(1), match.group(2)
    if CJK_RUN.search(stem):  # CJK is matched inside runs already: the star adds nothing
        return (f"{field}:" if field else "") + stem
    pattern = re.escape(stem.lower()) + ".*"
    if field:
        return f"{field}:/{pattern}/"
    return "(" + " OR ".join(f"{name}:/{pattern}/" for name in TEXT_FIELDS) + ")"


def prefix_stems(text: str) -> list[str]:
    """The stems of the prefix words of ``text`` outside phrases (``Pentag*`` → ``Pentag``)."""
    outside = _QUOTED.sub(" ", text)
    return [match.group(2) for match in _PREFIX.finditer(outside) if not CJK_RUN.search(match.group(2))]


def rewrite(text: str) -> str:
    """The text in the parser's spelling (see the module docstring); phrases untouched."""
    out, last = [], 0
    for quoted in _QUOTED.finditer(text):
        out.append(_rewrite_words(text[last:quoted.start()]))
        out.append(quoted.group(0))
        last = quoted.end()
    out.append(_rewrite_words(text[last:]))
    return "".join(out)


def _rewrite_words(part: str) -> str:
    return _PREFIX.sub(_prefix, _NOT.sub("-", part))


def _reason(message: str) -> str:
    field = re.search(r"Field does not exist: '([^']*)'", message)
    if field:
        return (f"{field.group(1)!r} before a colon names no field; put text with a colon in "
                f"quotes, or use one of: {', '.join(TEXT_FIELDS)}")
    if "Only excluding terms" in message:
        return "NOT (or -) alone excludes everything: add a word to find"
    if "Syntax Error" in message:
        return "unbalanced quotes or brackets, or AND/OR without a word on each side"
    return message


def parse(index: tantivy.Index, text: str) -> tantivy.Query:
    """The query for ``text``; QueryError when it is empty or cannot be read."""
    if not text or not text.strip():
        raise QueryError(f"the search text is empty; search for {HELP}")
    try:
        return index.parse_query(rewrite(text.strip()), list(SEARCHED), field_boosts=BOOSTS,
                                 allow_regexes=True)
    except ValueError as exc:
        raise QueryError(f"cannot read the search {text.strip()!r}: {_reason(str(exc))}. "
                         f"Search for {HELP}.") from None
