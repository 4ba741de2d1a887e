"""Move claims: extraction from real corpus sentences, and checks against fixture bars."""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import analysis_builder as builder  # tests/analysis_builder.py: bars from a known step path
from dashboard import config, markets
from dashboard.analysis.claims import Claim, check_claim, claims_table, extract_claims

utc = builder.utc

LISTINGS = pd.DataFrame([
    {"symbol": "BABA", "company_id": "alibaba", "role": "listing", "exchange_mic": "XNYS",
     "currency": "USD", "tz": "America/New_York"},
    {"symbol": "9988.HK", "company_id": "alibaba", "role": "listing", "exchange_mic": "XHKG",
     "currency": "HKD", "tz": "Asia/Hong_Kong"},
])
SEED_ARTICLE = config.ARTICLES_DIR / "000_9279edc7659a31d4.txt"
TIMELINE = Path("/work/shared/reference/timeline-facts.csv")


def timeline_row(fragment: str) -> str:
    with TIMELINE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if fragment in row["headline"]:
                return row["headline"]
    raise AssertionError(f"no timeline row contains {fragment!r}")


def claims_in(text, **kw):
    return extract_claims(text, LISTINGS, aliases=("Alibaba",), **kw)


# --- extraction --------------------------------------------------------------------------------

def test_seed_article_yields_the_us_drop_and_the_hong_kong_rise_only():
    found = claims_in(SEED_ARTICLE.read_text(encoding="utf-8"))
    assert [(c.listing, c.direction, c.size_pct, c.qualifier) for c in found] == [
        ("BABA", "down", -3.78, "exact"), ("9988.HK", "up", 1.0, "over")]
    assert all("12-month" not in c.quote for c in found)


@pytest.mark.parametrize("fragment", [
    "12-month rollback",        # a duration
    "57% to 47%",               # tariffs
    "revenue RMB247.8bn",       # revenue +5 %, cloud +34 %
    "188 entities",
    "US$218 price target",
    "HKD traded 7.7705-7.8500",
])
def test_figures_that_are_not_share_moves_are_not_claims(fragment):
    assert claims_in(timeline_row(fragment)) == []


def test_intraday_quote_with_price():
    (claim,) = claims_in(timeline_row("down 4.73% at $152.31"))
    assert (claim.listing, claim.size_pct, claim.price, claim.currency, claim.measure) == (
        "BABA", -4.73, 152.31, "USD", "intraday")


@pytest.mark.parametrize("fragment, expected", [
    ("dropped 3.78% in the US", ("BABA", -3.78, "exact", "unspecified")),
    ("reaching 4.7% at their lowest point", ("BABA", -4.7, "exact", "intraday")),
    ("'nearly 4.7%' on Friday", ("BABA", -4.7, "nearly", "unspecified")),
    ("'rose over 1%' Monday", ("9988.HK", 1.0, "over", "intraday")),
    ("BABA closed Monday +2.54%", ("BABA", 2.54, "exact", "close")),
    ("pre-market Nov 17 at $158.50", ("BABA", 3.06, "exact", "pre-market")),
    ("Alibaba fell 2.2% in Hong Kong", ("9988.HK", -2.2, "exact", "unspecified")),
])
def test_timeline_sentences(fragment, expected):
    # as for an event row: its symbol is the listing when the words name none
    (claim,) = claims_in(timeline_row(fragment), default_listing="BABA")
    assert (claim.listing, claim.size_pct, claim.qualifier, claim.measure) == expected


def test_a_weekday_means_the_latest_such_day_up_to_publication():
    out = check_baba(claim(-3.78, day_hint="friday"), published_at=utc("2025-11-17 04:08"), precision="minute")
    assert str(out["session"]) == "2025-11-14" and out["verdict"] == "agrees"


