"""Vendor import: bars from any CSV or Parquet file, checked row by row.

The timestamp column is found by its usual names; OHLCV names match case-insensitively; naive
timestamps need a zone (``--tz``). A row is rejected — reported as ``FILE:line: field: reason``
and skipped — when a value is unreadable, a price is not positive, the volume is negative,
low > open/close, open/close > high, or its timestamp repeats an earlier row. Good rows are
stored as ``source = import:<file name>``.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from dashboard.prices.normalise import BAR_FRAME_COLUMNS
from dashboard.store import bars as bar_store

TIMESTAMP_NAMES = ["timestamp", "datetime", "date", "time", "ts"]
PRICE_FIELDS = ["open", "high", "low", "close"]


class ImportFileError(ValueError):
    """The file as a whole cannot be read (missing column, naive times without a zone...)."""


@dataclasses.dataclass
class ImportResult:
    path: Path
    symbol: str
    interval: str
    source: str
    good: pd.DataFrame
    problems: list[str]
    stored: int = 0


def _read_table(path: Path) -> tuple[pd.DataFrame, int]:
    """The raw table as strings/objects, and the offset from row position to a line number."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
        if not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index()  # a vendor may keep the timestamps on the index
        return frame, 1  # "line" = 1-based row number
    if suffix in (".csv", ".txt"):
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True), 2
    raise ImportFileError(f"{path}: unsupported file type {suffix or '(none)'}; use .csv or .parquet")


def _find_columns(path: Path, frame: pd.DataFrame) -> dict[str, str]:
    by_lower = {str(c).strip().lower(): c for c in frame.columns}
    found = {}
    for name in TIMESTAMP_NAMES:
        if name in by_lower:
            found["timestamp"] = by_lower[name]
            break
    else:
        raise ImportFileError(
            f"{path}: no timestamp column (looked for {', '.join(TIMESTAMP_NAMES)}; "
            f"found {', '.join(map(str, frame.columns))})")
    for field in PRICE_FIELDS + ["volume"]:
        if field in by_lower:
            found[field] = by_lower[field]
        elif field != "volume":
            raise ImportFileError(f"{path}: no {field} column")
    return found


def _parse_time(value, zone: str | None):
    """A UTC Timestamp, or (None, reason)."""
    text = str(value).strip()
    if not text or text.lower() in ("nan", "nat", "none"):
        return None, "empty"
    try:
        ts = pd.Timestamp(value if not isinstance(value, str) else text)
    except (ValueError, TypeError):
        return None, f"cannot read {text!r} as a date/time"
    if ts is pd.NaT:
        return None, "empty"
    if ts.tzinfo is None:
        if zone is None:
            return None, "naive"
        ts = ts.tz_localize(zone)
    return ts.tz_convert("UTC"), None


def _parse_number(value):
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def infer_interval(times: pd.Series) -> str:
    """The bar interval from the most common gap between consecutive timestamps."""
    gaps = pd.Series(sorted(times)).diff().dropna()
    if gaps.empty:
        return "1d"
    step = gaps.mode().iloc[0]
    for name in ["1m", "2m", "5m", "15m", "30m", "60m", "90m", "1d"]:
        if step <= bar_store.interval_length(name):
            return name
    return "1wk"


def read_vendor_file(path, symbol: str, interval: str | None = None, tz: str | None = None) -> ImportResult:
    """Validate every row; return the good bars and one problem line per rejected row."""
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"{path}: no such file")
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ImportFileError(f"--tz {tz!r}: not an IANA time zone (e.g. America/New_York)") from None
    if interval is not None:
        bar_store.interval_length(interval)
    frame, first_line = _read_table(path)
    columns = _find_columns(path, frame)
    problems: list[str] = []
    good_rows: list[dict] = []
    seen: dict[pd.Timestamp, int] = {}
    for position, row in enumerate(frame.to_dict("records")):
        line = position + first_line
        where = f"{path.name}:{line}"
        ts, why = _parse_time(row[columns["timestamp"]], tz)
        if why == "naive":
            raise ImportFileError(
                f"{where}: {columns['timestamp']}: timestamp has no time zone; pass --tz ZONE")
        if ts is None:
            problems.append(f"{where}: {columns['timestamp']}: {why}")
            continue
        values, bad = {}, None
        for field in PRICE_FIELDS + ["volume"]:
            if field not in columns:
                values[field] = float("nan")
                continue
            number = _parse_number(row[columns[field]])
            if number is None or number != number:
                if field == "volume" and str(row[columns[field]]).strip() == "":
                    values[field] = float("nan")
                    continue
                bad = f"{field}: not a number ({str(row[columns[field]]).strip()!r})"
                break
            values[field] = number
        if bad is None:
            bad = _check_bar(values)
        if bad is None and ts in seen:
            bad = f"timestamp: duplicate of line {seen[ts]}"
        if bad is not None:
            problems.append(f"{where}: {bad}")
            continue
        seen[ts] = line
        good_rows.append({"ts": ts, **values})
    good = pd.DataFrame(good_rows, columns=BAR_FRAME_COLUMNS)
    good["ts"] = pd.to_datetime(good["ts"], utc=True)
    good = good.sort_values("ts").reset_index(drop=True)
    chosen = interval or infer_interval(good["ts"])
    return ImportResult(path, symbol, chosen, f"import:{path.name}", good, problems)


def _check_bar(v: dict) -> str | None:
    for field in PRICE_FIELDS:
        if not v[field] > 0:
            return f"{field}: must be > 0 (got {v[field]:g})"
    if v["volume"] == v["volume"] and v["volume"] < 0:
        return f"volume: must be >= 0 (got {v['volume']:g})"
    if v["low"] > min(v["open"], v["close"]):
        return f"low: {v['low']:g} is above open/close"
    if v["high"] < max(v["open"], v["close"]):
        return f"high: {v['high']:g} is below open/close"
    return None


def import_file(con, path, symbol: str, interval: str | None = None, tz: str | None = None) -> ImportResult:
    """Read, validate and store a vendor file; the result lists what was rejected."""
    result = read_vendor_file(path, symbol, interval, tz)
    if not result.good.empty:
        result.stored = bar_store.upsert_bars(
            con, result.good, symbol=symbol, interval=result.interval, source=result.source)
    return result
