"""Tables and lines as the screen shows them (pure; the app only displays them): reactions,
claims, events, articles and the price-source line."""
from __future__ import annotations

from typing import Any, Iterable

import pandas as pd

from dashboard import config
from dashboard.formatting import format_delay, format_time, short_time, signed_bp, signed_pct
from dashboard.screen.model import ViewData
from dashboard.taxonomy import DOWN_COLOR, UP_COLOR, lane_label

# The app's tables show at most this many rows (newest first is what an analyst scans); a large
# archive holds hundreds of thousands in a long window.
MAX_TABLE_ROWS = 500


RETURN_COLUMNS = {
    "ret_5m": "+5m", "ret_15m": "+15m", "ret_30m": "+30m", "ret_60m": "+60m",
    "ret_session_close": "to close", "ret_next_close": "next close",
}


# What the app says under each analysis table's heading (markdown; no untrusted text in it).
REACTIONS_HELP = (
    "Returns from the last price before the event, counted from the listing's first trade at or after it "
    "(exchange calendars: a closed market waits for its next open — see *wait*). Abnormal = minus the "
    "benchmark over the same instants, in basis points. Timed events first. Pick a row to highlight its "
    "event on the chart and read it below."
)
CLAIMS_HELP = (
    " — each figure a text gives, checked against the stored bars of the session it speaks of "
    "(close, intraday extreme or price at publication; rules in docs/analysis.md)."
)