def test_day_words_are_kept_as_hints():
    (claim,) = claims_in(timeline_row("'nearly 4.7%' on Friday"))
    assert claim.day_hint == "friday"
    (claim,) = claims_in("BABA closed $153.80, down 3.78%, on Nov 14")
    assert (claim.day_hint, claim.price, claim.measure) == ("11-14", 153.8, "close")


def test_two_claims_in_one_sentence_each_get_their_own_measure():
    first, second = claims_in("BABA rose about 4% in pre-market trading and was up 3.9% at the US open.")
    assert (first.size_pct, first.qualifier, first.measure) == (4.0, "about", "pre-market")
    assert (second.size_pct, second.measure) == (3.9, "intraday")


def test_price_level_claims():
    claims = claims_in("It then rallied 2% to HK$158 on the Qwen app launch, gave the gains back "
                       "after midday outage reports and closed unchanged at HK$154.9.",
                       default_listing="9988.HK")
    assert [(c.listing, c.direction, c.size_pct, c.price, c.measure) for c in claims] == [
        ("9988.HK", "up", 2.0, 158.0, "intraday"), ("9988.HK", "flat", 0.0, 154.9, "close")]


def test_untrusted_text_without_figures_gives_nothing():
    assert claims_in("<script>alert(1)</script> shares") == []
    assert claims_in(None) == []


# --- checking against bars ---------------------------------------------------------------------

NY_SESSIONS = markets.sessions("XNYS", "2025-11-01", "2026-03-01")
HK_SESSIONS = markets.sessions("XHKG", "2025-11-01", "2025-11-25")
# BABA: 159.84 into Friday; the news at 18:02 takes it to a 152.31 low (19:30 bar), close 153.80.
BABA = builder.step_bars(builder.session_minutes("XNYS", "2025-11-12", "2025-11-18"), [
    ("2025-11-12", 159.84), ("2025-11-14 18:02", 155.0), ("2025-11-14 19:00", 153.0),
    ("2025-11-14 20:30", 153.80), ("2025-11-17 14:30", 157.71)],
    lows=[("2025-11-14 19:30", 152.31)], source="synthetic")
# 9988.HK: Friday close 154.9; Monday low 152.1 at 01:31, high 158 at 02:30, 156.2 before lunch.
HK = builder.step_bars(builder.session_minutes("XHKG", "2025-11-12", "2025-11-18"), [
    ("2025-11-12", 154.9), ("2025-11-17 01:30", 153.0), ("2025-11-17 02:30", 158.0),
    ("2025-11-17 02:31", 157.0), ("2025-11-17 03:30", 156.2), ("2025-11-17 05:00", 154.9)],
    lows=[("2025-11-17 01:31", 152.1)], source="synthetic")
FRIDAY_NY = utc("2025-11-14 05:00")  # a day-precision date in New York


def claim(size=None, *, listing="BABA", measure="unspecified", qualifier="exact", price=None,
          day_hint=None, decimals=2):
    direction = None if size is None else ("down" if size < 0 else "up" if size > 0 else "flat")
    return Claim("headline", "…", listing, direction, size, qualifier, decimals, price,
                 "USD" if price else None, measure, day_hint)


def check_baba(c, published_at=FRIDAY_NY, precision="day"):
    return check_claim(c, published_at=published_at, precision=precision, tz="America/New_York",
                       bars=BABA, sessions=NY_SESSIONS)


def test_minus_3_78_agrees_with_the_friday_close():
    out = check_baba(claim(-3.78))
    assert out["verdict"] == "agrees" and out["matched"] == "close"
    assert str(out["session"]) == "2025-11-14"
    assert out["close_pct"] == pytest.approx((153.80 / 159.84 - 1) * 100)
    assert out["verdict_text"].startswith("agrees with the 2025-11-14 close (-3.78%)")
    assert out["bars_source"] == "synthetic"


