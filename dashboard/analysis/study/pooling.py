"""Step 3 of the event study: pooling events per listing and window → CAAR and the tests
Eventus reports, each with its p-value (scipy.stats). docs/analysis.md ("Event study") gives
every formula with its source:

- cross-sectional t: CAAR over the cross-sectional sd of the CARs / √N, t(N−1);
- Patell Z (Patell 1976): Σ SCAR_i / √Σ (df_i / (df_i − 2)), standard normal;
- BMP (Boehmer, Musumeci & Poulsen 1991): mean SCAR over its cross-sectional sd / √N, t(N−1);
- Kolari & Pynnönen (2010): BMP × √((1 − r̄) / (1 + (N − 1) r̄)), r̄ the mean correlation of the
  events' CARs (here: the share of bars two overlapping windows have in common);
- Corrado rank (Corrado 1989; the standardised-CAR form of Kolari & Pynnönen 2011): Σ U_i / √Σ Var U_i;
- generalised sign (Cowan 1992): (positives − N p̂) / √(N p̂ (1 − p̂)), p̂ the share of positive
  estimation blocks.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.analysis.study.windows import overlaps

POOLED_COLUMNS = [
    "symbol", "window", "n_events", "caar", "t_cs", "p_cs", "z_patell", "p_patell", "z_bmp", "p_bmp",
    "z_kp", "p_kp", "r_bar", "z_rank", "p_rank", "z_sign", "p_sign",
]
NAN = float("nan")


def _two_sided_normal(z: float) -> float:
    return float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else NAN


def _two_sided_t(t: float, df: float) -> float:
    return float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) and df > 0 else NAN


def cross_sectional_t(car: np.ndarray) -> float:
    n = len(car)
    if n < 2:
        return NAN
    sd = float(np.std(car, ddof=1))
    return float(np.mean(car) / (sd / np.sqrt(n))) if sd > 0 else NAN


def patell_z(scar: np.ndarray, df: np.ndarray) -> float:
    df = df.astype("float64")
    ok = df > 2
    if not ok.any():
        return NAN
    return float(np.sum(scar[ok]) / np.sqrt(np.sum(df[ok] / (df[ok] - 2))))


def bmp_t(scar: np.ndarray) -> float:
    return cross_sectional_t(scar)


def kolari_pynnonen(t_bmp: float, n: int, r_bar: float) -> float:
    if not np.isfinite(t_bmp) or not np.isfinite(r_bar) or n < 2:
        return NAN
    denominator = 1 + (n - 1) * r_bar
    return float(t_bmp * np.sqrt((1 - r_bar) / denominator)) if denominator > 0 else NAN


def mean_correlation(n: int, pairs) -> float:
    """r̄: the mean over all N(N−1)/2 pairs of the correlation of two events' CARs; a pair of
    windows sharing k bars of lengths a and b has k / √(ab) (pairs that share none: 0)."""
    if n < 2:
        return NAN
    total = float(np.sum(np.asarray(pairs, dtype="float64")))
    return float(total / (n * (n - 1) / 2))


def rank_z(u: np.ndarray, var_u: np.ndarray) -> float:
    ok = np.isfinite(u) & np.isfinite(var_u)
    if not ok.any() or np.sum(var_u[ok]) <= 0:
        return NAN
    return float(np.sum(u[ok]) / np.sqrt(np.sum(var_u[ok])))


def generalised_sign_z(car: np.ndarray, positive_blocks: np.ndarray, blocks: np.ndarray) -> float:
    ok = np.isfinite(car) & (blocks > 0)
    n = int(ok.sum())
    if n == 0:
        return NAN
    p_hat = float(np.sum(positive_blocks[ok]) / np.sum(blocks[ok]))
    if not 0 < p_hat < 1:
        return NAN
    wins = float(np.sum(car[ok] > 0))
    return float((wins - n * p_hat) / np.sqrt(n * p_hat * (1 - p_hat)))


def window_correlations(first_pos: np.ndarray, last_pos: np.ndarray) -> np.ndarray:
    """The CAR correlation of every pair of overlapping windows (bar positions, inclusive)."""
    _, _, (i, j, shared) = overlaps(first_pos, last_pos)
    length = (last_pos - first_pos + 1).astype("float64")
    return shared / np.sqrt(length[i] * length[j])


def pool(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per symbol × window over the event rows with a CAR and its se. ``rows`` carry
    ``car, se, df, u_rank, var_u, positive_blocks, blocks`` and the window's bar positions
    ``first_pos, last_pos`` (for r̄)."""
    out = []
    usable = rows[np.isfinite(rows["car"].astype(float)) & (rows["se"].astype(float) > 0)]
    for (symbol, window), group in usable.groupby(["symbol", "window"], sort=False):
        car = group["car"].to_numpy(dtype="float64")
        scar = car / group["se"].to_numpy(dtype="float64")
        n = len(group)
        t_cs, t_bmp = cross_sectional_t(car), bmp_t(scar)
        r_bar = mean_correlation(n, window_correlations(group["first_pos"].to_numpy(dtype="int64"),
                                                         group["last_pos"].to_numpy(dtype="int64")))
        z_kp = kolari_pynnonen(t_bmp, n, 0.0 if not np.isfinite(r_bar) else r_bar)
        z_patell = patell_z(scar, group["df"].to_numpy())
        z_rank = rank_z(group["u_rank"].to_numpy(dtype="float64"), group["var_u"].to_numpy(dtype="float64"))
        z_sign = generalised_sign_z(car, group["positive_blocks"].to_numpy(dtype="float64"),
                                    group["blocks"].to_numpy(dtype="float64"))
        out.append({
            "symbol": symbol, "window": window, "n_events": n, "caar": float(np.mean(car)),
            "t_cs": t_cs, "p_cs": _two_sided_t(t_cs, n - 1),
            "z_patell": z_patell, "p_patell": _two_sided_normal(z_patell),
            "z_bmp": t_bmp, "p_bmp": _two_sided_t(t_bmp, n - 1),
            "z_kp": z_kp, "p_kp": _two_sided_t(z_kp, n - 1), "r_bar": r_bar,
            "z_rank": z_rank, "p_rank": _two_sided_normal(z_rank),
            "z_sign": z_sign, "p_sign": _two_sided_normal(z_sign),
        })
    return pd.DataFrame(out, columns=POOLED_COLUMNS)
