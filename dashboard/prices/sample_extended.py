"""Pre-market and after-hours bars for the offline sample's US listings (synthetic, seeded).

Not market data. A US session's extended hours come from :mod:`dashboard.markets` (04:00 ET to
the open, the close to four hours after it). The pre-market path is a Brownian bridge from the
last extended-hours price of the session before (or its close) to the regular open, through any
pinned pre-market figure; after-hours wanders from the close. Volume is thin (a few percent of a
regular minute). A separate random stream per symbol, so the regular-session bars, and every
figure pinned on them, are exactly as without extended hours.
"""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from dashboard import markets
from dashboard.prices.paths import bars_from_path, bridge, round_to_tick

EXTENDED_VOLUME_SHARE = 0.03   # an extended-hours minute trades ~3 % of a regular midday minute
EXTENDED_VOL_SHARE = 0.6       # and moves less
AFTER_HOURS_DRIFT = 0.004      # std of the after-hours end point around the close (log)


def _rng(symbol: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(symbol.encode()), 1])


def _minutes(start, end) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="1min", inclusive="left")


def _anchor_points(spec, day_key: str, minutes: pd.DatetimeIndex, previous_close: float) -> list[tuple[int, float]]:
    """Pinned pre-market points as (boundary index, price): a price or a move from the close."""
    points = []
    for local, value, kind in spec.premarket.get(day_key, []):
        when = pd.Timestamp(f"{day_key} {local}").tz_localize(spec.zone).tz_convert("UTC")
        price = value if kind == "price" else previous_close * (1 + value / 100)
        points.append((int(minutes.searchsorted(when)), price))
    return sorted(points)


def _bridge_through(rng, points: list[tuple[int, float]], vol: float) -> np.ndarray:
    path = np.empty(points[-1][0] + 1)
    for (i0, p0), (i1, p1) in zip(points, points[1:]):
        path[i0:i1 + 1] = bridge(rng, p0, p1, i1 - i0, vol)
    return path


def extended_bars(spec, regular: pd.DataFrame, seed: int, leader: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pre-market and after-hours bars for ``spec`` around its regular bars (ts, OHLC, volume).

    ``leader``: the full (extended) bars of the listing a benchmark follows; its extended-hours
    log moves are added with the spec's beta, as in the regular session."""
    rng = _rng(spec.symbol, seed)
    vol = spec.minute_vol * EXTENDED_VOL_SHARE
    sessions = markets.sessions(spec.mic, regular["ts"].min(), regular["ts"].max() + pd.Timedelta(days=1))
    local_day = regular["ts"].dt.tz_convert(spec.zone).dt.date.astype(str)
    frames, last_price = [], None
    for row in sessions.itertuples():
        day = regular[local_day == str(row.session)]
        if day.empty:
            continue
        previous_close = last_price if last_price is not None else float(day["open"].iloc[0])
        regular_close = float(day["close"].iloc[-1])
        pre = _minutes(row.pre_open, row.open)
        anchors = _anchor_points(spec, str(row.session), pre, spec_prev_close(regular, row.open, previous_close))
        pre_path = _bridge_through(rng, [(0, previous_close), *anchors, (len(pre), float(day["open"].iloc[0]))], vol)
        post = _minutes(row.close, row.post_close)
        end = regular_close * float(np.exp(rng.normal(0.0, AFTER_HOURS_DRIFT)))
        post_path = bridge(rng, regular_close, end, len(post), vol)
        for minutes, path in ((pre, pre_path), (post, post_path)):
            if leader is not None:
                lead = leader.set_index("ts").reindex(minutes)["close"].ffill().bfill().to_numpy()
                moves = np.concatenate([[0.0], np.log(lead / lead[0])])
                path = path * np.exp(spec.beta * (moves - np.linspace(0, moves[-1], len(moves))))
            ohlc = {c: round_to_tick(v, spec.tick) for c, v in bars_from_path(spec, rng, path).items()}
            volume = spec.volume_per_minute * EXTENDED_VOLUME_SHARE * rng.lognormal(0.0, 0.8, len(minutes))
            frames.append(pd.DataFrame({"ts": minutes, **ohlc, "volume": np.round(volume, -1)}))
        last_price = float(frames[-1]["close"].iloc[-1])
    return pd.concat(frames, ignore_index=True) if frames else regular.iloc[0:0]


def spec_prev_close(regular: pd.DataFrame, session_open, fallback: float) -> float:
    """The last regular close before ``session_open`` (what a pre-market move is measured from)."""
    before = regular[regular["ts"] < session_open]
    return float(before["close"].iloc[-1]) if len(before) else fallback
