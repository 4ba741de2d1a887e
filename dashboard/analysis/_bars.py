"""Small helpers on bar frames shared by reactions, parity and claims (pure pandas).

A bar labelled ``ts`` covers ``[ts, ts + length)``; its close is the price at ``ts + length``.
So "the price at time T" is the close of the last bar that had *finished* by T.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

_INTERVAL = re.compile(r"^\s*(\d+)\s*(m|min|h|d|wk)\s*$", re.IGNORECASE)
_UNIT = {"m": "min", "min": "min", "h": "h", "d": "D", "wk": "W"}


def interval_length(name) -> pd.Timedelta:
    """'1m' → 1 minute, '1h' → 1 hour, '1d' → 1 day; unknown → 1 minute (the finest we store)."""
    match = _INTERVAL.match(str(name or ""))
    if not match:
        return pd.Timedelta(minutes=1)
    count, unit = int(match.group(1)), match.group(2).lower()
    return pd.Timedelta(count, unit=_UNIT[unit]) if unit != "wk" else pd.Timedelta(weeks=count)


def prepare(bars: pd.DataFrame | None) -> pd.DataFrame:
    """Bars sorted by ts with an ``end`` column (ts + bar length); an empty frame for None."""
    columns = ["ts", "open", "high", "low", "close", "volume", "source", "interval", "end"]
    if bars is None or len(bars) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
        empty["ts"] = pd.Series(dtype="datetime64[ns, UTC]")
        empty["end"] = pd.Series(dtype="datetime64[ns, UTC]")
        empty["source"] = pd.Series(dtype="object")
        empty["interval"] = pd.Series(dtype="object")
        return empty
    if "end" in bars.columns and bars["ts"].is_monotonic_increasing:
        return bars  # already prepared
    frame = bars.copy()
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    if "interval" not in frame.columns:
        frame["interval"] = "1m"
    if "source" not in frame.columns:
        frame["source"] = None
    if "volume" not in frame.columns:
        frame["volume"] = np.nan
    lengths = {name: interval_length(name) for name in frame["interval"].unique()}
    frame["end"] = frame["ts"] + pd.to_timedelta(frame["interval"].map(lengths))
    return frame.sort_values("ts", kind="stable").reset_index(drop=True)


def asof_index(bars: pd.DataFrame, when: pd.Timestamp, *, not_before: pd.Timestamp | None = None) -> int | None:
    """Row position of the last bar finished by ``when`` (and starting at/after ``not_before``)."""
    if bars.empty or when is None or pd.isna(when):
        return None
    position = int(bars["end"].searchsorted(when, side="right")) - 1
    if position < 0:
        return None
    if not_before is not None and bars["ts"].iloc[position] < not_before:
        return None
    return position


def price_at(bars: pd.DataFrame, when, *, not_before=None) -> tuple[pd.Timestamp | None, float]:
    """(bar ts, close) of the last bar finished by ``when``; (None, nan) when there is none."""
    position = asof_index(bars, when, not_before=not_before)
    if position is None:
        return None, float("nan")
    return bars["ts"].iloc[position], float(bars["close"].iloc[position])


def between(bars: pd.DataFrame, start, end) -> pd.DataFrame:
    """Bars wholly inside ``[start, end)``."""
    if bars.empty:
        return bars
    lo = int(bars["ts"].searchsorted(start, side="left"))
    hi = int(bars["ts"].searchsorted(end, side="left"))
    window = bars.iloc[lo:hi]
    return window[window["end"] <= end]


def volume_sum(bars: pd.DataFrame, start, end) -> tuple[float, int]:
    """(total volume, number of bars) of the bars wholly inside ``[start, end)``."""
    if bars.empty:
        return 0.0, 0
    cache = bars.attrs.get("_volume_index")
    if cache is None or cache[0] != len(bars):
        cumulative = np.concatenate([[0.0], np.cumsum(bars["volume"].fillna(0).to_numpy(dtype="float64"))])
        as_ns = lambda col: bars[col].dt.as_unit("ns").astype("int64").to_numpy()  # noqa: E731
        cache = (len(bars), as_ns("ts"), as_ns("end"), cumulative)
        bars.attrs["_volume_index"] = cache
    _, starts, ends, cumulative = cache
    lo = int(np.searchsorted(starts, pd.Timestamp(start).as_unit("ns").value, side="left"))
    hi = int(np.searchsorted(ends, pd.Timestamp(end).as_unit("ns").value, side="right"))
    if hi <= lo:
        return 0.0, 0
    return float(cumulative[hi] - cumulative[lo]), hi - lo


def sources(*frames: pd.DataFrame) -> str:
    """The distinct bar sources in these frames, ';'-joined (e.g. 'synthetic')."""
    seen: list[str] = []
    for frame in frames:
        if frame is None or frame.empty:
            continue
        for value in frame["source"].dropna().unique():
            if str(value) not in seen:
                seen.append(str(value))
    return ";".join(sorted(seen))


def ret(price: float, reference: float) -> float:
    """Simple return price/reference − 1 (nan when either is missing)."""
    if reference is None or price is None or not np.isfinite(reference) or not np.isfinite(price) or reference == 0:
        return float("nan")
    return price / reference - 1.0
