"""Filters ⇄ URL, and load_view on a database built from the real data files."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import config, store
from dashboard.screen import (Filters, analysis_scope, claim_rows, claims_scope, figure_filename, load_claims,
                            load_options, load_reactions, load_view, reaction_rows, reaction_scope, signed_pct,
                            volume_bucket_for)

FT_TWEET = "2025-11-14-ft-report-tweet"


@pytest.mark.parametrize("filters", [
    Filters(),
    Filters(tags=("Tech War", "Qwen"), sources=("Reuters",), kinds=("denial", "market"),
            start=dt.date(2025, 11, 13), end=dt.date(2025, 11, 18), zone="Asia/Hong_Kong",
            interval="15m", price_mode="pct", reference=pd.Timestamp("2025-11-14 18:00", tz="UTC")),
    Filters(company="Alibaba Group", zone="America/New_York", price_mode="usd", interval="1d", parity=True),
])
def test_query_params_round_trip(filters):
    params = filters.to_query_params()
    assert all(isinstance(v, (str, list)) for v in params.values())
    again, notices = Filters.from_query_params(params)
    assert again == filters and notices == []


def test_default_filters_make_an_empty_query_string():
    assert Filters().to_query_params() == {}


@pytest.mark.parametrize("params, field, default", [
    ({"zone": "Mars/Olympus"}, "zone", "UTC"),
    ({"interval": "7m"}, "interval", "auto"),
    ({"mode": "bitcoin"}, "price_mode", "price"),
    ({"start": "2025-13-40"}, "start", None),
    ({"ref": "yesterday-ish"}, "reference", None),
    ({"parity": "maybe"}, "parity", False),
])
def test_bad_params_fall_back_with_a_notice_naming_them(params, field, default):
    filters, notices = Filters.from_query_params(params)
    assert getattr(filters, field) == default
    (notice,) = notices
    name = next(iter(params))
    assert f"{name}=" in notice and params[name] in notice


@pytest.mark.parametrize("params, named", [
    # Out of pandas' range: the same notice and fallback as any bad date, not OutOfBoundsDatetime.
    ({"start": "0001-01-01"}, "start='0001-01-01' is not a date the dashboard can show"),
    ({"start": "0001-01-01", "end": "9999-12-31"}, "end='9999-12-31' is not a date the dashboard can show"),
    # Names nobody reads: said, with the name meant, instead of ignored without a word.
    ({"kind": "bogus"}, "Unknown URL parameter kind='bogus'; ignored (did you mean kinds?)."),
    ({"price_mode": "evil"}, "Unknown URL parameter price_mode='evil'; ignored (did you mean mode?)."),
    ({"source": "<script>"}, "Unknown URL parameter source='<script>'; ignored (did you mean sources?)."),
    ({"utm_campaign": "x"}, "Unknown URL parameter utm_campaign='x'; ignored."),
])
def test_hostile_params_get_a_notice_and_the_defaults(params, named):
    filters, notices = Filters.from_query_params(params)
    assert filters.start is None and filters.end is None and filters == Filters()
    assert any(named in n for n in notices), notices


def test_the_apps_own_params_are_not_unknown():
    filters, notices = Filters.from_query_params({"event": "e1", "article": "a1", "as_of": "2025-11-20"})
    assert filters == Filters() and notices == []


def test_out_of_range_dates_load_the_default_window(case_db):
    filters, _ = Filters.from_query_params({"start": "0001-01-01", "end": "9999-12-31"})
    assert load_view(case_db, filters).start_day == load_view(case_db, Filters()).start_day


def test_start_after_end_is_refused():
    filters, notices = Filters.from_query_params({"start": "2025-11-19", "end": "2025-11-12"})
    assert filters.start is None and filters.end is None
    assert notices and "after" in notices[0]


def test_default_view_is_the_alibaba_story_days(case_db):
    view = load_view(case_db, Filters())
    assert view.company_id == "alibaba"
    # the day before the FT report through Tuesday: the report, the weekend, Hong Kong's Monday
    assert (view.start_day, view.end_day) == (dt.date(2025, 11, 13), dt.date(2025, 11, 18))
    assert [lv.symbol for lv in view.listings] == ["BABA", "9988.HK"]
    for lv in view.listings:
        assert lv.shown_bars > 1000 and lv.interval == "1m"
        assert lv.bars["ts"].between(view.start, view.end, inclusive="left").all()
        assert lv.synthetic
    assert view.synthetic and any(config.SYNTHETIC_LABEL in n for n in view.notices)
    assert FT_TWEET in set(view.events["event_id"])
    assert len(view.articles) > 0
    assert pd.to_datetime(view.events["ts"], utc=True).between(view.start, view.end, inclusive="left").all()


def test_closed_intervals_include_the_hong_kong_lunch_break(case_db):
    view = load_view(case_db, Filters())
    hk = next(lv for lv in view.listings if lv.symbol == "9988.HK")
    spans = set(zip(hk.closed["start"], hk.closed["end"]))
    assert (pd.Timestamp("2025-11-17 04:00", tz="UTC"), pd.Timestamp("2025-11-17 05:00", tz="UTC")) in spans


def test_tag_filter_narrows_events_and_articles_alike(case_db):
    everything = load_view(case_db, Filters())
    tech_war = load_view(case_db, Filters(tags=("tech war",)))  # case-insensitive
    assert 0 < len(tech_war.events) < len(everything.events)
    assert 0 < len(tech_war.articles) < len(everything.articles)
    assert all("tech war" in {t.lower() for t in tags} for tags in tech_war.events["tags"])
    assert all("tech war" in {t.lower() for t in tags} for tags in tech_war.articles["tags"])


def test_kind_and_source_filters(case_db):
    denials = load_view(case_db, Filters(kinds=("denial",)))
    assert len(denials.events) and set(denials.events["kind"]) == {"denial"}
    reuters = load_view(case_db, Filters(sources=("reuters",)))
    assert len(reuters.events) and {s.lower() for s in reuters.events["source"]} == {"reuters"}


def test_unknown_company_falls_back_with_a_notice(case_db):
    view = load_view(case_db, Filters(company="Tencent"))
    assert view.company_id == "alibaba"
    assert any("Tencent" in n for n in view.notices)
    by_name = load_view(case_db, Filters(company="ALIBABA GROUP"))
    assert by_name.company_id == "alibaba" and not any("Unknown company" in n for n in by_name.notices)


def test_hong_kong_days_shift_the_window(case_db):
    view = load_view(case_db, Filters(zone="Asia/Hong_Kong", start=dt.date(2025, 11, 17), end=dt.date(2025, 11, 17)))
    assert view.start == pd.Timestamp("2025-11-16 16:00", tz="UTC")
    assert view.end == pd.Timestamp("2025-11-17 16:00", tz="UTC")
    baba = view.listings[0]
    # Monday in Hong Kong ends at 16:00Z, 90 minutes into New York's Monday session, after its
    # pre-market from 09:00Z (04:00 ET, 330 minutes)
    assert baba.bars["ts"].min() == pd.Timestamp("2025-11-17 09:00", tz="UTC")
    regular = baba.bars[baba.bars["session_part"] == "regular"]
    assert regular["ts"].min() == pd.Timestamp("2025-11-17 14:30", tz="UTC")
    assert baba.bars["ts"].max() < view.end and (len(regular), len(baba.bars)) == (90, 420)


def test_downsampling_keeps_each_trace_under_budget(case_db):
    full = load_view(case_db, Filters())
    small = load_view(case_db, Filters(), max_points=300)
    for lv_full, lv in zip(full.listings, small.listings):
        assert lv.total_bars == lv_full.total_bars > 300
        assert lv.shown_bars <= 300 and lv.downsampled
        assert set(lv.bars["ts"]) <= set(lv_full.bars["ts"])  # real bars, not invented ones
        # min/max preserving: the window's extremes survive
        assert lv.bars["close"].min() == lv_full.bars["close"].min()
        assert lv.bars["close"].max() == lv_full.bars["close"].max()


def test_pct_mode_is_zero_at_the_reference(case_db):
    ref = pd.Timestamp("2025-11-14 18:00", tz="UTC")
    raw = load_view(case_db, Filters())
    pct = load_view(case_db, Filters(price_mode="pct", reference=ref))
    for lv_raw, lv in zip(raw.listings, pct.listings):
        # the price at the reference time: the close of the last bar *finished* by then (1m bars)
        before = lv_raw.bars[lv_raw.bars["ts"] + pd.Timedelta(minutes=1) <= ref]
        assert lv.reference_price == before["close"].iloc[-1]
        at = lv.bars[lv.bars["ts"] == before["ts"].iloc[-1]]
        assert at["close"].iloc[0] == pytest.approx(0.0)
        assert lv.y_unit == "% change"


def test_usd_mode_puts_both_listings_in_usd_per_ads(case_db):
    raw = load_view(case_db, Filters())
    usd = load_view(case_db, Filters(price_mode="usd"))
    baba_raw, hk_raw = raw.listings
    baba, hk = usd.listings
    assert baba.bars["close"].tolist() == baba_raw.bars["close"].tolist()  # already USD per ADS
    with store.reader(case_db) as con:
        fx = con.execute("SELECT avg(close) FROM bars WHERE symbol = 'HKD=X'").fetchone()[0]
    ratio = (hk.bars["close"] / hk_raw.bars["close"]).median()
    assert ratio == pytest.approx(8 / fx, rel=0.01)
    assert hk.y_unit.startswith("USD per ADS")


def test_missing_database_is_reported(tmp_path):
    with pytest.raises(store.DatabaseMissing, match="no database"):
        load_view(tmp_path / "nothing.duckdb", Filters())


def test_options_offer_tags_with_counts_and_the_default_window(case_db):
    options = load_options(case_db, "alibaba")
    tags = {t: (a, e) for t, a, e in options.tags}
    assert "Tech War" in tags and tags["Tech War"][0] > 0 and tags["Tech War"][1] > 0
    assert "denial" in options.kinds and "Reuters" in options.sources
    assert (options.default_start, options.default_end) == (dt.date(2025, 11, 13), dt.date(2025, 11, 18))


def test_figure_filename_says_what_it_holds(case_db):
    view = load_view(case_db, Filters(zone="Asia/Hong_Kong"))
    assert figure_filename(view.filters, view) == "alibaba_BABA-9988.HK_2025-11-13_2025-11-18_hong-kong"


def test_volume_is_summed_per_half_hour_from_every_bar(case_db):
    full = load_view(case_db, Filters())
    small = load_view(case_db, Filters(), max_points=300)
    for lv_full, lv in zip(full.listings, small.listings):
        assert lv.volume_bucket == "30min"
        # from all bars, not the downsampled ones
        assert lv.volume["volume"].sum() == pytest.approx(lv_full.bars["volume"].sum())
        assert (lv.volume["ts"].dt.minute % 30 == 0).all()
    hk_day = load_view(case_db, Filters(start=dt.date(2025, 11, 17), end=dt.date(2025, 11, 17)))
    assert hk_day.listings[1].volume_bucket == "15min"


def test_parity_rows_load_only_when_asked(case_db):
    assert load_view(case_db, Filters()).parity is None
    view = load_view(case_db, Filters(parity=True, extended_hours=False))
    assert view.parity_symbols == ("BABA", "9988.HK")
    baba = view.listings[0]
    assert len(view.parity) == len(baba.bars)  # one row per ADR bar (regular session: under the budget)
    with store.reader(case_db) as con:
        hk_close, fx = con.execute(
            "SELECT close, (SELECT close FROM bars WHERE symbol = 'HKD=X' AND ts <= TIMESTAMPTZ '2025-11-14 20:59Z' "
            "ORDER BY ts DESC LIMIT 1) FROM bars WHERE symbol = '9988.HK' AND ts < TIMESTAMPTZ '2025-11-15' "
            "ORDER BY ts DESC LIMIT 1").fetchone()
    friday = view.parity[view.parity["ts"] == pd.Timestamp("2025-11-14 20:59", tz="UTC")].iloc[0]
    assert friday["parity"] == pytest.approx(hk_close * 8 / fx, rel=1e-4)  # Hong Kong's Friday close held
    assert friday["premium"] < 0  # the ADR priced the report; Hong Kong was shut


def test_reaction_rows_put_the_story_first_with_signed_figures(case_db):
    view = load_view(case_db, Filters())
    rows = reaction_rows(load_reactions(case_db, analysis_scope(view)), view.zone, view.events["event_id"])
    assert set(rows["event_id"]) == set(view.events["event_id"])
    timed = rows[~rows["event time"].str.endswith("(day)")]
    assert len(timed) and timed.index.max() < len(timed)  # timed events first
    ft = rows[rows["event_id"] == FT_TWEET].set_index("listing")
    assert ft.loc["BABA", "+60m"] < 0 and ft.loc["9988.HK", "wait"] == "+2d 7h"
    assert signed_pct(-3.7788) == "−3.78%" and signed_pct(1.2) == "+1.20%" and signed_pct(float("nan")) == ""


def test_claim_rows_are_plain_text_with_a_verdict_per_claim(case_db):
    view = load_view(case_db, Filters())
    rows = claim_rows(load_claims(case_db, analysis_scope(view)), view.zone)
    assert len(rows) > 10
    assert set(rows["verdict"].str.split().str[0]) <= {"agrees", "differs", "cannot"}
    differs = rows[rows["verdict"].str.startswith("differs")]
    assert all(v.endswith(" pp") for v in differs["verdict"])
    close = rows[rows["quote"].str.contains("3.78% decline")].iloc[0]
    assert close["verdict"] == "agrees" and "close 2025-11-14" in close["computed"]


# ---------------------------------------------------------------------------------------------
# A large archive: the screen loads and measures a bounded amount


def test_articles_can_be_capped_to_the_newest_with_the_total_counted(case_db):
    full = load_view(case_db, Filters())
    capped = load_view(case_db, Filters(), max_articles=5)
    assert len(full.articles) > 5 and full.articles_total is None and full.total_articles == len(full.articles)
    assert len(capped.articles) == 5 and capped.total_articles == len(full.articles)
    newest = full.articles.sort_values(["published_at", "article_id"], ascending=[False, True]).head(5)
    assert list(capped.articles["article_id"]) == list(newest["article_id"])
    assert capped.events.equals(full.events)  # events are not capped: the chart counts them all


def test_reactions_measure_every_event_while_few(case_db):
    view = load_view(case_db, Filters())
    scope, note = reaction_scope(view, limit=len(view.events))
    assert scope == analysis_scope(view) and note == ""


def test_reactions_leave_publications_out_above_the_limit(case_db):
    view = load_view(case_db, Filters())
    kinds = view.events["kind"].str.lower()
    curated = view.events[kinds != "publication"]
    assert (kinds == "publication").sum() and len(curated) > 5
    scope, note = reaction_scope(view, limit=len(curated))
    assert "publication" not in scope.kinds and set(scope.kinds) == set(curated["kind"].str.lower())
    assert f"Reactions for {len(curated)} of the {len(view.events)} events" in note
    assert f"{len(view.events) - len(curated)} article publications" in note
    table = load_reactions(case_db, scope)
    assert set(table["event_id"]) == set(curated["event_id"])

    scope, note = reaction_scope(view, limit=5)  # fewer curated allowed than there are: the first 5 in time
    first = curated.sort_values("ts", kind="stable").head(5)
    assert scope.until == first["ts"].max()
    assert set(load_reactions(case_db, scope)["event_id"]) == set(curated[curated["ts"] <= first["ts"].max()]["event_id"])
    assert "in time order" in note


def test_claims_skip_article_bodies_above_the_limit(case_db):
    view = load_view(case_db, Filters())
    scope, note = claims_scope(view, limit=10_000)
    assert scope == analysis_scope(view) and note == ""
    scope, note = claims_scope(view, limit=3)
    assert "publication" not in scope.kinds and f"the {view.total_articles} articles" in note
    claims = load_claims(case_db, scope)
    assert len(claims) and set(claims["origin"]) == {"event"}


def test_a_long_window_sums_volume_per_day():
    assert volume_bucket_for(pd.Timedelta(days=365), "1m") == "1D"
    assert volume_bucket_for(pd.Timedelta(days=30), "1m") == "30min"


def test_tables_show_times_in_the_display_zone_and_days_as_days():
    from dashboard.screen import article_table, event_table, format_time, shown_note, times_line

    ft = pd.Timestamp("2025-11-14 18:02:11", tz="UTC")
    day = pd.Timestamp("2025-11-14 05:00", tz="UTC")  # a New York day, stored as its start
    assert format_time(ft, "minute", "Asia/Hong_Kong") == "2025-11-15 02:02"
    assert format_time(day, "day", "America/New_York") == "2025-11-14 (day)"
    events = pd.DataFrame({"ts": [ft, day], "precision": ["minute", "day"], "kind": ["report", "denial"],
                           "stance": ["allegation", "denial"], "actor": ["FT", "Alibaba"],
                           "headline": ["memo", "completely false"], "source": ["ZeroHedge", "Reuters"],
                           "tags": [["Alibaba", "Tech War"], None]})
    table = event_table(events, "America/New_York")
    assert list(table["time"]) == ["2025-11-14 13:02", "2025-11-14 (day)"]
    assert list(table["tags"]) == ["Alibaba; Tech War", ""]
    assert table["lane"].iloc[1] == "Denial"
    articles = pd.DataFrame({"published_at": [ft], "published_precision": [None], "title": ["t"],
                             "source": ["s"], "tags": [["a"]]})
    assert article_table(articles, "UTC")["published"].iloc[0] == "2025-11-14 18:02"
    line = times_line(ft, "minute", "America/New_York")
    assert line == "UTC Fri 2025-11-14 18:02 · New York Fri 2025-11-14 13:02 · Hong Kong Sat 2025-11-15 02:02"
    assert times_line(day, "day", "America/New_York").startswith("Fri 2025-11-14 (a whole day in America/New_York")
    assert shown_note(500, 500, "events") is None
    assert shown_note(500, 1234, "events").startswith("Showing the newest 500 of 1,234 events.")


# --- the sidebar options and default window come from SQL aggregates, with the old results ------

def options_from_loaded_events(db, company_id: str) -> tuple[list, list, list]:
    """(tags, kinds, sources) the old way: every event of the company loaded into pandas, article
    tags counted from article_tags joined to the company's articles."""
    from dashboard.store.articles import list_sources
    from dashboard.store.events import query_events

    with store.reader(db) as con:
        article_tags = con.execute(
            "SELECT min(t.tag) AS tag, count(DISTINCT t.article_id) AS articles "
            "FROM article_tags t JOIN articles a ON a.article_id = t.article_id "
            "WHERE list_contains(a.company_keys, ?) "
            "GROUP BY lower(t.tag) ORDER BY articles DESC, lower(min(t.tag))", [company_id]).df()
        events = query_events(con, companies=[company_id])
        sources = list_sources(con)
    counts: dict[str, list] = {}
    for tag, n in zip(article_tags["tag"], article_tags["articles"]):
        counts.setdefault(tag.casefold(), [tag, 0, 0])[1] += int(n)
    for tags in events["tags"]:
        for tag in tags:
            counts.setdefault(tag.casefold(), [tag, 0, 0])[2] += 1
    tags = sorted((tuple(v) for v in counts.values()), key=lambda t: (-(t[1] + t[2]), t[0].casefold()))
    return tags, sorted({k for k in events["kind"] if k}), sources


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Hong_Kong"])
@pytest.mark.parametrize("db_name, company, company_id", [
    ("case_db", "alibaba", "alibaba"), ("rich_db", "Alibaba Group", "alibaba"), ("rich_db", "tencent", "tencent"),
])
def test_options_equal_the_old_computation_from_loaded_events(request, db_name, company, company_id, zone):
    db = request.getfixturevalue(db_name)
    options = load_options(db, company, zone)
    tags, kinds, sources = options_from_loaded_events(db, company_id)
    assert options.company_id == company_id
    assert options.tags == tags and options.kinds == kinds and options.sources == sources
    # Tags met both in articles and in events are one entry, counted on each side.
    assert len({t.casefold() for t, _, _ in options.tags}) == len(options.tags)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Hong_Kong"])
