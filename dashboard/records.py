"""The records every layer passes around: articles, events, companies and listings.

A leaf: plain dataclasses, no behaviour beyond their own fields, no ``dashboard`` imports. The
parsers (``ingest``) build them and the store saves them; neither needs the other's module.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Article:
    """A resolved article, ready to store."""

    article_id: str
    title: str
    source: str
    published_at: pd.Timestamp  # UTC
    published_raw: str
    published_zone: str
    published_precision: str
    region: str | None
    subtitle: str | None
    summary: str | None
    background: str | None
    insights: str | None
    body: str | None
    url: str | None
    stance: str
    origin: str
    tags: list[str]
    company_links: list[tuple[str, str]]  # (company_id, how): tag | alias | explicit | ticker
    content_hash: str = ""

    @property
    def companies(self) -> list[str]:
        seen: list[str] = []
        for company_id, _ in self.company_links:
            if company_id not in seen:
                seen.append(company_id)
        return seen


@dataclass
class Event:
    """One timeline event, ready to store."""

    event_id: str
    ts: pd.Timestamp  # UTC; a day-precision event holds the start of its day in ts_zone
    ts_raw: str | None
    ts_zone: str | None
    precision: str
    kind: str
    stance: str
    headline: str
    actor: str | None = None
    source: str | None = None
    detail: str | None = None
    source_url: str | None = None
    article_id: str | None = None
    company_id: str | None = None
    symbol: str | None = None
    value: str | None = None
    origin: str | None = None
    tags: list[str] = field(default_factory=list)
    content_hash: str = ""


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
        """``other``'s companies and listings win over ours (same id / symbol)."""
        companies = {c.company_id: c for c in self.companies}
        companies.update({c.company_id: c for c in other.companies})
        listings = {item.symbol: item for item in self.listings}
        listings.update({item.symbol: item for item in other.listings})
        return type(self)(list(companies.values()), list(listings.values()))
