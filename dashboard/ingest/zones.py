"""Timestamps as reporters write them → UTC, keeping the raw text and the zone.

Accepted: ISO 8601 with an offset or ``Z``; ISO or ``MM/DD/YYYY, HH:MM[:SS] [AM|PM]`` followed by a
zone abbreviation from :data:`ABBREVIATIONS`; a date alone (day precision); epoch seconds. A naive
time, or an ambiguous abbreviation (:data:`AMBIGUOUS`), needs a default zone (the source's, from
data/sources.toml) or is rejected.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from dashboard.ingest import PRECISIONS, ParseError

# abbreviation → (IANA zone, literal UTC offset in hours or None when the zone's own rules apply)
ABBREVIATIONS: dict[str, tuple[str, float | None]] = {
    "EST": ("America/New_York", -5),
    "EDT": ("America/New_York", -4),
    "ET": ("America/New_York", None),
    "HKT": ("Asia/Hong_Kong", 8),
    "UTC": ("UTC", 0),
    "GMT": ("UTC", 0),
    "Z": ("UTC", 0),
    "BST": ("Europe/London", 1),
    "CET": ("Europe/Paris", 1),
    "CEST": ("Europe/Paris", 2),
    "JST": ("Asia/Tokyo", 9),
    "SGT": ("Asia/Singapore", 8),
}

# Abbreviations that name several zones: only a source's default zone can settle them.
AMBIGUOUS: dict[str, str] = {
    "CST": "China, US Central or Cuba Standard Time",
    "IST": "India, Irish or Israel Standard Time",
}

_EPOCH_MIN = datetime(1990, 1, 1, tzinfo=timezone.utc).timestamp()
_EPOCH_MAX = datetime(2100, 1, 1, tzinfo=timezone.utc).timestamp()

_US_STYLE = re.compile(
    r"^(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}),?\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<ampm>[AaPp][Mm]))?(?:\s+(?P<zone>[A-Za-z]{1,5}))?$"
)
_ISO_WITH_ABBREVIATION = re.compile(
    r"^(?P<dt>\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s+(?P<zone>[A-Za-z]{1,5})$"
)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^\d{9,11}(?:\.\d+)?$")


@dataclass
class ResolvedTime:
    utc: pd.Timestamp
    raw: str
    zone: str
    precision: str
    warnings: list[str] = field(default_factory=list)


def zone_info(name: str, field_name: str = "zone") -> ZoneInfo:
    """The IANA zone ``name`` or a ParseError saying it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ParseError(field_name, f"unknown time zone {name!r} (expected an IANA name like America/New_York)") from None


def localize(wall: datetime, zone_name: str, field_name: str) -> datetime:
    """A wall-clock time in ``zone_name`` → aware datetime; repeated or skipped hours are rejected."""
    tz = zone_info(zone_name, field_name)
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        # In a gap both folds agree on neither round trip; in an overlap both are real instants.
        round_trip = first.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
        if round_trip != wall:
            raise ParseError(field_name, f"{wall:%Y-%m-%d %H:%M} does not exist in {zone_name} (clocks skip that hour)")
        raise ParseError(
            field_name,
            f"{wall:%Y-%m-%d %H:%M} happens twice in {zone_name} (clocks go back); give an offset or EST/EDT-style abbreviation",
        )
    return first


def _offset_label(offset: timedelta) -> str:
    if offset == timedelta(0):
        return "UTC"
    sign = "+" if offset >= timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _with_abbreviation(wall: datetime, abbreviation: str, default_zone: str | None,
                       field_name: str) -> tuple[datetime, str, list[str]]:
    key = abbreviation.upper()
    if key in AMBIGUOUS:
        if default_zone:
            return localize(wall, default_zone, field_name), default_zone, []
        raise ParseError(
            field_name,
            f"ambiguous time-zone abbreviation {abbreviation!r} ({AMBIGUOUS[key]}); "
            "give this source a zone in data/sources.toml",
        )
    if key not in ABBREVIATIONS:
        raise ParseError(field_name, f"unknown time-zone abbreviation {abbreviation!r}")
    zone_name, literal_hours = ABBREVIATIONS[key]
    if literal_hours is None:
        return localize(wall, zone_name, field_name), zone_name, []
    literal = timedelta(hours=literal_hours)
    aware = wall.replace(tzinfo=timezone(literal))
    actual = aware.astimezone(zone_info(zone_name)).utcoffset()
    warnings = []
    if actual != literal:
        # e.g. "EST" in July: trust the writer's literal offset, but say so.
        warnings.append(
            f"{abbreviation} ({_offset_label(literal)}) contradicts {zone_name}, which was on "
            f"{_offset_label(actual)} at that moment; converted with the literal offset"
        )
    return aware, zone_name, warnings


def _day_start(day: date, zone_name: str, field_name: str) -> datetime:
    tz = zone_info(zone_name, field_name)
    # Midnight can be skipped by DST in a few zones; take the first instant of the day then.
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start.astimezone(timezone.utc).astimezone(tz)


