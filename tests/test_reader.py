"""The reader panel's content (dashboard/screen/reader.py), without Streamlit: what a picked event
and its article show, with hostile text kept as text."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import HOSTILE_ARTICLE

from dashboard import store
from dashboard.screen import (Filters, article_blocks, event_blocks, load_article, load_view, picked_point_ids,
                              picked_row_ids, reader_pick, source_link)

FT_TWEET = "2025-11-14-ft-report-tweet"


@pytest.fixture(scope="module")
def rich_view(rich_db):
    return load_view(store.Database(rich_db), Filters())


def _texts(blocks) -> list[str]:
    return [b.text for b in blocks]


def test_an_event_pick_brings_its_own_article(rich_view):
    publications = rich_view.events[rich_view.events["article_id"].notna()]
    event_id = publications["event_id"].iloc[0]
    pick = reader_pick(rich_view, event_id, "some-other-article")
    assert pick.event["event_id"] == event_id and pick.article_id == publications["article_id"].iloc[0]
    tweet = reader_pick(rich_view, FT_TWEET, None)
    assert tweet.event["headline"] and tweet.article_id is None and tweet.note == ""


def test_a_picked_event_outside_the_filters_is_said_and_an_article_pick_stays(rich_view):
    pick = reader_pick(rich_view, "no-such-event", "art-1")
    assert pick.event is None and pick.article_id == "art-1"
    assert pick.note == "The selected event is not in the current filters."
    assert reader_pick(rich_view, None, None) == reader_pick(rich_view, "", "")


def test_event_blocks_in_reading_order(rich_view):
    event = reader_pick(rich_view, FT_TWEET, None).event
    blocks = event_blocks(event)
    assert blocks[0].kind == "markdown" and blocks[0].text.startswith("**Event** · ")
    assert blocks[1].text.startswith("#### ")
    assert blocks[2].kind == "caption" and "UTC" in blocks[2].text  # the times line
    assert any(t.startswith("**Actor:** ") for t in _texts(blocks))
    links = [b for b in blocks if b.kind == "link"]
    assert [b.text for b in links] == ["Open the event's source ↗"] and links[0].url.startswith("https://")


def test_hostile_article_text_stays_text(rich_db):
    article_id = next(
        a for a in load_view(store.Database(rich_db), Filters()).articles["article_id"]
        if load_article(store.Database(rich_db), a)["title"] == HOSTILE_ARTICLE["title"]
    )
    article = load_article(store.Database(rich_db), article_id)
    blocks = article_blocks(article, article_id)
    joined = "\n".join(_texts(blocks))
    # every markdown/HTML-significant character arrives escaped: no tag, no link, no bold survives
    assert not re.search(r"(?<!\\)<(img|script|iframe|svg|b )", joined)
    for raw in ("**bold?**", "[link](", "javascript:alert(1))"):
        assert raw not in joined
    assert r"\<script\>" in joined  # shown as the text it is
    assert not [b for b in blocks if b.kind == "link"]  # its javascript: address is no button
    names = [t for t in _texts(blocks) if t in ("**Subtitle**", "**Summary**", "**Text**")]
    assert names == ["**Subtitle**", "**Summary**", "**Text**"]  # sections in order, empty ones left out
    assert blocks[0].kind == "markdown" and blocks[0].text == "**Article**"
    assert article_blocks(article, article_id, after_event=True)[0].kind == "divider"


def test_a_missing_article_and_odd_links_are_said_plainly():
    assert _texts(article_blocks(None, "gone_1")) == [r"Article gone\_1 is no longer in the database."]
    assert source_link(None, "x") == [] and source_link(float("nan"), "x") == [] and source_link("  ", "x") == []
    assert source_link("HTTPS://example.com/a", "Open")[0].url == "HTTPS://example.com/a"
    for odd in ("javascript:alert(1)", "ftp://host/<b>x</b>"):
        note = source_link(odd, "Open")
        assert [b.kind for b in note] == ["caption"] and note[0].text.startswith("Source link not shown")
        assert "<b>" not in note[0].text and "(1)" not in note[0].text


def test_event_without_optional_fields_has_no_empty_blocks():
    event = {"event_id": "e", "kind": "denial", "stance": None, "headline": "A *denial*",
             "ts": pd.Timestamp("2025-11-15 03:00", tz="UTC"), "precision": "minute", "ts_zone": "Asia/Hong_Kong",
             "actor": None, "source": float("nan"), "value": None, "tags": [], "detail": None, "source_url": None}
    blocks = event_blocks(event)
    assert [b.kind for b in blocks] == ["markdown", "markdown", "caption"]
    assert blocks[1].text == r"#### A \*denial\*"


def test_picks_read_table_rows_and_chart_points_from_either_form():
    rows = pd.DataFrame({"event_id": ["a", "b", "c"]})
    assert picked_row_ids({"selection": {"rows": [2, 7, "x"]}}, rows, "event_id") == ["c"]  # out of range ignored
    assert picked_row_ids(None, rows, "event_id") == [] and picked_row_ids({}, rows, "event_id") == []

    class Selection:  # what st.dataframe / st.plotly_chart return: attributes, not keys
        rows = [0]
        points = [{"customdata": "e1"}, {"customdata": ["band-1", "band-2"]}, {"x": 1}, "odd"]

    class State:
        selection = Selection()

    assert picked_row_ids(State(), rows, "event_id") == ["a"]
    assert picked_point_ids(State()) == ["e1", "band-1"]  # a day band stands for its first event
    assert picked_point_ids({"selection": {"points": []}}) == []
