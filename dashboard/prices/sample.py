"""The offline sample: seeded synthetic 1-minute bars, calibrated to publicly reported prices.

Not market data. Every bar is made here from a fixed seed; only a handful of points (daily closes,
a few intraday prices and extremes, moves from the previous close) are pinned to figures reported
in the press (see ``docs/prices.md`` and ``dashboard/prices/sample_bars/README.md`` for the sources). Between pinned points the path
is a Brownian bridge in log price, so it wanders realistically yet meets every anchor exactly.
Sessions from :mod:`dashboard.markets`; the US listings also get thin pre-market and after-hours
bars (:mod:`dashboard.prices.sample_extended`); ``HKD=X`` trades 24h on weekdays.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard import config, markets
from dashboard.prices import paths, sample_extended
from dashboard.store import bars as bar_store

SEED = 20251114
FIRST_DAY = dt.date(2025, 11, 10)
LAST_DAY = dt.date(2025, 11, 28)
INTERVAL = "1m"
SOURCE = bar_store.SYNTHETIC


@dataclasses.dataclass(frozen=True)
class Spec:
    """How one symbol's synthetic path is drawn."""

    symbol: str
    mic: str
    zone: str
    tick: float
    first_close: float            # close of the session before FIRST_DAY (random walk start)
    minute_vol: float             # std of 1-minute log returns
    daily_vol: float              # std of close-to-close log returns on unpinned days
    volume_per_minute: float      # typical shares per minute at midday
    closes: dict = dataclasses.field(default_factory=dict)    # "YYYY-MM-DD" -> close
    opens: dict = dataclasses.field(default_factory=dict)     # "YYYY-MM-DD" -> open
    # "YYYY-MM-DD" -> open as a % move from the previous close (a report gives the move, not a price)
    open_moves: dict = dataclasses.field(default_factory=dict)
    # "YYYY-MM-DD" -> [("HH:MM" local, price)]: the path passes through these
    intraday: dict = dataclasses.field(default_factory=dict)
    # "YYYY-MM-DD" -> [("HH:MM" local, % move from the previous close)]: likewise, as moves
    intraday_moves: dict = dataclasses.field(default_factory=dict)
    lows: dict = dataclasses.field(default_factory=dict)      # "YYYY-MM-DD" -> the day's low
    highs: dict = dataclasses.field(default_factory=dict)     # "YYYY-MM-DD" -> the day's high
    # "YYYY-MM-DD" -> [("HH:MM" local, extra volume factor, decay minutes)]
    volume_bursts: dict = dataclasses.field(default_factory=dict)
    follows: str | None = None    # a benchmark co-moves with this symbol ...
    beta: float = 0.0             # ... with this sensitivity
    band: tuple[float, float] | None = None  # hard price band (USD/HKD peg)
    extended: bool = False        # pre-market and after-hours bars (US listings)
    # "YYYY-MM-DD" -> [("HH:MM" local, value, "price" | "move")]: pinned pre-market points
    premarket: dict = dataclasses.field(default_factory=dict)


# Pinned points (what each is, and its source: dashboard/prices/sample_bars/README.md). BABA: 11-11 close $160.80
# (derived, so that 11-12's reported -1.80% to $157.91 holds); 11-13 $159.84; 11-14 flat until
# the FT report at 13:02 ET, Benzinga's intraday $152.31 (time not given, placed at 14:40) as the
# day's low (reported lowest point about -4.7%), close $153.80; 11-17 opens near the $158.50
# pre-market quote, closes $157.71; 11-18 close $159.72; 11-25 opens +3.9% after results;
# 11-28 down 1% early (placed at 10:00). Pre-market: $158.50 (+3.06%) on 11-17 and about +4% on
# 11-25, both placed at 08:00 ET (the sources give no time).
BABA = Spec(
    symbol="BABA", mic="XNYS", zone="America/New_York", tick=0.01, first_close=161.20,
    minute_vol=0.0007, daily_vol=0.02, volume_per_minute=30_000,
    closes={"2025-11-11": 160.80, "2025-11-12": 157.91, "2025-11-13": 159.84,
            "2025-11-14": 153.80, "2025-11-17": 157.71, "2025-11-18": 159.72},
    opens={"2025-11-14": 159.60, "2025-11-17": 158.40},
    open_moves={"2025-11-25": 3.9},
    intraday={"2025-11-14": [("10:30", 159.90), ("12:00", 159.55), ("13:02", 159.40),
                             ("13:20", 156.20), ("13:50", 153.60), ("14:40", 152.31),
                             ("15:30", 153.30)]},
    intraday_moves={"2025-11-28": [("10:00", -1.0)]},
    lows={"2025-11-14": 152.31},
    volume_bursts={"2025-11-14": [("13:02", 5.0, 40.0)], "2025-11-17": [("09:30", 1.5, 60.0)]},
    extended=True,
    premarket={"2025-11-17": [("08:00", 158.50, "price")], "2025-11-25": [("08:00", 4.0, "move")]},
)

