"""ADR parity and premium on fixture prices with a known FX rate."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.analysis.parity import parity_frame, premium_at


def bars(rows, source="fixture"):
    return pd.DataFrame([{"ts": pd.Timestamp(ts, tz="UTC"), "open": c, "high": c, "low": c, "close": c,
                          "volume": 1.0, "source": source, "interval": "1m"} for ts, c in rows])


ADR = bars([("2025-11-14 20:58", 150.0), ("2025-11-14 20:59", 152.0), ("2025-11-17 14:30", 160.0)])
HOME = bars([("2025-11-14 07:59", 155.0), ("2025-11-17 01:30", 160.0), ("2025-11-17 07:59", 158.0)])
FX = bars([("2025-11-14 20:00", 7.75), ("2025-11-17 00:00", 7.80)])


def test_parity_carries_hong_kongs_last_price_while_it_is_shut():
    frame = parity_frame(ADR, HOME, FX, adr_shares_per_unit=8)
    assert list(frame.columns[:6]) == ["ts", "adr", "hk", "usdhkd", "parity", "premium"]
    friday = frame.iloc[0]
    assert friday["hk"] == 155.0 and friday["hk_ts"] == pd.Timestamp("2025-11-14 07:59", tz="UTC")
    assert friday["parity"] == pytest.approx(155.0 * 8 / 7.75)  # = 160
    assert friday["premium"] == pytest.approx(150.0 / 160.0 - 1)  # a 6.25 % discount
    assert frame.iloc[1]["premium"] == pytest.approx(152.0 / 160.0 - 1)
    monday = frame.iloc[2]
    assert monday["hk"] == 158.0 and monday["usdhkd"] == 7.80
    assert monday["premium"] == pytest.approx(160.0 / (158.0 * 8 / 7.80) - 1)
    assert set(frame["bars_source"]) == {"fixture"}


def test_a_home_bar_still_running_is_not_used():
    adr = bars([("2025-11-17 03:00", 160.0)])
    home = bars([("2025-11-17 02:58", 150.0), ("2025-11-17 03:00", 999.0)])  # 03:00 ends at 03:01
    frame = parity_frame(adr, home, FX, adr_shares_per_unit=8)
    assert frame.iloc[0]["hk"] == 999.0  # same bar end as the ADR bar: both finished
    adr_earlier = bars([("2025-11-17 02:59", 160.0)])
    assert parity_frame(adr_earlier, home, FX, adr_shares_per_unit=8).iloc[0]["hk"] == 150.0


def test_stale_home_prices_are_not_carried_across_a_gap():
    adr = bars([("2025-11-28 15:00", 160.0)])
    frame = parity_frame(adr, HOME, FX, adr_shares_per_unit=8)
    assert pd.isna(frame.iloc[0]["hk"]) and pd.isna(frame.iloc[0]["premium"])


def test_bad_shares_per_unit_is_refused():
    with pytest.raises(ValueError, match="shares_per_unit"):
        parity_frame(ADR, HOME, FX, adr_shares_per_unit=0)


def test_premium_at_event_times_uses_the_last_finished_adr_bar():
    frame = parity_frame(ADR, HOME, FX, adr_shares_per_unit=8)
    at = premium_at(frame, [pd.Timestamp("2025-11-14 20:59:30", tz="UTC"),
                            pd.Timestamp("2025-11-16 12:00", tz="UTC"),
                            pd.Timestamp("2025-11-14 10:00", tz="UTC"), pd.NaT])
    assert at["premium"].iloc[0] == pytest.approx(150.0 / 160.0 - 1)  # 20:59 bar not finished yet
    assert at["premium"].iloc[1] == pytest.approx(152.0 / 160.0 - 1)  # weekend: Friday's last
    assert pd.isna(at["premium"].iloc[2])
    assert pd.isna(at["premium"].iloc[3])  # no time (e.g. a listing with no first bar)


def test_premium_at_an_event_long_after_the_last_bar_is_missing_not_borrowed():
    frame = parity_frame(ADR, HOME, FX, adr_shares_per_unit=8)
    at = premium_at(frame, [pd.Timestamp("2025-12-03 15:00", tz="UTC"),   # weeks after the bars
                            pd.Timestamp("2025-11-17 14:40", tz="UTC")])  # minutes after
    assert pd.isna(at["premium"].iloc[0])
    assert at["premium"].iloc[1] == pytest.approx(160.0 / (158.0 * 8 / 7.80) - 1)
