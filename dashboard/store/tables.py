"""Whole-table reads for `publish`: which tables exist, a fingerprint per partition, the rows
of chosen partitions.

A partition is named by a text key (`BABA|670` = symbol BABA, month 670 since 1970-01), the same
key the lake computes from an Iceberg data file's partition record, so both sides agree on what
changed. A fingerprint is the row count plus two sums of DuckDB's row hash: equal content gives
equal fingerprints; any added, changed or removed row changes it (with overwhelming odds).
"""
from __future__ import annotations

import duckdb
import pyarrow as pa


def quote(name: str) -> str:
    """A table or column name as a DuckDB identifier (names come from the file's own catalog)."""
    return '"' + name.replace('"', '""') + '"'


def base_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table of the main schema, by name: tables added by later migrations are included."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_catalog = current_database() AND table_schema = 'main'"
        " AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in rows]


def table_schema(con: duckdb.DuckDBPyConnection, table: str) -> pa.Schema:
    return con.sql(f"SELECT * FROM {quote(table)} LIMIT 0").to_arrow_table().schema


def _key_sql(parts: list[tuple[str, str]]) -> str:
    """SQL for the partition key text: identity columns as they are, months as the Iceberg month
    ordinal ((year - 1970) * 12 + month - 1, in UTC)."""
    if not parts:
        return "''"
    pieces = []
    for column, transform in parts:
        col = quote(column)
        if transform == "month":
            pieces.append(f"CAST((year({col}) - 1970) * 12 + month({col}) - 1 AS VARCHAR)")
        else:
            pieces.append(f"CAST({col} AS VARCHAR)")
    return " || '|' || ".join(pieces)


def partition_fingerprints(con: duckdb.DuckDBPyConnection, table: str,
                           parts: list[tuple[str, str]]) -> dict[str, str]:
    """{partition key: fingerprint} for every non-empty partition of `table`."""
    t = quote(table)
    rows = con.execute(
        f"SELECT {_key_sql(parts)} AS k, count(*), bit_xor(hash({t})), sum(hash({t}) >> 16)"
        f" FROM {t} GROUP BY k"
    ).fetchall()
    return {key: f"{n}:{x}:{s}" for key, n, x, s in rows}


def partition_rows(con: duckdb.DuckDBPyConnection, table: str, parts: list[tuple[str, str]],
                   keys: list[str]) -> pa.Table:
    """The rows of the partitions named by `keys` (every row when the table has no partitions)."""
    t = quote(table)
    if not parts:
        return con.sql(f"SELECT * FROM {t}").to_arrow_table()
    return con.sql(
        f"SELECT * FROM {t} WHERE {_key_sql(parts)} IN (SELECT unnest(?::VARCHAR[]))", params=[keys]
    ).to_arrow_table()
