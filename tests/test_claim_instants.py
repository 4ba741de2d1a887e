"""Time-tied claims ("at midday", "at the open", "early", "when the post went up") are read at the
instant they name, not anywhere in the day, and the verdict says which instant was read; a
headline move is a pre-market move when the article's own text says so."""
from __future__ import annotations

import pandas as pd
import pytest

import analysis_builder as builder  # tests/analysis_builder.py: bars from a known step path
from dashboard import markets
from dashboard.analysis.claim_text import Claim, extract_claims, instant_of
from dashboard.analysis.claims import check_claim, claims_table

utc = builder.utc

HK_SESSIONS = markets.sessions("XHKG", "2025-11-06", "2025-11-25")
NY_SESSIONS = markets.sessions("XNYS", "2025-11-06", "2025-11-25")
# 9988.HK on Mon 11-17 (previous close 150): +2 % from the open (09:30 HKT), +1 % from 11:30 HKT,
# flat after lunch
HK = builder.step_bars(builder.session_minutes("XHKG", "2025-11-06", "2025-11-19"), [
    ("2025-11-06", 150), ("2025-11-17 01:30", 153), ("2025-11-17 03:30", 151.5), ("2025-11-17 05:00", 150)])
# BABA on Fri 11-14 (previous close 100): −1 % at the open, −2 % from 15:30Z, −4 % from 18:10Z;
# Mon 11-17 (previous close 96): +3 % in the pre-market from 12:00Z, +1 % in the regular session
BABA = builder.step_bars(builder.session_minutes("XNYS", "2025-11-06", "2025-11-19", extended=True), [
    ("2025-11-06", 100), ("2025-11-14 14:30", 99), ("2025-11-14 15:30", 98), ("2025-11-14 18:10", 96),
    ("2025-11-17 12:00", 98.88), ("2025-11-17 14:30", 96.96)])


def claim(size, listing, instant, *, measure="intraday"):
    return Claim("headline", "…", listing, "down" if size < 0 else "up", size, "exact", 2, None, None,
                 measure, None, instant=instant)


def hk(size, instant, published_at=utc("2025-11-17 00:00"), precision="day"):
    return check_claim(claim(size, "9988.HK", instant), published_at=published_at, precision=precision,
                       tz="Asia/Hong_Kong", bars=HK, sessions=HK_SESSIONS)


def baba(size, instant, published_at=utc("2025-11-14 05:00"), precision="day"):
    return check_claim(claim(size, "BABA", instant), published_at=published_at, precision=precision,
                       tz="America/New_York", bars=BABA, sessions=NY_SESSIONS)


@pytest.mark.parametrize("text, instant", [
    ("9988.HK is 2.32% lower at the midday break", "midday"),
    ("Alibaba was 3.6% lower by midday on Friday", "midday"),
    ("BABA was down 1% in early US trading on Friday", "early"),
    ("BABA down 1% early in Friday's US session", "early"),
    ("BABA is up 3.9% at the US open after results", "open"),
    ("ZeroHedge: BABA down 2.3% when its post went up", "publication"),
    ("Benzinga: BABA down 4.73% at $152.31 when the piece went out", "publication"),
    ("shares were down 4.73% at the time of publication", "publication"),
    ("it rallied 2% to HK$158, then gave the gains back after midday outage reports", None),
    ("BABA fell 3.78% on Friday", None),
])
def test_the_words_that_tie_a_figure_to_an_instant(text, instant):
    assert instant_of(text) == instant


def test_a_midday_figure_is_read_at_midday_not_anywhere_in_the_day():
    at_midday = hk(1.0, "midday")
    assert at_midday["verdict"] == "agrees"
    assert at_midday["verdict_text"] == "midday figure: agrees with the 2025-11-17 price at midday, 12:00 HKT (+1.00%)"
    # +2 % was traded that morning, but not around midday: no longer "agrees" on the range alone
    morning = hk(2.0, "midday")
    assert morning["verdict"] == "differs" and morning["high_pct"] == pytest.approx(2.0)
    assert morning["verdict_text"].startswith("midday figure: differs by -1.00 pp from the 2025-11-17 price at midday")


