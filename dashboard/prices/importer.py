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
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from dashboard.prices import readers, rows
from dashboard.store import bars as bar_store

# Intervals a spacing can be recognised as (exactly); daily and longer are matched by range.
INTRADAY = ["1m", "2m", "5m", "15m", "30m", "60m", "90m"]
LONGER = [("1d", pd.Timedelta(hours=20), pd.Timedelta(days=4)),
          ("1wk", pd.Timedelta(days=5), pd.Timedelta(days=8)),
          ("1mo", pd.Timedelta(days=27), pd.Timedelta(days=32))]


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unknown shape, no symbol, naive times without a zone...)."""


@dataclasses.dataclass
class Series:
    """The good bars of one symbol in one file."""

    symbol: str
    interval: str
    bars: pd.DataFrame  # ts (UTC), open, high, low, close, volume, sorted, one row per ts
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
    good, rejected = rows.check(raw, _assign_symbols(name, raw, symbol))
    problems = [(where, f"{name}:{where}: {reason}") for where, reason in rejected]
    warnings: list[str] = []
    series = []
    for sym, found in good.groupby("symbol", sort=False):
        zone = tz or zone_of(sym)
        found, unplaced = _to_utc(name, raw.time_name, sym, found, zone)
        problems += unplaced
        if found.empty:
            continue
        chosen = _interval_for(name, sym, found, interval, zone)
        frame = _bar_frame(found, chosen, zone)
        repeated = len(frame) - frame["ts"].nunique()
        if repeated:
            warnings.append(f"{name}: {sym}: {repeated} row(s) repeat an earlier bar time; the later row wins")
            frame = frame.drop_duplicates(subset="ts", keep="last")
        series.append(Series(sym, chosen, frame.sort_values("ts", kind="stable").reset_index(drop=True)))
    if len(problems) != len(rejected):  # clock-change rows join the others in file order
        order = {where: n for n, where in enumerate(raw.rows["where"].drop_duplicates())}
        problems.sort(key=lambda item: order.get(item[0], 0))
    return ImportResult(path, raw.shape, f"import:{name}", series, [text for _, text in problems], warnings)


def _assign_symbols(name: str, raw: readers.RawTable, wanted: str | None) -> pd.DataFrame:
    table = raw.rows
    named = sorted({str(s) for s in table["symbol"].dropna()})
    if raw.names_symbols and named:
        if wanted is None:
            return table
        match = [s for s in named if s.upper() == wanted.strip().upper()]
        if not match:
            raise ImportFileError(f"{name}: --symbol {wanted} contradicts the file, which names {', '.join(named)}")
        return table[table["symbol"] == match[0]]
    if not wanted:
        raise ImportFileError(f"{name}: the file does not name its symbol, so pass --symbol SYMBOL.")
    return table.assign(symbol=wanted.strip())


def _to_utc(name: str, time_name: str, symbol: str, found: pd.DataFrame, zone: str | None):
    """Naive times localised in ``zone`` (an error without one); a local time that a clock change
    skips or repeats is a rejected row. Returns (rows with ``ts`` in UTC, [(where, problem)])."""
    naive = found["aware"].isna()
    ts = found["aware"].copy()
    if naive.any():
        if zone is None:
            where = found.loc[naive, "where"].iloc[0]
            raise ImportFileError(
                f"{name}:{where}: {time_name}: the times have no UTC offset and {symbol} is not a "
                f"known listing; pass --tz ZONE (e.g. America/New_York)")
        local = pd.DatetimeIndex(found.loc[naive, "naive"]).tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        ts[naive] = local.tz_convert("UTC")
    lost = ts.isna()
    unplaced = [(where, f"{name}:{where}: {time_name}: {str(time).strip()} is not one moment in {zone} (clock change)")
                for where, time in zip(found.loc[lost, "where"], found.loc[lost, "time"])]
    return found[~lost].assign(ts=ts[~lost]), unplaced


def infer_interval(times: pd.Series) -> str | None:
    """The bar interval from the most common gap between consecutive distinct times, or None
    when the spacing is no interval this stores."""
    gaps = pd.Series(pd.to_datetime(times, utc=True).drop_duplicates().sort_values().to_numpy()).diff().dropna()
    if gaps.empty:
        return None
    step = gaps.mode().iloc[0]
    for name in INTRADAY:
        if step == bar_store.interval_length(name):
            return name
    return next((name for name, low, high in LONGER if low <= step <= high), None)


def _spacing(times: pd.Series) -> str:
    ordered = pd.Series(pd.to_datetime(times, utc=True).drop_duplicates().sort_values().to_numpy())
    step = ordered.diff().dropna().mode().iloc[0]
    return str(step).replace("0 days ", "") if step < pd.Timedelta(days=1) else str(step)


def _interval_for(name: str, symbol: str, found: pd.DataFrame, given: str | None, zone: str | None) -> str:
    """--interval, checked against the spacing; else the spacing's interval."""
    times = found["ts"]
    distinct = times.nunique()
    inferred = infer_interval(times)
    if given is not None:
        if distinct > 1 and inferred is not None and \
                bar_store.interval_length(inferred) < bar_store.interval_length(given):
            raise ImportFileError(f"{name}: {symbol}: --interval {given}, but most bars are {_spacing(times)} apart")
        return given
    if inferred is not None:
        return inferred
    local = times.dt.tz_convert(zone or "UTC")
    if distinct == 1 and bool((found["date_only"] | (local == local.dt.normalize())).all()):
        return "1d"  # one bar at midnight (or a bare date) is one day's bar
    spacing = f"most bars are {_spacing(times)} apart" if distinct > 1 else "one bar only"
    raise ImportFileError(f"{name}: {symbol}: cannot tell the bar interval ({spacing}); pass --interval")


def _bar_frame(found: pd.DataFrame, interval: str, zone: str | None) -> pd.DataFrame:
    """The bars with ts in UTC; daily and longer ones at local midnight of the exchange date
    (the date as written, in its own offset, when the exchange is unknown)."""
    ts = found["ts"]
    if bar_store.interval_length(interval) >= pd.Timedelta(days=1):
        if zone:
            ts = ts.dt.tz_convert(zone).dt.normalize().dt.tz_convert("UTC")
        else:
            ts = pd.Series([_midnight_as_written(t) for t in found["time"]], index=found.index)
    frame = found[readers.FIELDS].astype("float64")
    frame.insert(0, "ts", pd.to_datetime(ts, utc=True))
    return frame.reset_index(drop=True)


def _midnight_as_written(value) -> pd.Timestamp:
    stamp = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    return pd.Timestamp(stamp.date()).tz_localize(stamp.tzinfo).tz_convert("UTC")
