"""Reported vs computed: move claims pulled out of article and event text, checked against bars.

Two pure steps, rules in docs/analysis.md:

1. :func:`extract_claims` reads text sentence by sentence and returns what each move claim says:
   listing, direction, size (signed %), qualifier (exact / over / nearly / about), price if
   given, the measure meant (close / intraday / pre-market / after-hours / unspecified) and a
   day hint ("on Friday", "Nov 14"). Figures about anything other than a share price (revenue,
   cloud growth, tariffs, indexes) are not claims.
2. :func:`check_claim` picks the listing's session the claim speaks of and compares the claim with
   the bars: close to close, the intraday extreme (low for falls, high for rises), the price at
   publication when the session was still running, and the session's range so far. A
   pre-market claim reads ``[pre_open, open)`` and an after-hours claim ``[close, post_close)``
   of that session, both from the last *regular* close before them (the market's convention).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict

import numpy as np
import pandas as pd

from dashboard import markets
from dashboard.analysis import _bars, _sessions
from dashboard.analysis.claim_instants import instant_window
from dashboard.analysis.claim_text import (  # Claim, extract_claims: step 1, re-exported
    SIGNED_PERCENT, WEEKDAYS, Claim, extract_claims, headline_measures_from_text, normalise,
)

# Agreement tolerances (percentage points / relative price); see docs/analysis.md.
PCT_TOLERANCE_PP = 0.15
ROUGH_TOLERANCE_PP = 0.5       # "about", "nearly": how far a rough figure may be off
PRICE_TOLERANCE = 0.001        # 0.1 % of the claimed price

# The sessions-frame columns a measure's window runs between.
WINDOW_BY_MEASURE = {"pre-market": ("pre_open", "open"), "after-hours": ("close", "post_close")}
REGULAR_WINDOW = ("open", "close")

CHECK_COLUMNS = [
    "session", "session_complete", "prev_close", "close", "close_pct", "low_pct", "high_pct",
    "asof_pct", "computed_pct", "computed_price", "matched", "diff_pp", "verdict",
    "verdict_text", "bars_source",
]


def claim_interval(size_pct: float, qualifier: str, decimals: int, direction: str | None) -> tuple[float, float]:
    """The range of signed % moves a written figure stands for."""
    tolerance = max(PCT_TOLERANCE_PP, 0.5 * 10 ** (-decimals))
    magnitude = abs(size_pct)
    if direction == "flat" or magnitude == 0:
        return -tolerance, tolerance
    if qualifier == "over":
        low, high = magnitude, math.inf
    elif qualifier == "nearly":
        low, high = magnitude - ROUGH_TOLERANCE_PP, magnitude + tolerance
    elif qualifier == "about":
        rough = max(tolerance, ROUGH_TOLERANCE_PP)
        low, high = magnitude - rough, magnitude + rough
    else:
        low, high = magnitude - tolerance, magnitude + tolerance
    return (-high, -low) if direction == "down" else (low, high)


def _target_session(sessions, published_at, precision, tz, day_hint, window=REGULAR_WINDOW, published_zone=None):
    """(position, cutoff, complete, note) of the session a claim speaks of; ``window``: the
    sessions-frame columns the claim's part of the session runs between. A day-precision
    publication ends with its day in the zone it was dated in (``markets.event_days``)."""
    first, last = window
    if precision == "day" and published_zone:
        pub_end = markets.event_days([published_at], published_zone)[1][0]
    else:
        length = {"minute": pd.Timedelta(minutes=1), "hour": pd.Timedelta(hours=1)}.get(precision, pd.Timedelta(days=1))
        pub_end = published_at + length
    if day_hint:
        local = (pub_end - pd.Timedelta(microseconds=1)).tz_convert(tz).date()
        if day_hint in WEEKDAYS:
            back = (local.weekday() - WEEKDAYS.index(day_hint)) % 7
            day = local - dt.timedelta(days=back)
        else:
            month, dom = (int(x) for x in day_hint.split("-"))
            try:
                day = dt.date(local.year, month, dom)
            except ValueError:
                return None, None, False, f"'{day_hint}' is not a date"
            if day > local + dt.timedelta(days=30):  # "Dec 30" read in early January
                day = dt.date(local.year - 1, month, dom)
        position = _sessions.on_date(sessions, day)
        if position is None:
            return None, None, False, f"{day} was not a trading session"
    else:
        opened = sessions.index[sessions[first] < pub_end]
        position = int(opened[-1]) if len(opened) else None
        stale = position is not None and sessions.iloc[position][last] + pd.Timedelta(days=7) < pub_end
        if position is None or stale:  # the sessions frame does not reach the publication
            return None, None, False, "no session before the publication in the calendar range"
    session = sessions.iloc[position]
    if precision == "day" or day_hint or session[last] <= pub_end:
        return position, session[last], True, ""
    # minute precision: what had traded by the publication time; hour: by the end of that hour
    return position, (published_at if precision == "minute" else pub_end), False, ""


def _fmt_pct(value: float) -> str:
    return f"{value:+.2f}%"


def check_claim(
    claim,
    *,
    published_at,
    precision: str,
    tz: str,
    bars: pd.DataFrame | None,
    sessions: pd.DataFrame,
    published_zone: str | None = None,
) -> dict:
    """Compare one claim with the bars of its listing (a dict of CHECK_COLUMNS); ``tz`` is the
    listing's zone, ``published_zone`` the zone the publication was dated in."""
    out = {column: None for column in CHECK_COLUMNS}
    for column in ("prev_close", "close", "close_pct", "low_pct", "high_pct", "asof_pct",
                   "computed_pct", "computed_price", "diff_pp"):
        out[column] = float("nan")
    out["verdict"] = "cannot check"
    if claim.listing is None:
        out["verdict_text"] = "cannot check: the text does not say which listing"
        return out
    if claim.size_pct is None and claim.price is None:
        out["verdict_text"] = "cannot check: no figure"
        return out
    sessions = markets.prepare_sessions(sessions)
    bars = markets.with_session_parts(bars, sessions)
    published_at = pd.Timestamp(published_at).tz_convert("UTC")
    window = WINDOW_BY_MEASURE.get(claim.measure, REGULAR_WINDOW)
    extended = window != REGULAR_WINDOW
    position, cutoff, complete, why = _target_session(sessions, published_at, precision, tz, claim.day_hint, window,
                                                        published_zone)
    if position is None:
        out["verdict_text"] = f"cannot check: {why}"
        return out
    session = sessions.iloc[position]
    label = session["session"]
    out.update(session=label, session_complete=complete)
    start, end = session[window[0]], session[window[1]]
    # moves are from the last regular close before the window (the market's convention)
    previous_open = sessions.iloc[position - 1]["open"] if position > 0 else None
    reference_before = session["open"] if claim.measure != "after-hours" else session["close"]
    reference_from = previous_open if claim.measure != "after-hours" else session["open"]
    _, prev_close = markets.price_at(markets.regular_bars(bars), reference_before, not_before=reference_from)
    day_bars = _bars.between(bars, start, min(cutoff, end))
    if day_bars.empty or not np.isfinite(prev_close):
        part = f" {claim.measure}" if extended else ""
        what = "the previous session" if not day_bars.empty else f"{label}{part}"
        out["verdict_text"] = f"cannot check: no {claim.listing} bars for {what}"
        return out
    out["bars_source"] = _bars.sources(day_bars)
    low, high, last = float(day_bars["low"].min()), float(day_bars["high"].max()), float(day_bars["close"].iloc[-1])
    pct = lambda price: (price / prev_close - 1.0) * 100.0  # noqa: E731
    out.update(prev_close=prev_close, low_pct=pct(low), high_pct=pct(high))
    if complete:
        out.update(close=last, close_pct=pct(last))
    else:
        out["asof_pct"] = pct(last)

    # candidates: (name, low price, high price); a point has low == high
    part = claim.measure if extended else "intraday"
    last_name = f"{part} last price" if extended else "close"
    close_c = (last_name, last, last) if complete else ("price at publication", last, last)
    extremes = {"down": [(f"{part} low", low, low)], "up": [(f"{part} high", high, high)]}.get(
        claim.direction, [(f"{part} low", low, low), (f"{part} high", high, high)])
    range_c = (f"{part} range", low, high)
    if claim.measure == "close":
        candidates = [close_c]
    elif claim.measure == "intraday":
        candidates = extremes + ([close_c] if not complete else []) + [range_c]
    else:
        candidates = [close_c] + extremes + [range_c]

    window, unread = None, ""
    if claim.instant and not extended and claim.measure != "close":
        found = instant_window(claim.instant, session, published_at=published_at, precision=precision, zone=tz)
        window, unread = (None, found) if isinstance(found, str) else (found, "")
    if window is not None:  # a time-tied figure: the price at its instant, then the bars around it
        end_at = window.end if complete else min(window.end, cutoff)
        around = _bars.between(bars, window.start, end_at)
        if around.empty:
            out["verdict_text"] = f"cannot check: no {claim.listing} bars in the {label} {window.range_label}"
            return out
        candidates = []
        if window.point is not None and window.point <= end_at:
            _, at_point = markets.price_at(bars, window.point, not_before=window.start)
            if np.isfinite(at_point):
                candidates.append((window.point_label, at_point, at_point))
        candidates.append((window.range_label, float(around["low"].min()), float(around["high"].max())))

    if claim.size_pct is not None:
        lo, hi = claim_interval(claim.size_pct, claim.qualifier, claim.decimals, claim.direction)
        accepts = lambda a, b: pct(b) >= lo and pct(a) <= hi  # noqa: E731
        claimed_text = _fmt_pct(claim.size_pct)
    else:
        lo, hi = claim.price * (1 - PRICE_TOLERANCE), claim.price * (1 + PRICE_TOLERANCE)
        accepts = lambda a, b: b >= lo and a <= hi  # noqa: E731
        claimed_text = f"{claim.price:g}"

    primary = candidates[0]
    matched = next((c for c in candidates if accepts(c[1], c[2])), None)
    shown = matched or primary
    point = shown[1] if shown[1] == shown[2] else (low if claim.direction == "down" else high)
    out.update(computed_price=point, computed_pct=pct(point), matched=matched[0] if matched else None)
    if claim.size_pct is not None:
        out["diff_pp"] = pct(primary[1] if primary[1] == primary[2] else point) - claim.size_pct
    else:
        out["diff_pp"] = pct(primary[1]) - pct(claim.price)
    measure_from = f" (measure from {claim.measure_from})" if getattr(claim, "measure_from", None) else ""
    upto = "" if complete or window is not None else f" up to {cutoff.strftime('%H:%MZ')}"
    figure = lambda c: (_fmt_pct(pct(c[1])) if c[1] == c[2] else f"{_fmt_pct(pct(c[1]))} to {_fmt_pct(pct(c[2]))}")  # noqa: E731
    if matched:
        out["verdict"] = "agrees"
        kind = "" if matched[0] == "close" else f"{window.phrase if window else part + ' figure'}{measure_from}: "
        text = f"{kind}agrees with the {label} {matched[0]}{upto} ({figure(matched)})"
        if matched is not primary:
            text += f"; the {primary[0]} was {figure(primary)}"
    else:
        out["verdict"] = "differs"
        text = "" if window is None and not measure_from else f"{window.phrase if window else part + ' figure'}{measure_from}: "
        text += (f"differs by {out['diff_pp']:+.2f} pp from the {label} {primary[0]}{upto} "
                f"({figure(primary)}; claimed {claimed_text})")
    if claim.price is not None and claim.size_pct is not None:
        text += f"; claimed price {claim.price:g} vs {shown[0]} {point:.2f}"
    if unread:
        text += f"; {unread}"
    out["verdict_text"] = text
    return out


