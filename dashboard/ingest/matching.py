"""Matching many names or phrases in text with one alternation, fast and with the same answers.

Ingest runs company aliases, stance phrases and tagging rules over every article; with dozens of
alternatives and ``re.IGNORECASE``, Python's ``re`` spends most of its time trying alternatives
that cannot match anywhere in the text. :class:`Alternation` cuts them out first:

- every alternative has an *anchor*, a piece of text that any match of it must contain (an
  alias is its own anchor; a phrase's anchor is its longest run of plain letters outside any
  group, optional part or choice);
- for ASCII text, an alternative whose anchor does not occur in the text (ignoring case when
  the pattern does) cannot match, so it is left out of the pattern actually run. What is left
  keeps its order, so ``finditer`` finds the same matches as the whole alternation would;
- text with other characters (where case folding has exceptions such as ``ſ`` ~ ``s``), and
  alternatives without an ASCII anchor, always use or keep the whole alternation.

``test_matching.py`` checks the answers against the whole alternation on many texts.
"""
from __future__ import annotations

import re
try:  # Python 3.11+: the parser is private and moved; only the opcodes below are used.
    from re import _constants as sre_constants, _parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

# The one matching rule for names in text (company aliases and tagging-rule terms): a spaced
# script matches whole words only; CJK, written without spaces, matches anywhere.
WHOLE_WORD = r"(?<![\w])(?:{})(?![\w])"

_CACHE_LIMIT = 4096  # compiled cut-down patterns kept per alternation
_PREFIX = 4  # characters of an anchor that group it with others (see Alternation)


def is_cjk(term: str) -> bool:
    return any(ord(ch) > 0x2E80 for ch in term)  # scripts written without spaces between words


def longest_first(names) -> list[str]:
    """Distinct names, longest first (so "Alibaba Group" is preferred to "Alibaba" at the same
    position), then alphabetically so the order does not depend on the process."""
    return sorted(set(names), key=lambda name: (-len(name), name))


def alternation(names) -> str:
    return "|".join(re.escape(n) for n in longest_first(names))


def phrase_anchor(pattern: str) -> str | None:
    """The longest run of literal characters at the top level of ``pattern`` (outside any group,
    repeat or choice): every match contains it. None when there is none."""
    best, run = "", ""
    for op, value in sre_parse.parse(pattern):
        if op is sre_constants.LITERAL:
            run += chr(value)
            best = max(best, run, key=len)
        else:
            run = ""
    return best or None


class Alternation:
    """``template`` (with one ``{}``) around the alternatives, in the order given; each
    alternative is (regex, anchor or None). ``flags`` as for ``re.compile``."""

    def __init__(self, alternatives: list[tuple[str, str | None]], template: str = "{}", flags: int = 0) -> None:
        self.ignore_case = bool(flags & re.IGNORECASE)
        self._alternatives = [(regex, self._key(anchor)) for regex, anchor in alternatives]
        self._template, self._flags = template, flags
        self.whole = self._compile(tuple(regex for regex, _ in self._alternatives))
        self._cut: dict[tuple[str, ...], re.Pattern | None] = {}
        # Anchors grouped by their first few characters: a group whose prefix is not in the text
        # is passed over whole (an anchor in the text has its prefix in it too), so a text is
        # searched for a few prefixes, not for every anchor. Positions keep the order.
        self._always = [(n, regex) for n, (regex, anchor) in enumerate(self._alternatives) if anchor is None]
        self._groups: dict[str, list[tuple[int, str, str]]] = {}
        for n, (regex, anchor) in enumerate(self._alternatives):
            if anchor is not None:
                self._groups.setdefault(anchor[:_PREFIX], []).append((n, regex, anchor))

    def _key(self, anchor: str | None) -> str | None:
        if not anchor or not anchor.isascii():
            return None  # always kept
        return anchor.lower() if self.ignore_case else anchor

    def _compile(self, regexes: tuple[str, ...]) -> re.Pattern | None:
        return re.compile(self._template.format("|".join(regexes)), self._flags) if regexes else None

    def pattern_for(self, text: str) -> re.Pattern | None:
        """The pattern to run on ``text``: the whole alternation, or for ASCII text the
        alternatives that can match in it (None: nothing can)."""
        if not text.isascii():
            return self.whole
        haystack = text.lower() if self.ignore_case else text
        found = list(self._always)
        for prefix, members in self._groups.items():
            if prefix in haystack:
                found += [(n, regex) for n, regex, anchor in members if anchor in haystack]
        found.sort()
        kept = tuple(regex for _, regex in found)
        try:
            return self._cut[kept]
        except KeyError:
            if len(self._cut) >= _CACHE_LIMIT:
                self._cut.clear()
            pattern = self._cut[kept] = self._compile(kept)
            return pattern

    def finditer(self, text: str):
        pattern = self.pattern_for(text)
        return pattern.finditer(text) if pattern is not None else iter(())

    def search(self, text: str):
        pattern = self.pattern_for(text)
        return pattern.search(text) if pattern is not None else None


def names_alternation(names, template: str = "{}", flags: int = 0) -> Alternation | None:
    """Literal names (aliases, terms), longest first, each its own anchor."""
    ordered = longest_first(names)
    return Alternation([(re.escape(n), n) for n in ordered], template, flags) if ordered else None
