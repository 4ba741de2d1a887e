"""The overlay figure, built from generated bars and the real events file (no Streamlit, no DB)."""
from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import build_view, events_from_csv

from dashboard import config
from dashboard.charts import (LABEL_PLOT_WIDTH_PX, MAX_COUNT_BUCKETS, MAX_EVENT_LINES, MAX_LABELS, STANCE_GROUPS,
                              chart_config, label_width, overlay_figure, plain, stance_group)
from dashboard.charts.events import place_labels
from dashboard.charts.header import figure_header, label_anchor, legend_layout, legend_rows, side_anchor
from dashboard.charts.rows import x_fraction
from dashboard.charts.style import MARGIN_LEFT, MARGIN_RIGHT
from dashboard.config import SYNTHETIC_LABEL

FT_TWEET = "2025-11-14-ft-report-tweet"


def _ids(point) -> list[str]:
    """Event ids of one point: a timed marker holds one, a day band several."""
    return list(point) if isinstance(point, (list, tuple)) else [point]


def _traces_with_event(fig: go.Figure, event_id: str) -> list:
    return [t for t in fig.data if t.customdata is not None and any(event_id in _ids(c) for c in t.customdata)]


def _point_of(trace, event_id: str) -> int:
    return next(i for i, c in enumerate(trace.customdata) if event_id in _ids(c))


def _annotations(fig: go.Figure, prefix: str) -> list:
    return [a for a in fig.layout.annotations if (a.name or "").startswith(prefix)]


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
        drawn = [e for t in _group_traces(case_fig, group) for c in (t.customdata or ()) for e in _ids(c)]
        assert sorted(drawn) == sorted(wanted), group
    denials = set(events.loc[events["kind"] == "denial", "event_id"])
    assert denials and denials <= {e for t in _group_traces(case_fig, "denial") for c in t.customdata for e in _ids(c)}


def test_ft_report_is_a_report_marker_with_three_zones_in_its_hover(case_fig):
    (trace,) = _traces_with_event(case_fig, FT_TWEET)
    assert trace.type == "scatter" and trace.mode == "markers" and trace.legendgroup == "report"
    i = _point_of(trace, FT_TWEET)
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
    for event in day.itertuples():
        (trace,) = _traces_with_event(case_fig, event.event_id)
        assert trace.type == "bar" and trace.orientation == "h"
        i = _point_of(trace, event.event_id)
        start = pd.Timestamp(trace.base[i])
        assert start == event.ts.tz_localize(None)  # display zone is UTC here
        assert trace.x[i] == pytest.approx(24 * 3600 * 1000)
        assert not [s for s in case_fig.layout.shapes if s.name == f"event {event.event_id}"]


def test_day_bands_are_one_per_lane_and_day_with_a_count(case_view, case_fig):
    events = case_view.events
    day = events[events["precision"] == "day"].assign(
        group=lambda f: [stance_group(k, s) for k, s in zip(f["kind"], f["stance"])])
    expected = {(g, ts): set(f["event_id"]) for (g, ts), f in day.groupby(["group", "ts"])}
    assert max(len(ids) for ids in expected.values()) >= 5  # the 14th is crowded: worth aggregating
    drawn = {}
    for trace in case_fig.data:
        if trace.type != "bar" or trace.orientation != "h":
            continue
        for base, ids, text, hover in zip(trace.base, trace.customdata, trace.text, trace.hovertext):
            key = (trace.legendgroup, pd.Timestamp(base).tz_localize("UTC"))
            assert key not in drawn, key  # one band per lane and day
            drawn[key] = set(_ids(ids))
            assert text.split()[0] == str(len(drawn[key]))  # "7 reports"
            for event_id in drawn[key]:
                headline = events.loc[events["event_id"] == event_id, "headline"].iloc[0]
                assert plain(headline, width=80).split("<br>")[0] in hover
    assert drawn == expected


def test_band_hover_escapes_headlines():
    events = events_from_csv()
    hostile = events[events["event_id"] == "2025-11-14-alibaba-denial-ft"].copy()
    hostile["headline"] = "<script>alert(1)</script> denial"
    fig = overlay_figure(build_view(events=hostile))
    (trace,) = _traces_with_event(fig, "2025-11-14-alibaba-denial-ft")
    assert "<script" not in trace.hovertext[0] and "&lt;script&gt;" in trace.hovertext[0]


