"""Article stance by transparent keyword rules (documented in docs/ingest.md).

The title, subtitle and summary (the body too when there is no summary) are searched for the
phrases below, case-insensitively, as whole words. Allegation phrases only → ``allegation``;
denial phrases only → ``denial``; both → ``mixed``; neither → ``neutral``. No negation handling:
"did not deny" counts as a denial phrase — the rules are simple on purpose so a reader can check
them by eye.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from dashboard.ingest.matching import Alternation, phrase_anchor

ALLEGATION_PHRASES = (
    r"alleg(?:e|es|ed|ing|ation|ations|edly)",
    r"accus(?:e|es|ed|ing|ation|ations)",
    r"claim(?:s|ed|ing)?",
    r"(?:help|helps|helped|helping|aid|aids|aided|aiding|support|supports|supported|supporting)"
    r" (?:the )?(?:Chinese|China's) military",
    r"security threat",
    r"military (?:ties|links)",
)
DENIAL_PHRASES = (
    r"den(?:y|ies|ied|ying|ial|ials)",
    r"refut(?:e|es|ed|ing)",
    r"reject(?:s|ed|ing)?",
    r"rebut(?:s|ted|tal)?",
    r"dismiss(?:es|ed|ing)?",
    r"completely false",
    r"(?:complete )?nonsense",
    r"baseless",
    r"unfounded",
    r"groundless",
    r"firmly oppos(?:e|es|ed)",
    r"distortion of (?:the )?facts",
    r"malicious PR",
)

# One alternation per side: a single scan of the text each (ingest runs this on every article),
# cut down to the phrases whose anchor occurs in it (ingest.matching: same matches, found faster).
_ALLEGATION = Alternation([(p, phrase_anchor(p)) for p in ALLEGATION_PHRASES], r"\b(?:{})\b", re.IGNORECASE)
_DENIAL = Alternation([(p, phrase_anchor(p)) for p in DENIAL_PHRASES], r"\b(?:{})\b", re.IGNORECASE)


@dataclass
class StanceResult:
    stance: str
    allegation_phrases: list[str]
    denial_phrases: list[str]


def _found(pattern: Alternation, text: str) -> list[str]:
    found: list[str] = []
    for match in pattern.finditer(text):
        phrase = match.group(0).lower()
        if phrase not in found:
            found.append(phrase)
    return found


def classify_text(text: str) -> StanceResult:
    """Stance of one piece of text, with the phrases that decided it."""
    allegations = _found(_ALLEGATION, text)
    denials = _found(_DENIAL, text)
    if allegations and denials:
        stance = "mixed"
    elif allegations:
        stance = "allegation"
    elif denials:
        stance = "denial"
    else:
        stance = "neutral"
    return StanceResult(stance, allegations, denials)


def article_stance(*, title: str, subtitle: str | None = None, summary: str | None = None,
                   body: str | None = None) -> StanceResult:
    parts = [title, subtitle, summary if summary else body]
    return classify_text("\n".join(p for p in parts if p))


def event_stance(kind: str, explicit: str | None) -> str:
    """Events carry their stance explicitly; a blank one follows the kind."""
    if explicit:
        return explicit
    return {"allegation": "allegation", "denial": "denial"}.get(kind, "neutral")
