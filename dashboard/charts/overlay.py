"""The overlay figure: rows planned per listing (price, volume), optional parity rows and the
timeline lanes, all on one shared time axis."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import config
from dashboard.charts.events import (
    _add_counts,
    _band_hover,
    _day_slots,
    _marker_stacks,
    _priority,
    count_bucket,
    crowd_note,
    crowded_events,
    event_hover,
    event_short_name,
    key_event,
    label_width,
    place_labels,
)
from dashboard.charts.header import figure_header, short_company
from dashboard.charts.rows import _add_first_trades, _add_parity_rows, _add_volume, _break_at_closures, _row_title
from dashboard.charts.style import (
    CANDLE_INTERVALS,
    LABEL_GROUPS,
    LABEL_LEVEL_PX,
    LABEL_PLOT_WIDTH_PX,
    LANE_PX,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    MARKER_PX,
    MAX_CANDLES,
    MAX_EVENT_LINES,
    MAX_LABEL_CANDIDATES,
    PARITY_PX,
    PREMIUM_PX,
    PRICE_LINE_WIDTH,
    PRICE_PX,
    ROW_TITLE_PX,
    THEMES,
    TICKS_PX,
    VOLUME_PX,
    _axis,
    compact_times,
    compact_values,
    plain,
    wall_time,
)
from dashboard.formatting import ZONE_LABELS, when_label
from dashboard.taxonomy import LANE_NOUNS, STANCE_GROUPS, stance_group

if TYPE_CHECKING:  # pragma: no cover
    from dashboard.screen.model import ViewData


def overlay_figure(view: "ViewData", *, theme: str = "light", height: int | None = None,
                   highlight: str | None = None) -> go.Figure:
    """The main screen's figure: listings on one shared time axis, events marked and labelled,
    the first trade after the key allegation on each listing, optional ADR parity rows, and the
    timeline lanes beneath. ``highlight``: an event id to ring (the row picked in a table)."""
    colors = THEMES.get(theme, THEMES["light"])
    zone = view.zone
    zone_label = ZONE_LABELS.get(zone, zone)
    listings = list(view.listings)
    events = view.events.copy() if view.events is not None else pd.DataFrame()
    if len(events):
        events["ts"] = pd.to_datetime(events["ts"], utc=True)
        events["group"] = [stance_group(k, s) for k, s in zip(events["kind"], events.get("stance", [None] * len(events)))]
    lanes = [g for g in STANCE_GROUPS if len(events) and (events["group"] == g).any()] or ["context"]
    # Thousands of events (a large archive) are drawn as counts per time bucket, not one by one.
    crowded = crowded_events(events, highlight) if len(events) else pd.Series(dtype=bool)
    count_freq, count_words = count_bucket(view.end - view.start)
    notes: list[str] = []
    if crowded.any():
        notes.append(crowd_note(events[crowded], count_words))
    single = events[~crowded] if len(events) else events
    parity = view.parity if getattr(view, "parity", None) is not None and len(view.parity) else None
    x_start, x_end = wall_time(view.start, zone), wall_time(view.end, zone)
    span_ms = max((x_end - x_start).total_seconds() * 1000, 1.0)

    def x_fraction(ts: pd.Timestamp) -> float:
        return (wall_time(ts, zone) - x_start).total_seconds() * 1000 / span_ms

    # Which timed events get a text label (placed before the layout: the strip's height depends on it).
    key = key_event(single) if len(single) else None
    focus = None
    if highlight and len(events) and (events["event_id"] == highlight).any():
        picked = events[events["event_id"] == highlight].iloc[0].to_dict()
        if picked["precision"] != "day":
            focus = picked  # first trades follow the picked timed event
    first_trade_event = focus or key
    labels: list[tuple[dict, str, int, float, float]] = []
    if len(single):
        candidates = _priority(single[single["group"].isin(LABEL_GROUPS)]).head(MAX_LABEL_CANDIDATES)
        items, texts = [], {}
        for row in candidates.to_dict("records"):
            text = f"{event_short_name(row)} · {when_label(row['ts'], zone, row['precision'])}"
            texts[row["event_id"]] = (row, text)
            items.append((row["event_id"], x_fraction(row["ts"]), label_width(text)))
        for event_id, level, x0, x1 in place_labels(items):
            row, text = texts[event_id]
            labels.append((row, text, level, x0, x1))
    label_levels = max((lvl for _, _, lvl, _, _ in labels), default=-1) + 1
    # Which timed events get a dotted line (decided here: a note about it may lengthen the timeline title).
    lined = single.iloc[:0]
    if len(single):
        timed_single = _priority(single)
        lined = timed_single.head(MAX_EVENT_LINES)
        if highlight and highlight in set(timed_single["event_id"]) and highlight not in set(lined["event_id"]):
            lined = pd.concat([lined, timed_single[timed_single["event_id"] == highlight]])
        if len(timed_single) > len(lined):
            notes.append(f"dotted lines for the {len(lined):,} most telling of {len(timed_single):,} timed events")

    # Subplot rows, top to bottom.
    rows: list[tuple[str, object]] = []
    for lv in listings:
        rows += [("price", lv), ("volume", lv)]
    if parity is not None:
        rows += [("parity", None), ("premium", None)]
    rows.append(("lanes", None))
    n_rows = len(rows)
    row_of = {(kind, id(obj)): i + 1 for i, (kind, obj) in enumerate(rows)}
    lane_row = n_rows
    fig = make_subplots(rows=n_rows, cols=1, shared_xaxes=True, vertical_spacing=0.0)

    # Rows are laid out in pixels (then turned into paper fractions) so titles, tick labels,
    # labels and lanes keep their room whatever the number of listings.
    blocks: list[tuple[str, float]] = [("labels", LABEL_LEVEL_PX * label_levels + (6 if label_levels else 0))]
    for _ in listings:
        blocks += [("title", ROW_TITLE_PX), ("price", PRICE_PX), ("gap", 4), ("volume", VOLUME_PX), ("ticks", TICKS_PX)]
    if parity is not None:
        blocks += [("title", ROW_TITLE_PX), ("parity", PARITY_PX), ("gap", 14), ("premium", PREMIUM_PX), ("ticks", TICKS_PX)]
    timeline_title = "<b>Timeline</b> · markers = timed events · bands = day-only (count) · tint = exchange closed"
    if notes:  # say what was aggregated or left out, first, where the eye lands; short lines fit when narrow
        timeline_title = "<b>Timeline</b> · " + plain("; ".join(notes), width=72)
    title_lines = timeline_title.count("<br>")
    blocks += [("title", ROW_TITLE_PX + 15 * title_lines), ("lanes", LANE_PX * len(lanes) + 14)]
    plot_px = sum(px for _, px in blocks)
    total_height = height or int(plot_px + MARGIN_TOP + MARGIN_BOTTOM)
    plot_height = total_height - MARGIN_TOP - MARGIN_BOTTOM
    scale = plot_height / plot_px
    top, axis_number, strip = 1.0, 1, (1.0, 1.0)
    for kind, px in blocks:
        share = px * scale / plot_height
        if kind == "labels":
            strip = (top - share, top)
        elif kind in ("price", "volume", "parity", "premium", "lanes"):
            fig.layout[_axis("layout", axis_number)].domain = [max(top - share, 0.0), top]
            axis_number += 1
        top -= share
    layout = fig.layout
    shapes: list[dict] = []
    annotations = list(layout.annotations)

    def domain(row: int) -> tuple[float, float]:
        return tuple(layout[_axis("layout", row)].domain)

    for lv in listings:
        price_row, volume_row = row_of[("price", id(lv))], row_of[("volume", id(lv))]
        bars = lv.bars
        name = lv.symbol + (f" — {config.SYNTHETIC_LABEL}" if lv.synthetic else "")
        if len(bars):
            use_candles = lv.interval in CANDLE_INTERVALS and not lv.downsampled and len(bars) <= MAX_CANDLES
            if use_candles:
                fig.add_trace(
                    go.Candlestick(
                        x=wall_time(bars["ts"], zone), open=bars["open"], high=bars["high"], low=bars["low"],
                        close=bars["close"], name=name, legendgroup=lv.symbol,
                        increasing=dict(line=dict(color=colors.price, width=1), fillcolor=colors.paper),
                        decreasing=dict(line=dict(color=colors.price, width=1), fillcolor=colors.price),
                        showlegend=True,
                    ),
                    row=price_row, col=1,
                )
            else:
                x_line, y_line = _break_at_closures(bars, lv)
                fig.add_trace(
                    go.Scatter(
                        x=compact_times(wall_time(x_line, zone)), y=compact_values(y_line), mode="lines", connectgaps=False, name=name, legendgroup=lv.symbol,
                        line=dict(color=colors.price, width=PRICE_LINE_WIDTH),
                        hovertemplate=f"{plain(lv.symbol)} %{{x|%a %Y-%m-%d %H:%M}} ({plain(zone_label)})"
                        f"<br>%{{y:,.2f}} {plain(lv.y_unit)}<extra></extra>",
                    ),
                    row=price_row, col=1,
                )
            _add_volume(fig, lv, colors, zone, volume_row)
        else:
            fig.add_annotation(
                text=f"No stored bars for {plain(lv.symbol)} in this window",
                xref="x domain", yref="y domain", x=0.5, y=0.5, showarrow=False,
                font=dict(color=colors.text), row=price_row, col=1,
            )
            fig.update_yaxes(title_text="vol", showticklabels=False, row=volume_row, col=1)
        fig.update_yaxes(title_text=f"{plain(lv.symbol)}<br>{plain(lv.y_unit)}", row=price_row, col=1)

    if parity is not None:
        _add_parity_rows(fig, view, parity, colors, zone, row_of[("parity", id(None))], row_of[("premium", id(None))],
                         first_trade_event, annotations)

    # Timeline lanes (bottom row): markers for timed events; one band per lane and day for
    # events known only to the day (over that day, never a made-up minute), with a count.
    lane_index = {g: len(lanes) - 1 - k for k, g in enumerate(lanes)}  # first lane on top
    positions: dict[str, tuple] = {}
    if len(events):
        for group in lanes:
            style = STANCE_GROUPS[group]
            in_lane = events[events["group"] == group]
            lane_crowd = in_lane[crowded.loc[in_lane.index]]
            timed = in_lane[(in_lane["precision"] != "day") & ~crowded.loc[in_lane.index]]
            days = in_lane[in_lane["precision"] == "day"]
            label = f"{style.label} ({len(in_lane)})"
            if len(lane_crowd):
                _add_counts(fig, lane_crowd, style, group, lane_index[group], count_freq, count_words, zone,
                            zone_label, lane_row, show_legend=not len(timed) and not len(days), label=label,
                            above_bands=bool(len(days)))
            if len(timed):
                # Events closer together than a marker's width (at the default plot width) stack
                # one marker-height apart, so each stays visible and clickable.
                rank, size = _marker_stacks(timed["ts"], (view.end - view.start) * MARKER_PX / LABEL_PLOT_WIDTH_PX)
                step = min(MARKER_PX / LANE_PX, 0.84 / max(int(size.max()) - 1, 1))
                # With day bands in the lane too, markers ride above them so no count is hidden.
                y_timed = lane_index[group] + (0.24 if len(days) else 0.0) + (rank - (size - 1) / 2) * step
                x_timed = wall_time(timed["ts"], zone)
                for event_id, x, y in zip(timed["event_id"], x_timed, y_timed):
                    positions[event_id] = ("point", x, y)
                fig.add_trace(
                    go.Scatter(
                        x=x_timed, y=y_timed, mode="markers", name=label, legendgroup=group,
                        marker=dict(color=style.color, symbol=style.symbol, size=MARKER_PX,
                                    line=dict(color=colors.paper, width=1.2)),
                        customdata=timed["event_id"].tolist(),
                        hovertext=[event_hover(r) for r in timed.to_dict("records")],
                        hoverinfo="text",
                    ),
                    row=lane_row, col=1,
                )
            if len(days):
                bands = [(start, frame.sort_values("ts", kind="stable")) for start, frame in days.groupby("ts", sort=True)]
                starts = pd.Series([b[0] for b in bands])
                ends = starts + pd.Timedelta(days=1)
                slots = _day_slots(starts, ends)
                n_slots = max(slots) + 1
                room, centre = (0.56, -0.12) if len(timed) else (0.78, 0.0)
                step = min(room / n_slots, 0.36)
                offsets = [centre + (s - (n_slots - 1) / 2) * step for s in slots]
                x0, x1 = wall_time(starts, zone), wall_time(ends, zone)
                singular, plural = LANE_NOUNS[group]
                texts = [f"{len(f)} {singular if len(f) == 1 else plural}" for _, f in bands]
                ids = [f["event_id"].tolist() for _, f in bands]
                for band_ids, a, b, o in zip(ids, x0, x1, offsets):
                    for event_id in band_ids:
                        positions[event_id] = ("band", a, b, lane_index[group] + o, step * 0.8)
                fig.add_trace(
                    go.Bar(
                        base=x0.tolist(), x=((x1 - x0).dt.total_seconds() * 1000).tolist(),
                        y=[lane_index[group] + o for o in offsets], orientation="h",
                        width=step * 0.8, name=label if not len(timed) else f"{style.label} (day)",
                        legendgroup=group, showlegend=not len(timed),
                        marker=dict(color=style.color, opacity=0.32, line=dict(color=style.color, width=1)),
                        text=texts, textposition="inside", insidetextanchor="middle", constraintext="none",
                        textfont=dict(size=11, color=colors.text), cliponaxis=True,
                        customdata=ids,
                        hovertext=[_band_hover(group, s, f["ts_zone"].iloc[0] if "ts_zone" in f else "UTC", f)
                                   for s, (_, f) in zip(starts, bands)],
                        hoverinfo="text",
                    ),
                    row=lane_row, col=1,
                )
    fig.update_yaxes(
        tickmode="array", tickvals=[lane_index[g] for g in lanes],
        ticktext=[STANCE_GROUPS[g].label for g in lanes], range=[-0.6, len(lanes) - 0.4],
        fixedrange=True, showgrid=True, gridcolor=colors.grid, row=lane_row, col=1,
    )

    # Closed market hours: a quiet tint per exchange on its own rows (HK lunch included).
    min_closed = (view.end - view.start) / LABEL_PLOT_WIDTH_PX
    for lv in listings:
        y0, y1 = domain(row_of[("volume", id(lv))])[0], domain(row_of[("price", id(lv))])[1]
        for start, end in zip(lv.closed["start"], lv.closed["end"]):
            # A closure narrower than a pixel cannot be seen (the lunch breaks of a year): not sent.
            if end <= view.start or start >= view.end or end - start < min_closed:
                continue
            shapes.append(dict(
                type="rect", xref="x", yref="paper", layer="below", line=dict(width=0),
                x0=wall_time(max(start, view.start), zone), x1=wall_time(min(end, view.end), zone),
                y0=round(y0, 5), y1=round(y1, 5), fillcolor=colors.closed, name=f"closed {lv.symbol}",
            ))

    # Event lines through every row; labelled ones run up into their label.
    labelled = {row["event_id"] for row, *_ in labels}
    plot_top = strip[0]
    if len(single):
        for row in lined.itertuples():
            selected = row.event_id == highlight
            shapes.append(dict(
                type="line", xref="x", yref="paper", layer="below",
                x0=wall_time(row.ts, zone), x1=wall_time(row.ts, zone), y0=0,
                y1=1 if row.event_id in labelled else plot_top,
                line=dict(color=STANCE_GROUPS[row.group].color, width=2.6 if selected else 1.2,
                          dash="solid" if selected else "dot"),
                opacity=0.9, name=f"event {row.event_id}",
            ))
    level_share = (strip[1] - strip[0] - 6 * scale / plot_height) / max(label_levels, 1)
    for row, text, level, x0, x1 in labels:
        x_frac = x_fraction(row["ts"])
        annotations.append(go.layout.Annotation(
            text=plain(text), xref="x", yref="paper", x=wall_time(row["ts"], zone),
            y=strip[0] + 6 * scale / plot_height + (level + 0.5) * level_share,
            xanchor="left" if x0 >= x_frac - 1e-9 else "right", yanchor="middle", showarrow=False,
            font=dict(size=11, color=colors.text), bgcolor=colors.label_bg,
            bordercolor=STANCE_GROUPS[row["group"]].color, borderwidth=1, borderpad=2,
            name=f"label {row['event_id']}",
        ))

    # Where each listing first trades after the key event: the heart of a cross-time-zone story.
    if first_trade_event is not None:
        _add_first_trades(fig, view, first_trade_event, colors, zone, row_of, annotations)

    # The picked event: a ring on its marker or an outline round its day band.
    if highlight and highlight in positions:
        where = positions[highlight]
        if where[0] == "point":
            fig.add_trace(go.Scatter(
                x=[where[1]], y=[where[2]], mode="markers", name="selected event", showlegend=False,
                marker=dict(symbol="circle-open", size=26, color=colors.highlight, line=dict(width=3, color=colors.highlight)),
                hoverinfo="skip",
            ), row=lane_row, col=1)
        else:
            _, a, b, y, h = where
            shapes.append(dict(
                type="rect", xref="x", yref=_axis("ref", lane_row), x0=a, x1=b, y0=y - h / 2, y1=y + h / 2,
                line=dict(color=colors.highlight, width=3), fillcolor="rgba(0,0,0,0)", name="selected event",
            ))
    fig.update_layout(shapes=shapes)

    # Row titles (left, above each row) instead of centred subplot titles.
    for lv in listings:
        annotations.append(go.layout.Annotation(
            text=_row_title(lv), xref="paper", yref="paper", x=0, y=domain(row_of[("price", id(lv))])[1],
            xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=12, color=colors.text),
            name=f"title {lv.symbol}",
        ))
    annotations.append(go.layout.Annotation(
        text=timeline_title,
        xref="paper", yref="paper", x=0, y=domain(lane_row)[1], xanchor="left", yanchor="bottom",
        showarrow=False, font=dict(size=12, color=colors.text), name="title timeline",
    ))
    # Title, badge and legend one above the other, with room for the legend's rows when narrow.
    header = figure_header([t.name for t in fig.data if t.showlegend is not False and t.name], view.synthetic)
    total_height = height or int(plot_px + header.margin_top + MARGIN_BOTTOM)
    plot_height = total_height - header.margin_top - MARGIN_BOTTOM
    if header.badge_top is not None:
        annotations.append(go.layout.Annotation(
            text=f"<b>⚠ {plain(config.SYNTHETIC_LABEL)}</b>", xref="paper", yref="paper",
            x=0, y=1 + (header.margin_top - header.badge_top) / plot_height, xanchor="left", yanchor="top",
            showarrow=False,
            font=dict(size=12, color=colors.synthetic_text), bgcolor=colors.synthetic_bg,
            bordercolor=colors.synthetic_text, borderwidth=1, borderpad=3, name="synthetic label",
        ))
    fig.update_layout(annotations=annotations)

    days = f"{view.start_day:%Y-%m-%d} → {view.end_day:%Y-%m-%d}"
    fig.update_layout(
        template=colors.template,
        paper_bgcolor=colors.paper,
        plot_bgcolor=colors.paper,
        font=dict(color=colors.text, size=12),
        title=dict(text=f"{plain(short_company(view.company_name))} — news and prices, {days} ({plain(zone_label)})",
                   x=0, xanchor="left", xref="paper", y=1 - 8 / total_height, yanchor="top",
                   font=dict(size=16)),
        height=total_height,
        margin=dict(l=MARGIN_LEFT, r=MARGIN_RIGHT, t=header.margin_top, b=MARGIN_BOTTOM),
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
        type="date", range=[x_start, x_end], showspikes=True, spikemode="across", spikesnap="cursor",
        spikethickness=1, spikedash="dot", gridcolor=colors.grid, rangeslider=dict(visible=False),
    )
    for lv in listings:  # each listing block gets its own time labels
        fig.update_xaxes(showticklabels=True, row=row_of[("volume", id(lv))], col=1)
    if parity is not None:
        fig.update_xaxes(showticklabels=True, row=row_of[("premium", id(None))], col=1)
    fig.update_xaxes(title_text=f"Time ({zone_label}{'' if zone == 'UTC' else ', ' + zone})", row=lane_row, col=1)
    return fig
