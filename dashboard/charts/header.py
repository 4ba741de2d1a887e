"""The figure's header (title, synthetic badge, legend) and label anchoring, planned for the
narrowest supported figure so nothing overlaps or is cut at any wider one.

The figure is built on the server, which does not know how wide the browser will draw it.
Labels keep their size in pixels while positions are fractions of the plot width, so a layout
free of overlap and clipping at the narrowest supported width stays free of them at every wider
width (gaps only grow). docs/app.md lists the supported window sizes.
"""
from __future__ import annotations

from dataclasses import dataclass

from dashboard.charts.style import LABEL_PLOT_WIDTH_PX

# Pixels from the figure's top edge: the title line, then the synthetic badge line (when there
# is one), then the legend. The legend is planned as plotly.js lays out a horizontal legend of
# groups (legend/draw.js, computeLegendDimensions; measured in Chromium at a 12 px font): a
# group's items stand one above the other, 19 px each; groups flow left to right and wrap at the
# plot's width (the legend's _maxWidth); a row is as tall as its tallest group; rows are 10 px
# apart and the legend has 10 px of padding. Under it, the foot: Plotly adds to the legend's
# reserved room whatever an axis pushes above the plot (a top tick label, up to 19 px), so a
# margin short of legend + 20 px is widened by Plotly, which lays the figure out a second time and
# pushes the plot (and the badge, placed in plot-relative units) down.
TITLE_TOP_PX, BADGE_TOP_PX, LINE_PX = 8, 34, 26
LEGEND_ITEM_ROW_PX, LEGEND_ROW_GAP_PX, LEGEND_PAD_PX, LEGEND_FOOT_PX = 19, 10, 10, 20
TITLE_MAX_CHARS = 30  # of the company name in the title
# A horizontal legend item: symbol and gaps, plus its text (12 px font, generous average).
LEGEND_ITEM_PX, LEGEND_CHAR_PX = 56, 6.4
LEGEND_WIDTH_PX = LABEL_PLOT_WIDTH_PX  # plotly.js wraps a horizontal legend at the plot's width


@dataclass(frozen=True)
class FigureHeader:
    badge_top: int | None  # px from the figure's top; None without synthetic data
    legend_top: int
    legend_rows: int
    margin_top: int


def _groups(entries: list[tuple[str, str]]) -> list[list[str]]:
    """Legend entries ``(group, name)`` gathered by group, in the order groups first appear."""
    groups: dict[str, list[str]] = {}
    for group, name in entries:
        groups.setdefault(group or name, []).append(name)
    return list(groups.values())


def legend_layout(entries: list[tuple[str, str]], width_px: float = LEGEND_WIDTH_PX) -> tuple[int, int]:
    """(rows, height in px) of a horizontal legend of ``entries`` — ``(legend group, name)`` —
    wrapped at ``width_px`` (item widths estimated generously)."""
    row_heights, used = [], 0.0
    for names in _groups(entries):
        width = LEGEND_ITEM_PX + max(len(n) for n in names) * LEGEND_CHAR_PX
        if not row_heights or (used and used + width > width_px):
            row_heights.append(0)
            used = 0.0
        row_heights[-1] = max(row_heights[-1], len(names) * LEGEND_ITEM_ROW_PX)
        used += width
    if not row_heights:
        return 0, 0
    return len(row_heights), sum(row_heights) + (len(row_heights) - 1) * LEGEND_ROW_GAP_PX + LEGEND_PAD_PX


def legend_rows(entries: list[tuple[str, str]], width_px: float = LEGEND_WIDTH_PX) -> int:
    """Rows a horizontal legend of ``entries`` wraps into at ``width_px``."""
    return legend_layout(entries, width_px)[0]


def figure_header(legend_entries: list[tuple[str, str]], synthetic: bool) -> FigureHeader:
    """Title, badge and legend stacked line by line (never side by side, which collides when
    narrow), with room for the legend as the narrowest figure lays it out. ``legend_entries``:
    ``(legend group, name)`` of each trace shown in the legend, in trace order."""
    badge_top = BADGE_TOP_PX if synthetic else None
    legend_top = (BADGE_TOP_PX + LINE_PX) if synthetic else BADGE_TOP_PX
    rows, height = legend_layout(legend_entries)
    return FigureHeader(badge_top, legend_top, rows, legend_top + height + LEGEND_FOOT_PX)


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
