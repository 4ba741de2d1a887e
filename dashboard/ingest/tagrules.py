"""Tagging rules (data/tags.toml): tags we add when an article's text mentions given terms.

::

    [[rule]]
    tag = "Pentagon list"
    any = ["1260H", "Chinese military company"]
    company = "alibaba"      # optional: only articles linked to this company

Terms match as whole words ignoring case; terms in scripts written without spaces (CJK) match
anywhere. ``rule_tags`` is pure: text in, (tag, origin) pairs out, origin ``"rule: <tag>"``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dashboard.ingest import ParseError
from dashboard.ingest.companies import load_toml
from dashboard.ingest.matching import WHOLE_WORD, Alternation, is_cjk, longest_first

ORIGIN_PREFIX = "rule: "


@dataclass(frozen=True)
class Rule:
    tag: str
    terms: tuple[str, ...]
    company: str | None = None

    @property
    def origin(self) -> str:
        return f"{ORIGIN_PREFIX}{self.tag}"


class RuleSet:
    """Rules compiled once: one pattern per rule (whole words for spaced scripts, anywhere for CJK)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = list(rules)
        self._patterns = []
        for rule in self.rules:
            # Whole words for spaced scripts, anywhere for CJK; each term is its own anchor
            # (ingest.matching), so a rule none of whose terms occur is not run at all.
            words = [(WHOLE_WORD.format(re.escape(t)), t) for t in longest_first(t for t in rule.terms if not is_cjk(t))]
            cjk = [(re.escape(t), t) for t in longest_first(t for t in rule.terms if is_cjk(t))]
            self._patterns.append(Alternation(words + cjk, "{}", re.IGNORECASE))

    def __bool__(self) -> bool:
        return bool(self.rules)

    def rule_tags(self, texts, companies=()) -> list[tuple[str, str]]:
        """(tag, origin) for every rule whose terms occur in ``texts`` (and whose company, if
        any, is among ``companies``), in rule order, each tag once."""
        text = "\n".join(t for t in texts if t)
        linked = {c.casefold() for c in companies}
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        for rule, pattern in zip(self.rules, self._patterns):
            if rule.tag.casefold() in seen:
                continue
            if rule.company and rule.company.casefold() not in linked:
                continue
            if pattern.search(text):
                seen.add(rule.tag.casefold())
                found.append((rule.tag, rule.origin))
        return found


def parse_rules(text: str, origin: str = "tags.toml") -> RuleSet:
    """Parse tags.toml; raises a ParseError naming the rule and key."""
    document = load_toml(text, origin)
    rules = []
    entries = document.get("rule", [])
    if not isinstance(entries, list):
        raise ParseError("rule", "expected [[rule]] tables", origin=origin)
    for n, entry in enumerate(entries):
        where = f"rule[{n}]"
        tag = entry.get("tag") if isinstance(entry, dict) else None
        if not isinstance(tag, str) or not tag.strip():
            raise ParseError(f"{where}.tag", "missing", origin=origin)
        terms = entry.get("any")
        if isinstance(terms, str):
            terms = [terms]
        if (not isinstance(terms, list) or not terms
                or not all(isinstance(t, str) and t.strip() for t in terms)):
            raise ParseError(f"{where}.any", "expected a non-empty list of terms", origin=origin)
        company = entry.get("company")
        if company is not None and (not isinstance(company, str) or not company.strip()):
            raise ParseError(f"{where}.company", "expected a company id", origin=origin)
        unknown = set(entry) - {"tag", "any", "company"}
        if unknown:
            raise ParseError(f"{where}", f"unknown keys {', '.join(sorted(unknown))} (known: tag, any, company)",
                             origin=origin)
        rules.append(Rule(" ".join(tag.split()), tuple(t.strip() for t in terms),
                          company.strip() if company else None))
    return RuleSet(rules)


def load_rules(path: str | Path | None) -> RuleSet:
    """The rules file, or no rules when it does not exist; raises ParseError when it is bad."""
    if not path or not Path(path).exists():
        return RuleSet([])
    return parse_rules(Path(path).read_text(encoding="utf-8-sig"), str(path))
