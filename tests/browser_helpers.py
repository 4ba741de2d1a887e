"""The one way browser tests drive a Streamlit page: every interaction waits for the app to be idle.

Streamlit draws a page in steps: the script runs on the server and streams elements; the browser
then loads each element's code on demand (a skeleton stands in meanwhile) and draws it; Plotly
draws the chart last. The first chart can appear while the script is still running and while
tables, panels and widgets are still skeletons, and on a busy machine that phase lasts seconds. A
click or fill in that phase lands on a page whose renderer is busy and whose elements Streamlit is
about to replace. So every action here first waits until the app is *idle*:

- the websocket is connected and the script is not running
  (``[data-testid=stApp]`` ``data-test-connection-state="CONNECTED"`` and
  ``data-test-script-state="notRunning"``, attributes Streamlit sets for its own tests);
- no element is stale (``data-stale="true"``: left over from the previous run) and no skeleton or
  spinner is left (``stSkeleton``, ``stAppSkeleton``, ``stSkeletonElement``, ``stSpinner``);
- every Plotly chart on the page has drawn (its ``.js-plotly-plot`` node has a layout);
- after an action that reruns the script, at least one more run has finished than before it.
  Runs are counted by a MutationObserver installed before the page's own scripts, which sees the
  script-state attribute leave "running" however fast the run is.

Then the action itself goes through Playwright's own checks (attached, visible, enabled, editable).
Tests never sleep and never retry; see docs/testing.md.
"""
from __future__ import annotations

from contextlib import contextmanager

# One budget for "the page has finished drawing" (a full page load on a busy 2-core machine), and
# Playwright's default for single actions on an idle page.
IDLE_TIMEOUT_MS = 90_000
ACTION_TIMEOUT_MS = 30_000

# The run counter and the idle test have one definition, shared with the page benchmark.
from dashboard.bench.page import COUNT_RUNS_JS, IDLE_JS  # noqa: E402



# What hostile article text would leave in the page if it were rendered as HTML: a set flag,
# injected elements and handlers, javascript: links. Every count is 0 and pwned null when inert.
INJECTED_MARKUP_JS = """() => ({
    pwned: window.__pwned === undefined ? null : window.__pwned,
    imgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
    handlers: document.querySelectorAll('[onerror], [onload], [onmouseover]').length,
    iframes: document.querySelectorAll('iframe[src^="javascript"]').length,
    scripts: [...document.scripts].filter(s => s.textContent.includes('__pwned')).length,
    jsLinks: document.querySelectorAll('a[href^="javascript"]').length,
})"""
INERT = {"pwned": None, "imgs": 0, "handlers": 0, "iframes": 0, "scripts": 0, "jsLinks": 0}


@contextmanager
def plotly_page(browser, *, width: int, div_style: str = ""):
    """A bare page holding plotly.js (the version plotly.py ships) and one empty ``div#g``: a
    figure drawn here is the figure alone, with nothing of Streamlit around it."""
    import plotly.offline

    page = browser.new_page(viewport={"width": width, "height": 1600})
    page.set_content(f"<div id=g style='{div_style}'></div>")
    page.add_script_tag(content=plotly.offline.get_plotlyjs())
    try:
        yield page
    finally:
        page.close()


def install(context) -> None:
    """Count script runs in every page of ``context`` (call before opening pages)."""
    context.add_init_script(COUNT_RUNS_JS)


class AppPage:
    """A Playwright page showing a Streamlit app. ``page`` stays available for reading (locators,
    evaluate, screenshots); actions go through the methods below."""

    def __init__(self, page):
        self.page = page
        self.dialogs: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.set_default_timeout(ACTION_TIMEOUT_MS)

    # -- waiting ------------------------------------------------------------------------------

    def runs(self) -> int:
        return self.page.evaluate("() => window.__stRunsFinished || 0")

    def wait_idle(self, min_runs: int = 0) -> None:
        """Until the app is idle (see the module docstring) and ``min_runs`` runs have finished."""
        self.page.wait_for_function(IDLE_JS, arg=min_runs, timeout=IDLE_TIMEOUT_MS)

    @contextmanager
    def rerun(self):
        """Around an action that reruns the script: afterwards, wait for that run to finish and
        the page to be idle again."""
        before = self.runs()
        yield
        self.wait_idle(before + 1)

    # -- actions ------------------------------------------------------------------------------

    def open(self, url: str) -> None:
        """Load the app and wait for its first run to be drawn."""
        self.page.goto(url)
        self.wait_idle(1)

    def _ready(self, locator):
        self.wait_idle()
        locator.wait_for(state="visible")
        return locator

    def idle_and(self, js: str, arg=None) -> None:
        """Until the app is idle *and* ``js(arg)`` holds at the same moment: for an action whose
        run may not be counted (see ``click``)."""
        both = f"([arg]) => ({IDLE_JS})(0) && ({js})(arg)"
        self.page.wait_for_function(both, arg=[arg], timeout=IDLE_TIMEOUT_MS)

    def click(self, locator, *, reruns: bool = False, until: tuple[str, object] | None = None) -> None:
        """Click ``locator`` once the app is idle; with ``reruns``, also wait for the rerun.

        ``until`` (a JS predicate on what the run draws, and its argument) replaces counting runs
        where a run can be too short to count: a fast run's "running" state may never be drawn
        (the browser handles its start and end before React renders), so the counter misses it.
        Then the wait is for the run's outcome in the DOM, on an idle page."""
        self._ready(locator)
        if until is not None:
            locator.click()
            self.idle_and(*until)
        elif reruns:
            with self.rerun():
                locator.click()
        else:
            locator.click()

    def fill(self, locator, text: str) -> None:
        """Type into an input (Playwright checks it is editable) once the app is idle."""
        self._ready(locator).fill(text)

    def press(self, key: str) -> None:
        self.wait_idle()
        self.page.keyboard.press(key)

    def click_at(self, x: float, y: float, *, reruns: bool = True, until: tuple[str, object] | None = None) -> None:
        """A mouse click at viewport coordinates (chart markers, grid rows drawn on a canvas).

        ``until`` as for ``click``; needed for a click inside an ``st.fragment`` that asks for a
        whole-page run (a pick on the chart opens the reader): the fragment's run ends first and
        the page may look idle for a moment before the full run starts."""
        self.wait_idle()
        if until is not None:
            self.page.mouse.click(x, y)
            self.idle_and(*until)
        elif reruns:
            with self.rerun():
                self.page.mouse.click(x, y)
        else:
            self.page.mouse.click(x, y)

    def download(self, locator):
        """Click a download button once the app is idle and return the Playwright Download."""
        self._ready(locator)
        with self.page.expect_download(timeout=IDLE_TIMEOUT_MS) as info:
            locator.click()
        return info.value

    def wait_for_function(self, js: str, arg=None):
        """Wait for an app-specific condition (e.g. a marker drawn and no longer moving) on an
        idle page; returns the truthy value."""
        self.wait_idle()
        return self.page.wait_for_function(js, arg=arg, timeout=ACTION_TIMEOUT_MS).json_value()