def _alpha(rgba: str) -> float:
    return float(rgba.rsplit(",", 1)[1].rstrip(")"))


def test_closed_periods_are_a_quiet_tint_behind_thicker_price_lines(case_fig):
    closed = [s for s in case_fig.layout.shapes if (s.name or "").startswith("closed ")]
    assert closed and all(s.layer == "below" and _alpha(s.fillcolor) <= 0.08 for s in closed)
    lines = [t for t in case_fig.data if t.legendgroup in ("BABA", "9988.HK") and t.type == "scatter" and t.mode == "lines"]
    assert len(lines) == 2 and all(t.line.width >= 1.8 for t in lines)


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
    assert pd.isna(list(line.y)).sum() == 3  # Thu–Fri, Fri–Mon, Mon–Tue: one break per closure between 4 sessions


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
    assert pd.Timestamp(trace.x[_point_of(trace, FT_TWEET)]) == pd.Timestamp(ft_local)


def test_downsampled_rows_stay_in_budget_and_say_so():
    view = build_view(max_points=500)
    fig = overlay_figure(view)
    for trace in fig.data:
        n = len(trace.x) if trace.x is not None else 0
        assert n <= 500 + 20, trace.name  # + the line breaks inserted at closures
    assert {t.name for t in fig.data if t.type == "bar" and t.name.endswith("volume")} == {"BABA volume", "9988.HK volume"}
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


def test_volume_is_summed_into_half_hours_with_a_capped_axis(case_view, case_fig):
    for lv in case_view.listings:
        (trace,) = [t for t in case_fig.data if t.name == f"{lv.symbol} volume"]
        assert lv.volume_bucket == "30min"
        assert sum(trace.y) == pytest.approx(lv.volume["volume"].sum())
        # every 1m bar of the window counted once, in 30-minute buckets
        assert len(trace.y) == lv.bars["ts"].dt.floor("30min").nunique()
        axis = case_fig.layout["yaxis" + trace.yaxis[1:]]
        assert "/30m" in axis.title.text
        if axis.range is not None:
            assert axis.range[1] < max(trace.y)


def _label_boxes(fig):
    """(x0, x1, y, text) of each event label, x as a fraction of the default plot width."""
    x0, x1 = (pd.Timestamp(v) for v in fig.layout.xaxis.range)
    span = (x1 - x0).total_seconds()
    boxes = []
    for a in _annotations(fig, "label "):
        x = (pd.Timestamp(a.x) - x0).total_seconds() / span
        width = label_width(a.text)
        boxes.append((x, x + width, a.y, a.text) if a.xanchor == "left" else (x - width, x, a.y, a.text))
    return boxes


def test_key_event_is_labelled_in_the_display_zone(case_fig):
    (label,) = _annotations(case_fig, f"label {FT_TWEET}")
    assert label.text == "FT report · Fri 18:02 UTC"
    ny = overlay_figure(build_view(zone="America/New_York"))
    assert _annotations(ny, f"label {FT_TWEET}")[0].text == "FT report · Fri 13:02 ET"
    (line,) = [s for s in case_fig.layout.shapes if s.name == f"event {FT_TWEET}"]
    assert line.y1 == 1  # the labelled event's line runs up into its label


def test_labels_are_capped_and_do_not_overlap():
    events = events_from_csv()
    base = events[events["event_id"] == FT_TWEET].iloc[0]
    crowd = []
    for i, hours in enumerate([0, 1, 2, 4, 7, 11, 16, 22, 29, 37, 45, 60]):
        row = base.copy()
        row["event_id"] = f"crowd-{i}"
        row["ts"] = base["ts"] + pd.Timedelta(hours=hours)
        row["kind"], row["stance"] = ("denial", "denial") if i % 2 else ("report", "allegation")
        row["actor"] = "Alibaba (statement)"
        crowd.append(row)
    fig = overlay_figure(build_view(events=pd.DataFrame(crowd)))
    boxes = _label_boxes(fig)
    assert 3 <= len(boxes) <= MAX_LABELS
    assert len({round(y, 6) for _, _, y, _ in boxes}) >= 2  # staggered onto more than one line
    for i, (a0, a1, ay, _) in enumerate(boxes):
        assert 0 <= a0 and a1 <= 1 + 1e-9
        for b0, b1, by, _ in boxes[i + 1:]:
            if abs(ay - by) < 1e-6:
                assert a1 <= b0 or b1 <= a0, (boxes[i], (b0, b1, by))
    # the labels are planned for the narrowest supported plot (768 px window, 16 px page padding)
    assert LABEL_PLOT_WIDTH_PX <= 768 - 2 * 16 - MARGIN_LEFT - MARGIN_RIGHT
    # an event left without a label stays reachable: its marker carries its id and a hover text
    hover = {i: h for t in fig.data if t.customdata is not None and t.hovertext is not None
             for i, h in zip(t.customdata, t.hovertext)}
    assert all(f"crowd-{i}" in hover for i in range(12))


