"""Plotly figure builders: data in, ``go.Figure`` out (no Streamlit, no database).

The overlay figure puts every listing of a company on one shared time axis, one row each (price,
then volume), shades the hours each exchange is shut, marks the events, and draws the event
timeline as lanes in the bottom row on the same axis. Two exchanges never share one axis with
``rangebreaks`` (plotly #2426/#3064/#3777): closed time is shaded instead, so a weekend stays
visible as a weekend, which is the point of the Friday-evening story.

Article and event text is untrusted. Plotly renders a subset of HTML in hover text and
annotations, so every untrusted string goes through :func:`plain` before it reaches the figure.

- :mod:`.style` — sizes, budgets, themes, safe text, wall-clock times, the modebar config
- :mod:`.events` — event hover text, labels, the key event, crowding into counts
- :mod:`.layout` — ``plan_rows``: which rows the overlay has (per listing, parity, lanes) and where
- :mod:`.rows` — one builder per listing-side row kind: price, volume, ADR parity; first-trade rings
- :mod:`.lanes` — the timeline row: markers, day bands, counts
- :mod:`.overlay` — ``overlay_figure``: the planned rows drawn, then what spans them
- :mod:`.template` — ``inline_template``: the template written into the figure (no second draw)
"""
from dashboard.charts.events import crowded_events, event_short_name, key_event, label_width, place_labels
from dashboard.charts.layout import Row, RowPlan, plan_rows
from dashboard.charts.overlay import overlay_figure
from dashboard.charts.rows import first_trades_after
from dashboard.charts.style import (
                                    LABEL_PLOT_WIDTH_PX,
                                    LANE_PX,
                                    MARKER_PX,
                                    MAX_COUNT_BUCKETS,
                                    MAX_EVENT_LINES,
                                    MAX_LABELS,
                                    THEMES,
                                    Theme,
                                    chart_config,
                                    plain,
                                    wall_time,
)
from dashboard.taxonomy import STANCE_GROUPS, stance_group

__all__ = [
    "crowded_events", "event_short_name", "key_event", "label_width", "place_labels", "overlay_figure",
    "Row", "RowPlan", "plan_rows",
    "first_trades_after", "LABEL_PLOT_WIDTH_PX", "LANE_PX", "MARKER_PX", "MAX_COUNT_BUCKETS", "MAX_EVENT_LINES",
    "MAX_LABELS", "THEMES", "Theme", "chart_config", "plain", "wall_time", "STANCE_GROUPS", "stance_group",
]