@pytest.mark.parametrize("db_name, company", [("case_db", "alibaba"), ("rich_db", "tencent")])
def test_the_screen_opens_on_the_window_the_options_offer(request, db_name, company, zone):
    db = request.getfixturevalue(db_name)
    options = load_options(db, company, zone)
    view = load_view(db, Filters(company=company, zone=zone))
    assert (view.start_day, view.end_day) == (options.default_start, options.default_end)
    assert options.default_start is not None and options.default_start <= options.default_end


def test_the_date_widget_gives_a_window_only_when_it_differs_from_the_default():
    from dashboard.screen import picked_window

    default = (dt.date(2025, 11, 13), dt.date(2025, 11, 18))
    assert picked_window(default, default) == (None, None, "")  # the URL stays short
    assert picked_window([dt.date(2025, 11, 1), dt.date(2025, 11, 2)], default) == (
        dt.date(2025, 11, 1), dt.date(2025, 11, 2), "")
    start_only = picked_window((dt.date(2025, 11, 1),), default)
    assert start_only[:2] == (None, None) and "end date" in start_only[2]
    assert picked_window(None, default) == picked_window((), default) == (None, None, "")


def test_header_status_merges_the_synthetic_badge_with_the_price_status():
    from conftest import build_view

    from dashboard.screen import REFRESH_WARNING, header_status, other_notices

    synthetic = build_view()
    badge, text, warning = header_status(synthetic)
    assert badge == f"⚠ {config.SYNTHETIC_LABEL}" and warning is None
    assert text.startswith("stands in until real bars") and "never refreshed from Yahoo" in text
    synthetic.notices[:] = [f"Prices on this screen are a {config.SYNTHETIC_LABEL}.", "No HKD=X bars for 3 bars."]
    assert other_notices(synthetic) == ["No HKD=X bars for 3 bars."]  # the header line says the first

    fetched = build_view(source="yahoo")
    fetched.last_refresh = {"checked_at": pd.Timestamp("2026-11-28 08:20", tz="UTC"), "status": "offline"}
    badge, text, warning = header_status(fetched)
    assert badge is None and warning == REFRESH_WARNING
    assert "Yahoo was unreachable at the last refresh (2026-11-28 08:20 UTC)" in text
    assert "Prices from the local store (yahoo)" in text
    fetched_synthetic = build_view()
    fetched_synthetic.last_refresh = fetched.last_refresh
    badge, text, warning = header_status(fetched_synthetic)  # the warning first, after the badges
    assert badge and warning == REFRESH_WARNING and text.startswith("Prices: Yahoo was unreachable")
    assert "The synthetic sample stands in until real bars" in text