# 9988.HK: 11-14 close HK$154.9 (HK shut before the story); 11-17 opened lower, low HK$152.1
# early, high HK$158.0 on the Qwen app launch, faded after midday, closed unchanged at HK$154.9;
# 11-18 -0.19%; 11-21 close HK$147.6; 11-24 up more than 5% during the session (high HK$155.3,
# +5.22%, an assumed level) and close HK$154.5 (+4.67%); 11-25 HK$157.8; 11-27 -2.32% at midday.
HK9988 = Spec(
    symbol="9988.HK", mic="XHKG", zone="Asia/Hong_Kong", tick=0.1, first_close=156.0,
    minute_vol=0.0008, daily_vol=0.02, volume_per_minute=150_000,
    closes={"2025-11-14": 154.9, "2025-11-17": 154.9, "2025-11-18": 154.6,
            "2025-11-21": 147.6, "2025-11-24": 154.5, "2025-11-25": 157.8},
    opens={"2025-11-17": 153.5},
    intraday={"2025-11-17": [("09:50", 152.1), ("11:20", 158.0), ("12:00", 156.2),
                             ("14:30", 155.0)],
              "2025-11-24": [("10:40", 154.9), ("11:50", 154.0), ("14:20", 153.7)]},
    intraday_moves={"2025-11-27": [("12:00", -2.32)]},
    lows={"2025-11-17": 152.1},
    highs={"2025-11-17": 158.0, "2025-11-24": 155.3},
    volume_bursts={"2025-11-17": [("09:30", 2.5, 45.0), ("11:00", 1.5, 40.0)]},
)

KWEB = Spec(
    symbol="KWEB", mic="XNYS", zone="America/New_York", tick=0.01, first_close=37.40,
    minute_vol=0.0006, daily_vol=0.015, volume_per_minute=25_000, follows="BABA", beta=0.45,
    volume_bursts={"2025-11-14": [("13:02", 1.5, 40.0)]}, extended=True,
)

HK2800 = Spec(
    symbol="2800.HK", mic="XHKG", zone="Asia/Hong_Kong", tick=0.02, first_close=26.70,
    minute_vol=0.0004, daily_vol=0.01, volume_per_minute=120_000, follows="9988.HK", beta=0.25,
)

# USD/HKD (HKD per USD). No daily November 2025 rate was found; the start (7.776) and the clip
# (7.76-7.79) are assumptions inside the Convertibility Undertaking band of 7.75-7.85 (the HKMA
# reports 7.7705-7.8500 for 21 Jun-8 Oct 2025; dashboard/prices/sample_bars/README.md).
HKDX = Spec(
    symbol="HKD=X", mic=markets.FX, zone="UTC", tick=0.0001, first_close=7.7760,
    minute_vol=0.00002, daily_vol=0.0006, volume_per_minute=0, band=(7.7600, 7.7900),
)

SPECS = [BABA, HK9988, KWEB, HK2800, HKDX]
SYMBOLS = [spec.symbol for spec in SPECS]


def _rng(spec: Spec) -> np.random.Generator:
    # One stream per symbol, so regenerating one symbol never shifts another.
    return np.random.default_rng([SEED, zlib.crc32(spec.symbol.encode())])


def _session_minutes(spec: Spec) -> list[tuple[dt.date, pd.DatetimeIndex]]:
    """(session date, bar start times) for every session in the sample period."""
    table = markets.sessions(spec.mic, FIRST_DAY, LAST_DAY)
    out = []
    for row in table.itertuples():
        if not (FIRST_DAY <= row.session <= LAST_DAY):
            continue
        minutes = pd.date_range(row.open, row.close, freq="1min", inclusive="left")
        if pd.notna(row.break_start):
            minutes = minutes[(minutes < row.break_start) | (minutes >= row.break_end)]
        out.append((row.session, minutes))
    return out


