"""All SQL for price bars: upsert, window query with on-the-fly resampling, coverage.

A bar is keyed by (symbol, interval, ts); ``ts`` is the bar's start in UTC. ``source`` is
``yahoo``, ``import:<file name>`` or ``synthetic``. Real bars (anything but synthetic) always win:
a real bar replaces a synthetic one at the same key, a synthetic bar never replaces a real one, and
a window that has real bars is answered from real bars only.
"""
from __future__ import annotations


import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.timeutil import interval_length, window

SYNTHETIC = "synthetic"
BAR_COLUMNS = ["ts", "open", "high", "low", "close", "volume", "source", "interval"]
COVERAGE_COLUMNS = ["symbol", "interval", "source", "first_ts", "last_ts", "rows"]

# The dtype pandas gives DuckDB's VARCHAR columns in .df() (the multi-source path), so both
# paths hand out the same frame.
_TEXT = pd.Series(["x"]).dtype

def _is_daily_or_longer(name: str) -> bool:
    return interval_length(name) >= pd.Timedelta(days=1)


def upsert_bars(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, *, symbol: str, interval: str,
                source: str, fetched_at=None) -> int:
    """Insert or replace bars; returns how many rows were written.

    ``frame`` has ``ts`` (tz-aware; converted to UTC) and open/high/low/close/volume. Rows already
    stored from a real source are kept when ``source`` is synthetic.
    """
    interval_length(interval)  # refuse unknown names before writing anything
    if frame is None or frame.empty:
        return 0
    missing = [c for c in ["ts", "open", "high", "low", "close"] if c not in frame.columns]
    if missing:
        raise ValueError(f"bars for {symbol}: missing column(s) {', '.join(missing)}")
    ts = pd.to_datetime(frame["ts"])
    if ts.dt.tz is None:
        raise ValueError(f"bars for {symbol}: timestamps have no time zone")
    incoming = pd.DataFrame({
        "symbol": symbol,
        "interval": interval,
        "ts": ts.dt.tz_convert("UTC").to_numpy(),
        "open": frame["open"].astype("float64").to_numpy(),
        "high": frame["high"].astype("float64").to_numpy(),
        "low": frame["low"].astype("float64").to_numpy(),
        "close": frame["close"].astype("float64").to_numpy(),
        "volume": (frame["volume"].astype("float64").to_numpy() if "volume" in frame.columns
                   else float("nan")),
        "source": source,
        "fetched_at": pd.Timestamp(fetched_at or pd.Timestamp.now("UTC")),
    })
    incoming["ts"] = pd.to_datetime(incoming["ts"], utc=True)
    incoming["fetched_at"] = pd.to_datetime(incoming["fetched_at"], utc=True)
    if incoming[["open", "high", "low", "close"]].isna().any().any():
        raise ValueError(f"bars for {symbol}: a price is missing (NaN) in some row")
    # One row per key: a repeated timestamp in one batch keeps its last row.
    incoming = incoming.drop_duplicates(subset="ts", keep="last")
    # DuckDB reads the local frame `incoming` by name (a replacement scan): no SQL splicing, and
    # unlike register() it works while the connection still holds an unfetched earlier result.
    written = con.execute(
        """
        INSERT INTO bars (symbol, interval, ts, open, high, low, close, volume, source, fetched_at)
        SELECT symbol, interval, ts, open, high, low, close, volume, source, fetched_at
        FROM incoming
        ON CONFLICT (symbol, interval, ts) DO UPDATE SET
            open = excluded.open, high = excluded.high, low = excluded.low,
            close = excluded.close, volume = excluded.volume,
            source = excluded.source, fetched_at = excluded.fetched_at
        WHERE NOT (excluded.source = ? AND bars.source <> ?)
        """,
        [SYNTHETIC, SYNTHETIC],
    ).fetchall()[0][0]
    return int(written)