def resolve_time(value, *, default_zone: str | None = None, precision: str | None = None,
                 field_name: str = "published") -> ResolvedTime:
    """Turn a raw timestamp into UTC; raises ParseError naming ``field_name``."""
    if precision is not None and precision not in PRECISIONS:
        raise ParseError("precision", f"{precision!r} is not one of {', '.join(PRECISIONS)}")
    if default_zone:
        zone_info(default_zone, field_name)
    if isinstance(value, bool) or value is None:
        raise ParseError(field_name, "missing")
    warnings: list[str] = []

    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.match(value.strip())):
        seconds = float(value)
        if not (_EPOCH_MIN <= seconds < _EPOCH_MAX):
            raise ParseError(field_name, f"epoch seconds {value!r} out of range (1990–2100)")
        aware = datetime.fromtimestamp(seconds, tz=timezone.utc)
        return _finish(aware, str(value), "UTC", precision or "minute", warnings, field_name)

    if not isinstance(value, str):
        raise ParseError(field_name, f"expected text or epoch seconds, got {type(value).__name__}")
    raw = value
    text = " ".join(value.split())
    if not text:
        raise ParseError(field_name, "missing")

    if _DATE_ONLY.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise ParseError(field_name, f"unparseable date {text!r}: {exc}") from None
        zone_name = default_zone
        if not zone_name:
            zone_name = "UTC"
            warnings.append(f"date {text} has no zone; taken as the UTC day")
        aware = _day_start(day, zone_name, field_name)
        return _finish(aware, raw, zone_name, "day", warnings, field_name)

    match = _US_STYLE.match(text)
    if match:
        hour = int(match["hour"])
        if match["ampm"]:
            if not 1 <= hour <= 12:
                raise ParseError(field_name, f"hour {hour} with AM/PM in {text!r}")
            hour = hour % 12 + (12 if match["ampm"].upper() == "PM" else 0)
        try:
            wall = datetime(int(match["year"]), int(match["month"]), int(match["day"]),
                            hour, int(match["minute"]), int(match["second"] or 0))
        except ValueError as exc:
            raise ParseError(field_name, f"unparseable date {text!r}: {exc}") from None
        return _from_wall(wall, match["zone"], raw, default_zone, precision, field_name)

    match = _ISO_WITH_ABBREVIATION.match(text)
    if match:
        try:
            wall = datetime.fromisoformat(match["dt"].replace(" ", "T"))
        except ValueError as exc:
            raise ParseError(field_name, f"unparseable date {text!r}: {exc}") from None
        return _from_wall(wall, match["zone"], raw, default_zone, precision, field_name)

    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ParseError(
            field_name,
            f"unparseable date {text!r} (expected ISO 8601 with an offset, "
            "'MM/DD/YYYY, HH:MM:SS ZONE', a date, or epoch seconds)",
        ) from None
    if parsed.tzinfo is None:
        return _from_wall(parsed, None, raw, default_zone, precision, field_name)
    zone_name = _offset_label(parsed.utcoffset())
    if default_zone:
        expected = parsed.astimezone(zone_info(default_zone)).utcoffset()
        if expected == parsed.utcoffset():
            zone_name = default_zone
        else:
            warnings.append(
                f"offset {_offset_label(parsed.utcoffset())} differs from {default_zone} "
                f"({_offset_label(expected)}) at that moment; the offset was used"
            )
    return _finish(parsed, raw, zone_name, precision or "minute", warnings, field_name)


def _from_wall(wall: datetime, abbreviation: str | None, raw: str, default_zone: str | None,
               precision: str | None, field_name: str) -> ResolvedTime:
    if abbreviation:
        aware, zone_name, warnings = _with_abbreviation(wall, abbreviation, default_zone, field_name)
    elif default_zone:
        aware, zone_name, warnings = localize(wall, default_zone, field_name), default_zone, []
    else:
        raise ParseError(
            field_name,
            f"{raw.strip()!r} has no time zone; add an offset or abbreviation, "
            "or give the source a zone in data/sources.toml",
        )
    return _finish(aware, raw, zone_name, precision or "minute", warnings, field_name)


def _finish(aware: datetime, raw: str, zone_name: str, precision: str, warnings: list[str],
            field_name: str) -> ResolvedTime:
    if precision == "day":
        # A day-precision time covers its whole local day: store the start of it.
        try:
            tz = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            tz = aware.tzinfo
        aware = _day_start(aware.astimezone(tz).date(), zone_name, field_name) if isinstance(tz, ZoneInfo) \
            else datetime.combine(aware.date(), time(0), tzinfo=aware.tzinfo)
    utc = pd.Timestamp(aware).tz_convert("UTC")
    if not (_EPOCH_MIN <= utc.timestamp() < _EPOCH_MAX):
        raise ParseError(field_name, f"{raw!r} is outside 1990–2100")
    return ResolvedTime(utc=utc, raw=raw, zone=zone_name, precision=precision, warnings=warnings)
