"""When the listings on one screen trade at once (markets.overlap_intervals), and, when they never
do, a note saying how far apart their sessions are (the HK close and the US pre-market)."""
from __future__ import annotations

import pandas as pd

from dashboard import markets
from dashboard.screen.model import ListingView


def overlap_of(listings: list[ListingView], start: pd.Timestamp, end: pd.Timestamp, *,
               extended: bool) -> tuple[pd.DataFrame, str]:
    """(start, end spans when the first two markets on screen both trade, a note when never)."""
    empty = pd.DataFrame({"start": pd.Series(dtype="datetime64[ns, UTC]"), "end": pd.Series(dtype="datetime64[ns, UTC]")})
    by_mic = {lv.exchange_mic: lv for lv in listings if lv.exchange_mic and lv.exchange_mic != markets.FX}
    if len(by_mic) < 2:
        return empty, ""
    (mic_a, a), (mic_b, b) = list(by_mic.items())[:2]
    try:
        spans = markets.overlap_intervals(mic_a, mic_b, start, end, extended=extended)
    except Exception:  # an exchange without a calendar: load_view has said so
        return empty, ""
    if spans:
        return pd.DataFrame(spans, columns=["start", "end"]), ""
    return empty, _gap_note(a, b, start, end, extended)


def _gap_note(a: ListingView, b: ListingView, start, end, extended: bool) -> str:
    """'9988.HK shuts 08:00Z, BABA's pre-market opens 09:00Z (1 h later)': the nearest the two
    come in the window."""
    first, last = markets.bounds(extended)
    gaps = []
    for early, late in ((a, b), (b, a)):
        shut = markets.sessions(early.exchange_mic, start, end)
        opens = markets.sessions(late.exchange_mic, start, end + pd.Timedelta(days=1))
        for close in shut[last]:
            later = opens[opens[first] >= close][first]
            if len(later):
                gaps.append((later.iloc[0] - close, early, late, close, later.iloc[0]))
                break
    if not gaps:
        return ""
    gap, early, late, close, opening = min(gaps, key=lambda g: g[0])
    what = "'s pre-market opens" if extended and markets.has_extended_hours(late.exchange_mic) else " opens"
    hours = gap / pd.Timedelta(hours=1)
    return f"{early.symbol} shuts {close:%H:%MZ}, {late.symbol}{what} {opening:%H:%MZ} ({hours:g} h later)"
