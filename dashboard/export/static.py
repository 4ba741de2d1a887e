"""Static images: PNG/SVG through kaleido 1.x, which drives a Chromium-family browser.

Its sync server is started once per process (lazily, on the first PNG/SVG) and reused: the first
image costs a browser start (~2 s), later ones ~0.15 s. With no browser, PNG/SVG raise
:class:`StaticExportUnavailable` and everything else keeps working.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Any

import plotly.graph_objects as go

NO_BROWSER_MESSAGE = "PNG/SVG export needs Chromium: apt-get install chromium (or set BROWSER_PATH)"


PROJECT_DISTRIBUTION = "event-overlay-dashboard"


DEFAULT_WIDTH = 1400


DEFAULT_HEIGHT = 800


class StaticExportUnavailable(RuntimeError):
    """PNG/SVG cannot be made here (no Chromium-family browser, or it failed to start)."""


# Static images (kaleido)

_render_lock = threading.Lock()


_server_started = False


# A render that runs longer than this is treated as a dead browser (kaleido's own per-image
# timeout is 90 s, so this only catches a server thread that died without answering).
_RENDER_GIVE_UP_SECONDS = 180.0


def find_browser() -> str | None:
    """Path of the Chromium-family browser kaleido would use, or None.

    `BROWSER_PATH` wins when set (and must be executable), as it does in kaleido itself.
    """
    override = os.environ.get("BROWSER_PATH")
    if override:
        return override if os.path.isfile(override) and os.access(override, os.X_OK) else None
    try:
        from choreographer.browsers.chromium import Chromium
    except ImportError:
        return None
    try:
        return Chromium.find_browser(skip_local=False)
    except Exception:  # best effort: any failure to look means "not found"
        return None


def static_export_problem() -> str | None:
    """None when PNG/SVG export can work here, else the sentence to show the user."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return "PNG/SVG export needs the kaleido package (pip install kaleido)"
    if find_browser() is None:
        return NO_BROWSER_MESSAGE
    return None


def _kaleido_server_thread_alive() -> bool:
    import kaleido

    # kaleido's sync server queues a request and waits for the answer with no timeout; if its
    # thread died (browser crashed at launch) that wait never ends, so we watch the thread.
    server = kaleido._global_server
    thread = getattr(server, "_thread", None)
    return bool(server.is_running() and thread is not None and thread.is_alive())


def _ensure_kaleido_server() -> None:
    global _server_started
    import kaleido

    if _server_started and kaleido._global_server.is_running():
        return
    # mathjax=False: kaleido otherwise loads MathJax from a CDN, which is unreachable offline.
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    _server_started = True


def _reset_kaleido_server() -> None:
    global _server_started
    import kaleido

    try:
        kaleido.stop_sync_server(silence_warnings=True)
    except Exception:
        pass
    _server_started = False


def _render_static(fig: go.Figure, fmt: str, width: int | None, height: int | None, scale: float) -> bytes:
    problem = static_export_problem()
    if problem:
        raise StaticExportUnavailable(problem)
    import kaleido
    from kaleido.errors import BrowserFailedError, ChromeNotFoundError

    fig_dict = fig.to_dict()
    layout = fig_dict.get("layout", {})
    opts = {
        "format": fmt,
        "width": int(width or layout.get("width") or DEFAULT_WIDTH),
        "height": int(height or layout.get("height") or DEFAULT_HEIGHT),
        "scale": float(scale),
    }
    # The server pairs each request with the next reply on one queue: serialise callers
    # (Streamlit runs sessions on threads).
    with _render_lock:
        _ensure_kaleido_server()
        outcome: dict[str, Any] = {}
        finished = threading.Event()

        def call() -> None:
            try:
                outcome["image"] = kaleido.calc_fig_sync(fig_dict, opts=opts)
            except BaseException as exc:  # handed to the waiting caller
                outcome["error"] = exc
            finally:
                finished.set()

        threading.Thread(target=call, name="kaleido-export", daemon=True).start()
        give_up_at = time.monotonic() + _RENDER_GIVE_UP_SECONDS
        while not finished.wait(0.2):
            if not _kaleido_server_thread_alive() or time.monotonic() > give_up_at:
                _reset_kaleido_server()
                raise StaticExportUnavailable(
                    f"the browser used for PNG/SVG export ({find_browser()}) did not answer; "
                    f"{NO_BROWSER_MESSAGE}"
                )
    if "error" in outcome:
        exc = outcome["error"]
        if isinstance(exc, (ChromeNotFoundError, BrowserFailedError)):
            _reset_kaleido_server()
            raise StaticExportUnavailable(f"{NO_BROWSER_MESSAGE} ({exc})") from exc
        raise exc
    image = outcome["image"]
    return image if isinstance(image, bytes) else bytes(image)


def figure_to_png(fig: go.Figure, *, width: int | None = None, height: int | None = None, scale: float = 1) -> bytes:
    """PNG of `fig`, `width*scale` × `height*scale` pixels."""
    return _render_static(fig, "png", width, height, scale)


def figure_to_svg(fig: go.Figure, *, width: int | None = None, height: int | None = None, scale: float = 1) -> bytes:
    """SVG of `fig` (UTF-8 bytes)."""
    return _render_static(fig, "svg", width, height, scale)
