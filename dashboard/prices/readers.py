"""Bar files as users have them, read into one raw row table (no validation yet).

Shapes (see docs/prices.md for the detection table):

- yfinance ``yf.download(...).to_csv()``: a ``Price``/``Ticker``/``Datetime`` (or ``Date``)
  three-row header, one column group per ticker (``group_by="ticker"`` swaps the first two rows);
- flat CSV: ``Ticker.history(...).to_csv()``, our own export, any vendor's table with a time
  column and open/high/low/close[/volume], optionally a ``symbol``/``ticker`` column;
- Parquet: the same flat table (time column or index), or a yfinance frame's MultiIndex columns;
- bar-API JSON: an aggregates response (``results[]`` with ``t`` in epoch milliseconds and a
  top-level ``ticker``), an array of ``{t, o, h, l, c, v}``, or ``{"bars": [...] | {SYM: [...]}}``.

Every row keeps where it came from (a CSV line, a Parquet row, a JSON item) so a rejected row can
be named; the importer does the parsing and checking, once, for every shape.
"""
from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd

FIELDS = ["open", "high", "low", "close", "volume"]
TIME_NAMES = ["timestamp", "datetime", "date", "time", "ts", "t"]
SYMBOL_NAMES = ["symbol", "ticker"]
# Short names bar APIs use, and the long ones vendors use.
FIELD_NAMES = {"open": ("open", "o"), "high": ("high", "h"), "low": ("low", "l"),
               "close": ("close", "c"), "volume": ("volume", "v")}
RAW_COLUMNS = ["where", "symbol", "time"] + FIELDS


class FileShapeError(ValueError):
    """The file as a whole cannot be read as bars (unknown shape, missing column...)."""


@dataclasses.dataclass
class RawTable:
    """The rows of one file before validation. ``rows`` has RAW_COLUMNS; ``where`` names the row
    (``"12"`` for a CSV line, ``"results[3]"`` for a JSON item); ``symbol`` is None where the file
    does not say. ``sparse``: rows without any value are gaps, not bars (yfinance pads each ticker's
    group with the other tickers' times)."""

    shape: str
    rows: pd.DataFrame
    time_name: str
    field_names: dict[str, str]
    names_symbols: bool
    sparse: bool = False


def read(path: Path) -> RawTable:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    if suffix == ".json":
        return _read_json(path)
    raise FileShapeError(f"{path.name}: unsupported file type {suffix or '(none)'}; use .csv, .parquet or .json")


def _table(shape, records, time_name, field_names, names_symbols) -> RawTable:
    rows = pd.DataFrame.from_records(records, columns=RAW_COLUMNS) if records else pd.DataFrame(columns=RAW_COLUMNS)
    return RawTable(shape, rows, time_name, field_names, names_symbols)


# --- CSV ---------------------------------------------------------------------------------------

def _read_csv(path: Path) -> RawTable:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        lines = [(reader.line_num, row) for reader in [csv.reader(handle)] for row in reader]
    lines = [(n, row) for n, row in lines if any(cell.strip() for cell in row)]
    if not lines:
        raise FileShapeError(f"{path.name}: empty file")
    if _is_yfinance_header([row for _, row in lines[:3]]):
        return _read_yfinance_csv(path, lines)
    header = [cell.strip() for cell in lines[0][1]]
    return _flat(path, "flat CSV", header, ((str(n), row) for n, row in lines[1:]))


def _is_yfinance_header(first: list[list[str]]) -> bool:
    if len(first) < 2:
        return False
    heads = [row[0].strip() if row else "" for row in first]
    return {heads[0], heads[1]} == {"Price", "Ticker"}


def _read_yfinance_csv(path: Path, lines: list[tuple[int, list[str]]]) -> RawTable:
    price_row, ticker_row = (lines[0][1], lines[1][1]) if lines[0][1][0].strip() == "Price" else (lines[1][1], lines[0][1])
    start = 2
    time_name = "Datetime"
    # pandas writes the index name on a third row of its own ("Datetime,,,,,") when it has one.
    if len(lines) > 2 and not any(cell.strip() for cell in lines[2][1][1:]) \
            and not lines[2][1][0].strip()[:1].isdigit():
        time_name = lines[2][1][0].strip() or time_name
        start = 3
    pairs = [(p.strip(), t.strip()) for p, t in zip(price_row[1:], ticker_row[1:])]
    data = ((str(n), row[0], row[1:]) for n, row in lines[start:])
    return _from_wide(path, "yfinance download CSV", pairs, data, time_name)


def _from_wide(path: Path, shape: str, pairs: list[tuple[str, str]], data, time_name: str) -> RawTable:
    """Rows × (price field, ticker) columns → one raw row per time and ticker."""
    groups: dict[str, dict[str, int]] = {}
    for position, (price, ticker) in enumerate(pairs):
        field = _field_for(price)
        if field is not None and ticker:
            groups.setdefault(ticker, {})[field] = position
    if not groups:
        raise FileShapeError(f"{path.name}: no ticker column groups with Open/High/Low/Close")
    for ticker, fields in groups.items():
        missing = [f for f in FIELDS[:4] if f not in fields]
        if missing:
            raise FileShapeError(f"{path.name}: {ticker}: no {missing[0]} column")
    wheres, times, grid = [], [], []
    width = len(pairs)
    for where, time_value, values in data:
        wheres.append(where)
        times.append(time_value)
        grid.append((list(values) + [""] * width)[:width])
    cells = np.array(grid, dtype=object).reshape(len(grid), width)
    # One frame per ticker, then back into file order (line by line, ticker by ticker).
    frames = [pd.DataFrame({"where": wheres, "symbol": ticker, "time": times,
                            **{f: cells[:, fields[f]] if f in fields else "" for f in FIELDS}})
              for ticker, fields in groups.items()]
    rows = pd.concat(frames).sort_index(kind="stable").reset_index(drop=True)[RAW_COLUMNS]
    names = {f: f.capitalize() for f in FIELDS}
    return RawTable(shape, rows, time_name, names, names_symbols=True, sparse=True)


