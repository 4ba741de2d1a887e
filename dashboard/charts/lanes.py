"""The timeline row: one lane per stance group, markers for timed events, one band per lane and
day for events known only to the day (over that day, never a made-up minute), counts per time
bucket for a crowd."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.events import add_counts, band_hover, day_slots, marker_stacks, event_hover
from dashboard.charts.style import LABEL_PLOT_WIDTH_PX, LANE_PX, MARKER_PX, Theme, wall_time
from dashboard.taxonomy import LANE_NOUNS, STANCE_GROUPS


def lane_index(lanes: list[str]) -> dict[str, int]:
    """Each lane's y position: the first lane on top."""
    return {g: len(lanes) - 1 - k for k, g in enumerate(lanes)}


def add_lanes(fig: go.Figure, events: pd.DataFrame, crowded: pd.Series, lanes: list[str], *, span: pd.Timedelta,
              count_bucket: tuple[str, str], colors: Theme, zone: str, zone_label: str, row: int) -> dict[str, tuple]:
    """Draw the lanes on ``row``; return where each drawn event sits (for the picked-event ring):
    ``("point", x, y)`` or ``("band", x0, x1, y, height)``."""
    index = lane_index(lanes)
    count_freq, count_words = count_bucket
    positions: dict[str, tuple] = {}
    for group in lanes if len(events) else ():
        style = STANCE_GROUPS[group]
        in_lane = events[events["group"] == group]
        lane_crowd = in_lane[crowded.loc[in_lane.index]]
        timed = in_lane[(in_lane["precision"] != "day") & ~crowded.loc[in_lane.index]]
        days = in_lane[in_lane["precision"] == "day"]
        label = f"{style.label} ({len(in_lane)})"
        if len(lane_crowd):
            add_counts(fig, lane_crowd, style, group, index[group], count_freq, count_words, zone,
                        zone_label, row, show_legend=not len(timed) and not len(days), label=label,
                        above_bands=bool(len(days)))
        if len(timed):
            positions.update(_add_markers(fig, timed, group, index[group], label, span, colors, zone, row,
                                          above_bands=bool(len(days))))
        if len(days):
            positions.update(_add_day_bands(fig, days, group, index[group], label, colors, zone, row,
                                            with_markers=bool(len(timed))))
    fig.update_yaxes(
        tickmode="array", tickvals=[index[g] for g in lanes],
        ticktext=[STANCE_GROUPS[g].label for g in lanes], range=[-0.6, len(lanes) - 0.4],
        fixedrange=True, showgrid=True, gridcolor=colors.grid, row=row, col=1,
    )
    return positions


def _add_markers(fig, timed: pd.DataFrame, group: str, lane_y: int, label: str, span: pd.Timedelta, colors: Theme,
                 zone: str, row: int, *, above_bands: bool) -> dict[str, tuple]:
    """One marker per timed event. Events closer together than a marker's width (at the default
    plot width) stack one marker-height apart, so each stays visible and clickable."""
    style = STANCE_GROUPS[group]
    rank, size = marker_stacks(timed["ts"], span * MARKER_PX / LABEL_PLOT_WIDTH_PX)
    step = min(MARKER_PX / LANE_PX, 0.84 / max(int(size.max()) - 1, 1))
    # With day bands in the lane too, markers ride above them so no count is hidden.
    y_timed = lane_y + (0.24 if above_bands else 0.0) + (rank - (size - 1) / 2) * step
    x_timed = wall_time(timed["ts"], zone)
    positions = {event_id: ("point", x, y) for event_id, x, y in zip(timed["event_id"], x_timed, y_timed)}
    fig.add_trace(
        go.Scatter(
            x=x_timed, y=y_timed, mode="markers", name=label, legendgroup=group,
            marker=dict(color=style.color, symbol=style.symbol, size=MARKER_PX,
                        line=dict(color=colors.paper, width=1.2)),
            customdata=timed["event_id"].tolist(),
            hovertext=[event_hover(r) for r in timed.to_dict("records")],
            hoverinfo="text",
        ),
        row=row, col=1,
    )
    return positions


def _add_day_bands(fig, days: pd.DataFrame, group: str, lane_y: int, label: str, colors: Theme, zone: str, row: int,
                   *, with_markers: bool) -> dict[str, tuple]:
    """One band per day with the count of day-only events in it; overlapping days take slots."""
    style = STANCE_GROUPS[group]
    bands = [(start, frame.sort_values("ts", kind="stable")) for start, frame in days.groupby("ts", sort=True)]
    starts = pd.Series([b[0] for b in bands])
    ends = starts + pd.Timedelta(days=1)
    slots = day_slots(starts, ends)
    n_slots = max(slots) + 1
    room, centre = (0.56, -0.12) if with_markers else (0.78, 0.0)
    step = min(room / n_slots, 0.36)
    offsets = [centre + (s - (n_slots - 1) / 2) * step for s in slots]
    x0, x1 = wall_time(starts, zone), wall_time(ends, zone)
    singular, plural = LANE_NOUNS[group]
    texts = [f"{len(f)} {singular if len(f) == 1 else plural}" for _, f in bands]
    ids = [f["event_id"].tolist() for _, f in bands]
    positions = {}
    for band_ids, a, b, o in zip(ids, x0, x1, offsets):
        for event_id in band_ids:
            positions[event_id] = ("band", a, b, lane_y + o, step * 0.8)
    fig.add_trace(
        go.Bar(
            base=x0.tolist(), x=((x1 - x0).dt.total_seconds() * 1000).tolist(),
            y=[lane_y + o for o in offsets], orientation="h",
            width=step * 0.8, name=label if not with_markers else f"{style.label} (day)",
            legendgroup=group, showlegend=not with_markers,
            marker=dict(color=style.color, opacity=0.32, line=dict(color=style.color, width=1)),
            text=texts, textposition="inside", insidetextanchor="middle", constraintext="none",
            textfont=dict(size=11, color=colors.text), cliponaxis=True,
            customdata=ids,
            hovertext=[band_hover(group, s, f["ts_zone"].iloc[0] if "ts_zone" in f else "UTC", f)
                       for s, (_, f) in zip(starts, bands)],
            hoverinfo="text",
        ),
        row=row, col=1,
    )
    return positions
