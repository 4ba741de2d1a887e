"""Row checks for imported bars, column at a time (a month of two tickers' minutes is 60k rows).

``check(raw, rows)`` parses the times and numbers of a raw table (``readers``) and gives back the
good rows plus one reason per rejected row, in file order. The first failing check names the
row: its symbol, its time, then open, high, low, close, volume (readable; prices > 0; volume >= 0
or absent), then low <= open/close <= high.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard.prices.readers import FIELDS, RawTable

PRICE_FIELDS = FIELDS[:4]
_OFFSET = r"(?:Z|z|[+-]\d\d:?\d\d)$"
_DATE_ONLY = r"\d{4}-\d{2}-\d{2}"


def is_empty(value) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value.strip().lower() in ("", "nan", "nat", "none")


def _time_text(value):
    """A time as ISO text; None for an empty cell; the value itself when it is no time at all."""
    if is_empty(value):
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value  # a number or another type: rejected below


def parse_times(values: pd.Series, name: str) -> pd.DataFrame:
    """Per row: ``aware`` (UTC, from values with an offset), ``naive`` (values without one),
    ``date_only`` and ``reason`` (None when readable)."""
    text = values.astype(object).map(_time_text)
    is_text = text.map(lambda v: isinstance(v, str))
    strings = text.where(is_text)
    has_offset = strings.str.contains(_OFFSET, regex=True, na=False)
    out = pd.DataFrame({
        "aware": pd.to_datetime(strings.where(has_offset), utc=True, errors="coerce", format="ISO8601"),
        "naive": pd.to_datetime(strings.where(is_text & ~has_offset), errors="coerce", format="ISO8601"),
        "date_only": strings.str.fullmatch(_DATE_ONLY, na=False).astype(bool),
        "reason": pd.Series(None, index=values.index, dtype=object),
    }, index=values.index)
    out.loc[text.isna(), "reason"] = f"{name}: empty"
    for position in np.flatnonzero((text.notna() & ~is_text).to_numpy()):
        out.iloc[position, out.columns.get_loc("reason")] = (
            f"{name}: cannot read {text.iloc[position]!r} as a date/time (a bare number)")
    # Anything ISO 8601 did not read gets pandas' general parser, row by row (rare, e.g. 11/14/2025).
    unread = is_text & out["aware"].isna() & out["naive"].isna()
    for label in out.index[unread]:
        try:
            stamp = pd.Timestamp(strings[label])
        except (ValueError, TypeError, OverflowError):
            stamp = pd.NaT
        if stamp is pd.NaT:
            out.at[label, "reason"] = f"{name}: cannot read {strings[label]!r} as a date/time"
        elif stamp.tzinfo is None:
            out.at[label, "naive"] = stamp
        else:
            out.at[label, "aware"] = stamp.tz_convert("UTC")
    return out


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(float values, empty mask, unreadable mask)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        return numbers, numbers.isna(), pd.Series(False, index=values.index)
    cells = values.astype(object)
    text = cells.where(cells.notna(), "").astype(str).str.strip()
    empty = text.str.lower().isin(["", "nan", "nat", "none"])
    numbers = pd.to_numeric(text.str.replace(",", "", regex=False).where(~empty), errors="coerce").astype("float64")
    return numbers, empty, ~empty & numbers.isna()


def check(raw: RawTable, rows: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """(good rows: where, symbol, time, aware, naive, date_only, open..volume; [(where, reason)])."""
    numbers, empties, unreadable = {}, {}, {}
    for field in FIELDS:
        numbers[field], empties[field], unreadable[field] = parse_numbers(rows[field])
    if raw.sparse:  # a ticker group's empty row is another ticker's time, not a bar
        keep = ~np.logical_and.reduce([empties[f].to_numpy() for f in FIELDS])
        rows = rows[keep]
        numbers = {f: v[keep] for f, v in numbers.items()}
        empties = {f: v[keep] for f, v in empties.items()}
        unreadable = {f: v[keep] for f, v in unreadable.items()}
    times = parse_times(rows["time"], raw.time_name)
    reason = pd.Series(None, index=rows.index, dtype=object)

    def flag(mask: pd.Series, message) -> None:
        hit = mask & reason.isna()
        if hit.any():
            reason[hit] = [message(label) for label in rows.index[hit]] if callable(message) else message

    flag(rows["symbol"].isna(), "symbol: empty")
    flag(times["reason"].notna(), lambda label: times.at[label, "reason"])
    for field in FIELDS:
        if field != "volume":
            flag(empties[field], f"{field}: empty")
        flag(unreadable[field], lambda label, f=field: f"{f}: not a number ({str(rows.at[label, f]).strip()!r})")
    for field in PRICE_FIELDS:
        flag(~(numbers[field] > 0), lambda label, f=field: f"{f}: must be > 0 (got {numbers[f][label]:g})")
    flag(numbers["volume"] < 0, lambda label: f"volume: must be >= 0 (got {numbers['volume'][label]:g})")
    lowest = np.minimum(numbers["open"], numbers["close"])
    highest = np.maximum(numbers["open"], numbers["close"])
    flag(numbers["low"] > lowest, lambda label: f"low: {numbers['low'][label]:g} is above open/close")
    flag(numbers["high"] < highest, lambda label: f"high: {numbers['high'][label]:g} is below open/close")
    problems = [(rows.at[label, "where"], text) for label, text in reason.dropna().items()]
    good = reason.isna()
    frame = pd.concat([rows.loc[good, ["where", "symbol", "time"]], times.loc[good, ["aware", "naive", "date_only"]],
                       pd.DataFrame({f: numbers[f][good] for f in FIELDS})], axis=1)
    return frame.reset_index(drop=True), problems
