"""Which listing plays which part, one owner each: a company's ADR and its home listing, and the FX
pair that converts a currency to USD.

Pure functions on the registry's rows as the store gives them (``store.companies.listings(con,
roles=None)``: roles ``listing``, ``benchmark``, ``fx``; the ``[[fx]]`` tables of companies.toml
are the ``fx`` rows, their ``quote`` currency in ``currency``).
"""
from __future__ import annotations

import pandas as pd

USD = "USD"


def _own(listings: pd.DataFrame, company_id: str) -> pd.DataFrame:
    if listings is None or listings.empty:
        return pd.DataFrame(columns=["symbol", "company_id", "role", "currency", "shares_per_unit"])
    return listings[(listings["company_id"] == company_id) & (listings["role"] == "listing")]


def adr_listing(listings: pd.DataFrame, company_id: str) -> dict | None:
    """The company's ADR: its first USD listing whose traded unit holds several shares (BABA:
    8 shares of 9988.HK per ADS); None if it has none."""
    own = _own(listings, company_id)
    adrs = own[(own["currency"] == USD) & (own["shares_per_unit"].fillna(1) != 1)]
    return None if adrs.empty else adrs.iloc[0].to_dict()


def home_listing(listings: pd.DataFrame, company_id: str) -> dict | None:
    """The company's first listing in a currency other than USD (9988.HK for Alibaba)."""
    own = _own(listings, company_id)
    homes = own[own["currency"] != USD]
    return None if homes.empty else homes.iloc[0].to_dict()


def shares_per_adr(listings: pd.DataFrame, company_id: str) -> float:
    """Shares in one ADR unit: what "USD per ADS" prices every listing in (1 without an ADR)."""
    adr = adr_listing(listings, company_id)
    return float(adr["shares_per_unit"]) if adr else 1.0


def fx_symbol(listings: pd.DataFrame | None, currency: str) -> str | None:
    """The FX series quoting ``currency`` per 1 USD: the registry's ``[[fx]]`` row with that
    quote currency; without one, Yahoo's name for it (``HKD=X``). None for USD itself."""
    if not currency or currency == USD:
        return None
    if listings is not None and not listings.empty:
        rows = listings[(listings["role"] == "fx") & (listings["currency"] == currency)]
        if not rows.empty:
            return str(rows.iloc[0]["symbol"])
    return f"{currency}=X"
