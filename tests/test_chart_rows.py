"""The overlay figure's row plan and its rows' traces, built through the real loader on the case
database: a row that goes missing, or a trace a builder drops, fails here."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import charts, config, store
from dashboard.charts import plan_rows
from dashboard.charts.style import TITLE_LINE_PX
from dashboard.screen import Filters, load_view

LISTINGS = ["BABA", "9988.HK"]


@pytest.fixture(scope="module")
def default_view(case_db):
    return load_view(store.Database(case_db), Filters())


@pytest.fixture(scope="module")
def parity_view(case_db):
    return load_view(store.Database(case_db), Filters(parity=True))


def _kinds(plan) -> list[tuple[str, str | None]]:
    return [(row.kind, row.listing.symbol if row.listing is not None else None) for row in plan.rows]


def _axis_of(row) -> str:
    return "y" if row.number == 1 else f"y{row.number}"


def _traces_on(fig, row) -> list:
    return [t for t in fig.data if (t.yaxis or "y") == _axis_of(row)]


def _figure_and_plan(view, *, parity: bool = False):
    """The figure, and the plan for the lanes and label levels it drew (read off the figure)."""
    fig = charts.overlay_figure(view)
    rows = 2 * len(view.listings) + (2 if parity else 0) + 1
    lanes = len(fig.layout[f"yaxis{rows}"].tickvals)
    levels = len({a.y for a in fig.layout.annotations if (a.name or "").startswith("label ")})
    (timeline,) = [a for a in fig.layout.annotations if a.name == "title timeline"]
    return fig, plan_rows(view.listings, parity=parity, lanes=lanes, label_levels=levels,
                          margin_top=fig.layout.margin.t, timeline_title_lines=timeline.text.count("<br>") + 1)


def test_default_plan_is_price_and_volume_per_listing_then_the_lanes(default_view):
    fig, plan = _figure_and_plan(default_view)
    assert _kinds(plan) == [("price", "BABA"), ("volume", "BABA"), ("price", "9988.HK"), ("volume", "9988.HK"),
                            ("lanes", None)]
    # the figure is laid out as planned: each row's axis spans its planned domain, top to bottom
    for row in plan.rows:
        assert tuple(fig.layout[f"yaxis{'' if row.number == 1 else row.number}"].domain) == row.domain
    bottoms = [row.domain[0] for row in plan.rows]
    assert plan.label_levels > 0 and bottoms == sorted(bottoms, reverse=True) and plan.rows[-1].domain[0] == pytest.approx(0.0, abs=1e-9)
    assert all(a.domain[0] >= b.domain[1] for a, b in zip(plan.rows, plan.rows[1:]))  # no overlap
    assert plan.label_strip[0] >= plan.rows[0].domain[1]  # labels above the first row


def test_every_row_of_the_default_view_gets_its_traces(default_view):
    fig, plan = _figure_and_plan(default_view)
    for lv, price_row, volume_row in plan.listing_rows():
        on_price = _traces_on(fig, price_row)
        line = [t for t in on_price if t.name == f"{lv.symbol} — {config.SYNTHETIC_LABEL}"]
        assert len(line) == 1 and line[0].type == "scatter"
        # every bar drawn once (gaps are extra NaNs): the regular session on the solid line, US
        # pre-market and after-hours on the dotted one beside it (issue 19)
        extended = [t for t in on_price if t.name == f"{lv.symbol} extended hours"]
        regular = (lv.bars["session_part"] == "regular").sum() if "session_part" in lv.bars else len(lv.bars)
        assert pd.Series(line[0].y).notna().sum() == regular
        assert sum(pd.Series(t.y).notna().sum() for t in extended) == len(lv.bars) - regular
        assert len(extended) == (1 if regular < len(lv.bars) else 0)
        assert [t.name for t in on_price if t.name.startswith("first trade")] == [f"first trade {lv.symbol}"]
        volume = _traces_on(fig, volume_row)
        assert [(t.type, t.name) for t in volume] == [("bar", f"{lv.symbol} volume")]
        assert len(volume[0].y) == len(lv.volume)
    # the lanes: every event of the view sits in exactly one lane trace (marker or day band)
    lane_ids = [i for t in _traces_on(fig, plan.row("lanes")) if t.customdata is not None
                for c in t.customdata for i in (c if isinstance(c, (list, tuple)) else [c])]
    assert sorted(lane_ids) == sorted(default_view.events["event_id"])
    assert {t.type for t in _traces_on(fig, plan.row("lanes"))} == {"scatter", "bar"}
    assert len(fig.data) == sum(len(_traces_on(fig, row)) for row in plan.rows)  # nothing off the plan


def test_parity_plan_adds_the_parity_and_premium_rows_with_their_traces(parity_view):
    fig, plan = _figure_and_plan(parity_view, parity=True)
    assert _kinds(plan) == [("price", "BABA"), ("volume", "BABA"), ("price", "9988.HK"), ("volume", "9988.HK"),
                            ("parity", None), ("premium", None), ("lanes", None)]
    parity_traces = _traces_on(fig, plan.row("parity"))
    assert [t.name for t in parity_traces] == ["BABA (ADR)", "9988.HK-implied parity (× 8 ÷ USD/HKD)"]
    assert [t.name for t in _traces_on(fig, plan.row("premium"))] == ["ADR premium (%)"]
    assert all(len(t.y) > 100 for t in parity_traces)
    assert [a.name for a in fig.layout.annotations if a.name in ("title parity", "parity gap")] == \
        ["title parity", "parity gap"]
    # the parity block gets its own time labels, like each listing block
    assert fig.layout["xaxis6"].showticklabels and fig.layout["xaxis4"].showticklabels
    assert not fig.layout["xaxis5"].showticklabels


def test_a_listing_without_bars_in_the_window_says_so(case_db):
    view = load_view(store.Database(case_db), Filters(start=dt.date(2020, 1, 6), end=dt.date(2020, 1, 7)))
    fig = charts.overlay_figure(view)
    notes = [a.text for a in fig.layout.annotations if (a.text or "").startswith("No stored bars")]
    assert notes == [f"No stored bars for {s} in this window" for s in LISTINGS]
    assert not [t for t in fig.data if t.legendgroup in LISTINGS]


def test_a_fixed_height_scales_the_rows_and_more_listings_mean_more_rows(default_view):
    one = plan_rows(default_view.listings[:1], parity=False, lanes=3, label_levels=0)
    two = plan_rows(default_view.listings, parity=True, lanes=3, label_levels=2)
    assert len(one.rows) == 3 and len(two.rows) == 7
    assert one.label_strip == (1.0, 1.0) and two.label_strip[0] < 1.0  # no labels, no strip
    fixed = plan_rows(default_view.listings, parity=True, lanes=3, label_levels=2, height=two.total_height * 2)
    assert fixed.total_height == two.total_height * 2 and fixed.scale > 1
    same_shares = [(f, t) for a, b in zip(fixed.rows, two.rows) for f, t in zip(a.domain, b.domain)]
    assert [f for f, _ in same_shares] == pytest.approx([t for _, t in same_shares])
    with pytest.raises(KeyError):
        one.row("parity")


def test_the_header_and_a_wrapped_timeline_title_get_their_room(default_view):
    one_line = plan_rows(default_view.listings, parity=False, lanes=3, label_levels=1)
    three_lines = plan_rows(default_view.listings, parity=False, lanes=3, label_levels=1, timeline_title_lines=3)
    assert three_lines.total_height - one_line.total_height == 2 * TITLE_LINE_PX
    gap = lambda plan: (plan.rows[-2].domain[0] - plan.row("lanes").domain[1]) * plan.plot_height
    assert gap(three_lines) == pytest.approx(gap(one_line) + 2 * TITLE_LINE_PX)  # room above the lanes
    # a taller header: the same rows (shares of the plot), a taller figure; at a fixed height, a smaller plot
    taller = one_line.with_margin_top(one_line.margin_top + 24)
    assert taller.rows == one_line.rows and taller.total_height == one_line.total_height + 24
    assert taller == plan_rows(default_view.listings, parity=False, lanes=3, label_levels=1,
                               margin_top=one_line.margin_top + 24)
    fixed = plan_rows(default_view.listings, parity=False, lanes=3, label_levels=1, height=900)
    squeezed = fixed.with_margin_top(fixed.margin_top + 24)
    assert squeezed.total_height == 900 and squeezed.plot_height == fixed.plot_height - 24
    assert squeezed.rows == fixed.rows


def test_the_figure_is_as_tall_as_its_plan_with_the_header_it_drew(default_view, parity_view):
    for view, parity in ((default_view, False), (parity_view, True)):
        fig, plan = _figure_and_plan(view, parity=parity)
        assert fig.layout.height == plan.total_height and fig.layout.margin.t == plan.margin_top
        (badge,) = [a for a in fig.layout.annotations if a.name == "synthetic label"]
        assert badge.y > 1 and fig.layout.legend.y < 1 - 34 / plan.total_height  # badge and legend in the header
