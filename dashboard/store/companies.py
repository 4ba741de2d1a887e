"""SQL for companies, aliases and listings (incl. benchmark and fx rows)."""
from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.records import Registry

LISTING_COLUMNS = [
    "symbol", "company_id", "role", "exchange_mic", "currency", "tz", "shares_per_unit",
    "benchmark_symbol", "name",
]


def upsert_registry(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    """Make the database's companies, aliases and listings match the registry.

    Companies and listings absent from the registry are left alone (stored links may point to them).
    """
    for company in registry.companies:
        con.execute(
            "INSERT INTO companies (company_id, name) VALUES (?, ?) "
            "ON CONFLICT (company_id) DO UPDATE SET name = excluded.name",
            [company.company_id, company.name],
        )
        con.execute("DELETE FROM company_aliases WHERE company_id = ?", [company.company_id])
        aliases = list(dict.fromkeys([company.name, *company.aliases]))
        for alias in aliases:
            con.execute("INSERT INTO company_aliases (company_id, alias) VALUES (?, ?)",
                        [company.company_id, alias])
    for position, listing in enumerate(registry.listings):
        con.execute(
            "INSERT INTO listings (symbol, company_id, role, exchange_mic, currency, tz, "
            " shares_per_unit, benchmark_symbol, name, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (symbol) DO UPDATE SET company_id = excluded.company_id, role = excluded.role, "
            " exchange_mic = excluded.exchange_mic, currency = excluded.currency, tz = excluded.tz, "
            " shares_per_unit = excluded.shares_per_unit, benchmark_symbol = excluded.benchmark_symbol, "
            " name = excluded.name, position = excluded.position",
            [listing.symbol, listing.company_id, listing.role, listing.exchange_mic, listing.currency,
             listing.tz, listing.shares_per_unit, listing.benchmark_symbol, listing.name, position],
        )


def list_companies(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT company_id, name FROM companies ORDER BY lower(name), company_id"
    ).df()


def company_ids_matching(con: duckdb.DuckDBPyConnection, names) -> list[str]:
    """Ids of companies whose id, name or alias equals one of ``names`` (case-insensitive).

    A name that matches nothing is returned as given, so an id that is linked but not (yet) in the
    registry still matches itself.
    """
    wanted = [str(n).strip() for n in names if str(n).strip()]
    if not wanted:
        return []
    folded = [n.lower() for n in wanted]
    rows = con.execute(
        "SELECT company_id, lower(company_id), lower(name) FROM companies "
        "UNION SELECT company_id, lower(company_id), lower(alias) FROM company_aliases",
    ).fetchall()
    ids: list[str] = []
    matched: set[str] = set()
    for company_id, folded_id, folded_name in rows:
        for name in folded:
            if name in (folded_id, folded_name):
                matched.add(name)
                if company_id not in ids:
                    ids.append(company_id)
    ids.sort()
    ids += [n for n, f in zip(wanted, folded) if f not in matched and n not in ids]
    return ids


def company_names(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    """Company id → its name and aliases, longest first (to find a company named in text)."""
    rows = con.execute(
        "SELECT company_id, alias FROM company_aliases "
        "UNION SELECT company_id, name FROM companies "
        "ORDER BY company_id, length(alias) DESC, alias"
    ).fetchall()
    names: dict[str, list[str]] = {}
    for company_id, alias in rows:
        names.setdefault(company_id, []).append(alias)
    return {company_id: tuple(found) for company_id, found in names.items()}


def listings(con: duckdb.DuckDBPyConnection, company_id: str | None = None,
             roles=("listing",)) -> pd.DataFrame:
    """Listings in registry order; ``roles=None`` gives every role (listing, benchmark, fx)."""
    clauses, params = [], []
    if company_id is not None:
        clauses.append("company_id = ?")
        params.append(company_id)
    if roles is not None:
        clauses.append("list_contains(?, role)")
        params.append(list(roles))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return con.execute(
        f"SELECT {', '.join(LISTING_COLUMNS)} FROM listings {where} ORDER BY position, symbol",
        params,
    ).df()


def get_listing(con: duckdb.DuckDBPyConnection, symbol: str) -> dict | None:
    """One listing row. Only the tests call it (what an ingest registered); SQL lives only here."""
    cursor = con.execute(
        f"SELECT {', '.join(LISTING_COLUMNS)} FROM listings WHERE symbol = ?", [symbol]
    )
    row = cursor.fetchone()
    return dict(zip(LISTING_COLUMNS, row)) if row else None