def test_place_labels_leaves_a_label_that_fits_on_neither_side_to_the_hover():
    placed = place_labels([("wide", 0.5, 0.7), ("left", 0.05, 0.3), ("right", 0.97, 0.3)])
    assert [(k, round(x0, 6), round(x1, 6)) for k, _, x0, x1 in placed] == [("left", 0.05, 0.35), ("right", 0.67, 0.97)]


def test_figure_header_stacks_title_badge_and_legend_with_room_for_wrapped_rows():
    short = figure_header([("BABA", "BABA"), ("denial", "Denial (3)")], synthetic=False)
    assert short.badge_top is None and short.legend_rows == 1
    entries = [("BABA", f"BABA — {SYNTHETIC_LABEL}"), ("9988.HK", f"9988.HK — {SYNTHETIC_LABEL}"),
               ("allegation", "Allegation (3)"), ("denial", "Denial (9)"), ("report", "Report (24)")]
    tall = figure_header(entries, synthetic=True)
    assert tall.badge_top is not None and tall.badge_top < tall.legend_top  # badge under the title, above the legend
    assert tall.legend_rows == legend_rows(entries) >= 2  # two long listing names do not share a row at 768 px
    assert tall.margin_top >= tall.legend_top + tall.legend_rows * 20
    assert legend_rows(entries, width_px=4000) == 1


def test_a_legend_group_stands_its_items_one_above_the_other():
    """plotly.js stacks a legend group's items (a listing and its extended hours) in one column:
    the legend is as many items taller as the group has, not a row wider."""
    single = [("BABA", "BABA"), ("denial", "Denial (3)")]
    grouped = [("BABA", "BABA"), ("BABA", "BABA extended hours"), ("denial", "Denial (3)")]
    assert legend_rows(grouped) == legend_rows(single) == 1
    assert legend_layout(grouped)[1] == legend_layout(single)[1] + 19
    assert figure_header(grouped, False).margin_top == figure_header(single, False).margin_top + 19


def test_label_anchors_keep_a_label_inside_the_plot():
    assert label_anchor(0.5, 0.4) == "center"
    assert label_anchor(0.1, 0.4) == "left" and label_anchor(0.9, 0.4) == "right"
    assert side_anchor(0.2, 0.5) == "left" and side_anchor(0.8, 0.5) == "right" and side_anchor(0.4, 0.5) == "left"


def test_synthetic_badge_sits_under_the_title_not_beside_it(case_fig):
    (badge,) = _annotations(case_fig, "synthetic label")
    assert badge.xanchor == "left" and badge.x == 0 and badge.y > 1  # in the header, left-aligned
    assert SYNTHETIC_LABEL in badge.text
    layout = case_fig.layout
    plot_px = layout.height - layout.margin.t - layout.margin.b
    badge_top = layout.margin.t - (badge.y - 1) * plot_px  # px from the figure's top edge
    title_top, legend_top = (1 - layout.title.y) * layout.height, (1 - layout.legend.y) * layout.height
    assert title_top + 20 <= badge_top and badge_top + 20 <= legend_top  # one line each, top to bottom


