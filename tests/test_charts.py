"""The overlay figure, built from generated bars and the real events file (no Streamlit, no DB)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import build_view, events_from_csv

from dashboard import config
from dashboard.charts import STANCE_GROUPS, chart_config, overlay_figure, plain, stance_group

FT_TWEET = "2025-11-14-ft-report-tweet"


def _traces_with_event(fig: go.Figure, event_id: str) -> list:
    return [t for t in fig.data if t.customdata is not None and event_id in list(t.customdata)]


def _group_traces(fig: go.Figure, group: str) -> list:
    return [t for t in fig.data if t.legendgroup == group]


@pytest.fixture(scope="module")
def case_view():
    return build_view()


@pytest.fixture(scope="module")
def case_fig(case_view):
    return overlay_figure(case_view)


def test_one_price_trace_per_listing_labelled_synthetic(case_fig):
    price_names = [t.name for t in case_fig.data if t.legendgroup in ("BABA", "9988.HK") and t.showlegend is not False]
    assert price_names == [f"BABA — {config.SYNTHETIC_LABEL}", f"9988.HK — {config.SYNTHETIC_LABEL}"]
    labels = [a.text for a in case_fig.layout.annotations if a.name == "synthetic label"]
    assert len(labels) == 1 and config.SYNTHETIC_LABEL in labels[0]


def test_real_bars_carry_no_synthetic_label():
    fig = overlay_figure(build_view(source="yahoo"))
    assert not any(config.SYNTHETIC_LABEL in (t.name or "") for t in fig.data)
    assert not any(config.SYNTHETIC_LABEL in (a.text or "") for a in fig.layout.annotations)


def test_every_event_is_drawn_once_in_its_stance_group(case_view, case_fig):
    events = case_view.events
    assert len(events) > 20  # the case week is busy; an empty frame would prove nothing
    for group in STANCE_GROUPS:
        wanted = set(events.loc[[stance_group(k, s) == group for k, s in zip(events["kind"], events["stance"])], "event_id"])
        drawn = [e for t in _group_traces(case_fig, group) for e in (t.customdata or ())]
        assert sorted(drawn) == sorted(wanted), group
    denials = set(events.loc[events["kind"] == "denial", "event_id"])
    assert denials and denials <= {e for t in _group_traces(case_fig, "denial") for e in t.customdata}


def test_ft_report_is_a_report_marker_with_three_zones_in_its_hover(case_fig):
    (trace,) = _traces_with_event(case_fig, FT_TWEET)
    assert trace.type == "scatter" and trace.mode == "markers" and trace.legendgroup == "report"
    i = list(trace.customdata).index(FT_TWEET)
    hover = trace.hovertext[i]
    assert "UTC: Fri 2025-11-14 18:02" in hover
    assert "New York: Fri 2025-11-14 13:02" in hover
    assert "Hong Kong: Sat 2025-11-15 02:02" in hover
    assert "ZeroHedge" in hover
    line_shapes = [s for s in case_fig.layout.shapes if s.name == f"event {FT_TWEET}"]
    assert len(line_shapes) == 1 and line_shapes[0].yref == "paper" and (line_shapes[0].y0, line_shapes[0].y1) == (0, 1)


def test_marker_symbols_and_colours_differ_per_stance(case_fig):
    styles = {(t.marker.symbol, t.marker.color) for t in case_fig.data if t.type == "scatter" and t.mode == "markers"}
    groups = {t.legendgroup for t in case_fig.data if t.type == "scatter" and t.mode == "markers"}
    assert len(styles) == len(groups) >= 2
    assert len({s.symbol for s in STANCE_GROUPS.values()}) == len({s.color for s in STANCE_GROUPS.values()}) == len(STANCE_GROUPS)


def test_day_events_are_bands_over_the_day_not_a_minute(case_view, case_fig):
    day = case_view.events[case_view.events["precision"] == "day"]
    assert len(day)
    for event in day.head(10).itertuples():
        (trace,) = _traces_with_event(case_fig, event.event_id)
        assert trace.type == "bar" and trace.orientation == "h"
        i = list(trace.customdata).index(event.event_id)
        start = pd.Timestamp(trace.base[i])
        assert start == event.ts.tz_localize(None)  # display zone is UTC here
        assert trace.x[i] == pytest.approx(24 * 3600 * 1000)
        assert not [s for s in case_fig.layout.shapes if s.name == f"event {event.event_id}"]


def test_closed_periods_shaded_per_exchange_including_hk_lunch(case_view, case_fig):
    hk = [(pd.Timestamp(s.x0), pd.Timestamp(s.x1)) for s in case_fig.layout.shapes if s.name == "closed 9988.HK"]
    assert (pd.Timestamp("2025-11-13 04:00"), pd.Timestamp("2025-11-13 05:00")) in hk
    baba = [(pd.Timestamp(s.x0), pd.Timestamp(s.x1)) for s in case_fig.layout.shapes if s.name == "closed BABA"]
    # Friday's close to Monday's open is one closed span for the NYSE.
    assert (pd.Timestamp("2025-11-14 21:00"), pd.Timestamp("2025-11-17 14:30")) in baba
    # No bar of a listing falls inside its own closed shading.
    for lv in case_view.listings:
        spans = [(pd.Timestamp(s.x0), pd.Timestamp(s.x1)) for s in case_fig.layout.shapes if s.name == f"closed {lv.symbol}"]
        ts = lv.bars["ts"].dt.tz_localize(None)
        assert not any(((ts >= a) & (ts < b)).any() for a, b in spans), lv.symbol
    assert not case_fig.layout.xaxis.rangebreaks


def test_price_line_breaks_where_the_market_is_shut(case_fig):
    line = next(t for t in case_fig.data if t.legendgroup == "BABA" and t.type == "scatter")
    assert pd.isna(list(line.y)).sum() >= 5  # one break per overnight/weekend in the week


def test_lanes_sit_in_the_bottom_row_on_the_shared_axis(case_fig):
    lane_traces = [t for t in case_fig.data if t.legendgroup in STANCE_GROUPS]
    bottom = {t.yaxis for t in lane_traces}
    assert len(bottom) == 1
    axis = case_fig.layout["yaxis" + bottom.pop()[1:]]
    assert axis.domain[0] == pytest.approx(0.0)
    assert set(axis.ticktext) == {STANCE_GROUPS[t.legendgroup].label for t in lane_traces}


@pytest.mark.parametrize("zone, label, ft_local", [
    ("UTC", "Time (UTC)", "2025-11-14 18:02:11"),
    ("America/New_York", "Time (New York, America/New_York)", "2025-11-14 13:02:11"),
    ("Asia/Hong_Kong", "Time (Hong Kong, Asia/Hong_Kong)", "2025-11-15 02:02:11"),
])
def test_axis_names_the_display_zone_and_times_follow_it(zone, label, ft_local):
    fig = overlay_figure(build_view(zone=zone))
    titles = [fig.layout[k].title.text for k in fig.layout if k.startswith("xaxis") and fig.layout[k].title.text]
    assert titles == [label]
    (trace,) = _traces_with_event(fig, FT_TWEET)
    assert pd.Timestamp(trace.x[list(trace.customdata).index(FT_TWEET)]) == pd.Timestamp(ft_local)


def test_downsampled_rows_stay_in_budget_and_say_so():
    view = build_view(max_points=500)
    fig = overlay_figure(view)
    for trace in fig.data:
        n = len(trace.x) if trace.x is not None else 0
        assert n <= 500 + 20, trace.name  # + the line breaks inserted at closures
    titles = [a.text for a in fig.layout.annotations if (a.name or "").startswith("title ")]
    for lv in view.listings:
        assert lv.total_bars > 500
        assert any(f"showing {lv.shown_bars:,} of {lv.total_bars:,} bars" in t for t in titles)


def test_untrusted_text_is_escaped_in_hover():
    events = events_from_csv()
    hostile = events[events["event_id"] == FT_TWEET].copy()
    hostile["headline"] = '<img src=x onerror=alert(1)> & <script>alert(2)</script>'
    hostile["actor"] = "<b>bold</b>"
    fig = overlay_figure(build_view(events=hostile))
    (trace,) = _traces_with_event(fig, FT_TWEET)
    hover = trace.hovertext[0]
    assert "<img" not in hover and "<script" not in hover and "<b>bold" not in hover
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;script&gt;" in hover
    assert plain("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_no_events_still_draws_prices():
    events = events_from_csv().iloc[0:0]
    fig = overlay_figure(build_view(events=events))
    assert [t.legendgroup for t in fig.data if t.type == "scatter" and t.mode == "lines"] == ["BABA", "9988.HK"]


def test_dark_theme_and_modebar_file_name():
    fig = overlay_figure(build_view(), theme="dark")
    assert fig.layout.paper_bgcolor.upper() == "#0E1117"
    config_ = chart_config("alibaba_BABA-9988.HK_2025-11-12_2025-11-19_utc")
    assert config_["toImageButtonOptions"]["filename"] == "alibaba_BABA-9988.HK_2025-11-12_2025-11-19_utc"
