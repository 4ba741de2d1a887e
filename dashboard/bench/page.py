"""What a user waits for in the browser: our page against the Streamlit floor (issue 14).

Two real Streamlit servers on free 127.0.0.1 ports — the app (``dashboard/app.py``, as ``serve``
runs it) and the floor (``floor_page.py``: the same two listings' bars from the same DuckDB file
drawn with Plotly, a "Prices as" radio) — both on the bundled data (``data/`` ingested plus the
synthetic price sample, as ``make data`` builds it). Headless Chromium (Debian's, through
Playwright) loads and reruns each page once to warm up (not in ``--quick``), then measures, interleaving ours and the floor every round and alternating which goes
first, so machine noise hits both alike:

- ``page_load``: navigation start → the chart's traces are in its SVG and the app is idle;
- ``page_rerun``: a click on another "Prices as" option → that run finished and the chart redrawn
  with the new values, on the same idle page.

Times come from the browser's clock (``performance.now()``: relative to navigation start; the
click's own timestamp from a capturing listener). "Idle" is the signal the browser tests use
(tests/browser_helpers.py): connected, script not running, nothing stale, no skeleton or spinner,
every chart drawn, and at least N script runs finished (counted by a MutationObserver installed
before Streamlit's own scripts). Nothing sleeps.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from dashboard.bench.run import percentiles
from dashboard.config import PROJECT_ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
APP = PROJECT_ROOT / "dashboard" / "app.py"
FLOOR = Path(__file__).with_name("floor_page.py")
TARGET_RATIO = 1.3
RADIO_LABEL = "Prices as"
RERUN_OPTION = "% change"  # from the default price; the floor's "% change from a reference time" matches too
IDLE_TIMEOUT_MS = 90_000  # a full page drawn on a busy 2-core machine (as tests/browser_helpers.py)
VIEWPORT = {"width": 1500, "height": 1000}

# The run counter and the idle test: the one definition, which tests/browser_helpers.py uses too.
COUNT_RUNS_JS = """
(() => {
  window.__stRunsFinished = 0;
  const watch = (app) => new MutationObserver((records) => {
    for (const r of records) if (r.oldValue === 'running') window.__stRunsFinished += 1;
  }).observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
  const find = new MutationObserver(() => {
    const app = document.querySelector('[data-testid=stApp]');
    if (app) { find.disconnect(); watch(app); }
  });
  find.observe(document, {childList: true, subtree: true});
})();
"""
# The bench also notes the click's time on the page's clock.
BENCH_INIT_JS = COUNT_RUNS_JS + """
document.addEventListener('click', () => { window.__benchClickAt = performance.now(); }, true);
"""

IDLE_JS = """(minRuns) => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if ((window.__stRunsFinished || 0) < minRuns) return false;
  if (document.querySelector('[data-stale=true], [data-testid=stSkeleton], [data-testid=stAppSkeleton],'
                             + ' [data-testid=stSkeletonElement], [data-testid=stSpinner]')) return false;
  for (const chart of document.querySelectorAll('[data-testid=stPlotlyChart]')) {
    const g = chart.querySelector('.js-plotly-plot');
    if (!g || !g._fullLayout || !g.data) return false;
  }
  return true;
}"""

# The chart drawn: idle, its traces in the SVG, and (after a rerun) values other than before.
# Returns the page's clock at that moment, or false.
DRAWN_JS = """([minRuns, before]) => {
  if (!(%s)(minRuns)) return false;
  const g = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
  if (!g || !g._fullData || g._fullData.length !== g.data.length) return false;
  if (!g.querySelector('.main-svg .trace')) return false;
  if (before !== null && window.__benchSignature() === before) return false;
  return performance.now();
}""" % IDLE_JS

# What the chart shows, in a few numbers: the first value of every trace as drawn (_fullData: typed
# arrays decoded; a price mode changes them).
SIGNATURE_JS = """() => {
  window.__benchSignature = () => {
    const g = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
    if (!g || !g._fullData) return '';
    return g._fullData.map((t) => (t.y && t.y.length ? Number(t.y[0]).toPrecision(6) : '-')).join(',');
  };
  return window.__benchSignature();
}"""

PAGE_FACTS_JS = """() => {
  const g = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
  return {elements: document.querySelectorAll('[data-testid=stElementContainer]').length,
          traces: g && g.data ? g.data.length : 0,
          svg_nodes: g ? g.querySelectorAll('*').length : 0};
}"""


class PageBenchError(RuntimeError):
    """The page measurement could not run (no Chromium, no Playwright, a server that died)."""


def browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (uv sync --group dev)"
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        return f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium`"
    return None


# ---------------------------------------------------------------------------------------------
# The bundled database and the servers


def build_bundled_db(path: Path) -> Path:
    """``make data`` into ``path``: ingest data/, then the labelled synthetic price sample."""
    from dashboard import config, store
    from dashboard.ingest.pipeline import ingest_paths
    from dashboard.prices import sample

    for leftover in (path, path.with_suffix(path.suffix + ".wal")):
        leftover.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    report = ingest_paths(path, [config.DATA_DIR])
    if report.rejections:
        raise PageBenchError(f"ingest of data/ rejected records: {report.rejections[:3]}")
    with store.as_database(path).write() as con:
        sample.load(con, config.SAMPLE_DIR)
    return path


def default_window(db_path: Path) -> tuple[str, str]:
    """The UTC window our page opens on (its default view), for the floor to draw the same."""
    from dashboard import screen, store

    view = screen.load_view(store.Database(str(db_path), read_only=True), screen.Filters(), max_articles=1)
    return view.start.isoformat(), view.end.isoformat()


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run script`` on a free port, in its own process group, logging to a file. Its
    working folder (``cwd``) comes first on the server's ``sys.path``, so it picks which tree's
    ``dashboard`` package the server imports (``page_ab`` serves two trees)."""

    def __init__(self, name: str, script: Path, env: dict, log_dir: Path, cwd: Path = PROJECT_ROOT):
        self.name, self.port = name, _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log_dir / f"page-{name}.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(self.port),
                 "--server.address", "127.0.0.1", "--server.headless", "true",
                 "--browser.gatherUsageStats", "false"],
                cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_healthy(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise PageBenchError(f"{self.name} server exited early; see {self.log}")
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise PageBenchError(f"{self.name} server did not answer /_stcore/health; see {self.log}")
            time.sleep(0.1)  # polling a server that is starting, not waiting on the page

    def peak_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# ---------------------------------------------------------------------------------------------
# One visit: load, then one rerun


def visit(context, url: str) -> dict:
    """Open ``url`` in a new page (a new Streamlit session), time the load, then the rerun."""
    page = context.new_page()
    frames = {"n": 0, "bytes": 0}

    def on_ws(ws):
        def count(payload):
            frames["n"] += 1
            frames["bytes"] += len(payload)
        ws.on("framereceived", count)

    page.on("websocket", on_ws)
    try:
        page.goto(url, wait_until="commit")
        load_ms = page.wait_for_function(DRAWN_JS, arg=[1, None], timeout=IDLE_TIMEOUT_MS).json_value()
        facts = page.evaluate(PAGE_FACTS_JS)
        load_frames = dict(frames)
        before = page.evaluate(SIGNATURE_JS)
        runs = page.evaluate("() => window.__stRunsFinished")
        radio = page.locator("[data-testid=stRadio]").filter(has_text=RADIO_LABEL)
        option = radio.locator("label").filter(has_text=RERUN_OPTION)
        frames.update(n=0, bytes=0)
        option.click()
        drawn_at = page.wait_for_function(DRAWN_JS, arg=[runs + 1, before],
                                          timeout=IDLE_TIMEOUT_MS).json_value()
        rerun_ms = drawn_at - page.evaluate("() => window.__benchClickAt")
        return {"load_ms": load_ms, "rerun_ms": rerun_ms, "load_ws_frames": load_frames["n"],
                "load_ws_bytes": load_frames["bytes"], "rerun_ws_frames": frames["n"],
                "rerun_ws_bytes": frames["bytes"], **facts}
    finally:
        page.close()


def measure(db_path: Path, *, rounds: int, warm_up: bool = True, build=None, log=print,
            log_dir: Path | None = None, screenshot: Path | None = None) -> dict:
    """Both pages: one visit each to warm up (unless ``warm_up`` is false), then ``rounds``
    interleaved visits each (samples in ms per side).
    With ``build``, ``build(db_path)`` makes the database while the servers start."""
    problem = browser_problem()
    if problem:
        raise PageBenchError(problem)
    from playwright.sync_api import sync_playwright

    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="pagebench-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = {
        "ours": Server("ours", APP, {"DASHBOARD_DB": str(db_path), "PYTHONPATH": str(PROJECT_ROOT)}, log_dir),
        "floor": Server("floor", FLOOR, {"FLOOR_DB": str(db_path)}, log_dir),
    }
    visits: dict[str, list[dict]] = {"ours": [], "floor": []}
    try:
        if build is not None:
            build(db_path)
        start, end = default_window(db_path)
        # The floor draws our default view's window, given in its URL.
        urls = {"ours": servers["ours"].url,
                "floor": servers["floor"].url + "?" + urllib.parse.urlencode({"start": start, "end": end})}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
                                         args=CHROMIUM_ARGS)
            try:
                for server in servers.values():
                    server.wait_healthy()
                # One context: pages share the HTTP cache (a returning user); each page is its own session.
                context = browser.new_context(viewport=VIEWPORT)
                context.add_init_script(BENCH_INIT_JS)
                for side, url in urls.items() if warm_up else ():  # server caches, imports, browser caches
                    warmed = visit(context, url)
                    log(f"  page warm-up ({side}): load {warmed['load_ms']:.0f} ms, rerun {warmed['rerun_ms']:.0f} ms")
                for i in range(rounds):
                    order = ("ours", "floor") if i % 2 == 0 else ("floor", "ours")
                    done = {side: visit(context, urls[side]) for side in order}
                    for side, result in done.items():
                        visits[side].append(result)
                    log(f"  page round {i + 1}/{rounds}: load {done['ours']['load_ms']:.0f} / "
                        f"{done['floor']['load_ms']:.0f} ms, rerun {done['ours']['rerun_ms']:.0f} / "
                        f"{done['floor']['rerun_ms']:.0f} ms (ours / floor)")
                if screenshot is not None:
                    page = context.new_page()
                    page.goto(urls["ours"])
                    page.wait_for_function(DRAWN_JS, arg=[1, None], timeout=IDLE_TIMEOUT_MS)
                    page.screenshot(path=str(screenshot), full_page=True)
                    page.close()
                context.close()
            finally:
                browser.close()
        peaks = {side: server.peak_mb() for side, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    return {"window": [start, end], "visits": visits, "peak_mb": peaks, "rounds": rounds}


def summarize(result: dict) -> dict:
    """Medians, p95s and ratios (ours ÷ floor) of the load and the rerun."""
    out = {}
    for kind in ("load", "rerun"):
        ours = [v[f"{kind}_ms"] for v in result["visits"]["ours"]]
        floor = [v[f"{kind}_ms"] for v in result["visits"]["floor"]]
        a, b = percentiles(ours), percentiles(floor)  # as every other row of the suite
        out[kind] = {"p50": a["p50"], "p95": a["p95"], "floor_p50": b["p50"], "floor_p95": b["p95"],
                     "ratio": a["p50"] / b["p50"] if b["p50"] else None, "ours_ms": ours, "floor_ms": floor}
        for side in ("ours", "floor"):
            last = result["visits"][side][-1]
            out[kind][f"{side}_ws_frames"] = last[f"{kind}_ws_frames"]
            out[kind][f"{side}_ws_bytes"] = last[f"{kind}_ws_bytes"]
            out[kind][f"{side}_elements"] = last["elements"]
    return out


# ---------------------------------------------------------------------------------------------
# The suite's step: two rows


# A full run: one warm-up visit per page, then 15 counted rounds (7 until issue 28's part 3: a
# single visit's rerun spreads over ±25 %, and 7 rounds moved the median ratio by 0.2 from one run
# to the next; docs/benchmarks.md). --quick (in the test suite, where its numbers mean nothing and
# every second counts): one cold round, no warm-up.
QUICK_ROUNDS, FULL_ROUNDS = 1, 15


def rows(data, sizes, plan, log, *, record) -> list[dict]:
    """``page_load`` and ``page_rerun``: a step of ``suite.measure_all`` (``record`` makes a row).

    Plan has no "quick" flag; the two presets differ in the app's AppTest reruns (2 quick, 5 full),
    so that picks the quick or the full measurement here.
    """
    log("page (headless Chromium: ours against the Streamlit floor)")
    quick = plan.app_reruns <= 2
    rounds = QUICK_ROUNDS if quick else FULL_ROUNDS
    what = {"load": "browser: navigation start → chart drawn, app idle",
            "rerun": 'browser: "Prices as" changed → rerun done, chart redrawn'}
    out = {kind: record(f"page_{kind}", what[kind], "bundled data (data/ + synthetic sample)", "ms (p50)",
                         baseline_name="a minimal Streamlit page drawing the same two listings' bars with Plotly",
                         target=f"<= {TARGET_RATIO:g}x the Streamlit floor")
            for kind in ("load", "rerun")}
    scratch = data.root / "scratch"
    try:
        if browser_problem():
            raise PageBenchError(browser_problem())
        result = measure(scratch / "page.duckdb", rounds=rounds, warm_up=not quick, build=build_bundled_db,
                         log=log, log_dir=scratch)
    except Exception as exc:  # no browser, a server that died: the rows say why, the run goes on
        message = f"{type(exc).__name__}: {exc}"
        log(f"  page: FAILED ({message.splitlines()[0]})")
        for row in out.values():
            row["error"] = message
        return list(out.values())
    summary = summarize(result)
    load_avg = [round(x, 2) for x in os.getloadavg()]
    for kind, row in out.items():
        s = summary[kind]
        row.update(value=s["p50"], p50=s["p50"], p95=s["p95"], baseline=s["floor_p50"], ratio=s["ratio"],
                   met=s["ratio"] is not None and s["ratio"] <= TARGET_RATIO,
                   peak_mb=result["peak_mb"]["ours"], baseline_peak_mb=result["peak_mb"]["floor"],
                   details={**{k: v for k, v in s.items() if k not in ("p50", "p95")},
                            "rounds": rounds, "warm_up": not quick, "window": result["window"],
                            "load_average": load_avg})
        log(f"  page_{kind}: ours {s['p50']:.0f} ms, floor {s['floor_p50']:.0f} ms, {s['ratio']:.2f}x")
    return list(out.values())


def main(argv: list[str] | None = None) -> int:
    """``python -m dashboard.bench.page [--rounds N] [--db PATH] [--screenshot PNG]``: this
    measurement alone, printed as JSON (builds the bundled database unless --db is given)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m dashboard.bench.page", description=main.__doc__)
    parser.add_argument("--rounds", type=int, default=FULL_ROUNDS)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="pagebench-"))
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    result = measure(args.db or folder / "page.duckdb", rounds=args.rounds, build=None if args.db else build_bundled_db,
                     log=log, log_dir=folder, screenshot=args.screenshot)
    summary = summarize(result)
    summary["load_average"] = [round(x, 2) for x in os.getloadavg()]
    summary["peak_mb"] = result["peak_mb"]
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