def test_first_trade_after_the_report_is_marked_on_each_listing_row(case_fig):
    traces = {t.name: t for t in case_fig.data}
    hk, baba = traces["first trade 9988.HK"], traces["first trade BABA"]
    assert pd.Timestamp(hk.x[0]) == pd.Timestamp("2025-11-17 01:30")  # Monday's HKEX open
    # NYSE was open: at once, in the bar covering 18:02 (the reaction table's first_bar_ts)
    assert pd.Timestamp(baba.x[0]) == pd.Timestamp("2025-11-14 18:02")
    hk_line = next(t for t in case_fig.data if t.legendgroup == "9988.HK" and t.type == "scatter" and t.mode == "lines")
    baba_line = next(t for t in case_fig.data if t.legendgroup == "BABA" and t.type == "scatter" and t.mode == "lines")
    assert hk.yaxis == hk_line.yaxis and baba.yaxis == baba_line.yaxis and hk.yaxis != baba.yaxis
    assert hk.customdata is None and baba.customdata is None  # not events: clicks don't pick them
    (hk_label,) = _annotations(case_fig, "first trade 9988.HK")
    assert "first trade after the FT report" in hk_label.text and "Mon 01:30 UTC (+2d 7h)" in hk_label.text
    (arrow,) = _annotations(case_fig, "wait 9988.HK")
    assert pd.Timestamp(arrow.ax) == pd.Timestamp("2025-11-14 18:02:11")
    assert pd.Timestamp(arrow.x) == pd.Timestamp("2025-11-17 01:30")
    (baba_label,) = _annotations(case_fig, "first trade BABA")
    assert "at once" in baba_label.text
    hk_zone = overlay_figure(build_view(zone="Asia/Hong_Kong"))
    assert pd.Timestamp(next(t for t in hk_zone.data if t.name == "first trade 9988.HK").x[0]) == pd.Timestamp("2025-11-17 09:30")


@pytest.mark.parametrize("interval", ["60m", "1d"])
def test_the_first_trade_label_names_an_instant_after_the_news_on_coarse_bars(case_db, interval):
    """An hourly or daily bar starts before the news (or before the market reopened): the ring
    sits on that bar, but the label says when the first trade could happen, never before the news."""
    from dashboard.screen import DEFAULT_COMPANY, SIDEBAR, build_filters, load_view

    filters, _ = build_filters({"company": DEFAULT_COMPANY, "interval": interval}, SIDEBAR)
    fig = overlay_figure(load_view(case_db, filters))
    (hk_label,) = _annotations(fig, "first trade 9988.HK")
    assert "Mon 01:30 UTC (+2d 7h)" in hk_label.text  # not a daily bar's stamp (Sun 16:00 UTC)
    (baba_label,) = _annotations(fig, "first trade BABA")
    assert "at once" in baba_label.text and "Fri 18:02 UTC" in baba_label.text
    baba = next(t for t in fig.data if t.name == "first trade BABA")
    assert pd.Timestamp(baba.x[0]) < pd.Timestamp("2025-11-14 18:02")  # the ring: on the bar covering it


def test_parity_rows_only_when_asked_and_the_weekend_gap_is_labelled(case_fig):
    assert not [t for t in case_fig.data if t.legendgroup == "parity"]
    view = build_view(parity=True)
    fig = overlay_figure(view)
    parity = {t.name: t for t in fig.data if t.legendgroup == "parity"}
    assert set(parity) == {"BABA (ADR)", "9988.HK-implied parity (× 8 ÷ USD/HKD)", "ADR premium (%)"}
    premium = parity["ADR premium (%)"]
    assert premium.yaxis != parity["BABA (ADR)"].yaxis
    lanes = next(t for t in fig.data if t.legendgroup in STANCE_GROUPS)
    assert int(premium.yaxis[1:]) < int(lanes.yaxis[1:])  # between the listings and the timeline
    # The gap label sits at BABA's last bar before Hong Kong reopened after the report.
    (gap,) = _annotations(fig, "parity gap")
    rows = view.parity[view.parity["ts"] < pd.Timestamp("2025-11-17 01:30", tz="UTC")]
    assert pd.Timestamp(gap.x) == rows["ts"].iloc[-1].tz_localize(None) == pd.Timestamp("2025-11-14 20:59")
    assert gap.y == pytest.approx(rows["premium"].iloc[-1] * 100)
    assert "before 9988.HK reopened (Mon 01:30 UTC)" in gap.text
    # It fits beside its point on the narrowest plot, on two lines when one would run off the edge.
    x = x_fraction(view, rows["ts"].iloc[-1])
    room = 1 - x if gap.xanchor == "left" else x
    lines = gap.text.split("<br>")
    assert max(map(label_width, lines)) + 40 / LABEL_PLOT_WIDTH_PX <= room
    assert len(lines) == 1 or label_width(" ".join(lines)) + 40 / LABEL_PLOT_WIDTH_PX > room


