"""The zone table: abbreviations, both 2025 New York DST switches, naive and ambiguous times."""
from __future__ import annotations

import pytest

from dashboard.ingest import ParseError
from dashboard.ingest.zones import resolve_time


def utc(value, **kwargs) -> str:
    return resolve_time(value, **kwargs).utc.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("raw, expected_utc, zone", [
    ("11/16/2025, 23:08:17 EST", "2025-11-17T04:08:17Z", "America/New_York"),
    ("07/04/2025, 12:00:00 EDT", "2025-07-04T16:00:00Z", "America/New_York"),
    ("07/04/2025, 12:00:00 ET", "2025-07-04T16:00:00Z", "America/New_York"),
    ("11/17/2025, 09:30:00 HKT", "2025-11-17T01:30:00Z", "Asia/Hong_Kong"),
    ("11/17/2025, 09:30:00 UTC", "2025-11-17T09:30:00Z", "UTC"),
    ("11/17/2025, 09:30:00 GMT", "2025-11-17T09:30:00Z", "UTC"),
    ("07/01/2025, 09:30:00 BST", "2025-07-01T08:30:00Z", "Europe/London"),
    ("01/15/2025, 09:30:00 CET", "2025-01-15T08:30:00Z", "Europe/Paris"),
    ("07/15/2025, 09:30:00 CEST", "2025-07-15T07:30:00Z", "Europe/Paris"),
    ("11/17/2025, 09:30:00 JST", "2025-11-17T00:30:00Z", "Asia/Tokyo"),
    ("11/17/2025, 09:30:00 SGT", "2025-11-17T01:30:00Z", "Asia/Singapore"),
    ("11/16/2025, 11:08 PM EST", "2025-11-17T04:08:00Z", "America/New_York"),
    ("2025-11-14 13:02:11 EST", "2025-11-14T18:02:11Z", "America/New_York"),
    ("2025-11-14T13:02:11-05:00", "2025-11-14T18:02:11Z", "UTC-05:00"),
    ("2025-11-14T18:02:11Z", "2025-11-14T18:02:11Z", "UTC"),
])
def test_zone_table(raw, expected_utc, zone):
    resolved = resolve_time(raw)
    assert resolved.utc.strftime("%Y-%m-%dT%H:%M:%SZ") == expected_utc
    assert resolved.zone == zone
    assert resolved.raw == raw
    assert resolved.warnings == []


# 2025-03-09: New York clocks jump 02:00 EST → 03:00 EDT (07:00 UTC).
@pytest.mark.parametrize("raw, expected", [
    ("03/09/2025, 01:59:00 ET", "2025-03-09T06:59:00Z"),
    ("03/09/2025, 03:00:00 ET", "2025-03-09T07:00:00Z"),
    ("03/09/2025, 01:59:00 EST", "2025-03-09T06:59:00Z"),
    ("03/09/2025, 03:00:00 EDT", "2025-03-09T07:00:00Z"),
    ("03/08/2025, 12:00:00 ET", "2025-03-08T17:00:00Z"),
    ("03/10/2025, 12:00:00 ET", "2025-03-10T16:00:00Z"),
])
def test_spring_forward_2025(raw, expected):
    assert utc(raw) == expected


def test_spring_forward_skipped_hour_is_rejected():
    with pytest.raises(ParseError, match="does not exist in America/New_York"):
        resolve_time("03/09/2025, 02:30:00 ET")


# 2025-11-02: New York clocks fall back 02:00 EDT → 01:00 EST (06:00 UTC); 01:xx happens twice.
@pytest.mark.parametrize("raw, expected", [
    ("11/02/2025, 01:30:00 EDT", "2025-11-02T05:30:00Z"),
    ("11/02/2025, 01:30:00 EST", "2025-11-02T06:30:00Z"),
    ("11/02/2025, 00:30:00 ET", "2025-11-02T04:30:00Z"),
    ("11/02/2025, 02:30:00 ET", "2025-11-02T07:30:00Z"),
    ("11/01/2025, 12:00:00 ET", "2025-11-01T16:00:00Z"),
    ("11/03/2025, 12:00:00 ET", "2025-11-03T17:00:00Z"),
])
def test_fall_back_2025(raw, expected):
    assert utc(raw) == expected


def test_fall_back_repeated_hour_without_abbreviation_is_rejected():
    with pytest.raises(ParseError, match="happens twice"):
        resolve_time("11/02/2025, 01:30:00 ET")


@pytest.mark.parametrize("raw, expected", [
    ("07/04/2025, 12:00:00 EST", "2025-07-04T17:00:00Z"),   # EST in summer
    ("01/15/2025, 12:00:00 EDT", "2025-01-15T16:00:00Z"),   # EDT in winter
    ("03/09/2025, 03:30:00 EST", "2025-03-09T08:30:00Z"),   # after the spring switch
    ("01/15/2025, 12:00:00 BST", "2025-01-15T11:00:00Z"),
])
def test_abbreviation_contradicting_dst_uses_literal_offset_and_warns(raw, expected):
    resolved = resolve_time(raw)
    assert resolved.utc.strftime("%Y-%m-%dT%H:%M:%SZ") == expected
    assert len(resolved.warnings) == 1
    assert "contradicts" in resolved.warnings[0]


@pytest.mark.parametrize("raw", ["2025-11-17 10:00 CST", "11/17/2025, 10:00:00 IST", "2025-11-17T10:00:00"])
def test_ambiguous_or_naive_is_rejected_without_a_source_zone(raw):
    with pytest.raises(ParseError) as info:
        resolve_time(raw)
    assert "data/sources.toml" in info.value.reason


def test_source_zone_settles_ambiguous_and_naive_times():
    assert utc("2025-11-17 10:00 CST", default_zone="Asia/Shanghai") == "2025-11-17T02:00:00Z"
    assert utc("11/17/2025, 10:00:00 IST", default_zone="Asia/Kolkata") == "2025-11-17T04:30:00Z"
    assert utc("2025-11-17T10:00:00", default_zone="Asia/Hong_Kong") == "2025-11-17T02:00:00Z"


def test_unknown_abbreviation_is_rejected():
    with pytest.raises(ParseError, match="unknown time-zone abbreviation 'XYZ'"):
        resolve_time("11/17/2025, 10:00:00 XYZ")


def test_epoch_seconds_and_dates():
    assert utc(1763352497) == "2025-11-17T04:08:17Z"
    assert utc("1763352497") == "2025-11-17T04:08:17Z"
    day = resolve_time("2025-11-14", default_zone="America/New_York")
    assert (day.precision, day.utc.isoformat()) == ("day", "2025-11-14T05:00:00+00:00")
    with pytest.raises(ParseError, match="out of range"):
        resolve_time(99999999999)


def test_day_precision_is_start_of_local_day():
    resolved = resolve_time("2025-11-17T15:00:00+08:00", default_zone="Asia/Hong_Kong", precision="day")
    assert resolved.utc.isoformat() == "2025-11-16T16:00:00+00:00"
    assert resolved.zone == "Asia/Hong_Kong"


@pytest.mark.parametrize("raw", ["13/45/2025, 10:00:00 EST", "not a date", "2025-02-30", "11/17/2025, 13:00 PM EST"])
def test_unparseable_dates(raw):
    with pytest.raises(ParseError) as info:
        resolve_time(raw)
    assert info.value.field == "published"
