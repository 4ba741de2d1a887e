"""Numbers, delays, times and file names as people read them (no ``dashboard`` imports).

Shared by the screen's tables, the charts' labels and the exports, so a delay or a percentage
reads the same everywhere.
"""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

ZONES = ("UTC", "America/New_York", "Asia/Hong_Kong")
ZONE_LABELS = {"UTC": "UTC", "America/New_York": "New York", "Asia/Hong_Kong": "Hong Kong"}
ZONE_ABBR = {"UTC": "UTC", "America/New_York": "ET", "Asia/Hong_Kong": "HKT"}

# Anything but letters, digits, '.', '-', '_' in a file name.
UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~=$:&^@\"'])")


def markdown_literal(text: object) -> str:
    """Untrusted text as literal markdown: every markdown/HTML-significant character escaped."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def markdown_paragraphs(text: object) -> str:
    """Like markdown_literal() but keeps paragraph breaks."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    return "\n\n".join(markdown_literal(p) for p in re.split(r"\n\s*\n", str(text)) if p.strip())


def signed_pct(value: Any, digits: int = 2) -> str:
    """'+1.27%' / '−3.78%' with a real minus sign; '' when missing."""
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):+.{digits}f}%".replace("-", "−")


def signed_bp(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):+.0f} bp".replace("-", "−")


def format_delay(delta: pd.Timedelta) -> str:
    """'+2d 7h', '+3h 28m', '+5m'; 'at once' for a wait under half a minute."""
    minutes = int(round(delta.total_seconds() / 60))
    if minutes <= 0:
        return "at once"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days}d"] if days else []) + ([f"{hours}h"] if hours else []) + ([f"{mins}m"] if mins and not days else [])
    return "+" + " ".join(parts)


def when_label(ts: pd.Timestamp, zone: str, precision: str = "minute") -> str:
    """'Fri 13:02 ET' in the display zone; an hour-precision time reads 'Fri 13:xx ET'."""
    local = pd.Timestamp(ts).tz_convert(zone)
    abbr = ZONE_ABBR.get(zone, zone)
    if precision == "hour":
        return f"{local:%a %H}:xx {abbr}"
    return f"{local:%a %H:%M} {abbr}"


def short_time(ts: Any, zone: str, precision: str = "minute") -> str:
    """A table cell: 'Fri 11-14 18:02' in ``zone``; 'Fri 11-14 (day)' for a day-precision time."""
    if ts is None or pd.isna(ts):
        return ""
    if precision == "day":
        # A day-precision time is midnight in the zone it was reported in; its midday in UTC
        # falls on that date for every zone within ±12 h, whatever the display zone.
        day = pd.Timestamp(ts).tz_convert("UTC") + pd.Timedelta(hours=12)
        return f"{day:%a %m-%d} (day)"
    local = pd.Timestamp(ts).tz_convert(zone)
    return f"{local:%a %m-%d %H:%M}" + (" (hour)" if precision == "hour" else "")


def format_time(ts: pd.Timestamp, precision: str, zone: str) -> str:
    """A table cell: local time in ``zone``, or the day alone for day-precision times."""
    local = pd.Timestamp(ts).tz_convert(zone)
    if precision == "day":
        return f"{local:%Y-%m-%d} (day)"
    return f"{local:%Y-%m-%d %H:%M}"


def times_line(ts, precision: str, zone_name: str | None) -> str:
    """The reader's time line: the instant in UTC, New York and Hong Kong; a day-precision time
    as the day in the zone it was reported in (never a made-up minute)."""
    ts = pd.Timestamp(ts)
    if precision == "day":
        zone = zone_name or "UTC"
        return f"{ts.tz_convert(zone):%a %Y-%m-%d} (a whole day in {zone}; no time of day reported)"
    parts = [f"{ZONE_LABELS[z]} {ts.tz_convert(z):%a %Y-%m-%d %H:%M}" for z in ZONES]
    suffix = " (to the hour)" if precision == "hour" else ""
    return " · ".join(parts) + suffix
