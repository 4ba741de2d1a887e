"""data/events.csv: parsing, zones and precision, validation, updates."""
from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import config, store
from dashboard.ingest.companies import load_registry
from dashboard.ingest.csvfmt import EVENTS_HEADER
from dashboard.ingest.events import parse_events_csv
from dashboard.ingest.pipeline import ingest_paths
from dashboard.store.events import query_events

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
HEADER = ",".join(EVENTS_HEADER)


def parse(text: str):
    return parse_events_csv(text, "events.csv", load_registry(FIXTURES / "companies.toml"))


def test_fixture_events():
    result = parse((FIXTURES / "events.csv").read_text(encoding="utf-8"))
    assert result.rejected == [] and result.warnings == []
    by_id = {e.event_id: e for e in result.events}
    ft = by_id["ft-report"]
    assert (ft.ts.isoformat(), ft.precision, ft.ts_zone) == ("2025-11-14T18:02:11+00:00", "minute", "America/New_York")
    assert (ft.kind, ft.stance, ft.symbol, ft.tags) == ("report", "allegation", "BABA", ["Tech War", "Alibaba"])
    denial = by_id["alibaba-denial"]
    # day precision: start of that day in its zone; blank stance follows the kind; company by name
    assert denial.ts.isoformat() == "2025-11-14T05:00:00+00:00"
    assert (denial.precision, denial.stance, denial.company_id) == ("day", "denial", "alibaba")
    assert denial.detail == 'Called it "completely false"'
    hk = by_id["hk-move"]
    assert hk.ts.isoformat() == "2025-11-16T16:00:00+00:00"  # midnight in Hong Kong
    assert hk.value == "+1%"
    assert hk.origin == "events.csv:4"


@pytest.mark.parametrize("row, message", [
    (",2025-11-14,day,America/New_York,report,,a,s,h,,,,,,u", "events.csv:2: event_id: missing"),
    ("e1,,day,America/New_York,report,,a,s,h,,,,,,u", "events.csv:2: ts_local: missing"),
    ("e1,2025-11-14,day,Mars/Olympus,report,,a,s,h,,,,,,u", "events.csv:2: zone: unknown time zone 'Mars/Olympus'"),
    ("e1,2025-11-14,day,America/New_York,rumour,,a,s,h,,,,,,u", "events.csv:2: kind: 'rumour' is not one of"),
    ("e1,2025-11-14,day,America/New_York,report,angry,a,s,h,,,,,,u", "events.csv:2: stance: 'angry' is not one of"),
    ("e1,2025-11-14,week,America/New_York,report,,a,s,h,,,,,,u", "events.csv:2: precision: 'week' is not one of"),
    ("e1,2025-11-14,day,America/New_York,report,,a,s,,,,,,,u", "events.csv:2: headline: missing"),
    ("e1,14 Nov,day,America/New_York,report,,a,s,h,,,,,,u", "events.csv:2: ts_local: unparseable date"),
    ("pub-x,2025-11-14,day,America/New_York,report,,a,s,h,,,,,,u", "events.csv:2: event_id: 'pub-' ids are reserved"),
])
def test_bad_rows_are_rejected_by_line_and_field(row, message):
    result = parse(f"{HEADER}\n{row}\n")
    assert result.events == []
    assert len(result.rejected) == 1
    assert result.rejected[0].message.startswith(message)


def test_duplicate_ids_and_warnings():
    rows = [
        "e1,2025-11-14,day,America/New_York,report,,a,s,h,,Unknown Co,,,,",
        "e1,2025-11-15,day,America/New_York,report,,a,s,h2,,,,,,u",
        "e2,2025-11-14T13:00:00-04:00,minute,America/New_York,market,,a,s,h,,,,,,u",
    ]
    result = parse(HEADER + "\n" + "\n".join(rows) + "\n")
    assert [e.event_id for e in result.events] == ["e1", "e2"]
    assert result.rejected[0].message == "events.csv:3: event_id: 'e1' already used on line 2"
    assert any(w.startswith("events.csv:2: company: 'Unknown Co'") for w in result.warnings)
    assert any(w.startswith("events.csv:2: source_url: missing") for w in result.warnings)
    assert any(w.startswith("events.csv:4: ts_local: offset UTC-04:00 differs") for w in result.warnings)


def test_changed_event_is_updated(tmp_path):
    db = tmp_path / "db.duckdb"
    path = tmp_path / "events.csv"
    path.write_text(f"{HEADER}\ne1,2025-11-14,day,America/New_York,market,,a,s,Old headline,,,,,,u\n")
    assert ingest_paths(db, [path], companies_file=None, sources_file=None).events.added == 1
    path.write_text(f"{HEADER}\ne1,2025-11-14,day,America/New_York,market,,a,s,New headline,,,,,x;y,u\n")
    report = ingest_paths(db, [path], companies_file=None, sources_file=None)
    assert (report.events.added, report.events.updated) == (0, 1)
    with store.reader(db) as con:
        events = query_events(con)
    assert list(events.headline) == ["New headline"]
    assert events.iloc[0].tags == ["x", "y"]


def test_project_events_file_parses_cleanly():
    """data/events.csv (the curated timeline) has no rejected rows and cites every source."""
    if not config.EVENTS_FILE.exists():
        pytest.skip("data/events.csv not written yet")
    result = parse_events_csv(config.EVENTS_FILE.read_text(encoding="utf-8-sig"), str(config.EVENTS_FILE),
                              load_registry(config.COMPANIES_FILE))
    assert [r.message for r in result.rejected] == []
    assert len(result.events) >= 20
    assert all(e.source_url for e in result.events)
    kinds = {e.kind for e in result.events}
    assert {"allegation", "denial", "report", "market"} <= kinds
