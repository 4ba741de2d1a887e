"""Our figures carry no Plotly template: its values are written into the figure
(``dashboard.charts.template``), so ``st.plotly_chart``'s second draw — ``Plotly.react`` with a
deep copy after mounting — finds nothing changed instead of redrawing the whole chart.

The figure must still look exactly as the templated one: plotly.js in Chromium resolves both, and
their full layouts and traces must be equal.
"""
from __future__ import annotations

import json
import math

import plotly.io as pio
import pytest

from browser_helpers import plotly_page
from conftest import build_view
from dashboard.charts import overlay as overlay_module
from dashboard.charts import study as study_module
from dashboard.charts.template import inline_template

pytestmark = pytest.mark.browser

# Differ by design: the template itself, our content revision, and plotly.js's random trace ids.
IGNORED = {"template", "datarevision", "uid", "_dataTemplate"}


def templated_and_inlined(build):
    """The figure as built (template kept) and as our builders return it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(overlay_module, "inline_template", lambda fig: fig)
        patch.setattr(study_module, "inline_template", lambda fig: fig)
        templated = build()
    return templated, inline_template(templated)


def study_figure(theme: str):
    import pandas as pd

    paths = pd.DataFrame({"symbol": ["BABA"] * 3 + ["9988.HK"] * 3, "minutes": [0.0, 30.0, 60.0] * 2,
                          "n_events": 4, "caar": [0.0, -0.02, -0.03, 0.0, 0.01, 0.012],
                          "low": [0.0, -0.03, -0.04, 0.0, 0.0, 0.002], "high": [0.0, -0.01, -0.02, 0.0, 0.02, 0.022]})
    return study_module.caar_figure(paths, synthetic=True, theme=theme)


FIGURES = {
    "overlay light": lambda: overlay_module.overlay_figure(build_view(), theme="light"),
    "overlay dark, parity, New York": lambda: overlay_module.overlay_figure(
        build_view(zone="America/New_York", parity=True), theme="dark"),
    "event study": lambda: study_figure("light"),
}

RESOLVE_JS = """async (fig) => {
  const g = document.getElementById('g'); Plotly.purge(g);
  await Plotly.newPlot(g, fig.data, fig.layout, {});
  const plain = (o, depth) => {
    if (depth > 8 || o === null || typeof o !== 'object') return typeof o === 'function' ? undefined : o;
    if (ArrayBuffer.isView(o)) return Array.from(o);
    if (Array.isArray(o)) return o.map(v => plain(v, depth + 1));
    const out = {};
    for (const k of Object.keys(o)) if (k[0] !== '_' || k === '_size') { const v = plain(o[k], depth + 1); if (v !== undefined) out[k] = v; }
    return out;
  };
  return {layout: plain(g._fullLayout, 0), data: g._fullData.map(t => plain(t, 0))};
}"""

# Nodes added to the plot while Plotly.react draws a deep copy of the figure it shows.
REDRAW_JS = """async (fig) => {
  const g = document.getElementById('g'); Plotly.purge(g);
  await Plotly.newPlot(g, fig.data, fig.layout, {});
  let added = 0;
  const seen = new MutationObserver(ms => { for (const m of ms) added += m.addedNodes.length; });
  seen.observe(g, {childList: true, subtree: true});
  const copy = JSON.parse(JSON.stringify(fig));
  await Plotly.react(g, copy.data, copy.layout, {});
  await new Promise(r => setTimeout(r, 0));
  seen.disconnect();
  return added;
}"""


@pytest.fixture(scope="module")
def plot_page(browser):
    with plotly_page(browser, width=1400, div_style="width:1300px") as page:
        yield page


def as_sent(fig) -> dict:
    """The figure as st.plotly_chart and the HTML export serialise it."""
    spec = json.loads(pio.to_json(fig, validate=False))
    spec["layout"]["width"] = 1300
    return spec


def _gap(value) -> bool:
    return value is None or value == "nan" or isinstance(value, float) and math.isnan(value)


def differences(a, b, path="", out=None):
    out = [] if out is None else out
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in IGNORED:
                differences(a.get(key), b.get(key), f"{path}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            differences(x, y, f"{path}[{i}]", out)
    elif _gap(a) and _gap(b):
        pass  # a typed array's NaN and a list's null are both a gap in the line
    elif isinstance(a, float) and isinstance(b, (int, float)) or isinstance(b, float) and isinstance(a, int):
        # float32 prices are sent as their shortest decimals: equal to about 7 digits
        if not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9):
            out.append(f"{path}: {a!r} != {b!r}")
    elif a != b:
        out.append(f"{path}: {str(a)[:80]!r} != {str(b)[:80]!r}")
    return out


@pytest.mark.parametrize("name", list(FIGURES))
def test_the_inlined_figure_is_the_templated_figure_in_plotly_js(plot_page, name):
    templated, inlined = templated_and_inlined(FIGURES[name])
    sent = as_sent(inlined)
    assert "template" not in sent["layout"] and "bdata" not in json.dumps(sent)
    before = plot_page.evaluate(RESOLVE_JS, as_sent(templated))
    after = plot_page.evaluate(RESOLVE_JS, sent)
    assert differences(before, after) == []


@pytest.mark.parametrize("name", list(FIGURES))
def test_redrawing_an_equal_copy_redraws_nothing(plot_page, name):
    templated, inlined = templated_and_inlined(FIGURES[name])
    assert plot_page.evaluate(REDRAW_JS, as_sent(inlined)) == 0
    # the control: with its template, the same figure is rebuilt from scratch by the copy
    assert plot_page.evaluate(REDRAW_JS, as_sent(templated)) > 50


def test_the_revision_follows_the_data():
    light = overlay_module.overlay_figure(build_view(), theme="light")
    again = overlay_module.overlay_figure(build_view(), theme="light")
    other = overlay_module.overlay_figure(build_view(zone="Asia/Hong_Kong"), theme="light")
    assert light.layout.datarevision == again.layout.datarevision
    assert light.layout.datarevision != other.layout.datarevision
