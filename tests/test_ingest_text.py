"""The aggregator text parser: the seed article field by field, layout variants, bad input."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.ingest import ParseError
from dashboard.ingest.companies import Registry
from dashboard.ingest.build import build_article
from dashboard.ingest.text import parse_text

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SEED = FIXTURES / "seed.txt"

SEED_TAGS = ["Alibaba", "US-China Relations", "Artificial Intelligence", "Tech War", "Geopolitical Risk"]


def test_seed_parses_to_every_field():
    raw = parse_text(SEED.read_bytes(), "seed.txt")
    assert raw.title == "Alibaba is helping Chinese military target the U.S., White House memo claims: FT"
    assert raw.region == "Greater China"
    assert raw.source == "CNBC"
    assert raw.published == "11/16/2025, 23:08:17 EST"
    assert raw.tags == SEED_TAGS
    assert raw.subtitle == "White House memo reportedly claims Alibaba is helping Chinese military target U.S."
    assert raw.summary.startswith("A White House memo alleges that Alibaba is providing technical support")
    assert raw.summary.endswith("with investors increasingly wary of an AI bubble.")
    assert raw.background.startswith("Tensions between the U.S. and China have escalated")
    assert raw.insights.startswith("What deeper geopolitical dynamics might the timing")
    assert "détente" in raw.insights  # UTF-8 kept intact
    assert raw.body is None


def test_seed_resolves_to_utc():
    article, warnings = build_article(parse_text(SEED.read_bytes(), "seed.txt"), Registry(), {})
    assert article.published_at.isoformat() == "2025-11-17T04:08:17+00:00"
    assert article.published_raw == "11/16/2025, 23:08:17 EST"
    assert article.published_zone == "America/New_York"
    assert warnings == []


def _seed_with_source_line(replacement: str) -> str:
    text = SEED.read_text(encoding="utf-8")
    return text.replace("Source: CNBCPublished: 11/16/2025, 23:08:17 EST", replacement)


@pytest.mark.parametrize("line", [
    "Source: CNBC Published: 11/16/2025, 23:08:17 EST",
    "Source: CNBC\nPublished: 11/16/2025, 23:08:17 EST",
    "Source: CNBC | Published: 11/16/2025, 23:08:17 EST",
    "Source: CNBC · Published: 11/16/2025, 23:08:17 EST",
    "Source: CNBC|Published: 11/16/2025, 23:08:17 EST",
])
def test_source_published_separators(line):
    raw = parse_text(_seed_with_source_line(line), "x.txt")
    assert (raw.source, raw.published) == ("CNBC", "11/16/2025, 23:08:17 EST")
    assert raw.tags == SEED_TAGS


def test_crlf_and_bom_are_accepted():
    data = b"\xef\xbb\xbf" + SEED.read_bytes().replace(b"\n", b"\r\n")
    raw = parse_text(data, "x.txt")
    assert raw.title.startswith("Alibaba is helping")
    assert raw.tags == SEED_TAGS


def test_sections_in_any_order_and_unknown_heading_kept_in_body():
    text = (
        "Title here\n\nRegion\nSource: Wire Published: 11/16/2025, 23:08:17 EST\nTag One\n"
        "A subtitle that is a sentence of words\n\n"
        "Background\n\nSome background.\n\n"
        "Market Reaction\n\nShares fell.\n\n"
        "News Summary\n\nThe summary.\n"
    )
    raw = parse_text(text, "x.txt")
    assert raw.background == "Some background."
    assert raw.summary == "The summary."
    assert raw.insights is None
    assert raw.body == "Market Reaction\n\nShares fell."
    assert raw.tags == ["Tag One"]
    assert raw.subtitle == "A subtitle that is a sentence of words"


@pytest.mark.parametrize("text, field", [
    ("", "content"),
    ("   \n\n", "content"),
    ("Source: CNBCPublished: 11/16/2025, 23:08:17 EST\n", "title"),
    ("Title\nRegion\nNo source line here\n", "published"),
    ("Title\nRegion\nSource: Published: 11/16/2025, 23:08:17 EST\n", "source"),
    ("Title\nRegion\nSource: CNBCPublished:\n", "published"),
])
def test_bad_text_is_a_located_parse_error(text, field):
    with pytest.raises(ParseError) as info:
        parse_text(text, "bad.txt")
    assert info.value.field == field
    assert info.value.message.startswith("bad.txt")


def test_undecodable_bytes_name_the_offset():
    with pytest.raises(ParseError) as info:
        parse_text(b"Title\n\xff\xfe broken", "latin.txt")
    assert info.value.message == "latin.txt: encoding: not UTF-8 (byte 0xff at offset 6)"


def test_unparseable_date_is_rejected_by_field():
    raw = parse_text(_seed_with_source_line("Source: CNBCPublished: sometime last week"), "x.txt")
    with pytest.raises(ParseError) as info:
        build_article(raw, Registry(), {})
    assert info.value.field == "published"
    assert info.value.message.startswith("x.txt: published: unparseable date")


_seed_lines = SEED.read_text(encoding="utf-8").split("\n")


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.binary(max_size=2000),
    st.lists(st.sampled_from(_seed_lines + ["", "Source:", "Published:", "News Summary", "\x00"]),
             max_size=20).map(lambda lines: "\n".join(lines).encode("utf-8")),
))
def test_any_bytes_give_a_record_or_a_parse_error(data):
    try:
        raw = parse_text(data, "fuzz.txt")
        build_article(raw, Registry(), {})
    except ParseError as exc:
        assert exc.message.startswith("fuzz.txt")
        assert exc.field and exc.reason
