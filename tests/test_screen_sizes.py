"""The main screen at the window sizes analysts use (issue 17), in a real Chromium.

At each supported size, on the default view and on the parity view: the chart starts high on the
first screen (desktop sizes), no two chart labels (annotations, the title and the legend) overlap,
the legend fits the room planned for it (Plotly does not push the plot down), none is
cut by the figure's edge, and the page never scrolls sideways — with the header in its tallest
state (the "Yahoo unreachable" warning of an offline `make run`). One server for the module, one
browser context per size; screenshots land in test-output/screen-<size>-<view>.png.
"""
from __future__ import annotations

import browser_helpers
import pytest
from conftest import TEST_OUTPUT, run_streamlit

pytestmark = pytest.mark.browser

# (width, height, sidebar collapsed): the sizes docs/app.md promises.
SIZES = {"1920x1080": (1920, 1080, False), "1280x800": (1280, 800, False), "768x1024": (768, 1024, True)}
VIEWS = {"default": "", "parity": "/?parity=1"}
CHART_TOP_SHARE = 0.35  # of the first screen, at desktop sizes

# Everything the check needs, read from the DOM in one go: the chart's top edge, the figure's box,
# the box of every annotation and of the title (their drawn SVG groups), and the page's widths.
MEASURE_JS = """() => {
  const chart = document.querySelector('[data-testid=stPlotlyChart]');
  const g = chart.querySelector('.js-plotly-plot');
  const box = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  const labels = [];
  for (const a of g.querySelectorAll('g.annotation')) {
    const r = a.getBoundingClientRect();
    if (r.width && r.height) labels.push({text: a.textContent, ...box(r)});
  }
  for (const t of g.querySelectorAll('.g-gtitle text.gtitle')) labels.push({text: 'title: ' + t.textContent, ...box(t.getBoundingClientRect())});
  const legend = g.querySelector('g.legend');
  if (legend) labels.push({text: 'legend', ...box(legend.getBoundingClientRect())});
  const main = document.querySelector('[data-testid=stMain]');
  // the header's caption: the summary line and the status line, each one line (issue 28)
  const header = main.querySelector('[data-testid=stCaptionContainer]');
  const lineHeight = header ? parseFloat(getComputedStyle(header).lineHeight) : 0;
  return {
    headerLines: header && lineHeight ? Math.round(header.querySelector('p').getBoundingClientRect().height / lineHeight) : 0,
    chartTop: chart.getBoundingClientRect().top,
    figure: box(g.querySelector('svg.main-svg').getBoundingClientRect()),
    // the top margin Plotly drew against the one the figure asked for: more means the legend
    // did not fit its planned room and everything plot-relative moved down
    marginTop: {asked: g._fullLayout.margin.t, drawn: g._fullLayout._size.t},
    labels,
    innerWidth: window.innerWidth, innerHeight: window.innerHeight,
    scrollWidths: {document: document.documentElement.scrollWidth, body: document.body.scrollWidth,
                   main: main ? main.scrollWidth - main.clientWidth + window.innerWidth : 0},
    sidebarOpen: (() => { const s = document.querySelector('[data-testid=stSidebar]');
                          return !!s && s.getBoundingClientRect().right > 100; })(),
  };
}"""
TOLERANCE_PX = 0.5


@pytest.fixture(scope="module")
def server(rich_db, tmp_path_factory):
    """The screen as `make run` leaves it offline: the last price refresh could not reach Yahoo,
    so the header carries that warning too (its tallest state)."""
    import shutil

    import pandas as pd

    from dashboard.prices import refresh

    db = tmp_path_factory.mktemp("sizes") / "offline.duckdb"
    shutil.copy(rich_db, db)

    def unreachable(symbol, start, end, interval, prepost=False):
        raise ConnectionError("Could not resolve host: query1.finance.yahoo.com")

    refresh.refresh(db, download=unreachable, now=pd.Timestamp("2026-11-28 08:20", tz="UTC"),
                    echo=lambda line: None, sleep=lambda seconds: None)
    with run_streamlit(db) as url:
        yield url


@pytest.fixture(params=list(SIZES), scope="module")
def sized_context(request, browser):
    width, height, _ = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    browser_helpers.install(context)
    yield request.param, context
    context.close()


