"""Vendor import: bars from the files users have (see ``readers``), checked row by row.

For every shape the same rules apply:

- **Symbol** from the file when it names one (a yfinance ticker group, a ``symbol``/``ticker``
  column or field); otherwise ``--symbol``. A ``--symbol`` the file does not name is an error; one
  it names picks that symbol out of a file with several.
- **Time zone** from the values' UTC offsets; naive values are local to ``--tz``, else to the
  exchange of a known listing; neither is an error that names ``--tz``.
- **Interval** inferred per symbol from the most common spacing (or ``--interval``, checked
  against it). Daily (and longer) bars are keyed by the exchange-local date at local midnight, as
  the resampler labels them.
- **Rows**: a row with an unreadable time or value, a price <= 0, a negative volume, or low/high
  not bracketing open/close is reported as ``FILE:where: field: reason`` and skipped. A repeated
  bar time keeps the later row, with one warning per symbol. Rows outside regular sessions are
  kept (pre/post-market bars are bars).

Good rows are stored as ``source = import:<file name>``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from dashboard.prices import readers
from dashboard.prices.normalise import BAR_FRAME_COLUMNS
from dashboard.store import bars as bar_store

PRICE_FIELDS = ["open", "high", "low", "close"]
# Intervals a spacing can be recognised as (exactly); daily and longer are matched by range.
INTRADAY = ["1m", "2m", "5m", "15m", "30m", "60m", "90m"]
LONGER = [("1d", pd.Timedelta(hours=20), pd.Timedelta(days=4)),
          ("1wk", pd.Timedelta(days=5), pd.Timedelta(days=8)),
          ("1mo", pd.Timedelta(days=27), pd.Timedelta(days=32))]
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unknown shape, no symbol, naive times without a zone...)."""


@dataclasses.dataclass
class Series:
    """The good bars of one symbol in one file."""

    symbol: str
    interval: str
    bars: pd.DataFrame  # BAR_FRAME_COLUMNS, ts in UTC, sorted, one row per ts
    stored: int = 0

    @property
    def first(self) -> pd.Timestamp:
        return self.bars["ts"].iloc[0]

    @property
    def last(self) -> pd.Timestamp:
        return self.bars["ts"].iloc[-1]


@dataclasses.dataclass
class ImportResult:
    path: Path
    shape: str
    source: str
    series: list[Series]
    problems: list[str]  # rejected rows, one line each
    warnings: list[str]  # kept going, but the user should know (duplicates)

    @property
    def stored(self) -> int:
        return sum(s.stored for s in self.series)


def check_options(tz: str | None, interval: str | None) -> None:
    """Refuse a bad --tz / --interval before any file is read."""
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ImportFileError(f"--tz {tz!r}: not an IANA time zone (e.g. America/New_York)") from None
    if interval is not None:
        try:
            bar_store.interval_length(interval)
        except KeyError as exc:
            raise ImportFileError(f"--interval: {exc.args[0]}") from None


def import_file(con, path, symbol: str | None = None, interval: str | None = None,
                tz: str | None = None) -> ImportResult:
    """Read, check and store one file (the caller holds the transaction). The only store access:
    the zone of known listings, and the upsert."""
    result = read_bars(path, symbol, interval, tz, zone_of=lambda s: bar_store.listing_zone(con, s))
    for series in result.series:
        series.stored = bar_store.upsert_bars(con, series.bars, symbol=series.symbol,
                                              interval=series.interval, source=result.source)
    return result


def read_bars(path, symbol: str | None = None, interval: str | None = None, tz: str | None = None,
              zone_of: Callable[[str], str | None] = lambda s: None) -> ImportResult:
    """Every row checked; the good bars per symbol, one problem line per rejected row.

    ``zone_of(symbol)``: the exchange zone of a known listing, or None.
    """
    path = Path(path)
    check_options(tz, interval)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    try:
        raw = readers.read(path)
    except readers.FileShapeError as exc:
        raise ImportFileError(str(exc)) from None
    name = path.name
    rows = _assign_symbols(name, raw, symbol)
    problems: list[str] = []
    warnings: list[str] = []
    good: dict[str, list[tuple[pd.Timestamp, bool, dict]]] = {}
    for row in rows.itertuples(index=False):
        where = f"{name}:{row.where}"
        raw_values = [getattr(row, f) for f in readers.FIELDS]
        if raw.sparse and all(_is_empty(v) for v in raw_values):
            continue  # another ticker's time in a yfinance download: not a bar of this one
        if row.symbol is None:
            problems.append(f"{where}: symbol: empty")
            continue
        ts, date_only, why = _parse_time(row.time)
        if why is not None:
            problems.append(f"{where}: {raw.time_name}: {why}")
            continue
        values, bad = _numbers(raw_values, raw.field_names)
        if bad is None:
            bad = _check_bar(values)
        if bad is not None:
            problems.append(f"{where}: {bad}")
            continue
        if ts.tzinfo is None:
            zone = tz or zone_of(row.symbol)
            if zone is None:
                raise ImportFileError(
                    f"{where}: {raw.time_name}: the times have no UTC offset and {row.symbol} is not a "
                    f"known listing; pass --tz ZONE (e.g. America/New_York)")
            ts = ts.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
            if ts is pd.NaT:
                problems.append(f"{where}: {raw.time_name}: {row.time} does not exist once in {zone} (clock change)")
                continue
        good.setdefault(row.symbol, []).append((ts, date_only, values))
    series = []
    for sym, found in good.items():
        chosen = _interval_for(name, sym, found, interval)
        frame = _bar_frame(found, chosen, tz or zone_of(sym))
        repeated = len(frame) - frame["ts"].nunique()
        if repeated:
            warnings.append(f"{name}: {sym}: {repeated} row(s) repeat an earlier bar time; the later row wins")
            frame = frame.drop_duplicates(subset="ts", keep="last")
        series.append(Series(sym, chosen, frame.sort_values("ts", kind="stable").reset_index(drop=True)))
    return ImportResult(path, raw.shape, f"import:{name}", series, problems, warnings)


