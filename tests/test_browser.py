"""The main screen in a real Chromium against `streamlit run` (one server for the module).

Skipped with a hint when Chromium or Playwright is missing; under CI=true that is a failure.
Screenshots land in test-output/ for a human to look at.
"""
from __future__ import annotations

import pytest
from conftest import TEST_OUTPUT, run_streamlit

from dashboard import config, store

pytestmark = pytest.mark.browser

CHART = "[data-testid=stPlotlyChart] .js-plotly-plot"
MARKER_COUNT_JS = """() => {
  const g = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
  if (!g || !g.data) return -1;
  // event ids on the chart: one per timed marker, several per day band
  return g.data.reduce((n, t) => n + (t.customdata ? t.customdata.flat().length : 0), 0);
}"""
TRACE_NAMES_JS = """() => {
  const g = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
  return g && g.data ? g.data.map(t => t.name || '') : [];
}"""


@pytest.fixture(scope="module")
def server(rich_db):
    with run_streamlit(rich_db) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1750})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def wait_for_chart(page, *, not_count: int = -2) -> int:
    """Wait until the chart has markers (after a filter: a number other than ``not_count``).
    The chart node is re-created on each rerun, hence the null-safe check."""
    page.wait_for_function(
        "(notCount) => { const n = (" + MARKER_COUNT_JS + ")(); return n > 0 && n !== notCount; }",
        arg=not_count, timeout=30_000,
    )
    return page.evaluate(MARKER_COUNT_JS)


def test_page_shows_both_listings_markers_lanes_and_the_synthetic_label(server, page):
    page.goto(server)
    markers = wait_for_chart(page)
    names = page.evaluate(TRACE_NAMES_JS)
    assert f"BABA — {config.SYNTHETIC_LABEL}" in names
    assert f"9988.HK — {config.SYNTHETIC_LABEL}" in names
    assert any(n.startswith("Denial") for n in names) and any(n.startswith("Report") for n in names)
    assert markers > 20
    chart = page.locator(CHART)
    assert any(config.SYNTHETIC_LABEL in t for t in chart.locator(".annotation-text").all_text_contents())
    assert chart.get_by_text("Denial", exact=True).count() == 1  # a timeline lane label
    texts = chart.locator(".annotation-text").all_text_contents()
    assert "FT report · Fri 18:02 UTC" in texts  # the key event is labelled on the chart
    assert any(t.startswith("9988.HK first trade after the FT report") for t in texts)
    TEST_OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(TEST_OUTPUT / "main-screen.png"))
    assert page.dialogs == []


def test_parity_rows_from_the_url(server, page):
    page.goto(f"{server}/?parity=1")
    wait_for_chart(page)
    page.wait_for_function("() => (" + TRACE_NAMES_JS + ")().includes('ADR premium (%)')", timeout=30_000)
    page.screenshot(path=str(TEST_OUTPUT / "main-screen-parity.png"), full_page=True)


def test_tag_filter_updates_the_markers(server, page):
    page.goto(server)
    before = wait_for_chart(page)
    tags = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").first
    tags.get_by_role("combobox").click()
    tags.get_by_role("combobox").fill("Tech War")
    page.get_by_role("option", name="Tech War", exact=False).first.click()
    after = wait_for_chart(page, not_count=before)
    assert 0 < after < before
    assert "tags=Tech+War" in page.url or "tags=Tech%20War" in page.url
    page.keyboard.press("Escape")
    page.screenshot(path=str(TEST_OUTPUT / "main-screen-tech-war.png"))


def test_html_in_titles_and_tags_never_executes(server, page, rich_db):
    with store.reader(rich_db) as con:
        (article_id,) = con.execute("SELECT article_id FROM articles WHERE source = 'Hostile Wire'").fetchone()
    page.goto(f"{server}/?article={article_id}")
    wait_for_chart(page)
    # the reader shows the title as text (the tables hold it too, as grid cells)
    page.locator(".st-key-reader").get_by_text("onerror", exact=False).first.wait_for(timeout=30_000)
    # Open the tag list too, so the hostile tag names are rendered as options.
    tags = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").first
    tags.get_by_role("combobox").click()
    tags.get_by_role("combobox").fill("pwned")
    page.get_by_role("option", name="script", exact=False).first.wait_for(timeout=10_000)
    page.keyboard.press("Escape")
    page.locator("h1").first.click()  # close the dropdown
    injected = page.evaluate("""() => ({
        pwned: window.__pwned === undefined ? null : window.__pwned,
        imgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
        handlers: document.querySelectorAll('[onerror], [onload], [onmouseover]').length,
        iframes: document.querySelectorAll('iframe[src^="javascript"]').length,
        scripts: [...document.scripts].filter(s => s.textContent.includes('__pwned')).length,
        jsLinks: document.querySelectorAll('a[href^="javascript"]').length,
    })""")
    assert injected == {"pwned": None, "imgs": 0, "handlers": 0, "iframes": 0, "scripts": 0, "jsLinks": 0}
    assert page.dialogs == []
    reader = page.locator(".st-key-reader")
    reader.scroll_into_view_if_needed()
    reader.screenshot(path=str(TEST_OUTPUT / "hostile-article-reader.png"))
