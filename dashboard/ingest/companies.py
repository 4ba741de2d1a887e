"""The companies registry (data/companies.toml) and linking articles to companies.

An article links to a company when one of its tags equals a company alias (how = ``tag``), when an
alias occurs as a whole word in its title, subtitle or summary (how = ``alias``), when its
record names the company in ``companies`` (how = ``explicit``), or when the source lists one of
the company's listing symbols among its related tickers (how = ``ticker``). Alias matching ignores case,
except for all-capital aliases such as tickers (``BABA``), which must match exactly; aliases in
scripts written without spaces (``阿里巴巴``) match anywhere in the text.
"""
from __future__ import annotations

import re
import tomllib
from functools import cached_property
from pathlib import Path

from dashboard import records
from dashboard.ingest import ParseError
from dashboard.ingest.matching import WHOLE_WORD, is_cjk, names_alternation
from dashboard.records import Company, Listing


class Registry(records.Registry):
    """The registry as read from companies.toml, with name and alias look-ups for linking."""

    def company_of_symbol(self, symbol: str) -> str | None:
        """The company a listing symbol belongs to (case-insensitive; None for benchmarks, FX
        and unknown symbols)."""
        return self.by_symbol.get(symbol.strip().casefold())

    @cached_property
    def by_symbol(self) -> dict[str, str]:
        return {item.symbol.casefold(): item.company_id for item in self.listings if item.company_id}

    def resolve(self, name: str) -> str | None:
        """A company id from its id, name or an alias (case-insensitive)."""
        return self.matcher.by_name.get(name.strip().casefold())

    @cached_property
    def matcher(self) -> "AliasMatcher":
        return AliasMatcher(self.companies)


def _require(table: dict, key: str, where: str, kind=str):
    value = table.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ParseError(f"{where}.{key}", "missing")
    if not isinstance(value, kind):
        raise ParseError(f"{where}.{key}", f"expected {getattr(kind, '__name__', kind)}")
    return value