def _assign_symbols(name: str, raw: readers.RawTable, wanted: str | None) -> pd.DataFrame:
    rows = raw.rows
    named = sorted({str(s) for s in rows["symbol"].dropna()})
    if raw.names_symbols and named:
        if wanted is None:
            return rows
        match = [s for s in named if s.upper() == wanted.strip().upper()]
        if not match:
            raise ImportFileError(f"{name}: --symbol {wanted} contradicts the file, which names {', '.join(named)}")
        return rows[rows["symbol"] == match[0]]
    if not wanted:
        raise ImportFileError(f"{name}: the file does not name its symbol, so pass --symbol SYMBOL.")
    return rows.assign(symbol=wanted.strip())


def _is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value.strip().lower() in ("", "nan")


def _parse_time(value) -> tuple[pd.Timestamp | None, bool, str | None]:
    """(timestamp, date only?, None) or (None, False, reason)."""
    if _is_empty(value) or value is pd.NaT:
        return None, False, "empty"
    if isinstance(value, (bool, int, float)):
        return None, False, f"cannot read {value!r} as a date/time (a bare number)"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return pd.Timestamp(value), True, None
    text = value.strip() if isinstance(value, str) else value
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None, False, f"cannot read {str(text)!r} as a date/time"
    if ts is pd.NaT:
        return None, False, "empty"
    return ts, isinstance(text, str) and bool(_DATE_ONLY.match(text)), None


def _numbers(raw_values: list, names: dict[str, str]) -> tuple[dict, str | None]:
    values = {}
    for field, value in zip(readers.FIELDS, raw_values):
        if _is_empty(value):
            if field == "volume":
                values[field] = float("nan")
                continue
            return values, f"{field}: empty"
        try:
            number = float(value.strip().replace(",", "") if isinstance(value, str) else value)
        except (TypeError, ValueError):
            number = float("nan")
        if number != number:
            return values, f"{field}: not a number ({str(value).strip()!r})"
        values[field] = number
    return values, None


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


def infer_interval(times) -> str | None:
    """The bar interval from the most common gap between consecutive distinct times, or None
    when the spacing is no interval this stores."""
    ordered = pd.Series(sorted(set(pd.to_datetime(list(times), utc=True))))
    gaps = ordered.diff().dropna()
    if gaps.empty:
        return None
    step = gaps.mode().iloc[0]
    for name in INTRADAY:
        if step == bar_store.interval_length(name):
            return name
    return next((name for name, low, high in LONGER if low <= step <= high), None)


def _spacing(times) -> str:
    ordered = pd.Series(sorted(set(pd.to_datetime(list(times), utc=True))))
    step = ordered.diff().dropna().mode().iloc[0]
    return str(step).replace("0 days ", "") if step < pd.Timedelta(days=1) else str(step)


def _interval_for(name: str, symbol: str, found: list, given: str | None) -> str:
    """--interval, checked against the spacing; else the spacing's interval."""
    times = [ts for ts, _, _ in found]
    distinct = len(set(pd.to_datetime(times, utc=True)))
    inferred = infer_interval(times)
    if given is not None:
        if distinct > 1 and inferred is not None and \
                bar_store.interval_length(inferred) < bar_store.interval_length(given):
            raise ImportFileError(f"{name}: {symbol}: --interval {given}, but most bars are {_spacing(times)} apart")
        return given
    if inferred is not None:
        return inferred
    if distinct == 1 and all(date_only or ts == ts.normalize() for ts, date_only, _ in found):
        return "1d"  # one bar at midnight (or a bare date) is one day's bar
    spacing = f"most bars are {_spacing(times)} apart" if distinct > 1 else "one bar only"
    raise ImportFileError(f"{name}: {symbol}: cannot tell the bar interval ({spacing}); pass --interval")


def _bar_frame(found: list, interval: str, zone: str | None) -> pd.DataFrame:
    """The bars with ts in UTC; daily and longer ones at local midnight of the exchange date."""
    daily = bar_store.interval_length(interval) >= pd.Timedelta(days=1)
    stamps = []
    for ts, _, _ in found:
        if daily:
            # The exchange's date when its zone is known, else the date as written.
            local = ts.tz_convert(zone) if zone else ts
            ts = pd.Timestamp(local.date()).tz_localize(zone or local.tzinfo)
        stamps.append(ts.tz_convert("UTC"))
    frame = pd.DataFrame([values for _, _, values in found], columns=BAR_FRAME_COLUMNS[1:])
    frame.insert(0, "ts", pd.DatetimeIndex(stamps))
    return frame