def test_header_line_is_short_with_the_full_status_for_its_tooltip():
    """Issue 28: the status line fits one line beside the badges; the full sentences go in its
    tooltip. After a failed refresh the line is the failure and its time alone."""
    from conftest import build_view

    from dashboard.screen import REFRESH_WARNING, header_line, header_status

    plain = build_view()
    badge, short, full, warning = header_line(plain)
    assert (badge, full, warning) == header_status(plain)
    assert short == "Prices: stored bars only · News: ingested files only"
    offline = build_view(source="yahoo")
    offline.last_refresh = {"checked_at": pd.Timestamp("2026-11-28 08:20", tz="UTC"), "status": "offline"}
    offline.last_news_fetch = {"fetched_at": pd.Timestamp("2026-11-28 08:21", tz="UTC"), "items": 4,
                               "symbols": ["BABA"]}
    badge, short, full, warning = header_line(offline)
    assert warning == REFRESH_WARNING and short == "Yahoo was unreachable at 2026-11-28 08:20 UTC"
    assert "News: last fetched from Yahoo at 2026-11-28 08:21 UTC (4 stories for BABA)" in full
    offline.last_refresh = {**offline.last_refresh, "status": "fetched"}
    assert header_line(offline)[1] == "Prices: fetched 2026-11-28 08:20 UTC · News: fetched 2026-11-28 08:21 UTC"


def test_clip_cells_cuts_long_text_only_in_the_named_columns():
    from dashboard.screen import clip_cells

    table = pd.DataFrame({"headline": ["short", "x" * 200, None], "notes": ["y" * 200] * 3})
    clipped = clip_cells(table, ["headline", "absent"], limit=10)
    assert list(clipped["headline"][:2]) == ["short", "x" * 9 + "…"] and pd.isna(clipped["headline"][2])
    assert clipped["notes"].equals(table["notes"]) and table["headline"][1] == "x" * 200  # a copy