def _empty_bars() -> pd.DataFrame:
    frame = pd.DataFrame({
        "ts": pd.Series(dtype="datetime64[us, UTC]"),
        **{c: pd.Series(dtype="float64") for c in ["open", "high", "low", "close", "volume"]},
        "source": pd.Series(dtype="object"),
        "interval": pd.Series(dtype="object"),
    })
    return frame


def _stored_intervals(con, symbol: str, lo: pd.Timestamp, hi: pd.Timestamp, days_lo: pd.Timestamp,
                      days_hi: pd.Timestamp) -> pd.DataFrame:
    """Per interval with bars for the symbol inside [lo, hi): whether any are real or synthetic,
    how many distinct real sources there are (with one of them), and on how many (UTC) days
    there are bars, real ones and any."""
    return con.execute(
        """
        SELECT interval, bool_or(source <> ?) AS has_real, bool_or(source = ?) AS has_synthetic,
               count(DISTINCT source) FILTER (WHERE source <> ?) AS real_sources,
               min(source) FILTER (WHERE source <> ?) AS a_real_source,
               count(DISTINCT CAST(ts AS DATE)) FILTER (WHERE ts >= ? AND ts < ?) AS days,
               count(DISTINCT CAST(ts AS DATE)) FILTER (WHERE source <> ? AND ts >= ? AND ts < ?) AS real_days
        FROM bars WHERE symbol = ? AND ts >= ? AND ts < ?
        GROUP BY interval
        """,
        [SYNTHETIC, SYNTHETIC, SYNTHETIC, SYNTHETIC, days_lo, days_hi, SYNTHETIC, days_lo, days_hi, symbol, lo, hi],
    ).df()


def _auto_interval(stored: pd.DataFrame, real_only: bool) -> str:
    """The finest interval with bars on at least half the days any interval has bars: a year's
    window over a year of daily bars and a fortnight of minutes is drawn from the daily bars, a
    week's window over minutes on most of its days from the minutes."""
    days = stored["real_days"] if real_only else stored["days"]
    covering = stored[days * 2 >= days.max()]
    return min(covering["interval"], key=interval_length)


def listing_zone(con, symbol: str) -> str | None:
    """The exchange zone of a registered listing (``listings.tz``); None when it is not registered."""
    try:
        rows = con.execute("SELECT tz FROM listings WHERE symbol = ?", [symbol]).fetchall()
    except duckdb.CatalogException:
        return None
    return rows[0][0] if rows and rows[0][0] else None


def _symbol_zone(con, symbol: str) -> str:
    """The listing's exchange zone (for daily buckets); UTC when the listing is not registered.

    Regular NYSE and HKEX sessions each fall inside one UTC date, so UTC is a safe fallback.
    """
    return listing_zone(con, symbol) or "UTC"


def query_bars(con: duckdb.DuckDBPyConnection, symbol: str, start, end,
               interval: str = "auto", *, shown=None, cuts=None) -> pd.DataFrame:
    """Bars of one symbol in ``[start, end)``, sorted by ts.

    ``auto``: the finest interval stored on at least half the window's days with bars (see
    ``_auto_interval``); ``shown`` = (start, end) counts the days of that part of the window only
    (a screen that reads bars around what it shows). An explicit interval that is not stored
    is resampled from the finest stored finer bars, never across one of ``cuts`` (the instants
    where a session part begins or ends, ``markets.session_cuts``). Real bars win over synthetic ones.
    """
    lo, hi = window(start, end)
    days_lo, days_hi = window(*shown) if shown is not None else (lo, hi)
    stored = _stored_intervals(con, symbol, lo, hi, days_lo, days_hi)
    if stored.empty:
        return _empty_bars()
    if interval != "auto":
        wanted = interval_length(interval)
        stored = stored[[interval_length(i) <= wanted for i in stored["interval"]]]
        if stored.empty:
            return _empty_bars()
    real_only = bool(stored["has_real"].any())
    if real_only:
        stored = stored[stored["has_real"]]
    if interval == "auto":
        finest = _auto_interval(stored, real_only)
    elif interval in set(stored["interval"]):
        finest = interval  # stored as asked: no resampling
    else:
        finest = min(stored["interval"], key=interval_length)
    if interval == "auto" or finest == interval:
        chosen = stored[stored["interval"] == finest].iloc[0]
        if not real_only:
            only_source = SYNTHETIC
        elif int(chosen["real_sources"]) == 1:
            only_source = str(chosen["a_real_source"])
        else:
            only_source = None
        if only_source is not None:
            return _one_source_bars(con, symbol, finest, lo, hi, real_only, only_source)
        frame = con.execute(
            """
            SELECT ts, open, high, low, close, volume, source, interval
            FROM bars
            WHERE symbol = ? AND interval = ? AND ts >= ? AND ts < ?
              AND (NOT ? OR source <> ?)
            ORDER BY ts
            """,
            [symbol, finest, lo, hi, real_only, SYNTHETIC],
        ).df()
    else:
        frame = _resample(con, symbol, finest, interval, lo, hi, real_only, cuts)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame.reset_index(drop=True)


