"""Step 2 of the event study: abnormal returns over an event window → CAR, se, t, p, plus what
the rank and sign tests need from the estimation window, and which windows overlap.

CAR is the sum of the window's abnormal returns (MacKinlay 1997). Its variance is the sum of
the bars' variances (sigma² × time-of-day factor) plus the parameters' estimation error,
x'·Cov(params)·x with x the summed regressors; t = CAR / se, two-sided p from Student's t with
the estimation's residual degrees of freedom (scipy.stats). docs/analysis.md ("Event study").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from dashboard.analysis.study.estimation import Estimate


@dataclass
class WindowStats:
    car: float
    se: float
    t: float
    p: float
    n_bars: int

    @classmethod
    def missing(cls) -> "WindowStats":
        return cls(float("nan"), float("nan"), float("nan"), float("nan"), 0)


def car_variance(est: Estimate, f: np.ndarray, rm: np.ndarray) -> float:
    """Var(CAR) of a window of bars with time-of-day factors ``f`` and benchmark returns ``rm``."""
    x = est.design(rm).sum(axis=0)
    parameters = float(x @ est.cov @ x) if len(x) else 0.0
    return est.sigma2 * float(np.sum(f)) + parameters


def window_stats(est: Estimate, ar: np.ndarray, f: np.ndarray, rm: np.ndarray, *, with_p: bool = True) -> WindowStats:
    """CAR, se, t and two-sided p of one window's abnormal returns ``ar`` (``with_p=False``
    leaves p to :func:`p_values` over many windows at once)."""
    if len(ar) == 0 or not np.all(np.isfinite(ar)):
        return WindowStats.missing()
    car = float(np.sum(ar))
    se = float(np.sqrt(car_variance(est, f, rm)))
    if not se > 0:
        return WindowStats(car, se, float("nan"), float("nan"), len(ar))
    t = car / se
    p = float(p_values(np.array([t]), np.array([est.df]))[0]) if with_p else float("nan")
    return WindowStats(car, se, t, p, len(ar))


def p_values(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided p of t statistics from Student's t with ``df`` degrees of freedom (one
    scipy.stats call for a whole table; nan where t is missing)."""
    out = np.full(len(t), np.nan)
    ok = np.isfinite(t) & (df > 0)
    out[ok] = 2 * stats.t.sf(np.abs(t[ok]), df[ok])
    return out


def estimation_blocks(est: Estimate, length: int) -> np.ndarray:
    """The estimation window cut into consecutive blocks of ``length`` bars (sessions for a
    daily model), each block's summed abnormal return standardised by its own sd: the
    "no event" values an event window's standardised CAR is ranked among (and whose share of
    positives the sign test expects)."""
    length = max(int(length), 1)
    if length in est.blocks_by_length:
        return est.blocks_by_length[length]
    count = len(est.ar) // length
    if count == 0:
        blocks = np.zeros(0)
    else:
        ar = est.ar[: count * length].reshape(count, length)
        f = est.f[: count * length].reshape(count, length)
        blocks = ar.sum(axis=1) / np.sqrt(est.sigma2 * f.sum(axis=1))
    est.blocks_by_length[length] = blocks
    return blocks


def rank_u(scar: float, blocks: np.ndarray) -> tuple[float, float]:
    """(U, Var U) of an event's standardised CAR among its estimation blocks: U = rank/(L+1) − ½
    with L = blocks + 1 values (ties at the mid rank), Var U = (L−1) / (12(L+1)) under no effect
    (Corrado 1989, in the standardised-CAR form of Kolari & Pynnönen 2011)."""
    if not np.isfinite(scar) or len(blocks) == 0:
        return float("nan"), float("nan")
    count = len(blocks) + 1
    rank = 1 + float(np.sum(blocks < scar)) + 0.5 * float(np.sum(blocks == scar))
    return rank / (count + 1) - 0.5, (count - 1) / (12 * (count + 1))


def overlaps(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Windows as inclusive bar-position ranges [start, end] (one listing, one window name):
    (overlaps another?, first of its cluster?, (i, j, shared bars) of every overlapping pair, as
    arrays, i the earlier-starting). A cluster is a chain of overlapping windows; its first is the
    earliest. Vectorised: 1,000 events of long windows make ~10^5 pairs."""
    n = len(starts)
    starts, ends = np.asarray(starts, dtype="int64"), np.asarray(ends, dtype="int64")
    overlapping = np.zeros(n, dtype=bool)
    first = np.ones(n, dtype=bool)
    valid = np.flatnonzero((starts >= 0) & (ends >= starts))
    order = valid[np.argsort(starts[valid], kind="stable")]
    s, e = starts[order], ends[order]
    # Each window overlaps the later-starting ones that start by its end: a run in start order.
    reach_end = np.searchsorted(s, e, side="right")
    counts = np.maximum(reach_end - np.arange(len(order)) - 1, 0)
    left = np.repeat(np.arange(len(order)), counts)
    step = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    right = left + 1 + step
    i, j = order[left], order[right]
    shared = np.minimum(e[left], e[right]) - s[right] + 1
    overlapping[i] = True
    overlapping[j] = True
    # Not first: it starts within the furthest end of the windows sorted before it.
    reach_before = np.concatenate([[-1], np.maximum.accumulate(e)[:-1]]) if len(order) else e
    first[order[s <= reach_before]] = False
    return overlapping, first, (i, j, shared)
