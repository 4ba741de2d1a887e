"""The overlay figure: the rows planned (:mod:`.layout`), each drawn by its builder (price and
volume per listing, ADR parity in :mod:`.rows`, the timeline in :mod:`.lanes`), then what runs
across rows on the one shared time axis: closed hours, event lines and labels, first trades, the
picked event, titles."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import config
from dashboard.charts import sessions
from dashboard.charts.events import (
    by_priority,
    count_bucket,
    crowd_note,
    crowded_events,
    event_short_name,
    key_event,
    label_width,
    place_labels,
)
from dashboard.charts.header import TITLE_TOP_PX, FigureHeader, figure_header, short_company
from dashboard.charts.lanes import add_lanes
from dashboard.charts.layout import LABEL_STRIP_PAD_PX, RowPlan, plan_rows
from dashboard.charts.template import inline_template
from dashboard.charts.rows import (row_title, x_fraction, add_first_trades, add_parity_rows, add_price_row,
                                  add_volume_row)
from dashboard.charts.style import (
    LABEL_GROUPS,
    LABEL_PLOT_WIDTH_PX,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MAX_EVENT_LINES,
    MAX_LABEL_CANDIDATES,
    THEMES,
    Theme,
    axis_key,
    plain,
    wall_time,
)
from dashboard.formatting import ZONE_LABELS, when_label
from dashboard.taxonomy import STANCE_GROUPS, stance_group

if TYPE_CHECKING:  # pragma: no cover
    from dashboard.screen.model import ViewData

Label = tuple[dict, str, int, float, float]  # event, text, level, x0 and x1 as plot fractions


def overlay_figure(view: "ViewData", *, theme: str = "light", height: int | None = None,
                   highlight: str | None = None) -> go.Figure:
    """The main screen's figure: listings on one shared time axis, events marked and labelled,
    the first trade after the key allegation on each listing, optional ADR parity rows, and the
    timeline lanes beneath. ``highlight``: an event id to ring (the row picked in a table)."""
    colors = THEMES.get(theme, THEMES["light"])
    zone = view.zone
    zone_label = ZONE_LABELS.get(zone, zone)
    events = _lane_events(view)
    lanes = [g for g in STANCE_GROUPS if len(events) and (events["group"] == g).any()] or ["context"]
    # Thousands of events (a large archive) are drawn as counts per time bucket, not one by one.
    crowded = crowded_events(events, highlight) if len(events) else pd.Series(dtype=bool)
    counts = count_bucket(view.end - view.start)
    notes: list[str] = [crowd_note(events[crowded], counts[1])] if crowded.any() else []
    single = events[~crowded] if len(events) else events
    parity = view.parity if getattr(view, "parity", None) is not None and len(view.parity) else None
    first_trade_event = _picked_event(events, highlight) or (key_event(single) if len(single) else None)
    # Labels and dotted lines are chosen before the rows are planned: the label strip's height
    # depends on the labels, the timeline title's (a note may wrap) on the lines left out.
    labels = _place_labels(view, single)
    lined = _lined_events(single, highlight, notes)
    timeline_title = _timeline_title(notes, sessions.hours_key(view), sessions.overlap_text(view))
    plan = plan_rows(view.listings, parity=parity is not None, lanes=len(lanes),
                     label_levels=max((lvl for _, _, lvl, _, _ in labels), default=-1) + 1, height=height,
                     timeline_title_lines=timeline_title.count("<br>") + 1)
    fig = make_subplots(rows=len(plan.rows), cols=1, shared_xaxes=True, vertical_spacing=0.0)
    for row in plan.rows:
        fig.layout[axis_key("layout", row.number)].domain = list(row.domain)
    annotations = list(fig.layout.annotations)

    for lv, price_row, volume_row in plan.listing_rows():
        add_price_row(fig, lv, colors, zone, price_row.number, annotations)
        add_volume_row(fig, lv, colors, zone, volume_row.number)
        fig.update_yaxes(title_text=f"{plain(lv.symbol)}<br>{plain(lv.y_unit)}", row=price_row.number, col=1)
    if parity is not None:
        add_parity_rows(fig, view, parity, colors, zone, plan.row("parity").number, plan.row("premium").number,
                        first_trade_event, annotations)
    lane_row = plan.row("lanes").number
    positions = add_lanes(fig, events, crowded, lanes, span=view.end - view.start, count_bucket=counts,
                          colors=colors, zone=zone, zone_label=zone_label, row=lane_row)

    shapes = _trading_hours(view, plan, colors)
    shapes += _event_lines(view, lined, labels, plan, highlight)
    annotations += _label_annotations(view, labels, plan, colors)
    # Where each listing first trades after the key event: the heart of a cross-time-zone story.
    if first_trade_event is not None:
        add_first_trades(fig, view, first_trade_event, colors, zone, plan, annotations)
    shapes += _ring_picked(fig, positions.get(highlight) if highlight else None, lane_row, colors)
    fig.update_layout(shapes=shapes)
    # Title, badge and legend one above the other, with room for the legend's rows when narrow.
    header = figure_header([(t.legendgroup, t.name) for t in fig.data if t.showlegend is not False and t.name],
                           view.synthetic)
    plan = plan.with_margin_top(header.margin_top)
    annotations += _titles(view, plan, header, colors, timeline_title)
    fig.update_layout(annotations=annotations)
    _finish_layout(fig, view, plan, header, colors, zone_label)
    return inline_template(fig)


def _lane_events(view: "ViewData") -> pd.DataFrame:
    """The view's events with UTC times and their stance lane (``group``)."""
    events = view.events.copy() if view.events is not None else pd.DataFrame()
    if len(events):
        events["ts"] = pd.to_datetime(events["ts"], utc=True)
        events["group"] = [stance_group(k, s) for k, s in zip(events["kind"], events.get("stance", [None] * len(events)))]
    return events


