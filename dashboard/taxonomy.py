"""What events are: kinds, stances, time precisions, the timeline lanes and their colours.

A leaf (no ``dashboard`` imports): ingest validates against these names, the screen labels
tables with them and the charts draw lanes and markers from them.
"""
from __future__ import annotations

from dataclasses import dataclass

PRECISIONS = ("minute", "hour", "day")
STANCES = ("allegation", "denial", "mixed", "neutral")
EVENT_KINDS = (
    "allegation", "denial", "report", "statement", "analysis", "market", "context", "publication",
)


@dataclass(frozen=True)
class StanceStyle:
    label: str
    color: str  # Okabe-Ito: distinguishable with the common colour-vision deficiencies
    symbol: str  # a distinct shape too, so colour is never the only cue


# The timeline lanes, top to bottom.
STANCE_GROUPS: dict[str, StanceStyle] = {
    "allegation": StanceStyle("Allegation", "#D55E00", "diamond"),
    "denial": StanceStyle("Denial", "#0072B2", "square"),
    "report": StanceStyle("Report", "#CC79A7", "star"),
    "market": StanceStyle("Market move", "#009E73", "circle"),
    "context": StanceStyle("Context / other", "#8C8C8C", "triangle-up"),
}
LANE_NOUNS = {
    "allegation": ("allegation", "allegations"),
    "denial": ("denial", "denials"),
    "report": ("report", "reports"),
    "market": ("market note", "market notes"),
    "context": ("item", "items"),
}
UP_COLOR, DOWN_COLOR = "#0072B2", "#D55E00"  # Okabe-Ito blue / vermillion: safe for red-green CVD


def stance_group(kind: object, stance: object) -> str:
    """Which lane/marker trace an event belongs to."""
    kind = str(kind or "").lower()
    stance = str(stance or "").lower()
    if kind in ("allegation", "denial", "market"):
        return kind
    if kind in ("report", "publication"):
        return "report"
    if stance in ("allegation", "denial"):
        return stance
    return "context"


def lane_label(kind: object, stance: object) -> str:
    """The name of the lane an event is drawn in ('Denial', 'Market move', …)."""
    return STANCE_GROUPS[stance_group(kind, stance)].label
