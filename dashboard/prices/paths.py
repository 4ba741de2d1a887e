"""Seeded price paths for the synthetic sample: Brownian bridges in log price, OHLC from a path,
tick rounding (shared by the regular session and the extended hours)."""
from __future__ import annotations

import numpy as np


def bridge(rng, start: float, end: float, steps: int, vol: float) -> np.ndarray:
    """Log-price Brownian bridge from ``start`` to ``end`` over ``steps`` steps (steps+1 points)."""
    if steps <= 0:
        return np.array([end])
    walk = np.concatenate([[0.0], np.cumsum(rng.normal(0.0, vol, steps))])
    frac = np.arange(steps + 1) / steps
    log_path = np.log(start) + frac * (np.log(end) - np.log(start)) + walk - frac * walk[-1]
    return np.exp(log_path)


def bars_from_path(spec, rng, path: np.ndarray) -> dict[str, np.ndarray]:
    """OHLC of the minutes between consecutive path points, with small random wicks."""
    opens, closes = path[:-1], path[1:]
    wick = np.abs(rng.normal(0.0, spec.minute_vol * 0.6, (2, len(opens))))
    highs = np.maximum(opens, closes) * (1 + wick[0])
    lows = np.minimum(opens, closes) * (1 - wick[1])
    return {"open": opens, "high": highs, "low": lows, "close": closes}


def round_to_tick(values: np.ndarray, tick: float) -> np.ndarray:
    # Rounding is monotone, so low <= open/close <= high survives it.
    return np.round(np.round(values / tick) * tick, 6)
