"""The main screen in a real Chromium against `streamlit run` (one server for the module).

Skipped with a hint when Chromium or Playwright is missing; under CI=true that is a failure.
Screenshots land in test-output/ for a human to look at.
"""
from __future__ import annotations

import pytest
from browser_helpers import INERT, INJECTED_MARKUP_JS
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


def marker_count(app) -> int:
    """The event ids on the chart of an idle page (app_page waits for idle after each action)."""
    app.wait_idle()
    return app.page.evaluate(MARKER_COUNT_JS)


def test_page_shows_both_listings_markers_lanes_and_the_synthetic_label(server, app_page):
    app, page = app_page, app_page.page
    app.open(server)
    markers = marker_count(app)
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
    assert app.dialogs == []


def test_parity_rows_from_the_url(server, app_page):
    app, page = app_page, app_page.page
    app.open(f"{server}/?parity=1")
    assert marker_count(app) > 0
    assert "ADR premium (%)" in page.evaluate(TRACE_NAMES_JS)
    page.screenshot(path=str(TEST_OUTPUT / "main-screen-parity.png"), full_page=True)


def tag_combobox(page):
    return page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").first.get_by_role("combobox")


def test_tag_filter_updates_the_markers(server, app_page):
    app, page = app_page, app_page.page
    app.open(server)
    before = marker_count(app)
    app.click(tag_combobox(page))
    app.fill(tag_combobox(page), "Tech War")
    app.click(page.get_by_role("option", name="Tech War", exact=False).first, reruns=True)
    after = marker_count(app)
    assert 0 < after < before
    assert "tags=Tech+War" in page.url or "tags=Tech%20War" in page.url
    app.press("Escape")
    page.screenshot(path=str(TEST_OUTPUT / "main-screen-tech-war.png"))


def test_html_in_titles_and_tags_never_executes(server, app_page, rich_db):
    app, page = app_page, app_page.page
    with store.reader(rich_db) as con:
        (article_id,) = con.execute("SELECT article_id FROM articles WHERE source = 'Hostile Wire'").fetchone()
    app.open(f"{server}/?article={article_id}")
    # the reader shows the title as text (the tables hold it too, as grid cells)
    assert page.locator(".st-key-reader").get_by_text("onerror", exact=False).count() >= 1
    # Open the tag list too, so the hostile tag names are rendered as options.
    app.click(tag_combobox(page))
    app.fill(tag_combobox(page), "pwned")
    page.get_by_role("option", name="script", exact=False).first.wait_for()
    app.press("Escape")
    app.click(page.locator("h3").first)  # close the dropdown (the page title)
    injected = page.evaluate(INJECTED_MARKUP_JS)
    assert injected == INERT
    assert app.dialogs == []
    reader = page.locator(".st-key-reader")
    reader.scroll_into_view_if_needed()
    reader.screenshot(path=str(TEST_OUTPUT / "hostile-article-reader.png"))


# ---------------------------------------------------------------------------------------------
# Clicking a marker / picking a table row opens the event in the reader

# The pixel centre of the chart marker whose customdata is ``eventId``, in viewport coordinates
# (null until the re-created chart node has drawn it). Plotly's calcdata holds x and y already in
# axis units, so this works whatever form (typed array, date string) the figure sent them in.
MARKER_POSITION_JS = """(eventId) => {
  const g = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
  if (!g || !g.data || !g.calcdata || !g._fullLayout) return null;
  for (const [ti, trace] of g.data.entries()) {
    if (trace.type !== 'scatter' || !trace.customdata) continue;
    const pi = Array.from(trace.customdata).findIndex(c => (Array.isArray(c) ? c[0] : c) === eventId);
    if (pi < 0) continue;
    const point = (g.calcdata[ti] || []).find(c => c.i === pi);
    const xa = g._fullLayout[(trace.xaxis || 'x').replace('x', 'xaxis')];
    const ya = g._fullLayout[(trace.yaxis || 'y').replace('y', 'yaxis')];
    if (!point || !xa || !ya) return null;
    const box = g.getBoundingClientRect();
    return {x: box.left + xa._offset + xa.c2p(point.x), y: box.top + ya._offset + ya.c2p(point.y)};
  }
  return null;
}"""
# st.dataframe draws its grid on a canvas: the header and each row are 35 px tall (Streamlit's
# default row height) and the first column holds the row-selection checkboxes.
GRID_ROW_PX = 35
GRID_CHECKBOX_X_PX = 15


@pytest.fixture(scope="module")
def default_view(rich_db):
    """What the server shows for the default filters: the events (with their article ids) the
    chart and the Events table are built from."""
    from dashboard import screen

    return screen.load_view(rich_db, screen.Filters(), max_articles=screen.MAX_TABLE_ROWS)


