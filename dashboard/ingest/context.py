"""What resolving a batch's records needs besides the records: the registry, source zones, user
formats and tagging rules (``Context``), read from sources.toml and tags.toml."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.ingest import ParseError
from dashboard.ingest.companies import Registry
from dashboard.ingest.mapping import Format, parse_formats
from dashboard.ingest.report import IngestReport
from dashboard.ingest.tagrules import RuleSet, load_rules
from dashboard.ingest.zones import zone_info


@dataclass
class Context:
    """What resolving a record needs besides the record: shipped to parsing workers once."""

    registry: Registry = field(default_factory=Registry)
    source_zones: dict[str, str] = field(default_factory=dict)
    formats: list[Format] = field(default_factory=list)
    rules: RuleSet = field(default_factory=lambda: RuleSet([]))
    # Well-formed JSON Lines files of our records are parsed column-wise (``ingest.columnar``);
    # False parses every file record by record (the tests compare both).
    columnar: bool = True


def load_source_settings(path: str | Path | None, report: IngestReport) -> tuple[dict[str, str], list[Format]]:
    """(source name (case-folded) → default IANA zone, user formats) from sources.toml."""
    if not path or not Path(path).exists():
        return {}, []
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        report.reject(f"{path}: toml: {exc}")
        return {}, []
    formats, problems = parse_formats(document, str(path))
    for problem in problems:
        report.reject(problem)
    zones: dict[str, str] = {}
    for name, settings in (document.get("source") or {}).items():
        zone = settings.get("zone") if isinstance(settings, dict) else None
        if not zone:
            continue
        try:
            zone_info(zone)
        except ParseError as exc:
            report.reject(f"{path}: source.{name}.zone: {exc.reason}")
            continue
        zones[name.casefold()] = zone
    return zones, formats


def load_context(report: IngestReport, *, sources_file, tags_file) -> Context:
    """Source zones, user formats and tagging rules for one batch (problems go to ``report``)."""
    zones, formats = load_source_settings(sources_file, report)
    try:
        rules = load_rules(tags_file)
    except (ParseError, UnicodeDecodeError, OSError) as exc:
        report.reject(exc.message if isinstance(exc, ParseError) else f"{tags_file}: file: {exc}")
        rules = RuleSet([])
    return Context(source_zones=zones, formats=formats, rules=rules)
