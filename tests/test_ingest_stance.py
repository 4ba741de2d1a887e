"""Stance keyword rules on real sentences from the seed article and the corpus."""
from __future__ import annotations

import pytest

from dashboard.ingest.stance import article_stance, classify_text, event_stance


@pytest.mark.parametrize("sentence, stance", [
    # seed article (CNBC via the aggregator)
    ("Alibaba is helping Chinese military target the U.S., White House memo claims: FT", "allegation"),
    ("A White House memo alleges that Alibaba is providing technical support for Chinese military "
     "\"operations\" against targets in the U.S., as reported by the Financial Times.", "allegation"),
    ("Alibaba vehemently denied the assertions, calling them \"completely false\" and questioning the "
     "motivation behind the anonymous leak, suggesting it was a \"malicious PR operation\"", "denial"),
    ("Following the report, Alibaba's shares dropped 3.78% in the U.S. but rose over 1% in Hong Kong.", "neutral"),
    # corpus (data/events.csv, data/articles/reports.jsonl)
    ("Alibaba dismisses the memo story as 'complete nonsense'", "denial"),
    # Lexical on purpose: a rebuttal phrased as an accusation counts as one (docs/ingest.md).
    ("Embassy spokesman Liu Pengyu accuses the US of drawing hasty conclusions", "allegation"),
    ("China firmly opposes the distortion of facts", "denial"),
    ("Memo alleges Alibaba supplies the PLA with customer data and AI services", "allegation"),
    ("Pentagon letter said Alibaba, Baidu and BYD aid China's military", "allegation"),
    ("Alibaba rejects FT memo report as completely false; Chinese embassy objects", "denial"),
    ("Alibaba slides after White House memo accuses it of backing Chinese military. "
     "Alibaba told the FT the claims were complete nonsense.", "mixed"),
    ("BABA ends Monday 2.54% higher at $157.71", "neutral"),
    ("Why Alibaba stock is falling on Friday", "neutral"),
])
def test_sentences(sentence, stance):
    assert classify_text(sentence).stance == stance


def test_phrases_explain_the_decision():
    result = classify_text("A memo alleges ties; Alibaba denied it, calling it completely false.")
    assert result.stance == "mixed"
    assert result.allegation_phrases == ["alleges"]
    assert result.denial_phrases == ["denied", "completely false"]


def test_whole_words_only():
    assert classify_text("The claimant's denim jacket").stance == "neutral"


def test_article_uses_title_subtitle_summary_and_body_only_without_summary():
    assert article_stance(title="Shares move", summary="Flat day.", body="The company denied it.").stance == "neutral"
    assert article_stance(title="Shares move", body="The company denied it.").stance == "denial"


def test_seed_article_is_mixed():
    from pathlib import Path

    from dashboard.ingest.text import parse_text

    raw = parse_text((Path(__file__).parent / "fixtures" / "ingest" / "seed.txt").read_bytes())
    assert article_stance(title=raw.title, subtitle=raw.subtitle, summary=raw.summary).stance == "mixed"


def test_event_stance_is_explicit_else_follows_kind():
    assert event_stance("denial", None) == "denial"
    assert event_stance("allegation", "") == "allegation"
    assert event_stance("market", None) == "neutral"
    assert event_stance("statement", "allegation") == "allegation"