def click_marker(app, event_id: str, headline: str) -> None:
    """A real mouse click on the event's marker, once the chart has drawn it and it has stopped
    moving (the same position on two frames in a row: the chart may still be resizing)."""
    app.wait_idle()
    app.page.locator(CHART).evaluate("g => g.scrollIntoView({block: 'center'})")  # the reader may be in view
    position = app.wait_for_function(
        "(id) => { const p = (" + MARKER_POSITION_JS + ")(id); if (!p) return null;"
        " const key = p.x + ',' + p.y, same = window.__markerAt === key; window.__markerAt = key;"
        " return same ? p : null; }",
        arg=event_id,
    )
    viewport = app.page.viewport_size
    assert 0 <= position["x"] < viewport["width"] and 0 <= position["y"] < viewport["height"], position
    # a pick on the chart (in its fragment) reruns the whole page: done once the reader shows it
    app.click_at(position["x"], position["y"], until=(
        "(headline) => [...document.querySelectorAll('.st-key-reader h4')].some(h => h.textContent.includes(headline))",
        headline))


def url_event(page) -> str | None:
    return page.evaluate("() => new URLSearchParams(location.search).get('event')")


def article_title(rich_db, article_id: str) -> str:
    from dashboard import screen

    return screen.load_article(rich_db, article_id)["title"]


def test_clicking_a_marker_opens_its_event_and_article_in_the_reader(server, app_page, rich_db, default_view):
    app, page = app_page, app_page.page
    events = default_view.events
    tweet = events[events["event_id"] == "2025-11-14-ft-report-tweet"].iloc[0]
    # a timed article publication: its marker should open the event and the article behind it
    timed_publications = events[(events["kind"] == "publication") & (events["precision"] == "minute")
                                & events["article_id"].notna()]
    assert len(timed_publications), "the case should hold a timed article publication"
    publication = timed_publications.iloc[-1]
    app.open(server)
    reader = page.locator(".st-key-reader")
    assert reader.get_by_text("Click a marker on the chart").count() == 1  # nothing open yet

    click_marker(app, tweet["event_id"], tweet["headline"])
    assert reader.locator("h4", has_text=tweet["headline"]).count() == 1
    assert url_event(page) == tweet["event_id"]
    assert reader.get_by_text(str(tweet["actor"]), exact=False).count() >= 1
    assert reader.get_by_text("Article", exact=True).count() == 0  # the tweet has no article
    page.locator("[data-testid=stPlotlyChart]").screenshot(path=str(TEST_OUTPUT / "chart-after-marker-click.png"))
    reader.scroll_into_view_if_needed()
    reader.screenshot(path=str(TEST_OUTPUT / "reader-after-marker-click.png"))

    # the newest click wins: a publication marker replaces it, with its article's sections
    click_marker(app, publication["event_id"], publication["headline"])
    assert reader.locator("h4", has_text=publication["headline"]).count() == 1
    assert url_event(page) == publication["event_id"]
    assert reader.get_by_text("Article", exact=True).count() == 1
    assert reader.locator("h3", has_text=article_title(rich_db, publication["article_id"])).count() == 1
    assert reader.locator("h4", has_text=tweet["headline"]).count() == 0
    reader.scroll_into_view_if_needed()
    reader.screenshot(path=str(TEST_OUTPUT / "reader-after-publication-marker-click.png"))
    assert app.dialogs == []


def test_picking_an_events_table_row_opens_it_in_the_reader(server, app_page, rich_db):
    from dashboard import screen

    filters = screen.Filters(kinds=("publication",))  # publications: each row has an article
    listed = screen.listed_events(screen.load_view(rich_db, filters, max_articles=screen.MAX_TABLE_ROWS))
    row = min(2, len(listed) - 1)  # not the first row, so a click on the wrong row shows
    picked = listed.iloc[row]
    assert isinstance(picked["article_id"], str) and picked["article_id"], picked
    app, page = app_page, app_page.page
    app.open(f"{server}/?kinds=publication")
    # the table is built when opened: done once its grid is drawn
    app.click(page.locator(".st-key-events_open summary"),
              until=("() => !!document.querySelector('.st-key-events_open [data-testid=stDataFrame] canvas')", None))
    grid = page.locator(".st-key-events_open [data-testid=stDataFrame]")
    grid.scroll_into_view_if_needed()
    canvas = grid.locator("canvas[data-testid=data-grid-canvas]")
    canvas.wait_for()
    # click only once the grid has stopped moving: the expander's opening animation is over (no
    # animation or transition running on the page) and the same box on two frames in a row
    app.wait_for_function(
        "(el) => { if (document.getAnimations().some(a => a.playState === 'running')) return false;"
        " const r = el.getBoundingClientRect(), key = [r.x, r.y, r.width, r.height].join();"
        " const same = el.__box === key; el.__box = key; return same && r.height > 0; }",
        arg=canvas.element_handle(),
    )
    box = canvas.bounding_box()
    app.click_at(box["x"] + GRID_CHECKBOX_X_PX, box["y"] + GRID_ROW_PX * (row + 1) + GRID_ROW_PX / 2, reruns=True)

    reader = page.locator(".st-key-reader")
    assert reader.locator("h4", has_text=picked["headline"]).count() == 1
    assert url_event(page) == picked["event_id"]
    assert "kinds=publication" in page.url  # the filters stay in the link
    assert reader.locator("h3", has_text=article_title(rich_db, picked["article_id"])).count() == 1
    reader.scroll_into_view_if_needed()
    page.screenshot(path=str(TEST_OUTPUT / "reader-after-table-pick.png"))
    assert app.dialogs == []
