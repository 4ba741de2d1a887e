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

from dashboard import markets
from dashboard.analysis import _bars

PARITY_COLUMNS = ["ts", "adr", "hk", "usdhkd", "parity", "premium", "hk_ts", "usdhkd_ts", "bars_source"]

# Older home/FX prices than this are not carried (a gap in the data, not a weekend).
DEFAULT_MAX_AGE = markets.MAX_QUOTE_AGE


def _asof(left: pd.DataFrame, right: pd.DataFrame, name: str, max_age) -> pd.DataFrame:
    """Attach ``right``'s last finished close (and its bar ts) to each ``left`` row by bar end."""
    quotes = markets.quotes_asof(right, left["end"], max_age=max_age)
    return left.assign(**{name: quotes["quote"].to_numpy(), f"{name}_ts": quotes["quote_ts"].to_numpy()})


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
    adr = markets.prepare_bars(adr_bars)
    home = markets.prepare_bars(home_bars)
    fx = markets.prepare_bars(fx_bars)
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
    left["parity"] = markets.usd_per_unit(left["hk"], left["usdhkd"], ratio)
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
    # parity rows are keyed by ADR bar start; a 1-minute bar has finished one minute later.
    known = pd.DataFrame({"ts": parity["ts"], "close": parity["premium"], "interval": "1m"}).dropna()
    quotes = markets.quotes_asof(known, times, max_age=max_age)
    return pd.DataFrame({"time": quotes["time"], "premium_ts": quotes["quote_ts"], "premium": quotes["quote"]})