def _picked_event(events: pd.DataFrame, highlight: str | None) -> dict | None:
    """The picked event (first trades then follow it, not the key event); a day-precision one
    too, its first trades found by the day rule (``markets.next_tradable_times``)."""
    if not highlight or not len(events) or not (events["event_id"] == highlight).any():
        return None
    return events[events["event_id"] == highlight].iloc[0].to_dict()


def _place_labels(view: "ViewData", single: pd.DataFrame) -> list[Label]:
    """Which timed events get a text label above the rows, and on which level."""
    if not len(single):
        return []
    candidates = by_priority(single[single["group"].isin(LABEL_GROUPS)]).head(MAX_LABEL_CANDIDATES)
    items, texts = [], {}
    for row in candidates.to_dict("records"):
        text = f"{event_short_name(row)} · {when_label(row['ts'], view.zone, row['precision'])}"
        texts[row["event_id"]] = (row, text)
        items.append((row["event_id"], x_fraction(view, row["ts"]), label_width(text)))
    labels = []
    for event_id, level, x0, x1 in place_labels(items):
        row, text = texts[event_id]
        labels.append((row, text, level, x0, x1))
    return labels


def _trading_hours(view: "ViewData", plan: RowPlan, colors: Theme) -> list[dict]:
    """Trading hours: a quiet tint per exchange on its own rows where it is shut (HK lunch
    included), a lighter one in its extended hours; a band where the markets overlap."""
    shapes = []
    min_closed = (view.end - view.start) / LABEL_PLOT_WIDTH_PX
    listing_rows = list(plan.listing_rows())
    for lv, price_row, volume_row in listing_rows:
        shapes += sessions.session_shapes(view, lv, colors, view.zone, volume_row.domain[0], price_row.domain[1],
                                          min_closed)
    if listing_rows:
        top, bottom = listing_rows[0][1].domain[1], listing_rows[-1][2].domain[0]
        shapes += sessions.overlap_shapes(view, colors, view.zone, bottom, top)
    return shapes