def _one_source_bars(con, symbol: str, interval: str, lo, hi, real_only: bool, source: str) -> pd.DataFrame:
    """The window's bars when they all come from one source: numbers only, as numpy arrays.

    Turning the ``source`` and ``interval`` VARCHARs of 100k rows into Python strings costs more
    than the query itself, so both are added as constant columns instead.
    """
    numbers = con.execute(
        """
        SELECT epoch_us(ts) AS ts_us, open, high, low, close, volume
        FROM bars
        WHERE symbol = ? AND interval = ? AND ts >= ? AND ts < ?
          AND (NOT ? OR source <> ?)
        ORDER BY ts
        """,
        [symbol, interval, lo, hi, real_only, SYNTHETIC],
    ).fetchnumpy()
    rows = len(numbers["ts_us"])
    frame = pd.DataFrame({
        "ts": pd.to_datetime(numbers["ts_us"], unit="us", utc=True),
        # A NULL volume arrives masked; NaN is what the frame path gives for it.
        **{c: np.ma.filled(np.ma.asarray(numbers[c], dtype="float64"), np.nan)
           for c in ["open", "high", "low", "close", "volume"]},
        "source": _constant_text(source, rows),
        "interval": _constant_text(interval, rows),
    })
    return frame


def _constant_text(value: str, rows: int) -> pd.Series:
    """``rows`` copies of ``value`` in the .df() string dtype, built in Arrow (10x faster than
    from a Python list at 100k rows)."""
    return pd.Series(_TEXT.__from_arrow__(pa.repeat(value, rows)), dtype=_TEXT)


def _resample(con, symbol: str, finer: str, interval: str, lo, hi, real_only: bool, cuts=None) -> pd.DataFrame:
    """Aggregate ``finer`` bars to ``interval`` (first open, max high, min low, last close, sum volume).

    Intraday buckets are cut on UTC; a bucket is labelled by its first bar, so an hour that starts
    at the 09:30 open is labelled 09:30, not 09:00. With ``cuts`` (sorted UTC instants) no bucket
    spans a cut: each run of bars between two cuts is bucketed from the cut that starts it, so a
    pre-market hour stops at the open and the regular session's hours start there. Daily buckets
    follow the exchange-local date and are labelled with local midnight (as Yahoo labels daily bars).
    """
    segment_sql, cut_join, cut_params = "NULL::TIMESTAMPTZ", "", []
    if _is_daily_or_longer(interval):
        if interval != "1d":
            raise ValueError(f"resampling to {interval} is not supported; ask for 1d or finer")
        zone = _symbol_zone(con, symbol)
        bucket_sql = "timezone(?, CAST(CAST(timezone(?, ts) AS DATE) AS TIMESTAMP))"
        bucket_params = [zone, zone]
        label_sql = "bucket"
    else:
        minutes = int(interval_length(interval) / pd.Timedelta(minutes=1))
        bucket_sql = "time_bucket(to_minutes(CAST(? AS BIGINT)), ts, coalesce(segment, TIMESTAMPTZ '2000-01-03 00:00:00+00'))"
        bucket_params = [minutes]
        label_sql = "min(ts)"
        if cuts is not None and len(cuts):
            # The cut each bar follows: the latest at or before it (none before the first cut).
            segment_sql = "c.at"
            cut_join = "ASOF LEFT JOIN (SELECT unnest(CAST(? AS TIMESTAMPTZ[])) AS at) c ON b.ts >= c.at"
            cut_params = [[pd.Timestamp(t).to_pydatetime() for t in cuts]]
    sql = f"""
        WITH picked AS (
            SELECT b.ts, b.open, b.high, b.low, b.close, b.volume, b.source, {segment_sql} AS segment
            FROM bars b {cut_join}
            WHERE b.symbol = ? AND b.interval = ? AND b.ts >= ? AND b.ts < ?
              AND (NOT ? OR b.source <> ?)
        ), chosen AS (
            SELECT {bucket_sql} AS bucket, * FROM picked
        )
        SELECT {label_sql} AS ts,
               arg_min(open, ts) AS open, max(high) AS high, min(low) AS low,
               arg_max(close, ts) AS close, sum(volume) AS volume,
               string_agg(DISTINCT source, '+' ORDER BY source) AS source,
               ? AS interval
        FROM chosen
        GROUP BY segment, bucket
        ORDER BY ts
    """
    params = cut_params + [symbol, finer, lo, hi, real_only, SYNTHETIC] + bucket_params + [interval]
    return con.execute(sql, params).df()


def coverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What is cached: per symbol, interval and source the first/last bar and the row count."""
    frame = con.execute(
        """
        SELECT symbol, interval, source, min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS rows
        FROM bars
        GROUP BY symbol, interval, source
        ORDER BY symbol, interval, source
        """
    ).df()
    for column in ["first_ts", "last_ts"]:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame[COVERAGE_COLUMNS]


def count_bars(con: duckdb.DuckDBPyConnection, symbol: str | None = None) -> int:
    """How many bars are stored (for one symbol, or all). Only the tests call it: they check what
    a command stored, and SQL lives only in the store."""
    if symbol is None:
        return con.execute("SELECT count(*) FROM bars").fetchall()[0][0]
    return con.execute("SELECT count(*) FROM bars WHERE symbol = ?", [symbol]).fetchall()[0][0]


def real_bar_dates(con: duckdb.DuckDBPyConnection, symbol: str, start, end) -> set:
    """UTC dates in ``[start, end)`` that have at least one real (non-synthetic) bar."""
    rows = con.execute(
        """
        SELECT DISTINCT CAST(ts AS DATE) FROM bars
        WHERE symbol = ? AND ts >= ? AND ts < ? AND source <> ?
        """,
        [symbol, start, end, SYNTHETIC],
    ).fetchall()
    return {r[0] for r in rows}


def event_times(con: duckdb.DuckDBPyConnection) -> list[pd.Timestamp]:
    """Distinct event timestamps (UTC), for refreshing the bar windows around them."""
    try:
        rows = con.execute("SELECT DISTINCT ts FROM events ORDER BY ts").fetchall()
    except duckdb.CatalogException:
        return []
    return [pd.Timestamp(r[0]).tz_convert("UTC") for r in rows]


# --- price refresh outcomes ---------------------------------------------------------------------

def record_refresh(con: duckdb.DuckDBPyConnection, status: str, message: str, checked_at) -> None:
    """Remember how the last `prices refresh` went (shown by the app)."""
    con.execute("INSERT INTO refresh_log VALUES (?, ?, ?)",
                [pd.Timestamp(checked_at).to_pydatetime(), status, message])


def last_refresh(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The newest refresh outcome: {checked_at, status, message}, or None if never refreshed."""
    row = con.execute(
        "SELECT checked_at, status, message FROM refresh_log ORDER BY checked_at DESC LIMIT 1"
    ).fetchall()
    if not row:
        return None
    checked_at, status, message = row[0]
    return {"checked_at": pd.Timestamp(checked_at).tz_convert("UTC"), "status": status, "message": message}
