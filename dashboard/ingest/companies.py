"""The companies registry (data/companies.toml) and linking articles to companies.

An article links to a company when one of its tags equals a company alias (how = ``tag``), when an
alias occurs as a whole word in its title, subtitle or summary (how = ``alias``), or when its
record names the company in ``companies`` (how = ``explicit``). Alias matching ignores case,
except for all-capital aliases such as tickers (``BABA``), which must match exactly; aliases in
scripts written without spaces (``阿里巴巴``) match anywhere in the text.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.ingest import ParseError


@dataclass
class Company:
    company_id: str
    name: str
    aliases: list[str] = field(default_factory=list)


@dataclass
class Listing:
    symbol: str
    company_id: str | None
    role: str  # listing | benchmark | fx
    exchange_mic: str | None = None
    currency: str | None = None
    tz: str | None = None
    shares_per_unit: float = 1.0
    benchmark_symbol: str | None = None
    name: str | None = None


@dataclass
class Registry:
    companies: list[Company] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)

    def merged(self, other: "Registry") -> "Registry":
        companies = {c.company_id: c for c in self.companies}
        companies.update({c.company_id: c for c in other.companies})
        listings = {item.symbol: item for item in self.listings}
        listings.update({item.symbol: item for item in other.listings})
        return Registry(list(companies.values()), list(listings.values()))

    def resolve(self, name: str) -> str | None:
        """A company id from its id, name or an alias (case-insensitive)."""
        wanted = name.strip().casefold()
        for company in self.companies:
            names = [company.company_id, company.name, *company.aliases]
            if any(wanted == n.casefold() for n in names):
                return company.company_id
        return None


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


def parse_registry(text: str, origin: str = "companies.toml") -> Registry:
    """Parse companies.toml; raises a ParseError naming the offending table and key."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParseError("toml", str(exc), origin=origin) from None
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


def _alias_pattern(alias: str) -> re.Pattern:
    if any(ord(ch) > 0x2E80 for ch in alias):  # CJK: no spaces between words
        return re.compile(re.escape(alias))
    flags = 0 if alias.isupper() else re.IGNORECASE
    return re.compile(rf"(?<![\w]){re.escape(alias)}(?![\w])", flags)


def link_companies(registry: Registry, *, tags: list[str], texts: list[str | None],
                   explicit: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(company_id, how) links for one article, plus warnings for unknown explicit names."""
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
    folded_tags = {t.casefold() for t in tags}
    body = "\n".join(t for t in texts if t)
    for company in registry.companies:
        names = [company.name, *company.aliases]
        if any(n.casefold() in folded_tags for n in names):
            add(company.company_id, "tag")
        if body and any(_alias_pattern(n).search(body) for n in names):
            add(company.company_id, "alias")
    return links, warnings