def test_minus_4_73_at_152_31_is_the_intraday_low_not_the_close():
    out = check_baba(claim(-4.73, measure="intraday", price=152.31))
    assert out["verdict"] == "agrees" and out["matched"] == "intraday low"
    assert out["low_pct"] == pytest.approx((152.31 / 159.84 - 1) * 100)
    assert out["verdict_text"].startswith("intraday figure: agrees with the 2025-11-14 intraday low")
    assert "152.31" in out["verdict_text"]


def test_an_unspecified_4_7_matches_the_low_and_names_the_close():
    out = check_baba(claim(-4.7, decimals=1))
    assert out["matched"] == "intraday low"
    assert "the close was -3.78%" in out["verdict_text"]


def test_a_close_claim_that_is_off_says_by_how_much():
    out = check_baba(claim(-2.5, measure="close"))
    assert out["verdict"] == "differs"
    assert out["diff_pp"] == pytest.approx((153.80 / 159.84 - 1) * 100 + 2.5)
    assert out["verdict_text"].startswith("differs by -1.28 pp from the 2025-11-14 close")


def test_price_only_close_claim():
    assert check_baba(claim(price=153.80, measure="close"))["verdict"] == "agrees"
    assert check_baba(claim(price=150.00, measure="close"))["verdict"] == "differs"


def test_article_after_the_close_speaks_of_the_last_session():
    sunday_night = utc("2025-11-17 04:08:17")  # CNBC's stamp: Sunday 23:08 in New York
    out = check_baba(claim(-3.78), published_at=sunday_night, precision="minute")
    assert str(out["session"]) == "2025-11-14" and out["verdict"] == "agrees"


def test_mid_session_article_is_checked_against_the_session_so_far():
    rose_over_1 = claim(1.0, listing="9988.HK", qualifier="over", decimals=0)
    out = check_claim(rose_over_1, published_at=utc("2025-11-17 04:08:17"), precision="minute",
                      tz="Asia/Hong_Kong", bars=HK, sessions=HK_SESSIONS)
    assert out["session_complete"] is False and pd.isna(out["close_pct"])
    assert out["asof_pct"] == pytest.approx((156.2 / 154.9 - 1) * 100)  # below 1 % at 12:08 HKT
    assert out["high_pct"] == pytest.approx((158.0 / 154.9 - 1) * 100)
    assert out["matched"] == "intraday high" and out["verdict"] == "agrees"
    assert "up to 04:08Z" in out["verdict_text"]


def test_cannot_check_without_bars_listing_or_regular_session():
    assert check_baba(claim(-1.0), published_at=utc("2026-02-13 05:00"))["verdict_text"] == \
        "cannot check: no BABA bars for 2026-02-13"
    assert check_baba(claim(-1.0, listing=None))["verdict"] == "cannot check"
    premarket = check_baba(claim(3.06, measure="pre-market"))  # BABA holds regular bars only
    assert premarket["verdict_text"] == "cannot check: no BABA bars for 2025-11-14 pre-market"
    beyond_calendar = check_claim(claim(-1.0), published_at=utc("2026-02-13 05:00"), precision="day",
                                  tz="America/New_York", bars=BABA, sessions=NY_SESSIONS.iloc[:20])
    assert beyond_calendar["verdict"] == "cannot check"
    saturday = check_baba(claim(-1.0, day_hint="saturday"), published_at=utc("2025-11-16 05:00"))
    assert saturday["verdict_text"] == "cannot check: 2025-11-15 was not a trading session"


# BABA with extended hours: Friday close 153.80, after-hours 152.00 from 21:30Z; Monday pre-market
# 158.50 from 12:00Z (07:00 ET), 157.90 from 14:00Z; regular open 157.00.
BABA_EXTENDED = builder.step_bars(builder.session_minutes("XNYS", "2025-11-13", "2025-11-18", extended=True), [
    ("2025-11-13", 159.84), ("2025-11-14 18:02", 155.0), ("2025-11-14 20:30", 153.80),
    ("2025-11-14 21:30", 152.0), ("2025-11-17 09:00", 154.0), ("2025-11-17 12:00", 158.50),
    ("2025-11-17 14:00", 157.90), ("2025-11-17 14:30", 157.00)], source="synthetic")
