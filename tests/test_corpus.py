"""The curated corpus of the first case: data/events.csv and data/articles/reports.jsonl.

These tests read the shipped files with the standard library only (no ingest code), so a broken
row is caught here with the row's id, before ingest ever sees it.
"""

import csv
import json
import re
import tomllib
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[1]
EVENTS_CSV = ROOT / "data" / "events.csv"
REPORTS_JSONL = ROOT / "data" / "articles" / "reports.jsonl"
SEED_TXT = ROOT / "data" / "articles" / "000_9279edc7659a31d4.txt"
COMPANIES_TOML = ROOT / "data" / "companies.toml"

HEADER = (
    "event_id,ts_local,precision,zone,kind,stance,actor,source,headline,detail,"
    "company,symbol,value,tags,source_url"
).split(",")
REQUIRED_EVENT_FIELDS = ("event_id", "ts_local", "precision", "zone", "kind", "stance",
                         "actor", "source", "headline", "source_url")
KINDS = {"allegation", "denial", "report", "statement", "analysis", "market", "context"}
STANCES = {"allegation", "denial", "mixed", "neutral"}
PRECISIONS = {"minute", "hour", "day"}


def _events():
    with EVENTS_CSV.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def _articles():
    records = []
    for lineno, line in enumerate(REPORTS_JSONL.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            records.append((lineno, json.loads(line)))
    return records


def _companies():
    with COMPANIES_TOML.open("rb") as fh:
        registry = tomllib.load(fh)
    ids = {c["id"] for c in registry["company"]}
    symbols = {l["symbol"] for c in registry["company"] for l in c.get("listing", [])}
    return ids, symbols


def _event_start_utc(row):
    """UTC instant an event starts at: its timestamp, or the start of its local day."""
    if row["precision"] == "day":
        day = date.fromisoformat(row["ts_local"])
        return datetime.combine(day, time(0), ZoneInfo(row["zone"])).astimezone(timezone.utc)
    return datetime.fromisoformat(row["ts_local"]).astimezone(timezone.utc)


def _number(text):
    """First number in a reported value like '$153.80' or '-3.78% / $153.80'."""
    return float(re.search(r"[-+]?\d+(?:\.\d+)?", text.replace(",", "")).group())


EVENT_HEADER, EVENT_ROWS = _events()
EVENTS_BY_ID = {row["event_id"]: row for row in EVENT_ROWS}


# --- events.csv -------------------------------------------------------------------------------

def test_events_header_is_the_documented_one():
    assert EVENT_HEADER == HEADER


def test_events_cover_the_case():
    assert len(EVENT_ROWS) >= 60


@pytest.mark.parametrize("row", EVENT_ROWS, ids=lambda r: r["event_id"] or "?")
def test_event_row_is_well_formed(row):
    missing = [f for f in REQUIRED_EVENT_FIELDS if not (row.get(f) or "").strip()]
    assert not missing, f"{row['event_id']}: empty {missing}"
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", row["event_id"])
    assert row["kind"] in KINDS
    assert row["stance"] in STANCES
    assert row["precision"] in PRECISIONS
    url = urlparse(row["source_url"])
    assert url.scheme in {"http", "https"} and url.netloc, row["source_url"]
    tags = row["tags"].split(";")
    assert all(t.strip() == t and t for t in tags), row["tags"]
    assert len(set(tags)) == len(tags)


@pytest.mark.parametrize("row", EVENT_ROWS, ids=lambda r: r["event_id"] or "?")
def test_event_time_matches_its_precision_and_zone(row):
    zone = ZoneInfo(row["zone"])  # an unknown zone raises here
    if row["precision"] == "day":
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["ts_local"]), row["ts_local"]
        date.fromisoformat(row["ts_local"])
        return
    stamp = datetime.fromisoformat(row["ts_local"])
    assert stamp.tzinfo is not None, f"{row['event_id']}: minute/hour time needs an offset"
    # The written offset must be the zone's real offset at that instant (catches EST-in-July).
    assert stamp.utcoffset() == stamp.astimezone(zone).utcoffset(), row["event_id"]
    if row["precision"] == "hour":
        assert (stamp.minute, stamp.second) == (0, 0)


def test_event_ids_are_unique():
    duplicates = [i for i, n in Counter(r["event_id"] for r in EVENT_ROWS).items() if n > 1]
    assert not duplicates