def _lined_events(single: pd.DataFrame, highlight: str | None, notes: list[str]) -> pd.DataFrame:
    """The timed events that get a line: past the budget only the most telling (and the picked
    one), and ``notes`` says so."""
    if not len(single):
        return single
    timed_single = by_priority(single)
    lined = timed_single.head(MAX_EVENT_LINES)
    if highlight and highlight in set(timed_single["event_id"]) and highlight not in set(lined["event_id"]):
        lined = pd.concat([lined, timed_single[timed_single["event_id"] == highlight]])
    if len(timed_single) > len(lined):
        notes.append(f"dotted lines for the {len(lined):,} most telling of {len(timed_single):,} timed events")
    return lined


def _timeline_title(notes: list[str], hours_key: str, overlap: str | None) -> str:
    """The timeline's title: what was aggregated or left out comes first, where the eye lands,
    in short lines (several when long) that fit the narrowest figure; else the key to the marks
    and, on a line of its own when extended hours are drawn, to the tints; last, whether the
    listings ever trade at once."""
    if notes:
        title = "<b>Timeline</b> · " + plain("; ".join(notes), width=72)
    else:
        title = "<b>Timeline</b> · markers = timed events · bands = day-only (count) · " + hours_key
    return title + (f"<br>{overlap}" if overlap else "")


def _event_lines(view: "ViewData", lined: pd.DataFrame, labels: list[Label], plan: RowPlan,
                 highlight: str | None) -> list[dict]:
    """Event lines through every row; labelled ones run up into their label."""
    labelled = {row["event_id"] for row, *_ in labels}
    shapes = []
    for row in lined.itertuples():
        selected = row.event_id == highlight
        shapes.append(dict(
            type="line", xref="x", yref="paper", layer="below",
            x0=wall_time(row.ts, view.zone), x1=wall_time(row.ts, view.zone), y0=0,
            y1=1 if row.event_id in labelled else plan.label_strip[0],
            line=dict(color=STANCE_GROUPS[row.group].color, width=2.6 if selected else 1.2,
                      dash="solid" if selected else "dot"),
            opacity=0.9, name=f"event {row.event_id}",
        ))
    return shapes


def _label_annotations(view: "ViewData", labels: list[Label], plan: RowPlan, colors: Theme) -> list:
    """The event labels in the strip above the rows, each on its level, beside its line."""
    strip = plan.label_strip
    pad = plan.px_to_paper(LABEL_STRIP_PAD_PX)
    level_share = (strip[1] - strip[0] - pad) / max(plan.label_levels, 1)
    annotations = []
    for row, text, level, x0, x1 in labels:
        x_frac = x_fraction(view, row["ts"])
        annotations.append(go.layout.Annotation(
            text=plain(text), xref="x", yref="paper", x=wall_time(row["ts"], view.zone),
            y=strip[0] + pad + (level + 0.5) * level_share,
            xanchor="left" if x0 >= x_frac - 1e-9 else "right", yanchor="middle", showarrow=False,
            font=dict(size=11, color=colors.text), bgcolor=colors.label_bg,
            bordercolor=STANCE_GROUPS[row["group"]].color, borderwidth=1, borderpad=2,
            name=f"label {row['event_id']}",
        ))
    return annotations


def _ring_picked(fig: go.Figure, where: tuple | None, lane_row: int, colors: Theme) -> list[dict]:
    """The picked event: a ring on its marker (a trace) or an outline round its day band (a shape)."""
    if where is None:
        return []
    if where[0] == "point":
        fig.add_trace(go.Scatter(
            x=[where[1]], y=[where[2]], mode="markers", name="selected event", showlegend=False,
            marker=dict(symbol="circle-open", size=26, color=colors.highlight, line=dict(width=3, color=colors.highlight)),
            hoverinfo="skip",
        ), row=lane_row, col=1)
        return []
    _, a, b, y, h = where
    return [dict(
        type="rect", xref="x", yref=axis_key("ref", lane_row), x0=a, x1=b, y0=y - h / 2, y1=y + h / 2,
        line=dict(color=colors.highlight, width=3), fillcolor="rgba(0,0,0,0)", name="selected event",
    )]


