"""data/events.csv: the curated timeline, one row per event (see docs/ingest.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from dashboard.ingest import EVENT_KINDS, PRECISIONS, STANCES, ParseError, clean_tags, retraction
from dashboard.records import Event
from dashboard.ingest.companies import Registry
from dashboard.ingest.csvfmt import EVENTS_HEADER, rows
from dashboard.ingest.stance import event_stance
from dashboard.ingest.zones import resolve_time, zone_info


@dataclass
class EventsFile:
    events: list[Event] = field(default_factory=list)
    rejected: list[ParseError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _cell(row: dict[str, str], name: str) -> str | None:
    value = (row.get(name) or "").strip()
    return value or None


def parse_events_csv(text: str, origin: str, registry: Registry | None = None) -> EventsFile:
    """Every row → an Event, or a ParseError naming the line and field."""
    registry = registry or Registry()
    result = EventsFile()
    seen_ids: dict[str, int] = {}
    for item in rows(text, origin):
        if isinstance(item, ParseError):
            result.rejected.append(item)
            continue
        line, row = item
        where = f"{origin}:{line}"
        try:
            event, warnings = _event_from_row(row, registry)
            # an optional column: true, or the reason the event is withdrawn
            event.retracted = retraction(row.get("retracted"), where)
        except ParseError as exc:
            result.rejected.append(exc.located(origin, line))
            continue
        if event.event_id in seen_ids:
            result.rejected.append(ParseError(
                "event_id", f"{event.event_id!r} already used on line {seen_ids[event.event_id]}",
                origin=origin, line=line))
            continue
        seen_ids[event.event_id] = line
        event.origin = where
        result.events.append(event)
        result.warnings.extend(f"{where}: {w}" for w in warnings)
    return result


def _event_from_row(row: dict[str, str], registry: Registry) -> tuple[Event, list[str]]:
    missing = [name for name in EVENTS_HEADER if name not in row]
    if missing:
        raise ParseError("header", f"missing columns {', '.join(missing)}")
    warnings: list[str] = []
    event_id = _cell(row, "event_id")
    if not event_id:
        raise ParseError("event_id", "missing")
    if event_id.startswith("pub-"):
        raise ParseError("event_id", "'pub-' ids are reserved for publication events")
    headline = _cell(row, "headline")
    if not headline:
        raise ParseError("headline", "missing")
    kind = (_cell(row, "kind") or "").lower()
    if kind not in EVENT_KINDS:
        raise ParseError("kind", f"{kind or 'missing'!r} is not one of {', '.join(EVENT_KINDS)}")
    stance = (_cell(row, "stance") or "").lower() or None
    if stance is not None and stance not in STANCES:
        raise ParseError("stance", f"{stance!r} is not one of {', '.join(STANCES)}")
    precision = (_cell(row, "precision") or "").lower() or None
    if precision is not None and precision not in PRECISIONS:
        raise ParseError("precision", f"{precision!r} is not one of {', '.join(PRECISIONS)}")
    zone = _cell(row, "zone")
    if zone:
        zone_info(zone, "zone")
    ts_local = _cell(row, "ts_local")
    if not ts_local:
        raise ParseError("ts_local", "missing")
    resolved = resolve_time(ts_local, default_zone=zone, precision=precision, field_name="ts_local")
    warnings.extend(f"ts_local: {w}" for w in resolved.warnings)

    company_id = None
    company = _cell(row, "company")
    if company:
        company_id = registry.resolve(company)
        if company_id is None:
            warnings.append(f"company: {company!r} is not in the companies registry; stored without a company")
    source_url = _cell(row, "source_url")
    if source_url and not re.match(r"https?://", source_url, re.IGNORECASE):
        warnings.append(f"source_url: only http(s) links are kept; dropped {source_url[:40]!r}")
        source_url = None
    elif not source_url:
        warnings.append("source_url: missing (every timeline row should cite its source)")

    event = Event(
        event_id=event_id, ts=resolved.utc, ts_raw=ts_local, ts_zone=zone or resolved.zone,
        precision=resolved.precision, kind=kind, stance=event_stance(kind, stance),
        headline=headline, actor=_cell(row, "actor"), source=_cell(row, "source"),
        detail=_cell(row, "detail"), source_url=source_url, company_id=company_id,
        symbol=_cell(row, "symbol"), value=_cell(row, "value"),
        tags=clean_tags((row.get("tags") or "").split(";")),
    )
    return event, warnings
