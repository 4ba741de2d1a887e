"""The event study on bars generated from a known model (docs/analysis.md, "Event study").

A listing's 5-minute returns are alpha + beta × its benchmark's + noise, with noise and market
both U-shaped over the day (the open and close twice as noisy as midday), on the real XNYS
calendar. Each step is checked alone, then the whole study against what the model put in.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import markets
from dashboard.analysis.study import StudyOptions, study_table
from dashboard.analysis.study import estimation, pooling, windows
from dashboard.analysis.study.table import public_events

ALPHA, BETA, SIGMA, MARKET_SIGMA = 0.00002, 1.3, 0.0012, 0.0010
STEP = pd.Timedelta(minutes=5)


def u_shape(offsets: np.ndarray, per_session: int) -> np.ndarray:
    x = offsets / max(per_session - 1, 1)
    return 0.7 + 1.3 * (2 * x - 1) ** 2  # 2.0 at the open and close, 0.7 at midday


def generated(sessions_count: int, seed: int, start="2025-03-03"):
    """(listing bars, benchmark bars, sessions, per-bar noise sd) over ``sessions_count``
    regular XNYS sessions of 5-minute bars."""
    rng = np.random.default_rng(seed)
    sessions = markets.sessions("XNYS", start, pd.Timestamp(start) + pd.Timedelta(days=sessions_count * 2))
    sessions = sessions.iloc[:sessions_count].reset_index(drop=True)
    stamps, offsets = [], []
    for row in sessions.itertuples():
        ts = pd.date_range(row.open, row.close, freq=STEP, inclusive="left")
        stamps.append(ts)
        offsets.append(np.arange(len(ts)))
    ts = stamps[0].append(stamps[1:])
    offset = np.concatenate(offsets)
    scale = np.concatenate([u_shape(o, len(o)) for o in offsets])
    rm = rng.normal(0, MARKET_SIGMA, len(ts)) * scale
    noise_sd = SIGMA * scale
    r = ALPHA + BETA * rm + rng.normal(0, 1, len(ts)) * noise_sd
    return ts, r, rm, noise_sd, sessions, offset


def bars_from(ts, returns, start_price=100.0):
    close = start_price * np.cumprod(1 + returns)
    opens = np.concatenate([[start_price], close[:-1]])
    return pd.DataFrame({"ts": ts, "open": opens, "high": np.maximum(opens, close), "low": np.minimum(opens, close),
                         "close": close, "volume": 1000.0, "source": "import:test", "interval": "5m"})


LISTINGS = pd.DataFrame([
    {"symbol": "TEST", "company_id": "testco", "exchange_mic": "XNYS", "role": "listing", "benchmark_symbol": "MKT"},
    {"symbol": "MKT", "company_id": None, "exchange_mic": "XNYS", "role": "benchmark", "benchmark_symbol": None},
])


def events_at(times, precision="minute") -> pd.DataFrame:
    return pd.DataFrame({
        "event_id": [f"e{i}" for i in range(len(times))], "ts": pd.to_datetime(times, utc=True),
        "precision": precision, "kind": "report", "headline": "test", "company_id": "testco", "ts_zone": "UTC",
    })


def run(ts, r, rm, sessions, events, **options):
    bars = {"TEST": bars_from(ts, r), "MKT": bars_from(ts, rm, 50.0)}
    return study_table(events, LISTINGS, bars, {"TEST": sessions, "MKT": sessions},
                       options=StudyOptions(**options))


@pytest.fixture(scope="module")
def world():
    return generated(26, seed=7)


# --- step 1: estimation ----------------------------------------------------------------------

def test_beta_and_alpha_are_recovered_from_the_estimation_window(world):
    ts, r, rm, noise_sd, sessions, offset = world
    gap = offset == 0
    est = estimation.estimate_intraday("market", r[1:], rm[1:], gap[1:], offset[1:], 5.0)
    assert est.beta == pytest.approx(BETA, abs=0.05)
    assert est.alpha == pytest.approx(ALPHA, abs=3 * SIGMA / np.sqrt(len(r)))
    # the open is noisier than midday by the generating U-shape's ratio (2.0² / 0.7² ≈ 8.2), within
    # a factor of two (the open's class holds one bar a session: 25 of them)
    ratio = est.factors[1, 0] / est.factors[0, 40]
    assert 8.2 / 2 < ratio < 8.2 * 2


def test_estimation_matches_an_independent_weighted_least_squares(world):
    ts, r, rm, noise_sd, sessions, offset = world
    y, x, gap = r[1:], rm[1:], (offset == 0)[1:]
    off = offset[1:]
    est = estimation.estimate_intraday("market", y, x, gap, off, 5.0)
    alpha, beta = independent_wls(y, x, gap, off)
    assert est.alpha == pytest.approx(alpha, rel=1e-9, abs=1e-12)
    assert est.beta == pytest.approx(beta, rel=1e-9)


def independent_wls(y, x, gap, off):
    """The documented recipe written out with numpy: OLS, class means of squared residuals
    (continuing bars pooled over ±2 offsets = ±10 minutes, each class shrunk by 5
    pseudo-observations towards the mean of its kind), then least squares weighted by 1/f."""
    X = np.column_stack([np.ones(len(y)), x])
    e = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    overall = np.mean(e ** 2)
    f = np.empty(len(y))
    for i in range(len(y)):
        kind = gap == gap[i]
        same = kind & ((off == off[i]) if gap[i] else (np.abs(off - off[i]) <= 2))
        f[i] = (np.sum(e[same] ** 2) + 5 * np.mean(e[kind] ** 2)) / (same.sum() + 5) / overall
    w = np.sqrt(1 / f)
    return np.linalg.lstsq(X * w[:, None], y * w, rcond=None)[0]


def test_too_few_estimation_bars_give_no_statistics_and_say_why(world):
    ts, r, rm, noise_sd, sessions, offset = world
    event = sessions.iloc[2]["open"] + pd.Timedelta(minutes=62)  # two sessions before it: 156 bars
    table = run(ts, r, rm, sessions, events_at([event]), min_bars=200).events
    assert table["car"].isna().all()
    assert "fewer than 200" in table["note"].iloc[0]
    assert "bars in 2 of the 20 sessions before" in table["note"].iloc[0]


# --- step 2: event windows -------------------------------------------------------------------

def test_a_jump_of_k_residual_sds_is_found_with_t_near_k(world):
    ts, r, rm, noise_sd, sessions, offset = world
    r = r.copy()
    k = 5.0
    event = sessions.iloc[23]["open"] + pd.Timedelta(minutes=122)  # mid-morning, inside a bar
    first = int(np.searchsorted(ts, event.floor(STEP)))  # the bar covering the event
    r[first] = ALPHA + BETA * rm[first] + k * noise_sd[first]  # the jump, no other noise
    row = run(ts, r, rm, sessions, events_at([event])).events.set_index("window").loc["5m"]
    assert row["n_window_bars"] == 1
    assert row["t"] == pytest.approx(k, rel=0.15)
    assert row["p"] < 0.001


def test_car_alpha_and_beta_agree_with_numpy_least_squares_on_the_same_bars(world):
    ts, r, rm, noise_sd, sessions, offset = world
    event = sessions.iloc[24]["open"] + pd.Timedelta(minutes=200)
    rows = run(ts, r, rm, sessions, events_at([event]), model="constant-mean").events.set_index("window")
    # constant mean: alpha is the weighted mean of the estimation window's returns
    estimation_bars = (ts >= sessions.iloc[4]["open"]) & (ts < sessions.iloc[24]["open"])
    estimation_bars[0] = False
    assert rows.loc["15m", "n_estimation_bars"] == estimation_bars.sum()
    y = r[estimation_bars]
    est = estimation.estimate_intraday("constant-mean", y, rm[estimation_bars], (offset == 0)[estimation_bars],
                                       offset[estimation_bars], 5.0)
    assert rows.loc["15m", "alpha"] == pytest.approx(est.alpha)
    # the 15-minute window: the bar covering the event and the next two
    first = int(np.searchsorted(ts, event.floor(STEP)))
    expected = np.sum(r[first:first + 3] - est.alpha)
    assert rows.loc["15m", "car"] == pytest.approx(expected, rel=1e-9)
    # market model: alpha and beta from numpy least squares (the documented WLS), then the CAR
    market = run(ts, r, rm, sessions, events_at([event])).events.set_index("window")
    alpha, beta = independent_wls(y, rm[estimation_bars], (offset == 0)[estimation_bars], offset[estimation_bars])
    assert market.loc["15m", "alpha"] == pytest.approx(alpha, rel=1e-9)
    assert market.loc["15m", "beta"] == pytest.approx(beta, rel=1e-9)
    car = np.sum(r[first:first + 3] - alpha - beta * rm[first:first + 3])
    assert market.loc["15m", "car"] == pytest.approx(car, rel=1e-9)


def test_windows_stop_at_the_close_like_the_reactions(world):
    ts, r, rm, noise_sd, sessions, offset = world
    close = sessions.iloc[22]["close"]
    rows = run(ts, r, rm, sessions, events_at([close - pd.Timedelta(minutes=20)])).events.set_index("window")
    assert rows.loc["60m", "window_end"] == close
    assert rows.loc["60m", "n_window_bars"] == 4  # 20 minutes of 5-minute bars
    assert rows.loc["30m", "car"] == rows.loc["60m", "car"] == rows.loc["session_close", "car"]
    assert rows.loc["next_close", "window_end"] == sessions.iloc[23]["close"]


def test_other_events_windows_are_left_out_and_counted(world):
    ts, r, rm, noise_sd, sessions, offset = world
    earlier = sessions.iloc[15]["open"] + pd.Timedelta(minutes=100)
    later = sessions.iloc[24]["open"] + pd.Timedelta(minutes=100)
    table = run(ts, r, rm, sessions, events_at([earlier, later])).events
    row = table[(table["event_id"] == "e1") & (table["window"] == "5m")].iloc[0]
    assert row["n_left_out_bars"] == 12  # the hour from the other event's first bar
    assert "12 bars in other events' windows left out" in row["note"]


def test_overlapping_windows_are_flagged_and_first_of_cluster_keeps_the_first(world):
    ts, r, rm, noise_sd, sessions, offset = world
    start = sessions.iloc[24]["open"] + pd.Timedelta(minutes=100)
    events = events_at([start, start + pd.Timedelta(minutes=10), start + pd.Timedelta(minutes=200)])
    table = run(ts, r, rm, sessions, events).events
    five = table[table["window"] == "15m"].set_index("event_id")
    assert list(five["overlaps"]) == [True, True, False]
    assert list(five["first_of_cluster"]) == [True, False, True]
    kept = run(ts, r, rm, sessions, events, first_of_cluster=True)
    assert set(kept.events[kept.events["window"] == "15m"]["event_id"]) == {"e0", "e2"}


def test_window_overlaps_match_their_definition_on_random_windows():
    """Every pair of windows sharing a bar, with the bars they share; a window is first of its
    cluster unless a window starting before it (or at the same bar, listed earlier) reaches it.
    Checked against a plain pairwise loop over windows dense enough to chain."""
    rng = np.random.default_rng(7)
    for _ in range(30):
        n = int(rng.integers(1, 60))
        starts = rng.integers(-3, 400, n)
        ends = starts + rng.integers(-2, 60, n)
        flag, first, (i, j, shared) = windows.overlaps(starts, ends)
        ok = [k for k in range(n) if starts[k] >= 0 and ends[k] >= starts[k]]
        before = sorted(ok, key=lambda k: (starts[k], k))
        want_pairs = {}
        for a_rank, a in enumerate(before):
            for b in before[a_rank + 1:]:
                common = min(ends[a], ends[b]) - max(starts[a], starts[b]) + 1
                if common > 0:
                    want_pairs[(a, b)] = common
        assert dict(zip(zip(i.tolist(), j.tolist()), shared.tolist())) == want_pairs
        assert len(i) == len(want_pairs)
        touched = {k for pair in want_pairs for k in pair}
        assert flag.tolist() == [k in touched for k in range(n)]
        reached = {b for b_rank, b in enumerate(before) for a in before[:b_rank] if ends[a] >= starts[b]}
        assert first.tolist() == [k not in reached for k in range(n)]


def test_mean_correlation_of_overlapping_windows():
    """r̄ over N(N−1)/2 pairs: two windows of 4 and 9 bars sharing 3 have ρ = 3/√36 = 0.5; a third,
    apart, adds two pairs of 0."""
    rho = pooling.window_correlations(np.array([0, 1, 100]), np.array([3, 9, 110]))
    assert rho.tolist() == [0.5]
    assert pooling.mean_correlation(3, rho) == pytest.approx(0.5 / 3)


def test_a_day_precision_event_uses_daily_windows_only():
    ts, r, rm, noise_sd, sessions, offset = generated(30, seed=3)
    day = pd.Timestamp(str(sessions.iloc[27]["session"]), tz="UTC")
    table = run(ts, r, rm, sessions, events_at([day], precision="day")).events.set_index("window")
    assert table.loc[["5m", "15m", "30m", "60m"], "car"].isna().all()
    assert "daily windows only" in table.loc["5m", "note"]
    closes = bars_from(ts, r).groupby(np.repeat(np.arange(30), 78))["close"].last().to_numpy()
    market = bars_from(ts, rm, 50.0).groupby(np.repeat(np.arange(30), 78))["close"].last().to_numpy()
    day_r, day_m = closes[1:] / closes[:-1] - 1, market[1:] / market[:-1] - 1
    est = table.loc["session_close"]
    assert est["n_estimation_bars"] == 20  # sessions, for a daily model
    assert est["car"] == pytest.approx(day_r[26] - est["alpha"] - est["beta"] * day_m[26], rel=1e-9)


# --- step 3: pooling -------------------------------------------------------------------------

def test_rank_and_sign_tests_agree_with_a_hand_worked_example():
    # Three events, each with four estimation blocks (standardised) and its own standardised CAR.
    u1, v1 = windows.rank_u(1.5, np.array([-1.0, 0.5, 2.0, -0.3]))   # rank 4 of 5
    u2, _ = windows.rank_u(-0.2, np.array([0.1, -0.5, 0.3, 0.9]))    # rank 2 of 5
    u3, _ = windows.rank_u(3.0, np.array([0.2, -1.1, 1.0, -0.4]))    # rank 5 of 5
    assert (u1, u2, u3) == pytest.approx((4 / 6 - 0.5, 2 / 6 - 0.5, 5 / 6 - 0.5))
    assert v1 == pytest.approx(4 / (12 * 6))
    rows = pd.DataFrame({
        "symbol": "X", "window": "5m", "car": [0.01, -0.002, 0.03], "se": [0.01 / 1.5, 0.01, 0.01],
        "df": 100, "u_rank": [u1, u2, u3], "var_u": [v1] * 3,
        "positive_blocks": [2, 3, 1], "blocks": [4, 4, 4], "first_pos": [0, 10, 20], "last_pos": [0, 10, 20],
    })
    pooled = pooling.pool(rows).iloc[0]
    # Σ U = 1/3, Σ Var U = 3 × 1/18 → Z = (1/3) / √(1/6)
    assert pooled["z_rank"] == pytest.approx((1 / 3) / np.sqrt(1 / 6))
    # p̂ = 6/12; 2 of 3 CARs positive → Z = (2 − 1.5) / √(3 × ¼)
    assert pooled["z_sign"] == pytest.approx(0.5 / np.sqrt(0.75))
    assert pooled["p_sign"] == pytest.approx(2 * (1 - 0.7181485691746133), rel=1e-6)


def test_pooled_t_patell_and_bmp_by_hand():
    car, se = np.array([0.02, 0.01, -0.005, 0.015]), np.array([0.01, 0.005, 0.01, 0.01])
    rows = pd.DataFrame({"symbol": "X", "window": "5m", "car": car, "se": se, "df": 50, "u_rank": 0.0, "var_u": 0.1,
                         "positive_blocks": 5, "blocks": 10, "first_pos": [0, 0, 50, 90], "last_pos": [2, 2, 52, 92]})
    pooled = pooling.pool(rows).iloc[0]
    scar = car / se
    assert pooled["caar"] == pytest.approx(car.mean())
    assert pooled["t_cs"] == pytest.approx(car.mean() / (car.std(ddof=1) / 2))
    assert pooled["z_patell"] == pytest.approx(scar.sum() / np.sqrt(4 * 50 / 48))
    assert pooled["z_bmp"] == pytest.approx(scar.mean() / (scar.std(ddof=1) / 2))
    # two of the six pairs share all their bars (the same window): r̄ = 1/6
    assert pooled["r_bar"] == pytest.approx(1 / 6)
    assert pooled["z_kp"] == pytest.approx(pooled["z_bmp"] * np.sqrt((1 - 1 / 6) / (1 + 3 / 6)))


@pytest.mark.slow
def test_placebo_events_are_rejected_about_five_percent_of_the_time():
    """Size: events at random times on bars with no event effect; each test's share of
    p < 0.05 is near 5% (per event, and for pools of 5 events)."""
    ts, r, rm, noise_sd, sessions, offset = generated(50, seed=11)
    rng = np.random.default_rng(5)
    picks = []
    for position in rng.integers(21, 49, 240):
        row = sessions.iloc[position]
        picks.append(row["open"] + pd.Timedelta(minutes=int(rng.integers(0, 380))) + pd.Timedelta(seconds=30))
    result = run(ts, r, rm, sessions, events_at(sorted(picks)), first_of_cluster=False)
    events = result.events
    per_event = events[events["window"].isin(["5m", "30m", "session_close"])]["p"].dropna()
    assert len(per_event) > 600
    assert 0.02 < (per_event < 0.05).mean() < 0.09
    groups = events.copy()
    groups["symbol"] = groups["event_id"].str[1:].astype(int) % 48  # 48 pools of 5 events
    pooled = pooling.pool(groups[groups["window"].isin(["5m", "30m", "60m"])])
    for test in ("p_cs", "p_patell", "p_bmp", "p_kp", "p_rank", "p_sign"):
        share = (pooled[test].dropna() < 0.05).mean()
        assert 0.0 <= share < 0.12, (test, share)
        assert pooled[test].notna().sum() >= 100


def test_public_rows_carry_the_documented_fields(world):
    ts, r, rm, noise_sd, sessions, offset = world
    result = run(ts, r, rm, sessions, events_at([sessions.iloc[24]["open"] + pd.Timedelta(minutes=40)]))
    rows = public_events(result)
    for column in ("event_id", "event_ts", "symbol", "window", "model", "car", "se", "t", "p", "alpha",
                   "beta", "sigma", "n_estimation_bars", "note"):
        assert column in rows.columns
    assert result.bars_source == "import:test" and not result.synthetic
    path = result.caar_paths[result.caar_paths["symbol"] == "TEST"]
    assert list(path["minutes"])[:3] == [0.0, 5.0, 10.0]
    assert (path["low"] <= path["caar"]).all() and (path["caar"] <= path["high"]).all()


def test_arrivals_agree_with_the_reaction_table(world):
    """The study's vectorised arrivals give the reaction table's first bar, reference, session and
    closes for timed events (both come from the markets' rules)."""
    from dashboard import markets
    from dashboard.analysis.reactions import reaction_table
    from dashboard.analysis.study.arrivals import arrivals

    ts, r, rm, noise_sd, sessions, offset = world
    times = [sessions.iloc[22]["open"] - pd.Timedelta(hours=3),      # before the open
             sessions.iloc[22]["open"] + pd.Timedelta(minutes=93),   # mid-bar
             sessions.iloc[23]["close"] + pd.Timedelta(hours=2)]     # after the close
    events = events_at(times)
    events.loc[1, "precision"] = "hour"
    bars = {"TEST": bars_from(ts, r), "MKT": bars_from(ts, rm, 50.0)}
    all_sessions = {"TEST": sessions, "MKT": sessions}
    expected = reaction_table(events, LISTINGS[LISTINGS["role"] == "listing"], bars, all_sessions)
    listing = next(LISTINGS[LISTINGS["symbol"] == "TEST"].itertuples(index=False))
    prepared = markets.with_session_parts(bars["TEST"], markets.prepare_sessions(sessions))
    got = arrivals(events, listing, prepared, markets.prepare_sessions(sessions), extended=False,
                   raw_bars=bars, all_sessions=all_sessions, own=LISTINGS, requested_extended=True)
    for column in ("session", "first_bar_ts", "ref_ts", "session_close_ts", "next_close_ts"):
        assert list(got[column]) == list(expected[column]), column
    assert "market shut at the event" in got["note"].iloc[0]
    assert got["note"].iloc[1].startswith("hour precision")