def _field_for(name: str) -> str | None:
    """'Open'/'o'/'OPEN' → 'open'; 'Adj Close', 'Dividends' and the like → None."""
    lowered = str(name).strip().lower()
    for field, spellings in FIELD_NAMES.items():
        if lowered in spellings:
            return field
    return None


def _flat(path: Path, shape: str, header: list[str], data) -> RawTable:
    """A table with one header row: find the time, symbol and price columns by name."""
    by_lower = {name.lower(): position for position, name in enumerate(header)}
    time_at = next((by_lower[n] for n in TIME_NAMES if n in by_lower), None)
    if time_at is None and header and not header[0].strip():
        time_at = 0  # to_csv() of a frame whose time index has no name: the first, unnamed column
    if time_at is None:
        raise FileShapeError(
            f"{path.name}: no time column (looked for {', '.join(TIME_NAMES)}; found {', '.join(header)})")
    symbol_at = next((by_lower[n] for n in SYMBOL_NAMES if n in by_lower), None)
    columns = {}
    for position, name in enumerate(header):
        field = _field_for(name)
        if field is not None and field not in columns:
            columns[field] = position
    missing = [f for f in FIELDS[:4] if f not in columns]
    if missing:
        raise FileShapeError(f"{path.name}: no {missing[0]} column")

    def cell(row, at):
        return row[at] if at is not None and at < len(row) else ""

    records = [[where, (str(cell(row, symbol_at)).strip() or None) if symbol_at is not None else None,
                cell(row, time_at)] + [cell(row, columns.get(f)) for f in FIELDS]
               for where, row in data]
    names = {f: (header[columns[f]] if f in columns else f) for f in FIELDS}
    return _table(shape, records, header[time_at] or "time", names, names_symbols=symbol_at is not None)


# --- Parquet -----------------------------------------------------------------------------------

def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise FileShapeError(f"{path.name}: not a readable Parquet file ({exc})") from None
    if isinstance(frame.columns, pd.MultiIndex) and frame.columns.nlevels == 2:
        names = list(frame.columns.names)
        price_level = names.index("Price") if "Price" in names else 0
        pairs = [(str(c[price_level]), str(c[1 - price_level])) for c in frame.columns]
        time_name = str(frame.index.name or "index")
        data = ((str(n + 1), when, list(values)) for n, (when, values)
                in enumerate(zip(frame.index, frame.itertuples(index=False, name=None))))
        return _from_wide(path, "yfinance frame as Parquet", pairs, data, time_name)
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()  # a vendor may keep the times on the index
    header = [str(c) for c in frame.columns]
    rows = ((str(n + 1), list(values)) for n, values in enumerate(frame.itertuples(index=False, name=None)))
    return _flat(path, "Parquet table", header, rows)


# --- JSON --------------------------------------------------------------------------------------

def _read_json(path: Path) -> RawTable:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileShapeError(f"{path.name}: not valid JSON ({exc})") from None
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        ticker = document.get("ticker")
        return _json_items(path, "bar-API aggregates JSON", [("results", ticker, document["results"])],
                           millis=True)
    if isinstance(document, list):
        return _json_items(path, "JSON array of bars", [("", None, document)])
    if isinstance(document, dict) and isinstance(document.get("bars"), list):
        return _json_items(path, "JSON bars", [("bars", document.get("symbol"), document["bars"])])
    if isinstance(document, dict) and isinstance(document.get("bars"), dict):
        return _json_items(path, "JSON bars by symbol",
                           [(f"bars.{sym}", sym, items) for sym, items in document["bars"].items()])
    raise FileShapeError(
        f"{path.name}: not a bar JSON shape this reads (an aggregates response with results[], "
        "an array of {t, o, h, l, c, v}, or {\"bars\": ...})")


def _json_items(path: Path, shape: str, blocks, millis: bool = False) -> RawTable:
    """Items of one or more JSON arrays; ``millis``: a numeric ``t`` is epoch milliseconds."""
    records, names_symbols = [], False
    for prefix, block_symbol, items in blocks:
        for position, item in enumerate(items):
            where = f"{prefix}[{position}]"
            if not isinstance(item, dict):
                records.append([where, block_symbol, None] + [""] * len(FIELDS))
                continue
            lowered = {str(k).lower(): v for k, v in item.items()}
            symbol = block_symbol or next((lowered[n] for n in SYMBOL_NAMES if lowered.get(n)), None)
            names_symbols = names_symbols or symbol is not None
            time_value = next((lowered[n] for n in TIME_NAMES if n in lowered), None)
            if isinstance(time_value, (int, float)) and not isinstance(time_value, bool):
                # Bar APIs give numeric times in epoch milliseconds; a small number stays unread (rejected).
                if millis or time_value > 1e11:
                    time_value = pd.Timestamp(int(time_value), unit="ms", tz="UTC")
            values = [next((lowered[s] for s in FIELD_NAMES[f] if s in lowered), "") for f in FIELDS]
            records.append([where, str(symbol) if symbol is not None else None, time_value] + values)
    names = {f: FIELD_NAMES[f][1] for f in FIELDS}
    return _table(shape, records, "t", names, names_symbols)