def _titles(view: "ViewData", plan: RowPlan, header: FigureHeader, colors: Theme, timeline_title: str) -> list:
    """Row titles (left, above each row) instead of centred subplot titles; the synthetic badge
    under the figure's title."""
    annotations = []
    for lv, price_row, _ in plan.listing_rows():
        annotations.append(go.layout.Annotation(
            text=row_title(lv), xref="paper", yref="paper", x=0, y=price_row.domain[1],
            xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=12, color=colors.text),
            name=f"title {lv.symbol}",
        ))
    annotations.append(go.layout.Annotation(
        text=timeline_title,
        xref="paper", yref="paper", x=0, y=plan.row("lanes").domain[1], xanchor="left", yanchor="bottom",
        align="left", showarrow=False, font=dict(size=12, color=colors.text), name="title timeline",
    ))
    if header.badge_top is not None:
        annotations.append(go.layout.Annotation(
            text=f"<b>⚠ {plain(config.SYNTHETIC_LABEL)}</b>", xref="paper", yref="paper",
            x=0, y=1 + (plan.margin_top - header.badge_top) / plan.plot_height, xanchor="left", yanchor="top",
            showarrow=False, font=dict(size=12, color=colors.synthetic_text), bgcolor=colors.synthetic_bg,
            bordercolor=colors.synthetic_text, borderwidth=1, borderpad=3, name="synthetic label",
        ))
    return annotations


def _finish_layout(fig: go.Figure, view: "ViewData", plan: RowPlan, header: FigureHeader, colors: Theme,
                   zone_label: str) -> None:
    """Theme, title, legend, margins and the shared time axis (tick labels under each block)."""
    zone, total_height = view.zone, plan.total_height
    days = f"{view.start_day:%Y-%m-%d} → {view.end_day:%Y-%m-%d}"
    fig.update_layout(
        template=colors.template,
        paper_bgcolor=colors.paper,
        plot_bgcolor=colors.paper,
        font=dict(color=colors.text, size=12),
        title=dict(text=f"{plain(short_company(view.company_name))} — news and prices, {days} ({plain(zone_label)})",
                   x=0, xanchor="left", xref="paper", y=1 - TITLE_TOP_PX / total_height, yanchor="top",
                   font=dict(size=16)),
        height=total_height,
        margin=dict(l=MARGIN_LEFT, r=MARGIN_RIGHT, t=plan.margin_top, b=MARGIN_BOTTOM),
        barmode="overlay",
        bargap=0,
        hovermode="closest",
        dragmode="zoom",
        legend=dict(orientation="h", x=0, xanchor="left", yref="container", y=1 - header.legend_top / total_height,
                    yanchor="top", font=dict(size=12), itemsizing="constant"),
        hoverlabel=dict(align="left"),
        uirevision=f"{view.company_id}-{days}-{zone}",
    )
    fig.update_xaxes(
        type="date", range=[wall_time(view.start, zone), wall_time(view.end, zone)], showspikes=True,
        spikemode="across", spikesnap="cursor", spikethickness=1, spikedash="dot", gridcolor=colors.grid, rangeslider=dict(visible=False),
    )
    for row in plan.rows:  # each listing block, and the parity block, gets its own time labels
        if row.kind in ("volume", "premium"):
            fig.update_xaxes(showticklabels=True, row=row.number, col=1)
    fig.update_xaxes(title_text=f"Time ({zone_label}{'' if zone == 'UTC' else ', ' + zone})",
                     row=plan.row("lanes").number, col=1)
