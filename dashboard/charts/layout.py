"""The overlay figure's row plan: which subplot rows exist, top to bottom, and where each sits.

One price row and one volume row per listing, the ADR parity and premium rows when asked for, the
timeline lanes last. Rows are sized in pixels (then turned into paper fractions) so titles, tick
labels, event labels and lanes keep their room whatever the number of listings. Pure: no figure.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Sequence

from dashboard.charts.style import (
    LABEL_LEVEL_PX,
    LANE_PX,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    PARITY_PX,
    PREMIUM_PX,
    PRICE_PX,
    ROW_TITLE_PX,
    TICKS_PX,
    TITLE_LINE_PX,
    VOLUME_PX,
)

if TYPE_CHECKING:  # pragma: no cover
    from dashboard.screen.model import ListingView

ROW_KINDS = ("price", "volume", "parity", "premium", "lanes")
LABEL_STRIP_PAD_PX = 6  # below the lowest label level, above the first row's title


@dataclass(frozen=True)
class Row:
    """One subplot row: its kind, its listing (price and volume rows), its number (1 = top) and
    its vertical domain in paper fractions."""

    kind: str
    listing: "ListingView | None"
    number: int
    domain: tuple[float, float]


@dataclass(frozen=True)
class RowPlan:
    rows: tuple[Row, ...]
    label_strip: tuple[float, float]  # paper fractions of the event-label strip above the rows
    label_levels: int
    total_height: int  # the figure, margins included (px)
    plot_height: float  # the plot area (px)
    scale: float  # plot px per planned px (1 unless a fixed height squeezes or stretches)
    margin_top: int = MARGIN_TOP  # the header above the plot (title, badge, legend; charts/header.py)
    fixed_height: bool = False

    def row(self, kind: str, listing: "ListingView | None" = None) -> Row:
        """The row of ``kind`` (for ``listing``: price and volume rows are per listing)."""
        for row in self.rows:
            if row.kind == kind and row.listing is listing:
                return row
        raise KeyError(kind)

    def has(self, kind: str) -> bool:
        return any(row.kind == kind for row in self.rows)

    def listing_rows(self) -> list[tuple["ListingView", Row, Row]]:
        """Each listing with its price and volume rows, top to bottom."""
        return [(r.listing, r, self.row("volume", r.listing)) for r in self.rows if r.kind == "price"]

    def px_to_paper(self, px: float) -> float:
        return px * self.scale / self.plot_height

    def with_margin_top(self, margin_top: int) -> "RowPlan":
        """The same rows under a header ``margin_top`` px tall. Domains are shares of the plot
        area, so they stay; the figure grows (or, at a fixed height, the plot shrinks)."""
        plot_px = self.plot_height / self.scale
        total_height = self.total_height if self.fixed_height else int(plot_px + margin_top + MARGIN_BOTTOM)
        plot_height = total_height - margin_top - MARGIN_BOTTOM
        return replace(self, total_height=total_height, plot_height=plot_height, scale=plot_height / plot_px,
                       margin_top=margin_top)


def plan_rows(listings: Sequence["ListingView"], *, parity: bool, lanes: int, label_levels: int,
              height: int | None = None, margin_top: int = MARGIN_TOP, timeline_title_lines: int = 1) -> RowPlan:
    """The rows of the overlay figure and their domains. ``lanes``: timeline lanes drawn;
    ``label_levels``: stacked event-label levels above the rows; ``height``: a fixed figure
    height (None: the planned pixels plus margins); ``margin_top``: the header's height;
    ``timeline_title_lines``: lines of the timeline's title (a long note wraps when narrow)."""
    strip_px = LABEL_LEVEL_PX * label_levels + (LABEL_STRIP_PAD_PX if label_levels else 0)
    blocks: list[tuple[str, float, object]] = [("labels", strip_px, None)]
    for lv in listings:
        blocks += [("title", ROW_TITLE_PX, None), ("price", PRICE_PX, lv), ("gap", 4, None),
                   ("volume", VOLUME_PX, lv), ("ticks", TICKS_PX, None)]
    if parity:
        blocks += [("title", ROW_TITLE_PX, None), ("parity", PARITY_PX, None), ("gap", 14, None),
                   ("premium", PREMIUM_PX, None), ("ticks", TICKS_PX, None)]
    timeline_title_px = ROW_TITLE_PX + TITLE_LINE_PX * max(timeline_title_lines - 1, 0)
    blocks += [("title", timeline_title_px, None), ("lanes", LANE_PX * lanes + 14, None)]
    plot_px = sum(px for _, px, _ in blocks)
    total_height = height or int(plot_px + margin_top + MARGIN_BOTTOM)
    plot_height = total_height - margin_top - MARGIN_BOTTOM
    scale = plot_height / plot_px
    top, strip, rows = 1.0, (1.0, 1.0), []
    for kind, px, listing in blocks:
        share = px * scale / plot_height
        if kind == "labels":
            strip = (top - share, top)
        elif kind in ROW_KINDS:
            rows.append(Row(kind, listing, len(rows) + 1, (max(top - share, 0.0), top)))
        top -= share
    return RowPlan(tuple(rows), strip, label_levels, total_height, plot_height, scale, margin_top, bool(height))