def test_event_companies_and_symbols_are_registered():
    company_ids, symbols = _companies()
    for row in EVENT_ROWS:
        assert row["company"] in company_ids | {""}, row["event_id"]
        assert row["symbol"] in symbols | {""}, row["event_id"]


def test_market_rows_name_their_listing():
    for row in EVENT_ROWS:
        if row["kind"] == "market":
            assert row["symbol"], f"{row['event_id']}: market row without a symbol"


def test_allegation_and_denial_kinds_carry_their_stance():
    for row in EVENT_ROWS:
        if row["kind"] in {"allegation", "denial"}:
            assert row["stance"] == row["kind"], row["event_id"]


def test_ft_report_minute_row_resolves_to_utc():
    row = EVENTS_BY_ID["2025-11-14-ft-report-tweet"]
    assert (row["kind"], row["precision"]) == ("report", "minute")
    assert _event_start_utc(row) == datetime(2025, 11, 14, 18, 2, 11, tzinfo=timezone.utc)


def test_ft_report_also_has_a_day_row():
    rows = [r for r in EVENT_ROWS if r["kind"] == "report" and r["precision"] == "day"
            and r["ts_local"] == "2025-11-14" and r["actor"] == "Financial Times"]
    assert rows


def test_baba_afternoon_fall_is_an_hour_row_at_1pm_new_york():
    rows = [r for r in EVENT_ROWS if r["kind"] == "market" and r["symbol"] == "BABA"
            and r["precision"] == "hour"]
    assert rows
    assert datetime(2025, 11, 14, 18, tzinfo=timezone.utc) in {_event_start_utc(r) for r in rows}


def test_trump_xi_meeting_has_an_hour_row():
    rows = [r for r in EVENT_ROWS if "Xi" in r["actor"] and r["precision"] == "hour"]
    assert [_event_start_utc(r) for r in rows] == [datetime(2025, 10, 30, 2, tzinfo=timezone.utc)]


def test_required_denials_are_present():
    denials = [r for r in EVENT_ROWS if r["kind"] == "denial"]
    assert len(denials) >= 5

    def text(r):
        return f"{r['headline']} {r['detail']}".lower()

    alibaba = [r for r in denials if r["actor"].startswith("Alibaba")]
    assert any("complete nonsense" in text(r) for r in alibaba)
    assert any("completely false" in text(r) and "malicious pr operation" in text(r)
               for r in alibaba)
    assert any("embassy" in r["actor"].lower() for r in denials)
    assert any("mao ning" in r["actor"].lower() and r["ts_local"] == "2025-11-17"
               for r in denials)


def test_baba_close_and_intraday_low_both_kept_for_report_day():
    baba_day = [r for r in EVENT_ROWS if r["symbol"] == "BABA" and r["kind"] == "market"
                and r["ts_local"] == "2025-11-14"]
    values = [r["value"] for r in baba_day]
    assert any(v.startswith("-3.78%") and "$153.80" in v for v in values), values
    assert any(re.match(r"-4\.7\d?%", v) for v in values), values


def test_reported_close_to_close_move_is_consistent():
    """The -3.78% close must agree with the $159.84 prior close and the $153.80 close."""
    prior = _number(EVENTS_BY_ID["2025-11-13-baba-close"]["value"].lstrip("$"))
    close_row = EVENTS_BY_ID["2025-11-14-baba-close-portnoy"]
    pct_text, price_text = (part.strip() for part in close_row["value"].split("/"))
    pct = (_number(price_text.lstrip("$")) - prior) / prior * 100
    assert round(pct, 2) == _number(pct_text)


def test_hong_kong_first_reacts_on_monday():
    """HKEX had closed before the story; its first reaction rows are dated Monday Nov 17."""
    hk = [r for r in EVENT_ROWS if r["symbol"] == "9988.HK" and r["kind"] == "market"]
    reacting = sorted(r["ts_local"] for r in hk if "2025-11-14" < r["ts_local"] < "2025-11-20")
    assert reacting and reacting[0] == "2025-11-17"
    assert {r["zone"] for r in hk} == {"Asia/Hong_Kong"}


def test_inferred_facts_say_so():
    inferred = [r for r in EVENT_ROWS if "inferred:" in r["detail"]]
    assert {"2025-11-13-baba-close", "2025-11-14-hk-close-before-story"} <= {
        r["event_id"] for r in inferred}