def _daily_closes(spec: Spec, rng, days: list[dt.date]) -> list[float]:
    """Close of every session: pinned ones as given, the rest bridged between them."""
    pinned = {i: spec.closes[d.isoformat()] for i, d in enumerate(days) if d.isoformat() in spec.closes}
    anchors = [(-1, spec.first_close)] + sorted(pinned.items())
    closes = [0.0] * len(days)
    for (i0, p0), (i1, p1) in zip(anchors, anchors[1:]):
        path = paths.bridge(rng, p0, p1, i1 - i0, spec.daily_vol)
        for k in range(1, i1 - i0 + 1):
            closes[i0 + k] = path[k]
    last_i, last_p = anchors[-1]
    for i in range(last_i + 1, len(days)):
        last_p *= float(np.exp(rng.normal(0.0, spec.daily_vol)))
        closes[i] = last_p
    return closes


def _minute_index(minutes: pd.DatetimeIndex, day: dt.date, local: str, zone: str) -> int:
    """Boundary index (0..n) of a local wall time within a session's trading minutes."""
    when = pd.Timestamp(f"{day.isoformat()} {local}").tz_localize(zone).tz_convert("UTC")
    return int(minutes.searchsorted(when))


def _u_shape(minutes: pd.DatetimeIndex) -> np.ndarray:
    """Intraday volume profile: heavy at the open and the close (and after a lunch break)."""
    n = len(minutes)
    k = np.arange(n)
    profile = 1.0 + 2.5 * np.exp(-k / 25.0) + 1.8 * np.exp(-(n - 1 - k) / 20.0)
    gaps = np.flatnonzero(np.diff(minutes.asi8) > 60 * 10**9) + 1  # resumption after a break
    for g in gaps:
        profile[g:] += 1.2 * np.exp(-(k[g:] - g) / 20.0)
    return profile


def _intraday_anchors(spec: Spec, key: str, previous_close: float) -> list[tuple[str, float]]:
    """The day's anchors as (local time, price), moves turned into prices off the previous close."""
    moves = [(local, previous_close * (1 + pct / 100)) for local, pct in spec.intraday_moves.get(key, [])]
    return sorted(spec.intraday.get(key, []) + moves)


def _path_for_session(spec: Spec, rng, day, minutes, open_price, close_price, anchors) -> np.ndarray:
    """Prices at the n+1 minute boundaries of a session (first = open, last = close)."""
    n = len(minutes)
    points = [(0, open_price)]
    for local, price in anchors:
        points.append((_minute_index(minutes, day, local, spec.zone), price))
    points.append((n, close_price))
    path = np.empty(n + 1)
    for (i0, p0), (i1, p1) in zip(points, points[1:]):
        path[i0:i1 + 1] = paths.bridge(rng, p0, p1, i1 - i0, spec.minute_vol)
    return path


def generate_symbol(spec: Spec, leader: pd.DataFrame | None = None) -> pd.DataFrame:
    """One symbol's bars: ts (UTC), open, high, low, close, volume."""
    rng = _rng(spec)
    sessions = _session_minutes(spec)
    days = [day for day, _ in sessions]
    closes = _daily_closes(spec, rng, days)
    if leader is not None:
        # A benchmark's day-to-day moves share beta of its leader's (same exchange, same days).
        lead_close = leader.groupby(leader["ts"].dt.tz_convert(spec.zone).dt.date)["close"].last()
        lead_first = float(lead_close.iloc[0])
        closes = [c * (float(lead_close.get(d, lead_first)) / lead_first) ** spec.beta
                  for c, d in zip(closes, days)]
    frames = []
    previous_close = spec.first_close
    for (day, minutes), close_price in zip(sessions, closes):
        key = day.isoformat()
        gap = float(np.exp(rng.normal(0.0, spec.daily_vol * 0.4)))
        if key in spec.open_moves:
            open_price = previous_close * (1 + spec.open_moves[key] / 100)
        else:
            open_price = spec.opens.get(key, previous_close * gap)
        anchors = _intraday_anchors(spec, key, previous_close)
        path = _path_for_session(spec, rng, day, minutes, open_price, close_price, anchors)
        if leader is not None:
            # Co-move: add beta x the leader's intraday log moves to this symbol's own path.
            lead = leader.set_index("ts").reindex(minutes)["close"].ffill().bfill().to_numpy()
            lead_moves = np.concatenate([[0.0], np.log(lead / lead[0])])
            tilt = spec.beta * (lead_moves - np.linspace(0, lead_moves[-1], len(lead_moves)))
            path = path * np.exp(tilt)
        ohlc = paths.bars_from_path(spec, rng, path)
        if spec.band:
            for column in ohlc:
                ohlc[column] = np.clip(ohlc[column], *spec.band)
        if key in spec.lows:
            for column in ohlc:
                ohlc[column] = np.maximum(ohlc[column], spec.lows[key])
            ohlc["low"][int(np.argmin(ohlc["close"]))] = spec.lows[key]
        if key in spec.highs:
            for column in ohlc:
                ohlc[column] = np.minimum(ohlc[column], spec.highs[key])
            ohlc["high"][int(np.argmax(ohlc["close"]))] = spec.highs[key]
        ohlc = {c: paths.round_to_tick(v, spec.tick) for c, v in ohlc.items()}
        volume = spec.volume_per_minute * _u_shape(minutes)
        for local, factor, decay in spec.volume_bursts.get(key, []):
            start = _minute_index(minutes, day, local, spec.zone)
            after = np.arange(len(minutes)) - start
            volume = volume * (1 + np.where(after >= 0, factor * np.exp(-after / decay), 0.0))
        volume = np.round(volume * rng.lognormal(0.0, 0.35, len(minutes)), -2)
        frames.append(pd.DataFrame({"ts": minutes, **ohlc, "volume": volume}))
        previous_close = float(ohlc["close"][-1])
    return pd.concat(frames, ignore_index=True)


