"""Small helpers on prepared bar frames shared by reactions, parity and claims (pure pandas).

Preparing bars and the price at a time are market rules: :mod:`dashboard.markets` owns them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

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
