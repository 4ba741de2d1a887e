"""The event-study view through AppTest on the bundled case: built only when its panel is open."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import config

APP = str(config.PROJECT_ROOT / "dashboard" / "app.py")
FT_TWEET = "2025-11-14-ft-report-tweet"
LABEL_IN_JSON = json.dumps(config.SYNTHETIC_LABEL)[1:-1]


@pytest.fixture
def app(case_db, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(case_db))
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def study_figure(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 2, "the overlay chart and the study's CAAR figure"
    return json.loads(charts[1].proto.spec)


def test_the_closed_panel_builds_nothing(app, monkeypatch):
    from dashboard.screen import study as screen_study

    assert any("Event study" in e.label for e in app.expander)
    assert len(app.get("plotly_chart")) == 1  # only the overlay: no study figure was sent
    calls = []
    monkeypatch.setattr(screen_study, "load_study", lambda *a, **k: calls.append(a))
    app.run()  # a rerun with the panel still closed does not run the study either
    assert calls == []


def test_opening_the_panel_shows_the_caar_figure_tables_and_the_synthetic_label(app):
    app.session_state["study_open"] = True
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    fig = study_figure(app)
    names = [trace.get("name", "") for trace in fig["data"]]
    assert any(name.startswith("BABA CAAR") for name in names)
    assert any(name.startswith("9988.HK CAAR") for name in names)
    assert config.SYNTHETIC_LABEL in fig["layout"]["title"]["text"] or LABEL_IN_JSON in json.dumps(fig)
    assert any(config.SYNTHETIC_LABEL in w.value for w in app.warning)
    pooled = next(d.value for d in app.dataframe if "Patell Z" in d.value.columns)
    assert {"listing", "window", "events", "CAAR", "BMP", "Kolari–Pynnönen", "rank (Corrado)",
            "sign (Cowan)"} <= set(pooled.columns)
    events = next(d.value for d in app.dataframe if "t 5 min" in d.value.columns)
    assert len(events) > 0 and "beta" in events.columns


def test_a_selected_event_adds_its_own_car_path(app):
    app.session_state["study_open"] = True
    app.session_state["selected_event"] = FT_TWEET
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    dotted = [t for t in study_figure(app)["data"] if t.get("line", {}).get("dash") == "dot"]
    assert {t["legendgroup"] for t in dotted} <= {"event BABA", "event 9988.HK"} and dotted


def test_the_models_are_offered_and_switch_the_study(app):
    app.session_state["study_open"] = True
    app.run()
    app.selectbox(key="study_model").select("constant-mean").run()
    assert not app.exception, [e.value for e in app.exception]
    assert "constant-mean model" in study_figure(app)["layout"]["title"]["text"]
