"""ADR parity: the ADR price implied by the home listing, and the ADR's premium over it.

    parity  = home price × shares per ADS ÷ USDHKD      (e.g. 9988.HK × 8 ÷ HKD per USD)
    premium = ADR price ÷ parity − 1

Joined as of each ADR bar: the home price and the FX rate are the closes of the last bars that
had finished by the time the ADR bar finished, so while Hong Kong is shut the parity carries
Hong Kong's last price — which is exactly how news priced in New York first shows up as a
premium or discount.
"""
from __future__ import annotations

import pandas as pd

from dashboard.analysis import _bars

PARITY_COLUMNS = ["ts", "adr", "hk", "usdhkd", "parity", "premium", "hk_ts", "usdhkd_ts", "bars_source"]

# Older home/FX prices than this are not carried (a gap in the data, not a weekend).
DEFAULT_MAX_AGE = pd.Timedelta(days=5)


def _asof(left: pd.DataFrame, right: pd.DataFrame, name: str, max_age) -> pd.DataFrame:
    """Attach ``right``'s last finished close (and its bar ts) to each ``left`` row by bar end."""
    right = right[["end", "ts", "close"]].rename(columns={"ts": f"{name}_ts", "close": name})
    right = right.rename(columns={"end": f"{name}_end"})
    merged = pd.merge_asof(
        left.sort_values("end"), right.sort_values(f"{name}_end"),
        left_on="end", right_on=f"{name}_end", direction="backward", tolerance=max_age,
    )
    return merged.drop(columns=[f"{name}_end"])


def parity_frame(
    adr_bars: pd.DataFrame,
    home_bars: pd.DataFrame,
    fx_bars: pd.DataFrame,
    *,
    adr_shares_per_unit: float,
    home_shares_per_unit: float = 1.0,
    max_age: pd.Timedelta = DEFAULT_MAX_AGE,
) -> pd.DataFrame:
    """One row per ADR bar: ts, adr, hk, usdhkd, parity, premium (+ as-of bar times, sources).

    ``fx_bars`` close is home-currency units per USD (Yahoo's ``HKD=X``).
    """
    adr = _bars.prepare(adr_bars)
    home = _bars.prepare(home_bars)
    fx = _bars.prepare(fx_bars)
    if adr.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in PARITY_COLUMNS}).assign(
            ts=pd.Series(dtype="datetime64[ns, UTC]"))
    if adr_shares_per_unit is None or not adr_shares_per_unit > 0:
        raise ValueError(f"shares_per_unit must be a positive number, got {adr_shares_per_unit!r}")
    left = adr[["ts", "end", "close", "source"]].rename(columns={"close": "adr", "source": "adr_source"})
    if home.empty:
        left = left.assign(hk=float("nan"), hk_ts=pd.NaT)
    else:
        left = _asof(left, home.assign(home_source=home["source"]), "hk", max_age)
    if fx.empty:
        left = left.assign(usdhkd=float("nan"), usdhkd_ts=pd.NaT)
    else:
        left = _asof(left, fx, "usdhkd", max_age)
    ratio = float(adr_shares_per_unit) / float(home_shares_per_unit or 1.0)
    left["parity"] = left["hk"] * ratio / left["usdhkd"]
    left["premium"] = left["adr"] / left["parity"] - 1.0
    label = _bars.sources(adr, home, fx)
    left["bars_source"] = label
    left["hk_ts"] = pd.to_datetime(left["hk_ts"], utc=True)
    left["usdhkd_ts"] = pd.to_datetime(left["usdhkd_ts"], utc=True)
    return left.sort_values("ts").reset_index(drop=True)[PARITY_COLUMNS]


def premium_at(parity: pd.DataFrame, times, *, max_age: pd.Timedelta = DEFAULT_MAX_AGE) -> pd.DataFrame:
    """The premium as of each time (last ADR bar finished by then): time, premium_ts, premium.

    A missing time (NaT) gets a missing premium, and so does a time whose last known premium is
    older than ``max_age`` (an event months after the stored bars must not borrow their premium).
    """
    times = pd.Series(pd.to_datetime(pd.Series(list(times)), utc=True), name="time")
    out = pd.DataFrame({"time": times})
    if parity.empty or times.empty:
        return out.assign(premium_ts=pd.NaT, premium=float("nan"))
    # parity rows are keyed by ADR bar start; a 1-minute bar has finished one minute later.
    known = parity[["ts", "premium"]].dropna().copy()
    known["known_at"] = known["ts"] + pd.Timedelta(minutes=1)
    known = known.rename(columns={"ts": "premium_ts"}).sort_values("known_at")
    order = out.reset_index().dropna(subset=["time"]).sort_values("time")
    merged = pd.merge_asof(order, known, left_on="time", right_on="known_at", direction="backward",
                           tolerance=max_age)
    merged = merged.set_index("index").reindex(out.index)
    merged["time"] = out["time"]
    return merged[["time", "premium_ts", "premium"]].rename_axis(None)
