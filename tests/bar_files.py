"""Seeded builder of one bar file per shape `prices import` reads, written by the real writers.

yfinance frames are built in the shapes yfinance 1.7 returns — ``Ticker.history``: flat columns
Open, High, Low, Close[, Adj Close], Volume, Dividends, Stock Splits on a tz-aware index named
``Datetime``/``Date`` in the exchange zone; ``yf.download``: yfinance's own ``reindex_dfs`` and
concat/swaplevel steps (MultiIndex columns (Price, Ticker), one zone for all tickers, naive dates
for daily bars) — and saved with pandas' ``to_csv()``/``to_parquet()``. Prices are a random walk
(not market data); only the times and shapes matter.

``python tests/bar_files.py DIR`` writes the folder; tests call :func:`write_bar_files`.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd
from yfinance.multi import reindex_dfs

SEED = 20251114


def _walk(index: pd.DatetimeIndex, price: float, rng) -> pd.DataFrame:
    close = price * np.exp(np.cumsum(rng.normal(0, 0.001, len(index))))
    open_ = np.r_[price, close[:-1]]
    return pd.DataFrame({
        "Open": open_.round(3), "High": (np.maximum(open_, close) * 1.0006).round(3),
        "Low": (np.minimum(open_, close) * 0.9994).round(3), "Close": close.round(3),
        "Volume": rng.integers(100, 90_000, len(index)),
    }, index=index)


def minutes(zone: str, spans: list[tuple[str, str]], freq: str = "1min") -> pd.DatetimeIndex:
    """Bar starts in [start, end) of each local span, tz-aware in ``zone``."""
    parts = [pd.date_range(a, b, freq=freq, inclusive="left", tz=zone) for a, b in spans]
    return parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]


def session_days(mic: str, start: str, end: str) -> pd.DatetimeIndex:
    return xcals.get_calendar(mic).sessions_in_range(start, end)


def history(index: pd.DatetimeIndex, price: float, seed: int, *, adj_close: bool = False,
            daily: bool = False) -> pd.DataFrame:
    """``Ticker.history(...)``'s frame (actions on, so Dividends and Stock Splits columns)."""
    frame = _walk(index, price, np.random.default_rng(seed))
    if adj_close:
        frame.insert(4, "Adj Close", (frame["Close"] * 0.99).round(3))
    frame["Dividends"] = 0.0
    frame["Stock Splits"] = 0.0
    frame.index.name = "Date" if daily else "Datetime"
    return frame


def download(per_ticker: dict[str, pd.DataFrame], *, daily: bool) -> pd.DataFrame:
    """``yf.download(list, ...)``'s frame, built by yfinance's own steps (multi.py, group_by='column')."""
    dfs = {t: f.drop(columns=["Dividends", "Stock Splits"]) for t, f in per_ticker.items()}  # actions=False
    if daily:  # ignore_tz defaults to True for daily intervals
        for frame in dfs.values():
            frame.index = frame.index.tz_localize(None)
    dfs = reindex_dfs(dfs, daily)
    data = pd.concat(dfs.values(), axis=1, sort=True, keys=dfs.keys(), names=["Ticker", "Price"])
    data.columns = data.columns.swaplevel(0, 1)
    data = data.sort_index(level=0, axis=1)
    return data


