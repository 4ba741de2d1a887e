"""The figure's header (title, synthetic badge, legend) and label anchoring, planned for the
narrowest supported figure so nothing overlaps or is cut at any wider one.

The figure is built on the server, which does not know how wide the browser will draw it.
Labels keep their size in pixels while positions are fractions of the plot width, so a layout
free of overlap and clipping at the narrowest supported width stays free of them at every wider
width (gaps only grow). docs/app.md lists the supported window sizes.
"""
from __future__ import annotations

from dataclasses import dataclass

from dashboard.charts.style import LABEL_PLOT_WIDTH_PX, MARGIN_RIGHT

# Pixels from the figure's top edge: the title line, then the synthetic badge line (when there
# is one), then the legend's rows. A row is planned at 30 px and the legend's foot at 14 px, as
# Plotly draws them (measured in Chromium: 12 px items, 10 px between legend groups, 12 px kept
# under the legend). Too little and Plotly pushes the plot down to fit the legend, and the badge
# (placed in plot-relative units) slides down onto the legend with it.
TITLE_TOP_PX, BADGE_TOP_PX, LINE_PX, LEGEND_ROW_PX, LEGEND_FOOT_PX = 8, 34, 26, 30, 14
TITLE_MAX_CHARS = 30  # of the company name in the title
# A horizontal legend item: symbol and gaps, plus its text (12 px font, generous average).
LEGEND_ITEM_PX, LEGEND_CHAR_PX = 56, 6.4
LEGEND_WIDTH_PX = LABEL_PLOT_WIDTH_PX + MARGIN_RIGHT  # from the plot's left edge to the figure's right


@dataclass(frozen=True)
class FigureHeader:
    badge_top: int | None  # px from the figure's top; None without synthetic data
    legend_top: int
    legend_rows: int
    margin_top: int


def legend_rows(names: list[str], width_px: float = LEGEND_WIDTH_PX) -> int:
    """Rows a horizontal legend of ``names`` wraps into at ``width_px`` (estimated, generously)."""
    rows, used = 1, 0.0
    for name in names:
        item = LEGEND_ITEM_PX + len(name) * LEGEND_CHAR_PX
        if used and used + item > width_px:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def figure_header(legend_names: list[str], synthetic: bool) -> FigureHeader:
    """Title, badge and legend stacked line by line (never side by side, which collides when
    narrow), with room for as many legend rows as the narrowest figure needs."""
    badge_top = BADGE_TOP_PX if synthetic else None
    legend_top = (BADGE_TOP_PX + LINE_PX) if synthetic else BADGE_TOP_PX
    rows = legend_rows(legend_names) if legend_names else 0
    return FigureHeader(badge_top, legend_top, rows, legend_top + rows * LEGEND_ROW_PX + LEGEND_FOOT_PX)


def short_company(name: str, limit: int = TITLE_MAX_CHARS) -> str:
    value = " ".join(str(name or "").split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def label_anchor(x: float, width: float) -> str:
    """'left', 'center' or 'right': how to anchor a label of ``width`` (fraction of the narrowest
    plot width) at ``x`` (fraction of the plot width) so it stays inside the plot."""
    if width / 2 <= x <= 1 - width / 2:
        return "center"
    return "left" if x < 0.5 else "right"


def side_anchor(x: float, width: float) -> str:
    """'left' or 'right' for a label beside a point at ``x``: towards the side it fits on."""
    return "left" if x + width <= 1 or x < 0.5 else "right"
