"""Turn whatever shape yfinance returns into the bar frame: ts (UTC), open/high/low/close/volume.

yfinance shapes handled: ``yf.download`` MultiIndex columns (``Price``, ``Ticker``) or the
``group_by="ticker"`` order (``Ticker``, ``Price``); flat columns from ``Ticker.history`` with
the exchange's zone on the index (America/New_York, Asia/Hong_Kong); the index named ``Date``
(daily) or ``Datetime`` (intraday); extra columns (Adj Close, Dividends, Stock Splits).
"""
from __future__ import annotations

import pandas as pd

PRICE_COLUMNS = ["open", "high", "low", "close", "volume"]
BAR_FRAME_COLUMNS = ["ts"] + PRICE_COLUMNS


def empty_bar_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "ts": pd.Series(dtype="datetime64[ns, UTC]"),
        **{c: pd.Series(dtype="float64") for c in PRICE_COLUMNS},
    })


def _select_symbol(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    if not isinstance(frame.columns, pd.MultiIndex):
        return frame
    for level in range(frame.columns.nlevels):
        if symbol in frame.columns.get_level_values(level):
            return frame.xs(symbol, axis=1, level=level)
    # One ticker whose level carries another spelling: drop the ticker level if it is the only one.
    for level in range(frame.columns.nlevels):
        values = set(frame.columns.get_level_values(level))
        if len(values) == 1 and not values & {"Open", "Close"}:
            return frame.droplevel(level, axis=1)
    raise ValueError(f"{symbol}: not among the downloaded tickers")


def normalise(frame: pd.DataFrame | None, symbol: str, zone: str | None = None) -> pd.DataFrame:
    """Bars of ``symbol`` with UTC ``ts``, raw OHLCV, one row per bar, sorted; empty if none.

    ``zone`` is only used when yfinance hands back a naive index (``ignore_tz=True``).
    """
    if frame is None or frame.empty:
        return empty_bar_frame()
    flat = _select_symbol(frame, symbol)
    flat = flat.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in ["open", "high", "low", "close"] if c not in flat.columns]
    if missing:
        raise ValueError(f"{symbol}: Yahoo frame lacks column(s) {', '.join(missing)}")
    index = pd.DatetimeIndex(pd.to_datetime(flat.index))
    if index.tz is None:
        index = index.tz_localize(zone or "UTC")
    out = pd.DataFrame({
        "ts": index.tz_convert("UTC"),
        **{c: pd.to_numeric(flat[c], errors="coerce").to_numpy("float64") for c in ["open", "high", "low", "close"]},
        "volume": (pd.to_numeric(flat["volume"], errors="coerce").to_numpy("float64")
                   if "volume" in flat.columns else 0.0),
    })
    # yf.download pads other tickers' trading minutes with NaN rows: those are not bars.
    out = out.dropna(subset=["open", "high", "low", "close"])
    out = out.drop_duplicates(subset="ts", keep="last").sort_values("ts")
    return out.reset_index(drop=True)[BAR_FRAME_COLUMNS]
