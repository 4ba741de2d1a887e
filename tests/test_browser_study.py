"""The event-study view in a real Chromium at 1280×800: opening the panel runs the study and draws
the CAAR figure; the screenshot is kept in test-output/ for a person to look at."""
from __future__ import annotations

import pytest

from conftest import CHROMIUM_ARGS, TEST_OUTPUT, run_streamlit

pytestmark = pytest.mark.browser


def test_opening_the_event_study_draws_the_caar_figure(case_db, browser):
    import browser_helpers

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    browser_helpers.install(context)
    page = browser_helpers.AppPage(context.new_page())
    try:
        with run_streamlit(case_db) as url:
            page.open(url)
            charts = page.page.locator('[data-testid="stPlotlyChart"]')
            assert charts.count() == 1  # closed panel: no study figure on the main page
            summary = page.page.locator('[data-testid="stExpander"] summary', has_text="Event study")
            page.click(summary, reruns=True)
            page.wait_for_function(
                "() => document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot').length === 2")
            study = charts.nth(1)
            study.scroll_into_view_if_needed()
            page.page.evaluate("() => window.scrollBy(0, -60)")
            TEST_OUTPUT.mkdir(exist_ok=True)
            page.page.screenshot(path=str(TEST_OUTPUT / "event-study-1280x800.png"))
            text = study.inner_text()
            assert "synthetic sample" in text and "CAAR" in text
    finally:
        context.close()
