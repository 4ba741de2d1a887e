"""The companies registry and linking articles to companies by tag, alias and explicit name."""
from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import config, store
from dashboard.ingest import ParseError
from dashboard.ingest.companies import link_companies, load_registry, parse_registry
from dashboard.store.companies import get_listing, list_companies, listings, upsert_registry

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


@pytest.fixture(scope="module")
def registry():
    return load_registry(FIXTURES / "companies.toml")


def links(registry, *, tags=(), texts=(), explicit=()):
    found, warnings = link_companies(registry, tags=list(tags), texts=list(texts), explicit=list(explicit))
    return found, warnings


@pytest.mark.parametrize("text, linked", [
    ("Alibaba is helping Chinese military target the U.S.", True),
    ("Shares of Alibaba's cloud unit rose", True),
    ("ALIBABA GROUP results", True),           # names match regardless of case
    ("BABA fell 3.78% in New York", True),
    ("Hong Kong-listed 9988.HK rose", True),
    ("阿里巴巴股价上涨", True),                   # CJK alias inside running text
    ("Alibabas of the world", False),          # not a whole word
    ("Ali Baba and the forty thieves", False),
    ("baba ganoush recipe", False),            # all-caps ticker aliases are case-sensitive
    ("Order number 99880 shipped", False),
])
def test_alias_matching_is_whole_word(registry, text, linked):
    found, _ = links(registry, texts=[text])
    assert (("alibaba", "alias") in found) is linked


def test_links_record_how(registry):
    found, warnings = links(registry, tags=["Tech War", "tencent"], texts=["Alibaba denies"],
                            explicit=["Alibaba Group", "Unknown Corp"])
    assert ("alibaba", "explicit") in found
    assert ("alibaba", "alias") in found
    assert ("tencent", "tag") in found
    assert ("alibaba", "tag") not in found
    assert warnings == ["companies: 'Unknown Corp' is not in the companies registry; ignored"]


def test_registry_round_trips_into_the_store(registry, tmp_path):
    with store.writer(tmp_path / "db.duckdb") as con:
        upsert_registry(con, registry)
        upsert_registry(con, registry)  # idempotent
        companies = list_companies(con)
        own = listings(con, "alibaba")
        every = listings(con, roles=None)
        baba = get_listing(con, "BABA")
        assert get_listing(con, "NOPE") is None
        aliases = {r[0] for r in con.execute(
            "SELECT alias FROM company_aliases WHERE company_id = 'alibaba'").fetchall()}
    assert list(companies.company_id) == ["alibaba", "tencent"]
    assert list(own.symbol) == ["BABA", "9988.HK"]  # registry order
    assert list(own.shares_per_unit) == [8.0, 1.0]
    assert list(own.exchange_mic) == ["XNYS", "XHKG"]
    assert dict(zip(every.symbol, every.role)) == {
        "BABA": "listing", "9988.HK": "listing", "KWEB": "benchmark", "HKD=X": "fx"}
    assert baba["benchmark_symbol"] == "KWEB" and baba["currency"] == "USD" and baba["tz"] == "America/New_York"
    assert {"Alibaba", "阿里巴巴", "BABA", "9988", "Alibaba Group"} <= aliases


def test_project_registry_has_alibaba_listings():
    registry = load_registry(config.COMPANIES_FILE)
    alibaba = next(c for c in registry.companies if c.company_id == "alibaba")
    assert {"Alibaba", "Alibaba Group", "阿里巴巴", "BABA", "9988"} <= set(alibaba.aliases)
    by_symbol = {item.symbol: item for item in registry.listings}
    assert (by_symbol["BABA"].exchange_mic, by_symbol["BABA"].currency, by_symbol["BABA"].shares_per_unit) == ("XNYS", "USD", 8)
    assert (by_symbol["9988.HK"].exchange_mic, by_symbol["9988.HK"].currency, by_symbol["9988.HK"].shares_per_unit) == ("XHKG", "HKD", 1)


@pytest.mark.parametrize("text, field", [
    ("[[company]]\nname = 'No id'\n", "company[0].id"),
    ("[[company]]\nid = 'x'\nname = 'X'\n[[company.listing]]\nexchange = 'XNYS'\n", "company[0].listing[0].symbol"),
    ("[[company]]\nid = 'x'\nname = 'X'\n[[company.listing]]\nsymbol = 'X'\nshares_per_unit = 0\n",
     "company[0].listing[0].shares_per_unit"),
    ("[[company]\n", "toml"),
])
def test_bad_registry_names_the_key(text, field):
    with pytest.raises(ParseError) as info:
        parse_registry(text, "companies.toml")
    assert info.value.message.startswith(f"companies.toml: {field}: ")