def reaction_rows(table: pd.DataFrame, zone: str, event_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The reaction table as the screen shows it: timed events first (the story), then the
    day-precision ones, each in time order. Returns in % (signed, ×100), abnormal in bp, the
    ADR premium in %, and the notes an analyst needs (closed market, day precision, window cut,
    synthetic bars). Keeps ``event_id`` for selection."""
    columns = ["event_id", "event time", "event", "listing", "first trade", "wait", "ref price",
               *RETURN_COLUMNS.values(), "abnormal to close", "benchmark", "volume ×", "ADR premium at event", "notes"]
    if table is None or table.empty:
        return pd.DataFrame(columns=columns)
    table = table.copy()
    if event_ids is not None:
        table = table[table["event_id"].isin(set(event_ids))]
    table["_order"] = (table["precision"] == "day").astype(int)  # timed (minute or hour) first
    table = table.sort_values(["_order", "event_ts", "event_id"], kind="stable").reset_index(drop=True)
    out = pd.DataFrame({
        "event_id": table["event_id"],
        "event time": [short_time(t, zone, p) for t, p in zip(table["event_ts"], table["precision"])],
        "event": table["headline"],
        "listing": table["symbol"],
        "first trade": [
            f"session {s}" if p == "day" and s is not None else short_time(t, zone)
            for t, p, s in zip(table["first_bar_ts"], table["precision"], table["session"])
        ],
        "wait": [("" if p == "day" or pd.isna(e) or pd.isna(t) else format_delay(pd.Timestamp(t) - pd.Timestamp(e)))
                 for e, t, p in zip(table["event_ts"], table["tradable_from"], table["precision"])],
        "ref price": table["ref_price"],
    })
    for column, label in RETURN_COLUMNS.items():
        out[label] = table[column] * 100
    out["abnormal to close"] = table["abn_session_close"] * 1e4
    out["benchmark"] = table["benchmark_symbol"]
    out["volume ×"] = table["volume_ratio"]
    out["ADR premium at event"] = table["adr_premium_at_event"] * 100
    notes = []
    for note, cut, source in zip(table["note"], table["windows_cut"], table["bars_source"]):
        bits = [str(note)] if note and not pd.isna(note) else []
        if cut and not pd.isna(cut):
            bits.append(f"cut: {cut}")
        if source and not pd.isna(source) and "synthetic" in str(source):
            bits.append(config.SYNTHETIC_LABEL)
        notes.append("; ".join(bits))
    out["notes"] = notes
    return out


def _sign_color(value: Any) -> str:
    if value is None or pd.isna(value) or value == 0:
        return ""
    return f"color: {UP_COLOR if value > 0 else DOWN_COLOR}"


def style_reactions(rows: pd.DataFrame):
    """A pandas Styler: signed %, bp, ×, and blue up / vermillion down (colour-blind safe).

    Its uuid is fixed (pandas picks a random one per Styler), so the same rows serialise to the
    same bytes: Streamlit then sends a rerun's unchanged table as a reference to the copy the
    browser already holds instead of ~150 kB again."""
    pct_columns = [*RETURN_COLUMNS.values(), "ADR premium at event"]
    styler = rows.style.set_uuid("reactions").format(signed_pct, subset=pct_columns, na_rep="")
    styler = styler.format(signed_bp, subset=["abnormal to close"], na_rep="")
    styler = styler.format(lambda v: "" if pd.isna(v) else f"{v:.1f}×", subset=["volume ×"])
    styler = styler.format(lambda v: "" if pd.isna(v) else f"{v:,.2f}", subset=["ref price"])
    return styler.map(_sign_color, subset=[*pct_columns, "abnormal to close"])


def claim_rows(claims: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Reported vs computed, one line per claim, as plain text: listing, quote, claimed,
    computed, verdict (agrees / differs by x pp / cannot check) and the reason."""
    columns = ["published", "source", "listing", "quote", "claimed", "computed", "verdict", "detail"]
    if claims is None or claims.empty:
        return pd.DataFrame(columns=columns)
    claims = claims.sort_values(["published_at", "origin", "origin_id"], kind="stable").reset_index(drop=True)
    rows = []
    for c in claims.to_dict("records"):
        claimed = []
        if c.get("size_pct") is not None and not pd.isna(c.get("size_pct")):
            qualifier = c.get("qualifier")
            claimed.append(signed_pct(c["size_pct"]) + (f" ({qualifier})" if qualifier and qualifier != "exact" else ""))
        if c.get("price") is not None and not pd.isna(c.get("price")):
            claimed.append(f"{c.get('currency') or ''} {c['price']:,.2f}".strip())
        measure = c.get("measure") or ""
        claimed_text = " at ".join(claimed) + (f" · {measure}" if measure and measure != "unspecified" else "")
        computed = []
        if c.get("computed_pct") is not None and not pd.isna(c.get("computed_pct")):
            computed.append(signed_pct(c["computed_pct"]))
        if c.get("computed_price") is not None and not pd.isna(c.get("computed_price")):
            computed.append(f"{c['computed_price']:,.2f}")
        matched = c.get("matched")
        session = c.get("session")
        where = " ".join(str(x) for x in (matched if matched and not pd.isna(matched) else "", session or "") if x)
        verdict = str(c.get("verdict") or "")
        if verdict == "differs" and c.get("diff_pp") is not None and not pd.isna(c.get("diff_pp")):
            verdict = f"differs by {c['diff_pp']:+.2f} pp".replace("-", "−")
        detail = str(c.get("verdict_text") or "")
        if "synthetic" in str(c.get("bars_source") or ""):
            detail += f" [{config.SYNTHETIC_LABEL}]"
        rows.append({
            "published": short_time(c.get("published_at"), zone, c.get("precision") or "minute"),
            "source": c.get("source") or "",
            "listing": c.get("listing") or "—",
            "quote": " ".join(str(c.get("quote") or "").split()),
            "claimed": claimed_text,
            "computed": " at ".join(computed) + (f" ({where})" if computed and where else ""),
            "verdict": verdict,
            "detail": detail,
        })
    return pd.DataFrame(rows, columns=columns)


def verdict_summary(claims: pd.DataFrame | None) -> str:
    """'3 agree · 1 differ · 2 cannot be checked', counted from the claims' own verdicts."""
    if claims is None or claims.empty:
        return ""
    words = {"agrees": "agree", "differs": "differ"}
    counts = claims["verdict"].fillna("").astype(str).value_counts()
    return " · ".join(f"{n} {words.get(v, 'cannot be checked' if v.startswith('cannot') else v)}"
                      for v, n in counts.items())


def listed_events(view: ViewData, limit: int = MAX_TABLE_ROWS) -> pd.DataFrame:
    """The events the Events table lists: the newest ``limit``, in time order."""
    return view.events.tail(limit) if len(view.events) > limit else view.events


def shown_note(shown: int, total: int, noun: str) -> str | None:
    """The sentence under a table that lists fewer rows than match (None when it lists all)."""
    if total <= shown:
        return None
    return (f"Showing the newest {shown:,} of {total:,} {noun}. Narrow the dates or pick tags, sources or "
            "event kinds to list others (exports hold them all).")


def event_table(events: pd.DataFrame, zone: str) -> pd.DataFrame:
    """The Events table as shown: times in the display zone, the lane each event is drawn in;
    long headlines cut (the reader shows them whole)."""
    return clip_cells(pd.DataFrame({
        "time": [format_time(t, p, zone) for t, p in zip(events["ts"], events["precision"])],
        "lane": [lane_label(k, s) for k, s in zip(events["kind"], events["stance"])],
        "kind": events["kind"],
        "actor": events["actor"],
        "headline": events["headline"],
        "source": events["source"],
        "tags": ["; ".join(t or []) for t in events["tags"]],
    }), ["headline"])


def article_table(articles: pd.DataFrame, zone: str) -> pd.DataFrame:
    """The Articles table as shown; after a search also each hit's snippet (plain text, the
    matched words between « ») and which older revision matched."""
    table = pd.DataFrame({
        "published": [format_time(t, p or "minute", zone) for t, p in zip(articles["published_at"], articles["published_precision"])],
        "title": articles["title"],
        "source": articles["source"],
        "tags": ["; ".join(t or []) for t in articles["tags"]],
    })
    for name in ("snippet", "matched"):
        if name in articles:
            table[name] = articles[name].to_numpy()
    return clip_cells(table, ["title"])  # a snippet is short already (search.snippet)


def price_status_line(last_refresh: dict | None) -> tuple[str, bool]:
    """(one sentence on where the prices come from, is it a warning?) for the screen's header.

    The app never calls Yahoo itself; `prices refresh` (run by `make run`) does, and records
    how it went.
    """
    if last_refresh is None:
        return ("Prices: never refreshed from Yahoo here — showing stored bars only "
                "(run: python -m dashboard prices refresh — it fetches event windows when online).", False)
    when = pd.Timestamp(last_refresh["checked_at"]).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")
    status = last_refresh["status"]
    if status == "offline":
        return f"Prices: Yahoo was unreachable at the last refresh ({when}) — serving cached bars.", True
    if status == "partial":
        return f"Prices: the last refresh ({when}) fetched some windows but not all — {last_refresh['message']}", True
    if status == "fetched":
        return f"Prices: event windows fetched from Yahoo at {when}; cached in the local store.", False
    return f"Prices: the local store already held every event window at the last refresh ({when}).", False


def news_status_line(last_fetch: dict | None) -> str:
    """One sentence on when news was last fetched from Yahoo (`news fetch`, run by `make run`)."""
    if last_fetch is None:
        return ("News: never fetched from Yahoo here — showing ingested files only "
                "(run: python -m dashboard news fetch).")
    when = pd.Timestamp(last_fetch["fetched_at"]).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")
    return (f"News: last fetched from Yahoo at {when} ({last_fetch['items']} stories for "
            f"{', '.join(last_fetch['symbols'])}).")


REFRESH_WARNING = "⚠ price refresh incomplete"  # the header's badge when the last refresh failed


def header_status(view: ViewData) -> tuple[str | None, str, str | None]:
    """(synthetic badge or None, the rest of the line, refresh-warning badge or None) for the
    screen's one status line under the title: the synthetic-sample notice, price and news status
    merged, so the chart starts high on the first screen. Other notices of the view are shown on
    their own."""
    status, is_warning = price_status_line(view.last_refresh)
    badge = f"⚠ {config.SYNTHETIC_LABEL}" if view.synthetic else None
    if is_warning:  # after both badges, the failed refresh is said first
        parts = [status] + (["The synthetic sample stands in until real bars are fetched or imported."]
                            if view.synthetic else [])
    else:
        parts = (["stands in until real bars are fetched or imported."] if view.synthetic else []) + [status]
    parts.append(news_status_line(view.last_news_fetch))
    if view.has_bars and not view.synthetic:
        sources = sorted({s for lv in view.listings for s in lv.sources})
        parts.append(f"Prices from the local store ({', '.join(sources)}); the app itself never calls Yahoo.")
    return badge, " ".join(parts), REFRESH_WARNING if is_warning else None


def other_notices(view: ViewData) -> list[str]:
    """The view's notices besides the synthetic one (header_status says that one)."""
    return [n for n in view.notices if config.SYNTHETIC_LABEL not in n]


def _short_price_status(last_refresh: dict | None) -> str:
    if last_refresh is None:
        return "Prices: stored bars only"
    when = pd.Timestamp(last_refresh["checked_at"]).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")
    return {"offline": f"Yahoo was unreachable at {when}", "partial": f"Prices: some windows missing at {when}",
            "fetched": f"Prices: fetched {when}"}.get(last_refresh["status"], f"Prices: checked {when}")


def header_line(view: ViewData) -> tuple[str | None, str, str, str | None]:
    """(synthetic badge or None, the short status that fits one line beside the badges, the full
    status from :func:`header_status` for its tooltip, refresh-warning badge or None). A wrapped
    status line pushed the chart to 37 % of a 1280×800 screen (issue 28)."""
    badge, full, warning = header_status(view)
    news = "News: ingested files only" if view.last_news_fetch is None else "News: fetched " + pd.Timestamp(
        view.last_news_fetch["fetched_at"]).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")
    # After a failed refresh the warning badge and its time fill the line; the news status is in the tooltip.
    short = _short_price_status(view.last_refresh) + ("" if warning else f" · {news}")
    return badge, short, full, warning


CELL_CHARS = 160  # a table cell's text as sent; the reader shows it whole


def clip_cells(table: pd.DataFrame, columns: Iterable[str], limit: int = CELL_CHARS) -> pd.DataFrame:
    """``table`` with the long text of ``columns`` cut to ``limit`` characters (and "…"), so a
    table sends light; picking the row opens the whole text in the reader."""
    out = table.copy()
    for name in columns:
        if name in out:
            out[name] = [t if not isinstance(t, str) or len(t) <= limit else t[:limit - 1] + "…" for t in out[name]]
    return out