MONDAY_NY = utc("2025-11-17 05:00")


def check_extended(c, published_at=MONDAY_NY, precision="day"):
    return check_claim(c, published_at=published_at, precision=precision, tz="America/New_York",
                       bars=BABA_EXTENDED, sessions=NY_SESSIONS)


def test_a_premarket_claim_is_read_from_the_premarket_bars_against_the_regular_close():
    out = check_extended(claim(3.06, measure="pre-market", price=158.50))
    assert out["prev_close"] == 153.80  # Friday's regular close, not its after-hours 152.00
    assert out["verdict"] == "agrees" and out["matched"] == "pre-market high"
    assert out["high_pct"] == pytest.approx((158.50 / 153.80 - 1) * 100)
    assert out["close_pct"] == pytest.approx((157.90 / 153.80 - 1) * 100)  # the last pre-market price
    assert out["verdict_text"].startswith("pre-market figure: agrees with the 2025-11-17 pre-market high")
    # the same figure as a regular-session move differs: the open was lower
    assert check_extended(claim(3.06, measure="close"))["verdict"] == "differs"


def test_a_premarket_claim_published_during_the_premarket_reads_it_up_to_then():
    out = check_extended(claim(3.06, measure="pre-market"), published_at=utc("2025-11-17 13:00"),
                         precision="minute")
    assert str(out["session"]) == "2025-11-17" and out["session_complete"] is False
    assert out["asof_pct"] == pytest.approx((158.50 / 153.80 - 1) * 100)
    assert out["verdict"] == "agrees" and "up to 13:00Z" in out["verdict_text"]


def test_an_after_hours_claim_is_measured_from_that_sessions_close():
    out = check_extended(claim(-1.17, measure="after-hours"), published_at=FRIDAY_NY)
    assert out["prev_close"] == 153.80 and str(out["session"]) == "2025-11-14"
    assert out["verdict"] == "agrees" and out["close_pct"] == pytest.approx((152.0 / 153.80 - 1) * 100)


def test_claims_table_reads_articles_and_events_once_each():
    articles = pd.DataFrame([{
        "article_id": "a1", "source": "CNBC", "published_at": utc("2025-11-17 04:08:17"),
        "published_precision": "minute", "title": "Alibaba memo story",
        "subtitle": None, "summary": "Following the report, Alibaba's shares dropped 3.78% in the U.S. "
        "but rose over 1% in Hong Kong.", "body": None, "companies": ["alibaba"]}])
    events = pd.DataFrame([
        {"event_id": "pub-a1", "ts": utc("2025-11-17 04:08:17"), "precision": "minute", "kind": "publication",
         "source": "CNBC", "headline": "Alibaba shares dropped 3.78%", "detail": None, "value": None,
         "company_id": "alibaba", "symbol": None, "article_id": "a1"},
        {"event_id": "benzinga", "ts": FRIDAY_NY, "precision": "day", "kind": "market", "source": "Benzinga",
         "headline": "Benzinga: BABA down 4.73% at $152.31 when the piece went out",
         "detail": "Intraday quote at publication time.", "value": "-4.73% / $152.31",
         "company_id": "alibaba", "symbol": "BABA", "article_id": None},
    ])
    table = claims_table(articles, events, LISTINGS, {"BABA": BABA, "9988.HK": HK},
                         {"BABA": NY_SESSIONS, "9988.HK": HK_SESSIONS})
    assert list(table["claim_id"]) == ["article:a1#1", "article:a1#2", "event:benzinga#1"]
    assert list(table["verdict"]) == ["agrees", "agrees", "agrees"]
    assert list(table["matched"]) == ["close", "intraday high", "intraday low"]
    assert table.loc[2, "measure"] == "intraday"