def test_highlighted_event_gets_a_ring_or_an_outlined_band(case_view):
    fig = overlay_figure(case_view, highlight=FT_TWEET)
    (ring,) = [t for t in fig.data if t.name == "selected event"]
    (marker,) = _traces_with_event(fig, FT_TWEET)
    i = _point_of(marker, FT_TWEET)
    assert (pd.Timestamp(ring.x[0]), ring.y[0]) == (pd.Timestamp(marker.x[i]), marker.y[i])
    (line,) = [s for s in fig.layout.shapes if s.name == f"event {FT_TWEET}"]
    assert line.line.width > 2 and line.line.dash == "solid"
    denial = "2025-11-14-alibaba-denial-ft"
    fig = overlay_figure(case_view, highlight=denial)
    (outline,) = [s for s in fig.layout.shapes if s.name == "selected event"]
    (band,) = _traces_with_event(fig, denial)
    assert pd.Timestamp(outline.x0) == pd.Timestamp(band.base[_point_of(band, denial)])


# ---------------------------------------------------------------------------------------------
# A large archive: thousands of events in the window


def _publications(n: int, start: pd.Timestamp, hours: float, seed: int = 7) -> pd.DataFrame:
    """``n`` timed article-publication events spread over ``hours`` from ``start``, with hostile headlines."""
    import numpy as np

    base = events_from_csv().iloc[0]
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame([base] * n).reset_index(drop=True)
    rows["event_id"] = [f"pub-{i}" for i in range(n)]
    rows["kind"], rows["stance"], rows["precision"], rows["source"] = "publication", "", "minute", "Example Wire"
    rows["ts"] = start + pd.to_timedelta(np.sort(rng.uniform(0, hours * 3600, n)), unit="s")
    rows["headline"] = [f"<b>Story</b> {i} & co" for i in range(n)]
    return rows


def _count_traces(fig: go.Figure) -> list:
    return [t for t in fig.data if t.type == "bar" and t.orientation == "v" and t.legendgroup in STANCE_GROUPS]


@pytest.fixture(scope="module")
def crowd_view():
    case = events_from_csv()
    crowd = _publications(5000, pd.Timestamp("2025-11-13", tz="UTC"), 6 * 24)
    return build_view(events=pd.concat([case, crowd], ignore_index=True))


def test_thousands_of_publications_become_counts_under_a_megabyte(crowd_view):
    fig = overlay_figure(crowd_view)
    assert len(fig.to_json()) < 1_000_000
    (counts,) = _count_traces(fig)
    assert counts.legendgroup == "report"
    shown = [int(re.search(r"· ([\d,]+) articles in the", h).group(1).replace(",", "")) for h in counts.hovertext]
    assert sum(shown) == 5000 and len(shown) <= MAX_COUNT_BUCKETS
    # hover gives a few examples, escaped (the headlines carry markup)
    assert "&lt;b&gt;Story&lt;/b&gt;" in counts.hovertext[0] and "<b>Story" not in counts.hovertext[0]
    assert not any(str(c).startswith("pub-") for t in fig.data for c in (t.customdata or ()))
    title = next(a.text for a in fig.layout.annotations if a.name == "title timeline")
    assert "5,000 article publications shown as counts per half hour" in title


def test_curated_events_stay_markers_among_thousands_of_publications(crowd_view):
    fig = overlay_figure(crowd_view)
    curated = crowd_view.events[~crowd_view.events["event_id"].str.startswith("pub-")]
    drawn = {e for t in fig.data for c in (t.customdata or ()) for e in _ids(c)}
    assert drawn == set(curated["event_id"])
    (trace,) = _traces_with_event(fig, FT_TWEET)
    assert trace.mode == "markers"
    assert [s for s in fig.layout.shapes if s.name == f"event {FT_TWEET}"]
    assert not [s for s in fig.layout.shapes if (s.name or "").startswith("event pub-")]
    assert _annotations(fig, f"label {FT_TWEET}")  # the story's label survives the crowd