def overlaps(a: dict, b: dict) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > TOLERANCE_PX
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > TOLERANCE_PX)


def layout_problems(m: dict, *, check_top: bool) -> list[str]:
    """What is wrong with one measured page, in words (empty when it is right)."""
    problems = []
    if m.get("headerLines", 0) > 2:
        problems.append(f"the header's summary and status take {m['headerLines']} lines, not 2")
    if check_top and m["chartTop"] > CHART_TOP_SHARE * m["innerHeight"]:
        problems.append(f"chart starts at {m['chartTop']:.0f} px of {m['innerHeight']} (over {CHART_TOP_SHARE:.0%})")
    for name, width in m["scrollWidths"].items():
        if width > m["innerWidth"]:
            problems.append(f"{name} scrolls sideways: {width} > {m['innerWidth']}")
    if "marginTop" in m and m["marginTop"]["drawn"] > m["marginTop"]["asked"] + TOLERANCE_PX:
        problems.append(f"the legend pushed the plot down: top margin {m['marginTop']['drawn']:.0f} px, "
                        f"planned {m['marginTop']['asked']} px")
    fig, labels = m["figure"], m["labels"]
    for label in labels:
        if (label["left"] < fig["left"] - TOLERANCE_PX or label["right"] > fig["right"] + TOLERANCE_PX
                or label["top"] < fig["top"] - TOLERANCE_PX or label["bottom"] > fig["bottom"] + TOLERANCE_PX):
            problems.append(f"clipped by the figure's edge: {label['text']!r}")
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            if overlaps(a, b):
                problems.append(f"overlap: {a['text']!r} and {b['text']!r}")
    return problems


def test_layout_problems_sees_overlap_clipping_scroll_and_a_low_chart():
    """The checker itself: each kind of fault is reported (so a green browser run means something)."""
    fig = {"left": 0, "top": 0, "right": 500, "bottom": 400}
    good = {"chartTop": 100, "figure": fig, "innerWidth": 800, "innerHeight": 600,
            "scrollWidths": {"document": 800}, "labels": [
                {"text": "a", "left": 10, "top": 10, "right": 100, "bottom": 30},
                {"text": "b", "left": 100, "top": 10, "right": 200, "bottom": 30}]}
    assert layout_problems(good, check_top=True) == []
    bad = dict(good, chartTop=300, scrollWidths={"document": 801}, labels=good["labels"] + [
        {"text": "c", "left": 150, "top": 20, "right": 510, "bottom": 40}])
    problems = layout_problems(bad, check_top=True)
    assert any(p.startswith("chart starts") for p in problems)
    assert any("scrolls sideways" in p for p in problems)
    assert "clipped by the figure's edge: 'c'" in problems
    assert "overlap: 'b' and 'c'" in problems
    assert layout_problems(dict(good, headerLines=3), check_top=True) == [
        "the header's summary and status take 3 lines, not 2"]
    pushed = dict(good, marginTop={"asked": 140, "drawn": 149})
    assert layout_problems(pushed, check_top=True) == [
        "the legend pushed the plot down: top margin 149 px, planned 140 px"]
    assert layout_problems(bad, check_top=False) != [] and not any(
        p.startswith("chart starts") for p in layout_problems(bad, check_top=False))


def test_screen_fits_each_supported_window_size(server, sized_context):
    size, context = sized_context
    _, _, collapsed = SIZES[size]
    TEST_OUTPUT.mkdir(exist_ok=True)
    found = {}
    for view, path in VIEWS.items():
        page = context.new_page()
        try:
            app = browser_helpers.AppPage(page)
            app.open(server + path)
            m = app.page.evaluate(MEASURE_JS)
            assert m["sidebarOpen"] is not collapsed, f"{size}: the sidebar should be {'collapsed' if collapsed else 'open'}"
            assert any(l["text"].startswith("title: ") for l in m["labels"]) and len(m["labels"]) > 4
            assert "Yahoo was unreachable" in page.inner_text("[data-testid=stMain]")
            assert m["headerLines"] >= 2, "the header caption was measured"
            page.screenshot(path=str(TEST_OUTPUT / f"screen-{size}-{view}.png"))
            found[view] = layout_problems(m, check_top=not collapsed)
        finally:
            page.close()
    assert found == {view: [] for view in VIEWS}