CLAIM_COLUMNS = [
    "claim_id", "origin", "origin_id", "source", "published_at", "precision", "field", "quote",
    "listing", "direction", "size_pct", "qualifier", "price", "currency", "measure", "day_hint",
    "instant", *CHECK_COLUMNS,
]


def claims_table(
    articles: pd.DataFrame,
    events: pd.DataFrame,
    listings: pd.DataFrame,
    bars_by_symbol: dict[str, pd.DataFrame],
    sessions_by_symbol: dict[str, pd.DataFrame],
    aliases_by_company: dict[str, tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """Every claim in the articles and events, each with its check against the bars."""
    aliases_by_company = aliases_by_company or {}
    own = listings[listings["role"].fillna("listing") == "listing"] if "role" in listings else listings
    tz_by_symbol = dict(zip(own["symbol"], own["tz"].fillna("UTC"))) if "tz" in own else {}
    rows = []

    def company_listings(companies):
        chosen = own[own["company_id"].isin(companies)] if companies else own.iloc[0:0]
        return chosen

    def add(claims, origin, origin_id, source, published_at, precision, companies, zone=None):
        for number, claim in enumerate(claims, start=1):
            record = asdict(claim)
            record.pop("position")
            record.pop("measure_from")
            symbol = claim.listing
            if symbol in sessions_by_symbol:
                check = check_claim(claim, published_at=published_at, precision=precision,
                                    tz=tz_by_symbol.get(symbol, "UTC"), bars=bars_by_symbol.get(symbol),
                                    sessions=sessions_by_symbol[symbol], published_zone=zone)
            else:
                check = check_claim(claim, published_at=published_at, precision=precision, tz="UTC",
                                    bars=None, sessions=pd.DataFrame(columns=_sessions_columns()))
            record.update(check)
            record.update(claim_id=f"{origin}:{origin_id}#{number}", origin=origin, origin_id=origin_id,
                          source=source, published_at=pd.Timestamp(published_at).tz_convert("UTC"),
                          precision=precision)
            rows.append(record)

    for article in (articles if articles is not None else pd.DataFrame()).itertuples(index=False):
        companies = list(getattr(article, "companies", None) or [])
        targets = company_listings(companies)
        if targets.empty:
            continue
        aliases = tuple(a for c in companies for a in aliases_by_company.get(c, ()))
        found = []
        for field_name in ("title", "subtitle", "summary", "body"):
            found += extract_claims(getattr(article, field_name, None), targets, field_name=field_name,
                                    aliases=aliases)
        _fill_listing_from_neighbours(found)
        headline_measures_from_text(found)
        add(found, "article", article.article_id, article.source, article.published_at,
            getattr(article, "published_precision", "minute") or "minute", companies,
            _zone(getattr(article, "published_zone", None)))

    seen_articles = set(articles["article_id"]) if articles is not None and not articles.empty else set()
    for event in (events if events is not None else pd.DataFrame()).itertuples(index=False):
        if getattr(event, "kind", None) == "publication" and getattr(event, "article_id", None) in seen_articles:
            continue  # its article's text was read above
        company = getattr(event, "company_id", None)
        targets = company_listings([company] if isinstance(company, str) and company else [])
        if targets.empty:
            continue
        symbol = event.symbol if isinstance(getattr(event, "symbol", None), str) and event.symbol in set(targets["symbol"]) else None
        found = event_claims(event, targets, default_listing=symbol,
                             aliases=aliases_by_company.get(company, ()))
        add(found, "event", event.event_id, event.source, event.ts, event.precision, [company],
            _zone(getattr(event, "ts_zone", None)))

    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    table["published_at"] = pd.to_datetime(table["published_at"], utc=True)
    return table


def _zone(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _fill_listing_from_neighbours(claims: list[Claim]) -> None:
    """A claim naming no listing (e.g. in a title) takes the previous claim's, else the next's."""
    for index, claim in enumerate(claims):
        if claim.listing is None:
            before = [c.listing for c in claims[:index] if c.listing]
            after = [c.listing for c in claims[index + 1:] if c.listing]
            claim.listing = before[-1] if before else (after[0] if after else None)


def _sessions_columns():
    return ["session", "open", "break_start", "break_end", "close"]


def event_claims(event, listings: pd.DataFrame, *, default_listing=None, aliases=()) -> list[Claim]:
    """Claims in an event's headline; its ``value`` fills a missing % (market events only)."""
    detail = getattr(event, "detail", None)
    detail = detail if isinstance(detail, str) else ""
    # the note may say which measure the figure is ("intraday figure …, not the close");
    # "from X's pre-market note" names a newsletter, not a pre-market price
    note = re.sub(r"pre-?market note", " ", detail, flags=re.I)
    found = extract_claims(event.headline, listings, field_name="headline",
                           default_listing=default_listing, aliases=aliases,
                           fallback_measure_text=note)
    value = getattr(event, "value", None)
    if getattr(event, "kind", None) != "market" or not isinstance(value, str) or not default_listing:
        return found
    pcts = [m for m in SIGNED_PERCENT.finditer(normalise(value))]
    if len(found) == 1 and found[0].size_pct is None and len(pcts) == 1:
        sign, number = pcts[0].group("sign"), pcts[0].group("num")
        size = float(number) * (-1 if sign == "-" else 1)
        found[0].size_pct = size
        found[0].direction = "flat" if size == 0 else ("down" if size < 0 else "up")
        found[0].decimals = len(number.split(".")[1]) if "." in number else 0
        found[0].qualifier = "over" if pcts[0].group("plus") else "exact"
        found[0].field = "headline+value"
    return found
