"""Cutting an alternation down to the alternatives whose anchor occurs never changes what it finds:
the same matches, at the same places, as the whole alternation — for aliases, stance phrases and
tagging rules, on ASCII text and on text where case folding has exceptions."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from dashboard.ingest import stance
from dashboard.ingest.matching import WHOLE_WORD, Alternation, names_alternation, phrase_anchor
from dashboard.ingest.tagrules import Rule, RuleSet

ALIASES = ["Alibaba", "Alibaba Group", "Alibaba Group Holding", "BABA", "Ant Group", "Group Holding",
           "Tencent", "AT&T", "Stark", "Ali", "阿里巴巴", "ſtar"]
WORDS = ["alibaba", "ALIBABA", "Alibaba", "group", "Group", "holding", "Holdings", "ant", "Ant", "BABA",
         "baba", "tencent", "AT&T", "at&t", "stark", "Star", "star", "ali", "Ali's", "阿里巴巴", "ſtar",
         "Kelvin", "\u212aelvin", "İstanbul", "denied", "DENIES", "deny", "golden", "evidence", "alleged",
         "claims", "reclaimed", "nonsense", "complete", "completely", "false", "firmly", "opposes",
         "helped", "China's", "Chinese", "military", "the", "links", "ties", "security", "threat",
         "malicious", "PR", "pr", "distortion", "of", "facts", "rebuttal", "dismissed", "refuted", "_", "x1"]
SEPARATORS = [" ", "  ", ", ", ".", "-", "\n", "'", "_", "(", ")", "é", ""]

texts = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=30).map(
    lambda parts: "".join(word + sep for word, sep in parts))


def _matches(iterator) -> list[tuple[str, tuple[int, int]]]:
    return [(m.group(0), m.span()) for m in iterator]


@settings(max_examples=400, deadline=None)
@given(texts)
def test_aliases_found_as_by_the_whole_alternation(text):
    for names, flags in ((ALIASES, re.IGNORECASE), ([a for a in ALIASES if a.isupper()], 0)):
        alternation = names_alternation(names, WHOLE_WORD, flags)
        assert _matches(alternation.finditer(text)) == _matches(alternation.whole.finditer(text))


@settings(max_examples=400, deadline=None)
@given(texts)
def test_stance_phrases_found_as_by_the_whole_alternation(text):
    for side in (stance._ALLEGATION, stance._DENIAL):
        assert _matches(side.finditer(text)) == _matches(side.whole.finditer(text))


@settings(max_examples=200, deadline=None)
@given(texts)
def test_tagging_rules_match_as_the_whole_pattern(text):
    rules = [Rule("Alibaba", ("Alibaba", "阿里巴巴")), Rule("Denial", ("deny", "denied", "completely false")),
             Rule("Star", ("ſtar",)), Rule("Kelvin", ("kelvin",))]
    found = RuleSet(rules).rule_tags([text])
    whole = [(r.tag, r.origin) for r, p in zip(rules, RuleSet(rules)._patterns) if p.whole.search(text)]
    assert found == whole


def test_phrase_anchors_are_required_by_every_match():
    assert phrase_anchor(r"alleg(?:e|es|ed)") == "allege"  # the common "e" is required too
    assert phrase_anchor(r"(?:complete )?nonsense") == "nonsense"
    assert phrase_anchor(r"(?:help|aid) (?:the )?(?:Chinese|China's) military") == " military"
    assert phrase_anchor(r"(?:a|b)") is None
    for phrase in stance.ALLEGATION_PHRASES + stance.DENIAL_PHRASES:
        assert phrase_anchor(phrase), phrase  # every phrase can be cut out


def test_text_outside_ascii_runs_the_whole_alternation():
    alternation = Alternation([("star", "star")], r"\b(?:{})\b", re.IGNORECASE)
    assert alternation.pattern_for("a ſtar is born") is alternation.whole
    assert [m.group(0) for m in alternation.finditer("a ſtar is born")] == ["ſtar"]  # ſ folds to s
    assert alternation.pattern_for("no match here") is None