def _optional_str(table: dict, key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ParseError(f"{where}.{key}", "expected text")
    return value


def load_toml(text: str, origin: str) -> dict:
    """A TOML document (companies.toml, tags.toml); a syntax error is a ParseError naming ``origin``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParseError("toml", str(exc), origin=origin) from None


def parse_registry(text: str, origin: str = "companies.toml") -> Registry:
    """Parse companies.toml; raises a ParseError naming the offending table and key."""
    document = load_toml(text, origin)
    registry = Registry()
    try:
        for n, entry in enumerate(document.get("company", [])):
            where = f"company[{n}]"
            company_id = _require(entry, "id", where)
            aliases = entry.get("aliases", [])
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise ParseError(f"{where}.aliases", "expected a list of text")
            registry.companies.append(Company(company_id, _require(entry, "name", where), aliases))
            for m, listing in enumerate(entry.get("listing", [])):
                registry.listings.append(_listing(listing, f"{where}.listing[{m}]", company_id, "listing"))
        for role, key in (("benchmark", "benchmark"), ("fx", "fx")):
            for n, entry in enumerate(document.get(key, [])):
                registry.listings.append(_listing(entry, f"{key}[{n}]", None, role))
    except ParseError as exc:
        raise exc.located(origin) from None
    return registry


def _listing(table: dict, where: str, company_id: str | None, role: str) -> Listing:
    shares = table.get("shares_per_unit", 1)
    if isinstance(shares, bool) or not isinstance(shares, (int, float)) or shares <= 0:
        raise ParseError(f"{where}.shares_per_unit", "expected a positive number")
    currency = _optional_str(table, "currency", where) or _optional_str(table, "quote", where)
    return Listing(
        symbol=_require(table, "symbol", where),
        company_id=company_id,
        role=role,
        exchange_mic=_optional_str(table, "exchange", where),
        currency=currency,
        tz=_optional_str(table, "tz", where),
        shares_per_unit=float(shares),
        benchmark_symbol=_optional_str(table, "benchmark", where),
        name=_optional_str(table, "name", where),
    )


def load_registry(path: str | Path) -> Registry:
    path = Path(path)
    if not path.exists():
        return Registry()
    return parse_registry(path.read_text(encoding="utf-8-sig"), origin=str(path))


class AliasMatcher:
    """All aliases of a registry compiled once (an ingest of 1M articles cannot afford a regex
    per alias per article): whole-word and case-insensitive, exact case for all-capital aliases
    (tickers such as BABA), anywhere for CJK aliases."""

    def __init__(self, companies: list[Company]) -> None:
        self.order = {c.company_id: n for n, c in enumerate(companies)}
        self.by_name: dict[str, str] = {}
        folded: dict[str, set[str]] = {}
        exact: dict[str, set[str]] = {}
        cjk: dict[str, set[str]] = {}
        for company in companies:
            for name in (company.company_id, company.name, *company.aliases):
                self.by_name.setdefault(name.strip().casefold(), company.company_id)
            for name in (company.name, *company.aliases):
                if not name.strip():
                    continue
                if is_cjk(name):
                    cjk.setdefault(name, set()).add(company.company_id)
                elif name.isupper():
                    exact.setdefault(name, set()).add(company.company_id)
                else:
                    folded.setdefault(name.casefold(), set()).add(company.company_id)
        self.tag_names = {name: ids for name, ids in folded.items()}
        for name, ids in {**exact, **cjk}.items():
            self.tag_names.setdefault(name.casefold(), set()).update(ids)
        self._folded, self._exact, self._cjk = folded, exact, cjk
        # One alternation per kind, run cut down to the aliases that occur (ingest.matching).
        self._folded_re = names_alternation(folded, WHOLE_WORD, re.IGNORECASE)
        self._exact_re = names_alternation(exact, WHOLE_WORD)
        self._cjk_re = names_alternation(cjk)

    def in_tags(self, tags: list[str]) -> set[str]:
        found: set[str] = set()
        for tag in tags:
            found |= self.tag_names.get(tag.casefold(), set())
        return found

    def in_text(self, text: str) -> set[str]:
        found: set[str] = set()
        if self._folded_re:
            for match in self._folded_re.finditer(text):
                found |= self._folded.get(match.group(0).casefold(), set())
        if self._exact_re:
            for match in self._exact_re.finditer(text):
                found |= self._exact[match.group(0)]
        if self._cjk_re:
            for match in self._cjk_re.finditer(text):
                found |= self._cjk[match.group(0)]
        return found


def link_companies(registry: Registry, *, tags: list[str], texts: list[str | None],
                   explicit: list[str], tickers: list[str] = ()) -> tuple[list[tuple[str, str]], list[str]]:
    """(company_id, how) links for one article, plus warnings for unknown explicit names.

    ``tickers`` are the symbols the source itself links (yfinance stockTickers, Polygon tickers):
    one that is a stored listing links its company (how = ``ticker``); others are ignored."""
    links: list[tuple[str, str]] = []
    warnings: list[str] = []

    def add(company_id: str, how: str) -> None:
        if (company_id, how) not in links:
            links.append((company_id, how))

    for name in explicit:
        company_id = registry.resolve(name)
        if company_id:
            add(company_id, "explicit")
        else:
            warnings.append(f"companies: {name!r} is not in the companies registry; ignored")
    for symbol in tickers:
        company_id = registry.company_of_symbol(symbol)
        if company_id:
            add(company_id, "ticker")
    matcher = registry.matcher
    by_tag = matcher.in_tags(tags)
    body = "\n".join(t for t in texts if t)
    by_alias = matcher.in_text(body) if body else set()
    for company_id in sorted(by_tag | by_alias, key=matcher.order.get):
        if company_id in by_tag:
            add(company_id, "tag")
        if company_id in by_alias:
            add(company_id, "alias")
    return links, warnings
