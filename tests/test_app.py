"""The Streamlit screen through AppTest, against a database built from the real data files."""
from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import config, store
from dashboard.store import events as store_events

APP = str(config.PROJECT_ROOT / "dashboard" / "app.py")
FT_TWEET = "2025-11-14-ft-report-tweet"


@pytest.fixture
def open_app(rich_db, monkeypatch):
    def _open(params: dict | None = None, db=rich_db) -> AppTest:
        monkeypatch.setenv("DASHBOARD_DB", str(db))
        at = AppTest.from_file(APP, default_timeout=60)
        for key, value in (params or {}).items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return _open


def figure(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def marker_ids(fig: dict) -> list[str]:
    return [e for trace in fig["data"] for e in (trace.get("customdata") or [])]


def event_rows(at: AppTest):
    return at.dataframe[0].value  # the Events tab comes first


def article_rows(at: AppTest):
    return at.dataframe[1].value


def param(at: AppTest, key: str) -> list[str]:
    """A URL parameter as a list (AppTest gives a single value as a plain string)."""
    value = at.query_params.get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def multiselect(at: AppTest, label: str):
    return next(w for w in at.sidebar.multiselect if w.label.startswith(label))


def all_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    return "\n".join(str(p) for p in parts)


def test_default_view_shows_both_listings_and_the_case_markers(open_app):
    at = open_app()
    fig = figure(at)
    names = [t.get("name") for t in fig["data"]]
    assert f"BABA — {config.SYNTHETIC_LABEL}" in names
    assert f"9988.HK — {config.SYNTHETIC_LABEL}" in names
    ids = marker_ids(fig)
    assert FT_TWEET in ids
    assert any("denial" in e for e in ids)
    assert len(ids) == len(event_rows(at))  # chart and table show the same events
    assert any(config.SYNTHETIC_LABEL in w.value for w in at.warning)
    assert any(config.SYNTHETIC_LABEL in (a.get("text") or "") for a in fig["layout"]["annotations"])
    assert dict(at.query_params) == {} or all(not v for v in at.query_params.values())


def test_tag_filter_narrows_markers_table_and_articles(open_app):
    at = open_app()
    before_markers = len(marker_ids(figure(at)))
    before_articles = len(article_rows(at))
    multiselect(at, "Tags").set_value(["Tech War"]).run()
    assert not at.exception
    ids = marker_ids(figure(at))
    events = event_rows(at)
    articles = article_rows(at)
    assert 0 < len(ids) < before_markers
    assert len(ids) == len(events)
    assert all("tech war" in tags.lower() for tags in events["tags"])
    assert 0 < len(articles) < before_articles
    assert all("tech war" in tags.lower() for tags in articles["tags"])
    assert param(at, "tags") == ["Tech War"]


def test_company_filter_switches_markers_articles_and_rows(open_app):
    at = open_app()
    at.sidebar.selectbox[0].set_value("tencent").run()
    assert not at.exception
    titles = list(article_rows(at)["title"])
    assert titles == ["Tencent weighs its own chip options as export curbs bite"]
    fig = figure(at)
    assert not any((t.get("name") or "").startswith("BABA") for t in fig["data"])
    assert len(marker_ids(fig)) == len(event_rows(at)) == 1
    assert any("0700.HK" in i.value.replace("\\", "") for i in at.info)  # no stored bars: said, not hidden
    assert param(at, "company") == ["tencent"]


def test_query_params_round_trip_into_widgets_and_back(open_app):
    params = {"tags": ["Tech War"], "zone": "Asia/Hong_Kong", "start": "2025-11-13", "end": "2025-11-18",
              "interval": "15m", "mode": "pct"}
    at = open_app(params)
    assert multiselect(at, "Tags").value == ["Tech War"]
    assert at.sidebar.selectbox(key="zone").value == "Asia/Hong_Kong"
    assert at.sidebar.selectbox(key="interval").value == "15m"
    assert at.sidebar.radio(key="price_mode").value == "pct"
    fig = figure(at)
    assert "Hong Kong" in fig["layout"]["title"]["text"] and "2025-11-13 → 2025-11-18" in fig["layout"]["title"]["text"]
    for key, value in params.items():
        assert param(at, key) == (value if isinstance(value, list) else [value]), key
    assert not at.warning or all("URL" not in w.value for w in at.warning)


def test_bad_params_fall_back_with_a_notice(open_app):
    at = open_app({"zone": "Mars/Olympus", "tags": ["No Such Tag"], "interval": "7m"})
    warnings = " ".join(w.value for w in at.warning)
    assert "Mars/Olympus" in warnings and "7m" in warnings and "No Such Tag" in warnings
    assert at.sidebar.selectbox(key="zone").value == "UTC"
    assert figure(at)  # the default view still renders


def _event_with_article(db, tag: str | None = None) -> dict:
    with store.reader(db) as con:
        events = store_events.query_events(con, companies=("alibaba",), tags=(tag,) if tag else (),
                                           since="2025-11-12", until="2025-11-19")
    return events[events["article_id"].notna()].iloc[0].to_dict()


def test_reader_shows_the_selected_events_article_as_text(open_app, rich_db):
    event = _event_with_article(rich_db, "Tech War")
    at = open_app({"event": event["event_id"], "tags": ["Tech War"]})
    text = all_text(at)
    assert "Article" in text
    # Titles are markdown-escaped: compare without the backslashes.
    assert event["headline"].split()[0] in text.replace("\\", "")
    assert param(at, "event") == [event["event_id"]]


def test_hostile_article_is_shown_as_escaped_text(open_app, rich_db):
    with store.reader(rich_db) as con:
        (article_id,) = con.execute("SELECT article_id FROM articles WHERE source = 'Hostile Wire'").fetchone()
    at = open_app({"article": article_id})
    text = all_text(at)
    assert "onerror" in text  # the title is shown…
    assert not re.search(r"(?<!\\)<", text)  # …but never as markup: every '<' is escaped
    assert "\\<img" in text and "\\<script" in text
    assert not any("javascript:" in b.proto.url for b in at.get("link_button"))
