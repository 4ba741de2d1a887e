"""Our figures are laid out once: the margins they ask for already hold what Plotly draws beside
the plot (axis labels and titles, the legend), so Plotly's automargin never widens one.

Why a user cares: a margin Plotly must widen makes it lay the whole figure out a second time —
about 40 ms more for every draw of the overlay, on each load and rerun (docs/benchmarks.md, issue
28 part 5) — and pushes the plot, and the labels placed in plot-relative units, off their plan.
Checked in Chromium at the narrowest supported figure and at a common one, in two fonts.
"""
from __future__ import annotations

import json

import pandas as pd
import plotly.io as pio
import pytest

from browser_helpers import plotly_page
from conftest import build_view
from dashboard.charts import overlay as overlay_module
from dashboard.charts import study as study_module
from dashboard.charts.style import NARROWEST_FIGURE_PX

pytestmark = pytest.mark.browser

WIDTHS = (NARROWEST_FIGURE_PX, 1280)

# The margins plotly.js asked for and the ones it laid the plot out with.
MARGINS_JS = """async (fig) => {
  const g = document.getElementById('g'); Plotly.purge(g);
  await Plotly.newPlot(g, fig.data, fig.layout, {});
  const L = g._fullLayout, s = L._size, m = L.margin;
  return {asked: [m.l, m.r, m.t, m.b], drawn: [s.l, s.r, s.t, s.b]};
}"""


def study(event: bool):
    paths = pd.DataFrame({"symbol": ["BABA"] * 3 + ["9988.HK"] * 3, "minutes": [0.0, 30.0, 60.0] * 2,
                          "n_events": 4, "caar": [0.0, -0.02, -0.03, 0.0, 0.01, 0.012],
                          "low": [0.0, -0.03, -0.04, 0.0, 0.0, 0.002], "high": [0.0, -0.01, -0.02, 0.0, 0.02, 0.022]})
    one = None
    if event:
        one = pd.DataFrame({"symbol": ["BABA"] * 3 + ["9988.HK"] * 3, "minutes": [0.0, 30.0, 60.0] * 2,
                            "car": [0.0, -0.04, -0.05, 0.0, 0.02, 0.03], "se": 0.01})
    return study_module.caar_figure(paths, synthetic=True, event_path=one,
                                    event_label="FT: White House memo alleges military ties")


def bundled(db, mode: str, **values):
    from dashboard.screen import DEFAULT_COMPANY, SIDEBAR, build_filters, load_view

    filters, unusable = build_filters({"company": DEFAULT_COMPANY, "price_mode": mode, **values}, SIDEBAR)
    assert not unusable
    return overlay_module.overlay_figure(load_view(db, filters))


FIGURES = {
    "overlay, UTC": lambda: overlay_module.overlay_figure(build_view(), theme="light"),
    "overlay, dark, parity, New York": lambda: overlay_module.overlay_figure(
        build_view(zone="America/New_York", parity=True), theme="dark"),
    "overlay, Hong Kong, one day": lambda: overlay_module.overlay_figure(
        build_view(zone="Asia/Hong_Kong", start_day=pd.Timestamp("2025-11-17").date(),
                   end_day=pd.Timestamp("2025-11-17").date())),
    # the bundled store through the app's own loader, in each way of showing prices
    "bundled, price": lambda db: bundled(db, "price"),
    "bundled, % change (a top tick label overhangs the plot)": lambda db: bundled(db, "pct"),
    "bundled, USD per ADS, parity, Hong Kong": lambda db: bundled(db, "usd", parity=True, zone="Asia/Hong_Kong"),
    "study": lambda: study(event=False),
    "study with one event's path": lambda: study(event=True),
}


@pytest.fixture(scope="module")
def plot_page(browser):
    with plotly_page(browser, width=1950) as page:
        yield page


def margins(page, fig, width: int, font: str | None = None) -> dict:
    spec = json.loads(pio.to_json(fig, validate=False))
    spec["layout"]["width"] = width
    if font:
        spec["layout"].setdefault("font", {})["family"] = font
    return page.evaluate(MARGINS_JS, spec)


# The template's font list ("Open Sans", verdana, arial: Liberation Sans here, with Arial's
# metrics), and the wider DejaVu Sans (Verdana-like), which a system without those falls back to.
FONTS = (None, "DejaVu Sans")


@pytest.mark.parametrize("name", list(FIGURES))
def test_plotly_widens_no_margin_of_our_figures(plot_page, case_db, name):
    build = FIGURES[name]
    fig = build(case_db) if name.startswith("bundled") else build()
    for font in FONTS:
        for width in WIDTHS:
            got = margins(plot_page, fig, width, font)
            assert got["drawn"] == got["asked"], \
                f"{name} at {width} px, font {font or 'the template’s'}: Plotly widened the margins (l, r, t, b)"


def test_a_margin_too_small_is_widened(plot_page):
    """The control: the same figure with the left margin it had before is laid out again wider."""
    fig = FIGURES["overlay, UTC"]()
    fig.update_layout(margin_l=60)
    got = margins(plot_page, fig, 1280)
    assert got["drawn"][0] > got["asked"][0] == 60
