"""The app's export buttons (dashboard.app_exports): present under the figure, images disabled
with the how-to when there is no browser, and in a real browser the PNG button delivers a PNG."""
from __future__ import annotations

import os
import struct
import textwrap
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import run_streamlit
from dashboard import config

TESTS_DIR = Path(__file__).resolve().parent
LABELS = ["PNG", "SVG", "HTML", "CSV", "Parquet", "Report ZIP"]


def _app(tmp_path: Path) -> Path:
    """A minimal page: the synthetic Alibaba view's figure with the export buttons under it."""
    body = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(TESTS_DIR)!r})
        sys.path.insert(0, {str(config.PROJECT_ROOT)!r})
        import streamlit as st
        from test_export import make_view
        from dashboard import charts
        from dashboard.app_exports import render_export_buttons

        view = make_view()
        fig = charts.overlay_figure(view)
        st.plotly_chart(fig)
        render_export_buttons(st, fig, view, view.filters)
        """
    )
    script = tmp_path / "export_screen.py"
    script.write_text(body, encoding="utf-8")
    return script


def test_buttons_under_the_figure(tmp_path):
    at = AppTest.from_file(str(_app(tmp_path)), default_timeout=60).run()
    assert not at.exception
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == LABELS
    assert not any(b.proto.disabled for b in buttons)


def test_no_browser_disables_images_and_says_how(tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    at = AppTest.from_file(str(_app(tmp_path)), default_timeout=60).run()
    assert not at.exception
    state = {b.proto.label: b.proto.disabled for b in at.get("download_button")}
    assert state == {"PNG": True, "SVG": True, "HTML": False, "CSV": False, "Parquet": False, "Report ZIP": False}
    assert any("apt-get install chromium" in c.value for c in at.caption)


# ---------------------------------------------------------------------------------------------
# In a real browser (Chromium via Playwright; the `app_page` fixture lives in conftest.py and
# waits for the app to be idle before each action: tests/browser_helpers.py)


@pytest.mark.browser
@pytest.mark.slow
def test_clicking_png_and_html_delivers_files(app_page, tmp_path):
    from dashboard import export

    if export.static_export_problem():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(export.static_export_problem())
        pytest.skip(export.static_export_problem())
    with run_streamlit(script=_app(tmp_path)) as url:
        app = app_page
        app.open(url)
        downloads = app.page.locator('[data-testid="stDownloadButton"]')

        def button(label: str):
            # By role: Streamlit keeps a hidden twin of each download button in the DOM.
            return downloads.get_by_role("button", name=label, exact=True)

        png_download = app.download(button("PNG"))
        png = Path(png_download.path()).read_bytes()
        assert png_download.suggested_filename == "alibaba_BABA-9988.HK_2025-11-13_2025-11-18_utc.png"
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert width == export.DEFAULT_WIDTH and height > 0
        html_download = app.download(button("HTML"))
        html = Path(html_download.path()).read_text(encoding="utf-8")
        assert "Plotly.newPlot" in html
