"""SQL for the news-fetch log (migration 020)."""
from __future__ import annotations

import duckdb
import pandas as pd


def record_news_fetch(con: duckdb.DuckDBPyConnection, fetched_at, symbols: list[str], items: int,
                      message: str) -> None:
    con.execute("INSERT INTO news_fetch_log VALUES (?, ?, ?, ?)",
                [pd.Timestamp(fetched_at).to_pydatetime(), list(symbols), int(items), message])


def last_news_fetch(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The newest successful fetch: {fetched_at, symbols, items, message}, or None."""
    rows = con.execute(
        "SELECT fetched_at, symbols, items, message FROM news_fetch_log "
        "ORDER BY fetched_at DESC LIMIT 1"
    ).fetchall()
    if not rows:
        return None
    fetched_at, symbols, items, message = rows[0]
    return {"fetched_at": pd.Timestamp(fetched_at).tz_convert("UTC"), "symbols": list(symbols),
            "items": items, "message": message}
