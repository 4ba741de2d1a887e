"""The chart's JSON as the app sends it, per view: at most 1 MB (issue 28).

Every rerun that changes the chart sends its figure to the browser, which parses and redraws all
of it; the page's speed against the Streamlit floor (docs/benchmarks.md, "page") depends on it
staying small. Measured as Streamlit serialises it (``plotly.io.to_json`` of the figure's dict),
on the bundled window and on a large one: the whole month at 1-minute bars with ADR parity, every
event and article (the per-listing point budget of ``screen.downsample_bars`` holds it).
"""
from __future__ import annotations

import datetime as dt

import plotly.io as pio
import pytest

from dashboard import charts, screen

FIGURE_JSON_BUDGET = 1_000_000  # bytes
MONTH = {"start": dt.date(2025, 11, 1), "end": dt.date(2025, 11, 30), "interval": "1m"}
VIEWS = {
    "default": {},
    "parity": {"parity": True},
    "usd": {"price_mode": "usd", "parity": True},
    "month-1m-parity": {**MONTH, "parity": True},
    "month-1m-pct-hk-zone": {**MONTH, "price_mode": "pct", "zone": "Asia/Hong_Kong"},
}


def figure_json_bytes(fig) -> int:
    return len(pio.to_json(fig.to_dict(), validate=False).encode("utf-8"))


@pytest.mark.parametrize("name", list(VIEWS))
def test_the_figure_sent_for_each_view_stays_under_1_mb(rich_db, name):
    view = screen.load_view(rich_db, screen.Filters(**VIEWS[name]), max_articles=screen.MAX_TABLE_ROWS)
    assert view.has_bars and len(view.events)
    size = figure_json_bytes(charts.overlay_figure(view))
    print(f"{name}: {size / 1e6:.3f} MB")  # the numbers in docs/benchmarks.md
    assert size <= FIGURE_JSON_BUDGET, f"{name}: the figure's JSON is {size / 1e6:.2f} MB"