def test_a_picked_publication_stays_a_ringed_marker_in_the_crowd(crowd_view):
    fig = overlay_figure(crowd_view, highlight="pub-42")
    (marker,) = _traces_with_event(fig, "pub-42")
    (ring,) = [t for t in fig.data if t.name == "selected event"]
    i = _point_of(marker, "pub-42")
    assert (pd.Timestamp(ring.x[0]), ring.y[0]) == (pd.Timestamp(marker.x[i]), marker.y[i])
    shown = sum(int(re.search(r"· ([\d,]+) articles", h).group(1).replace(",", "")) for h in _count_traces(fig)[0].hovertext)
    assert shown == 4999


def test_a_few_publications_are_still_drawn_one_by_one():
    few = _publications(40, pd.Timestamp("2025-11-14 12:00", tz="UTC"), 30)
    fig = overlay_figure(build_view(events=pd.concat([events_from_csv(), few], ignore_index=True)))
    assert not _count_traces(fig)
    drawn = {e for t in fig.data for c in (t.customdata or ()) for e in _ids(c)}
    assert set(few["event_id"]) <= drawn
    assert len([s for s in fig.layout.shapes if (s.name or "").startswith("event pub-")]) == 40


def test_event_lines_are_capped_and_the_chart_says_so():
    events = events_from_csv()
    base = events[events["event_id"] == FT_TWEET].iloc[0]
    many = pd.DataFrame([base] * 2 * (MAX_EVENT_LINES)).reset_index(drop=True)
    many["event_id"] = [f"curated-{i}" for i in range(len(many))]
    many["kind"] = ["report" if i % 2 else "denial" for i in range(len(many))]  # two lanes, each under the budget
    many["stance"] = many["kind"].map({"report": "allegation", "denial": "denial"})
    many["ts"] = base["ts"] + pd.to_timedelta(range(len(many)), unit="min")
    fig = overlay_figure(build_view(events=many), highlight="curated-239")
    lines = [s for s in fig.layout.shapes if (s.name or "").startswith("event ")]
    assert MAX_EVENT_LINES <= len(lines) <= MAX_EVENT_LINES + 1
    assert "event curated-239" in {s.name for s in lines}  # the picked event keeps its line
    assert not _count_traces(fig)  # under the marker budget: every one is a marker
    title = next(a.text for a in fig.layout.annotations if a.name == "title timeline")
    assert f"dotted lines for the {len(lines)} most telling of {len(many)} timed events" in title


def test_a_year_of_closures_sends_only_what_can_be_seen():
    view = build_view(start_day=pd.Timestamp("2025-01-02").date(), end_day=pd.Timestamp("2025-12-30").date(),
                      events=events_from_csv().iloc[0:0], freq="60min")
    fig = overlay_figure(view)
    hk = [s for s in fig.layout.shapes if s.name == "closed 9988.HK"]
    shortest = min(pd.Timestamp(s.x1) - pd.Timestamp(s.x0) for s in hk)
    assert shortest > pd.Timedelta(hours=2)  # lunch breaks (1 h ≈ a tenth of a pixel) are not sent
    assert len(fig.to_json()) < 1_000_000


def test_events_minutes_apart_in_one_lane_stack_a_marker_apart_and_stay_clickable():
    from dashboard.charts import LANE_PX, MARKER_PX

    events = events_from_csv()
    tweet = events[events["event_id"] == FT_TWEET].iloc[0]
    near = [("near-1800", "2025-11-14 18:00"), ("near-1802", "2025-11-14 18:02"), (FT_TWEET, "2025-11-14 18:02:11"),
            ("alone-monday", "2025-11-17 04:08")]
    crowd = pd.DataFrame([dict(tweet, event_id=eid, ts=pd.Timestamp(ts, tz="UTC")) for eid, ts in near])
    fig = overlay_figure(build_view(events=crowd))

    def y_of(event_id):
        [trace] = [t for t in _traces_with_event(fig, event_id) if t.mode == "markers"]
        return trace.y[_point_of(trace, event_id)]

    stacked = sorted(y_of(eid) for eid, _ in near[:3])
    gaps = [b - a for a, b in zip(stacked, stacked[1:])]
    assert all(gap >= MARKER_PX / LANE_PX - 1e-9 for gap in gaps)  # one marker height apart in pixels
    assert y_of("alone-monday") == pytest.approx(sum(stacked) / 3)  # a lone event sits on the lane centre
