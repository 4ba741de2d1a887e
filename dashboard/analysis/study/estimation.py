"""Step 1 of the event study: the normal-return model over the estimation window.

Three models (MacKinlay 1997): the **market model** (OLS of the listing's returns on its
benchmark's: alpha, beta), **market-adjusted** (alpha 0, beta 1) and **constant mean** (alpha
only). Intraday residual variance is not flat (the open and the close are noisier, and the first
bar after a shut market carries the overnight or lunch move), so it is scaled by time of day:
each bar's variance is sigma² × f(its class), f the mean squared residual of that class over the
mean (Andersen & Bollerslev 1997's intraday periodicity, estimated from the estimation window
itself). The regression is then re-run as WLS with weights 1/f (feasible GLS). statsmodels does
the regressions; docs/analysis.md ("Event study") gives the formulas.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import statsmodels.api as sm

MODELS = ("market", "market-adjusted", "constant-mean")
DEFAULT_MODEL = "market"
DEFAULT_ESTIMATION_SESSIONS = 20
MIN_ESTIMATION_BARS = 100   # intraday bars; fewer → no statistics, and a note
MIN_ESTIMATION_DAYS = 10    # daily returns for a day-precision event
# The time-of-day factor of a class is its mean squared residual shrunk towards its kind's mean
# by this many pseudo-observations (a class seen on 3 sessions stays near that mean)...
SHRINK_OBSERVATIONS = 5
# ... and pooled over the neighbouring offsets within this many minutes (continuing bars only).
SMOOTH_MINUTES = 10


@dataclass
class Estimate:
    """A fitted normal-return model: AR = r − (alpha + beta·rm), Var(AR) = sigma2 · f(class).

    ``cov``: the parameters' covariance (2×2 market, 1×1 constant mean, 0×0 market-adjusted);
    ``factors``: f by [gap, offset] (None for daily models: f = 1); ``ar``/``f``: the estimation
    window's abnormal returns and factors, in time order (the rank and sign tests use them)."""

    model: str
    alpha: float
    beta: float
    sigma2: float
    df: int
    n: int
    cov: np.ndarray
    factors: np.ndarray | None = None
    ar: np.ndarray = field(default_factory=lambda: np.zeros(0))
    f: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # estimation_blocks by block length: the events of one session share this estimate and
    # mostly the same window lengths (study.windows; read only).
    blocks_by_length: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def sigma(self) -> float:
        return float(np.sqrt(self.sigma2))

    def design(self, rm: np.ndarray) -> np.ndarray:
        """The regressors of ``rm`` (rows [1, rm] market, [1] constant mean, none adjusted)."""
        if self.model == "market":
            return np.column_stack([np.ones(len(rm)), rm])
        if self.model == "constant-mean":
            return np.ones((len(rm), 1))
        return np.zeros((len(rm), 0))

    def abnormal(self, r: np.ndarray, rm: np.ndarray) -> np.ndarray:
        if self.model == "market":
            return r - (self.alpha + self.beta * rm)
        if self.model == "market-adjusted":
            return r - rm
        return r - self.alpha

    def factor(self, gap: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """f of each bar's class (1 for a class past the table, e.g. an offset never seen)."""
        if self.factors is None:
            return np.ones(len(gap))
        width = self.factors.shape[1]
        inside = offset < width
        out = np.ones(len(gap))
        out[inside] = self.factors[gap[inside].astype(int), offset[inside]]
        return out


def time_of_day_factors(e2: np.ndarray, gap: np.ndarray, offset: np.ndarray, step_minutes: float) -> np.ndarray:
    """f[gap, offset]: each class's mean squared residual over the overall mean, the continuing
    bars' pooled over ±SMOOTH_MINUTES of offsets, every class shrunk by SHRINK_OBSERVATIONS
    pseudo-observations towards the mean of its kind (continuing bars, or bars after a gap)."""
    width = int(offset.max()) + 1 if len(offset) else 1
    sums, counts = np.zeros((2, width)), np.zeros((2, width))
    np.add.at(sums, (gap.astype(int), offset), e2)
    np.add.at(counts, (gap.astype(int), offset), 1.0)
    half = max(1, int(round(SMOOTH_MINUTES / max(step_minutes, 1e-9))))
    kernel = np.ones(2 * half + 1)
    sums[0] = np.convolve(sums[0], kernel, mode="same")
    counts[0] = np.convolve(counts[0], kernel, mode="same")
    overall = float(np.mean(e2)) if len(e2) else 0.0
    if overall <= 0:
        return np.ones((2, width))
    # each class is shrunk towards its own kind's mean: the bars after a shut market are
    # noisier as a kind (they hold the overnight or lunch move), not only one by one
    kind_mean = np.array([[float(np.mean(e2[gap == kind])) if np.any(gap == kind) else overall] for kind in (0, 1)])
    level = (sums + SHRINK_OBSERVATIONS * kind_mean) / (counts + SHRINK_OBSERVATIONS)
    return level / overall


def _fit(model: str, y: np.ndarray, x: np.ndarray, weights: np.ndarray | None):
    """(params, cov, scale, df) of the model's regression (statsmodels OLS/WLS)."""
    if model == "market-adjusted":
        e = y - x
        w = np.ones(len(e)) if weights is None else weights
        return np.zeros(0), np.zeros((0, 0)), float(np.sum(w * e * e) / len(e)), len(e)
    exog = np.column_stack([np.ones(len(y)), x]) if model == "market" else np.ones((len(y), 1))
    fitted = (sm.OLS(y, exog) if weights is None else sm.WLS(y, exog, weights=weights)).fit()
    return np.asarray(fitted.params), np.asarray(fitted.cov_params()), float(fitted.scale), int(fitted.df_resid)


def _estimate(model: str, y, x, weights, factors, f) -> Estimate:
    params, cov, scale, df = _fit(model, y, x, weights)
    alpha = float(params[0]) if len(params) else 0.0
    beta = float(params[1]) if model == "market" else (1.0 if model == "market-adjusted" else 0.0)
    out = Estimate(model=model, alpha=alpha, beta=beta, sigma2=scale, df=df, n=len(y), cov=cov,
                   factors=factors, f=f)
    out.ar = out.abnormal(y, x)
    return out


def estimate_intraday(model: str, r: np.ndarray, rm: np.ndarray, gap: np.ndarray, offset: np.ndarray,
                      step_minutes: float) -> Estimate:
    """The model on intraday bars (arrays of the kept estimation bars, in time order):
    OLS, the time-of-day factors of its residuals, then WLS with weights 1/f."""
    first = _estimate(model, r, rm, None, None, np.ones(len(r)))
    factors = time_of_day_factors(first.ar ** 2, gap, offset, step_minutes)
    f = factors[gap.astype(int), offset]
    return _estimate(model, r, rm, 1.0 / f, factors, f)


def estimate_daily(model: str, r: np.ndarray, rm: np.ndarray) -> Estimate:
    """The model on session-to-session returns (no time of day: one return a session)."""
    return _estimate(model, r, rm, None, None, np.ones(len(r)))


def usable(model: str, r: np.ndarray, rm: np.ndarray) -> np.ndarray:
    """Which estimation observations count: a return, and the benchmark's too unless the
    model is constant mean."""
    keep = np.isfinite(r)
    return keep if model == "constant-mean" else keep & np.isfinite(rm)