def generate() -> dict[str, pd.DataFrame]:
    """Every sample symbol's bars, keyed by symbol (deterministic: fixed seed).

    Regular sessions first (a benchmark follows its leader's regular bars), then the extended
    hours of US listings from their own random stream, so they never shift a regular bar."""
    regular: dict[str, pd.DataFrame] = {}
    for spec in SPECS:
        leader = regular.get(spec.follows) if spec.follows else None
        regular[spec.symbol] = generate_symbol(spec, leader)
    out: dict[str, pd.DataFrame] = {}
    for spec in SPECS:
        frame = regular[spec.symbol]
        if spec.extended:
            leader = out.get(spec.follows) if spec.follows else None
            extra = sample_extended.extended_bars(spec, frame, SEED, leader)
            frame = pd.concat([frame, extra], ignore_index=True).sort_values("ts", ignore_index=True)
        out[spec.symbol] = frame
    return out


def parquet_path(directory: Path, symbol: str) -> Path:
    return Path(directory) / f"{symbol}.parquet"


def write(directory: Path = config.SAMPLE_DIR) -> list[Path]:
    """Regenerate the sample and write one small Parquet file per symbol (float32, zstd)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for symbol, frame in generate().items():
        table = pa.table({
            "ts": pa.array(frame["ts"].dt.tz_convert("UTC"), pa.timestamp("s", tz="UTC")),
            **{c: pa.array(frame[c].to_numpy(np.float32)) for c in ["open", "high", "low", "close"]},
            "volume": pa.array(frame["volume"].to_numpy(np.float32)),
        }).replace_schema_metadata({
            "symbol": symbol, "interval": INTERVAL, "source": SOURCE, "seed": str(SEED),
            "label": config.SYNTHETIC_LABEL, "generator": "dashboard/prices/sample.py",
        })
        path = parquet_path(directory, symbol)
        pq.write_table(table, path, compression="zstd")
        written.append(path)
    return written


def read(directory: Path = config.SAMPLE_DIR) -> dict[str, pd.DataFrame]:
    """The committed sample as frames (prices back in float64, rounded to undo float32 noise)."""
    directory = Path(directory)
    files = sorted(directory.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"{directory}: no sample Parquet files (run `prices sample --regenerate`)")
    out = {}
    for path in files:
        table = pq.read_table(path)
        meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        symbol = meta.get("symbol") or path.stem
        frame = table.to_pandas()
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
        for column in ["open", "high", "low", "close", "volume"]:
            frame[column] = frame[column].astype("float64").round(4)
        out[symbol] = frame
    return out


def load(con, directory: Path = config.SAMPLE_DIR) -> dict[str, int]:
    """Store the sample as ``source = synthetic`` bars (real bars already stored are kept)."""
    written = {}
    for symbol, frame in read(directory).items():
        written[symbol] = bar_store.upsert_bars(
            con, frame, symbol=symbol, interval=INTERVAL, source=SOURCE
        )
    return written