def test_later_episodes_are_in_the_timeline():
    by_id = EVENTS_BY_ID
    letter = by_id["2025-11-27-bloomberg-pentagon-letter"]
    assert _event_start_utc(letter) == datetime(2025, 11, 27, 0, 41, tzinfo=timezone.utc)
    tagged_1260h = {r["ts_local"][:7] for r in EVENT_ROWS if "Pentagon 1260H" in r["tags"]}
    assert {"2025-10", "2025-11", "2026-02", "2026-06"} <= tagged_1260h


def test_csv_loads_back_with_the_same_columns_per_row():
    with EVENTS_CSV.open(encoding="utf-8", newline="") as fh:
        widths = {len(row) for row in csv.reader(fh)}
    assert widths == {len(HEADER)}


# --- reports.jsonl ------------------------------------------------------------------------------

ARTICLES = _articles()


def test_reports_is_a_multi_source_corpus():
    assert 20 <= len(ARTICLES) <= 40
    assert len({rec["source"] for _, rec in ARTICLES}) >= 10


@pytest.mark.parametrize("lineno,rec", ARTICLES, ids=lambda x: str(x) if isinstance(x, int) else "")
def test_article_record_is_complete(lineno, rec):
    for field in ("title", "source", "published", "url", "tags", "summary"):
        assert rec.get(field), f"reports.jsonl:{lineno}: {field}: missing"
    published = datetime.fromisoformat(rec["published"])
    assert published.tzinfo is not None, f"reports.jsonl:{lineno}: published: no offset"
    assert isinstance(rec["tags"], list) and all(isinstance(t, str) and t for t in rec["tags"])
    assert urlparse(rec["url"]).scheme in {"http", "https"}
    precision = rec.get("precision", "minute")
    assert precision in PRECISIONS
    if precision == "day":
        assert published.time() == time(0), f"reports.jsonl:{lineno}: day item not at midnight"
    company_ids, _ = _companies()
    assert set(rec.get("companies", [])) <= company_ids


def test_article_identities_are_unique_and_differ_from_the_seed():
    seed_title = SEED_TXT.read_text(encoding="utf-8").splitlines()[0].strip()
    keys = [(r["source"].lower(), r["title"].lower(),
             datetime.fromisoformat(r["published"]).astimezone(timezone.utc))
            for _, r in ARTICLES]
    assert len(set(keys)) == len(keys)
    assert seed_title.lower() not in {r["title"].lower() for _, r in ARTICLES}


def test_zerohedge_headline_post_keeps_its_exact_time():
    posts = [r for _, r in ARTICLES if r["source"] == "ZeroHedge" and r.get("precision") == "minute"]
    assert [datetime.fromisoformat(r["published"]).astimezone(timezone.utc) for r in posts] == [
        datetime(2025, 11, 14, 18, 2, 11, tzinfo=timezone.utc)]


def test_market_move_articles_state_a_figure():
    """A later feature extracts reported moves from text, so move articles must contain one."""
    movers = [r for _, r in ARTICLES if "Market Move" in r["tags"]]
    assert len(movers) >= 8
    for rec in movers:
        assert re.search(r"\d+(?:\.\d+)?%", rec["summary"]), rec["title"]


_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MENTIONED_DAY = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})\b", re.I)


def test_no_article_record_mentions_a_day_after_its_own_date():
    """A record says what its source knew on its date; later facts belong to later records."""
    for lineno, rec in ARTICLES:
        published = datetime.fromisoformat(rec["published"]).date()  # in the record's own offset
        text = " ".join(rec.get(f) or "" for f in ("title", "subtitle", "summary", "body"))
        for match in _MENTIONED_DAY.finditer(text):
            day = date(published.year, _MONTHS.index(match[1].lower()) + 1, int(match[2]))
            if day > published + timedelta(days=180):  # "Dec 30" in a January record
                day = day.replace(year=day.year - 1)
            assert day <= published, f"reports.jsonl:{lineno}: mentions {match[0]}, after {published}"


def test_some_articles_are_not_about_alibaba():
    """Filters need something to exclude."""
    others = [r for _, r in ARTICLES if "alibaba" not in r.get("companies", [])]
    assert others
    for rec in others:
        text = " ".join([rec["title"], rec.get("subtitle", ""), rec["summary"], *rec["tags"]])
        assert "alibaba" not in text.lower(), rec["title"]