def write_bar_files(folder: Path) -> list[dict]:
    """Write the folder; returns per file the `prices import` arguments and, per symbol, the
    expected interval, bar count and first/last bar (UTC)."""
    folder.mkdir(parents=True, exist_ok=True)
    specs = []

    def expect(name, args, series):
        specs.append({"file": folder / name, "args": args, "series": series})

    def span(index, interval):
        utc = index.tz_convert("UTC")
        return {"interval": interval, "rows": len(index), "first": utc.min(), "last": utc.max()}

    # 1. yf.download(["BABA", "9988.HK"], interval="1m", prepost=True): BABA with pre-market minutes.
    baba = minutes("America/New_York", [("2025-11-14 08:00", "2025-11-14 08:10"),
                                        ("2025-11-14 09:30", "2025-11-14 10:30"),
                                        ("2025-11-17 09:30", "2025-11-17 10:00")])
    hk = minutes("Asia/Hong_Kong", [("2025-11-14 09:30", "2025-11-14 10:00"),
                                    ("2025-11-17 09:30", "2025-11-17 10:30")])
    two = download({"BABA": history(baba, 159.0, SEED), "9988.HK": history(hk, 157.0, SEED + 1)}, daily=False)
    two.to_csv(folder / "yf_download_BABA_9988HK_1m.csv")
    expect("yf_download_BABA_9988HK_1m.csv", [], {"BABA": span(baba, "1m"), "9988.HK": span(hk, "1m")})

    # 2. yf.download("BABA", interval="1d", auto_adjust=False): Adj Close, naive dates.
    days = session_days("XNYS", "2025-01-02", "2025-11-28")
    daily = history(days.tz_localize("America/New_York"), 95.0, SEED + 2, adj_close=True, daily=True)
    download({"BABA": daily}, daily=True).to_csv(folder / "yf_download_BABA_1d.csv")
    expect("yf_download_BABA_1d.csv", [], {"BABA": span(days.tz_localize("America/New_York"), "1d")})

    # 3. yf.Ticker("KWEB").history(interval="1m", prepost=True): offsets, actions, pre/post market.
    kweb = minutes("America/New_York", [("2025-11-18 04:00", "2025-11-18 04:05"),
                                        ("2025-11-18 09:30", "2025-11-18 10:00"),
                                        ("2025-11-18 16:00", "2025-11-18 16:05")])
    history(kweb, 36.0, SEED + 3).to_csv(folder / "history_KWEB_1m.csv")
    expect("history_KWEB_1m.csv", ["--symbol", "KWEB"], {"KWEB": span(kweb, "1m")})

    # 4. yf.Ticker("9988.HK").history(interval="1d", auto_adjust=False): +08:00 midnights.
    hk_days = session_days("XHKG", "2025-01-02", "2025-11-28").tz_localize("Asia/Hong_Kong")
    history(hk_days, 95.0, SEED + 4, adj_close=True, daily=True).to_csv(folder / "history_9988HK_1d.csv")
    expect("history_9988HK_1d.csv", ["--symbol", "9988.HK"], {"9988.HK": span(hk_days, "1d")})

    # 5. A vendor Parquet file: tz-aware time column and a symbol column.
    aware = minutes("Asia/Hong_Kong", [("2025-11-18 09:30", "2025-11-18 10:30")], "5min")
    table = _walk(aware, 25.0, np.random.default_rng(SEED + 5)).rename(columns=str.lower)
    table.insert(0, "time", aware.tz_convert("UTC"))
    table.insert(0, "symbol", "2800.HK")
    table.reset_index(drop=True).to_parquet(folder / "vendor_2800HK_5m.parquet")
    expect("vendor_2800HK_5m.parquet", [], {"2800.HK": span(aware, "5m")})

    # 6. A Parquet file with naive New York times and no symbol (BABA is a known listing: no --tz).
    naive = minutes("America/New_York", [("2025-11-19 09:30", "2025-11-19 11:30")], "15min")
    plain = _walk(naive, 158.0, np.random.default_rng(SEED + 6)).rename(columns=str.lower)
    plain.index = naive.tz_localize(None).rename("timestamp")
    plain.to_parquet(folder / "vendor_naive_15m.parquet")
    expect("vendor_naive_15m.parquet", ["--symbol", "BABA"], {"BABA": span(naive, "15m")})

    # 7. A bar-API aggregates response: t = bar start in epoch milliseconds, top-level ticker.
    agg = minutes("America/New_York", [("2025-11-20 09:30", "2025-11-20 10:30")], "5min")
    bars = _walk(agg, 160.0, np.random.default_rng(SEED + 7))
    results = [{"v": float(r.Volume), "vw": round((r.High + r.Low) / 2, 4), "o": r.Open, "c": r.Close,
                "h": r.High, "l": r.Low, "t": int(ts.timestamp() * 1000), "n": 100}
               for ts, r in zip(agg, bars.itertuples())]
    (folder / "aggregates_BABA_5m.json").write_text(json.dumps({
        "ticker": "BABA", "queryCount": len(results), "resultsCount": len(results), "adjusted": False,
        "results": results, "status": "OK", "request_id": "synthetic", "count": len(results)}), encoding="utf-8")
    expect("aggregates_BABA_5m.json", [], {"BABA": span(agg, "5m")})

    # 8. A JSON array of {t: RFC 3339, o, h, l, c, v}, no symbol.
    arr = minutes("Asia/Hong_Kong", [("2025-11-19 09:30", "2025-11-19 12:00")], "15min")
    items = _walk(arr, 156.0, np.random.default_rng(SEED + 8))
    (folder / "bars_9988HK_15m.json").write_text(json.dumps([
        {"t": ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"), "o": r.Open, "h": r.High, "l": r.Low,
         "c": r.Close, "v": int(r.Volume)} for ts, r in zip(arr, items.itertuples())]), encoding="utf-8")
    expect("bars_9988HK_15m.json", ["--symbol", "9988.HK"], {"9988.HK": span(arr, "15m")})

    # 9. Our own flat CSV (what `export data --table bars` writes): symbol, ts, OHLCV, source...
    ours = minutes("America/New_York", [("2025-11-21 09:30", "2025-11-21 15:30")], "60min")
    flat = _walk(ours, 35.0, np.random.default_rng(SEED + 9)).rename(columns=str.lower)
    flat.insert(0, "ts", ours.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"))
    flat.insert(0, "symbol", "KWEB")
    flat.assign(source="yahoo", interval="60m", unit="USD").to_csv(folder / "export_KWEB_60m.csv", index=False)
    expect("export_KWEB_60m.csv", [], {"KWEB": span(ours, "60m")})
    return specs


if __name__ == "__main__":
    for spec in write_bar_files(Path(sys.argv[1] if len(sys.argv) > 1 else "bar-files")):
        print(spec["file"])