def test_an_at_the_open_figure_reads_the_first_minutes():
    assert hk(2.0, "open")["verdict_text"] == (
        "at-the-open figure: agrees with the 2025-11-17 price 5 minutes after the open, 09:35 HKT (+2.00%)")
    assert hk(1.0, "open")["verdict"] == "differs"  # +1 % came two hours later


def test_an_early_trading_figure_reads_the_first_hour():
    out = baba(-1.0, "early")
    assert out["verdict_text"] == (
        "early-trading figure: agrees with the 2025-11-14 price 30 minutes after the open, 10:00 ET (-1.00%)")
    assert baba(-4.0, "early")["verdict"] == "differs"  # the day's low came in the afternoon


def test_a_figure_at_publication_reads_the_publication_time():
    minute = baba(-2.0, "publication", published_at=utc("2025-11-14 18:02:11"), precision="minute")
    assert minute["verdict_text"] == (
        "at-publication figure: agrees with the 2025-11-14 price at publication, 13:02 ET (-2.00%)")
    # an hour-precision post: anywhere in that hour (13:00–14:00 ET) — −2 % then −4 %
    hour = baba(-4.0, "publication", published_at=utc("2025-11-14 18:00"), precision="hour")
    assert hour["verdict"] == "agrees"
    assert "range in the publication hour, 13:00–14:00 ET (-4.00% to -2.00%)" in hour["verdict_text"]
    assert baba(-1.0, "publication", published_at=utc("2025-11-14 18:00"), precision="hour")["verdict"] == "differs"


def test_a_publication_known_only_to_the_day_is_read_whole_and_says_so():
    out = baba(-4.0, "publication")
    assert out["verdict"] == "agrees"
    assert out["verdict_text"].endswith("the publication time is known only to the day, so the whole session is read")


def test_the_instant_cannot_be_read_without_bars_there():
    quiet = HK[(HK["ts"] < utc("2025-11-17 03:00")) | (HK["ts"] >= utc("2025-11-17 05:00"))]
    out = check_claim(claim(1.0, "9988.HK", "midday"), published_at=utc("2025-11-17 00:00"), precision="day",
                      tz="Asia/Hong_Kong", bars=quiet, sessions=HK_SESSIONS)
    assert out["verdict"] == "cannot check"
    assert out["verdict_text"] == "cannot check: no 9988.HK bars in the 2025-11-17 range around midday, 11:30–12:30 HKT"


LISTINGS = pd.DataFrame([{"symbol": "BABA", "company_id": "alibaba", "role": "listing", "exchange_mic": "XNYS",
                          "currency": "USD", "tz": "America/New_York"}])


def article(title, body):
    return pd.DataFrame([{"article_id": "a1", "source": "Wire", "published_at": utc("2025-11-17 05:00"),
                          "published_precision": "day", "title": title, "subtitle": None, "summary": None,
                          "body": body, "companies": ["alibaba"]}])


def test_a_headline_move_is_the_premarket_move_when_the_text_says_premarket():
    table = claims_table(article("Alibaba stock jumps 3% on Qwen buzz", "BABA was up 3% in pre-market trading."),
                         None, LISTINGS, {"BABA": BABA}, {"BABA": NY_SESSIONS})
    headline = table[table["field"] == "title"].iloc[0]
    assert headline["measure"] == "pre-market"
    assert headline["verdict_text"] == ("pre-market figure (measure from the article's text): agrees with the "
                                        "2025-11-17 pre-market last price (+3.00%)")
    # the same headline over a regular-session story is the close (+1 %), and differs
    table = claims_table(article("Alibaba stock jumps 3% on Qwen buzz", "BABA closed up 1%."),
                         None, LISTINGS, {"BABA": BABA}, {"BABA": NY_SESSIONS})
    headline = table[table["field"] == "title"].iloc[0]
    assert headline["measure"] == "unspecified" and headline["verdict"] == "differs"


def test_extracted_claims_carry_their_instant():
    found = extract_claims("BABA gains about 4% pre-market and is up 3.9% at the US open after results",
                           LISTINGS)
    assert [(c.measure, c.instant) for c in found] == [("pre-market", None), ("intraday", "open")]
