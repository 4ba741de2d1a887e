"""Extended hours on the screen: the toggle (sidebar and URL), the tints and dotted line, the
first-trade ring agreeing with the reaction table, and the HK–US overlap note."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts, config, store
from dashboard.analysis import load as analysis_load
from dashboard.screen import Filters, load_view

APP = str(config.PROJECT_ROOT / "dashboard" / "app.py")
CNBC_SUNDAY = "pub-4b72f78b48e06bc2"  # CNBC's story, Sun 23:08 ET: BABA next trades Monday


def test_the_toggle_travels_in_the_url():
    assert Filters().to_query_params() == {} and Filters().extended_hours is True
    off = Filters(extended_hours=False)
    assert off.to_query_params() == {"ext": "0"}
    assert Filters.from_query_params({"ext": "0"}) == (off, [])
    parsed, notices = Filters.from_query_params({"ext": "maybe"})
    assert parsed.extended_hours is True and "ext='maybe'" in notices[0]


@pytest.fixture(scope="module")
def views(case_db):
    db = store.Database(case_db)
    return {on: load_view(db, Filters(extended_hours=on)) for on in (True, False)}


def test_us_rows_get_the_extended_tint_and_a_dotted_line_hong_kong_none(views):
    view = views[True]
    baba, hk = (next(lv for lv in view.listings if lv.symbol == s) for s in ("BABA", "9988.HK"))
    assert set(baba.bars["session_part"]) == {"pre", "regular", "post"}
    assert set(baba.extended["part"]) == {"pre", "post"} and hk.extended.empty
    fig = charts.overlay_figure(view)
    dotted = [t for t in fig.data if t.name == "BABA extended hours"]
    assert len(dotted) == 1 and dotted[0].line.dash == "dot" and dotted[0].line.width < 2
    names = [s.name for s in fig.layout.shapes]
    assert any(n == "pre BABA" for n in names) and any(n == "post BABA" for n in names)
    closed = next(s.fillcolor for s in fig.layout.shapes if s.name == "closed BABA")
    lighter = next(s.fillcolor for s in fig.layout.shapes if s.name == "pre BABA")
    assert float(lighter.split(",")[-1][:-1]) < float(closed.split(",")[-1][:-1])
    # no window in which both trade: the note says how far apart they are
    assert view.overlap.empty
    title = next(a.text for a in fig.layout.annotations if a.name == "title timeline")
    note = title.split("<br>")[-1]  # the title's last line, where it has room at every width
    # the nearest they come in the case week: BABA's after-hours ends 01:00Z (20:00 ET), half an
    # hour before Hong Kong opens (09:30 HKT)
    assert note == "no BABA–9988.HK overlap: BABA shuts 01:00Z, 9988.HK opens 01:30Z (0.5 h later)"


def test_switched_off_the_us_row_is_the_regular_session(views):
    view = views[False]
    baba = next(lv for lv in view.listings if lv.symbol == "BABA")
    assert "session_part" not in baba.bars or set(baba.bars["session_part"]) == {"regular"}
    assert baba.extended.empty
    fig = charts.overlay_figure(view)
    assert not [t for t in fig.data if t.name == "BABA extended hours"]
    assert not [s for s in fig.layout.shapes if (s.name or "").startswith(("pre ", "post "))]


@pytest.mark.parametrize("extended, first", [(True, "2025-11-17 09:00"), (False, "2025-11-17 14:30")])
def test_the_ring_and_the_reaction_table_agree_with_the_toggle_on_and_off(case_db, views, extended, first):
    view = views[extended]
    ring = view.first_trades.set_index(["event_id", "symbol"]).loc[(CNBC_SUNDAY, "BABA")]
    with store.Database(case_db).read() as con:
        table = analysis_load.reactions(con, analysis_load.EventSelection(companies=["alibaba"]), extended=extended)
    row = table.set_index(["event_id", "symbol"]).loc[(CNBC_SUNDAY, "BABA")]
    assert ring["first_bar_ts"] == row["first_bar_ts"] == pd.Timestamp(first, tz="UTC")
    assert ring["session_part"] == row["session_part"] == ("pre" if extended else "regular")


def test_app_toggle_on_by_default_and_off_in_the_url(case_db, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(case_db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    # the toggle sits with the chart's controls, over the chart (issue 28), not in the sidebar
    assert at.toggle(key="extended_hours").value is True
    names = [t.get("name") for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert "BABA extended hours" in names
    at.toggle(key="extended_hours").set_value(False).run()
    assert not at.exception
    names = [t.get("name") for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert "BABA extended hours" not in names
    assert at.query_params.get("ext") in ("0", ["0"])
