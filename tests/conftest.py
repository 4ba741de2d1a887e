"""Shared fixtures for the main-screen tests: generated session bars, the real events file read as
an events frame, a database built from the real data files, a `streamlit run` server and a
Chromium page driven by Playwright."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# The suite also runs commands from temporary folders: they read the checkout's data folder, as
# the dev checkout's commands run from its root do. An installed package reads ./data or
# $DASHBOARD_DATA (tests/test_install.py runs it without this). Set before `dashboard` is imported.
os.environ.setdefault("DASHBOARD_DATA", str(Path(__file__).resolve().parent.parent / "data"))

from dashboard import config, markets  # noqa: E402

PROJECT_ROOT = config.PROJECT_ROOT
TEST_OUTPUT = PROJECT_ROOT / "test-output"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
CASE_START, CASE_END = dt.date(2025, 11, 13), dt.date(2025, 11, 18)
# Writes leave the search index alone, in this process and the commands it starts: hundreds of
# small ingests need none. tests/test_search.py turns it back on.
os.environ.setdefault("DASHBOARD_SEARCH_FOLLOW", "0")


def pytest_collection_modifyitems(config, items):
    """Long modules first, each module's own order kept: under `make test`'s two workers
    (pytest-xdist, one module per worker at a time) they start at once and the short ones fill in
    behind them, so neither worker is left with a long tail. Longest are the modules with both
    slow and browser tests (the team-mode module, ~80 s), then slow ones, then browser ones."""
    slow = {item.module.__name__ for item in items if item.get_closest_marker("slow")}
    browser = {item.module.__name__ for item in items if item.get_closest_marker("browser")}
    items.sort(key=lambda item: (item.module.__name__ not in slow, item.module.__name__ not in browser))


# ---------------------------------------------------------------------------------------------
# Frames for the pure figure builders


def session_bars(mic: str, start: pd.Timestamp, end: pd.Timestamp, *, price: float, seed: int,
                 source: str = "synthetic", freq: str = "1min") -> pd.DataFrame:
    """A random walk on every open minute of ``mic`` in [start, end) (lunch breaks excluded)."""
    stamps = []
    for row in markets.sessions(mic, start, end).itertuples():
        spans = [(row.open, row.close)]
        if pd.notna(row.break_start):
            spans = [(row.open, row.break_start), (row.break_end, row.close)]
        for a, b in spans:
            stamps.append(pd.date_range(a, b, freq=freq, inclusive="left"))
    ts = stamps[0].append(stamps[1:]) if stamps else pd.DatetimeIndex([], tz="UTC")
    ts = ts[(ts >= start) & (ts < end)]
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0, 0.0008, len(ts))))
    open_ = np.r_[price, close[:-1]]
    return pd.DataFrame({
        "ts": ts, "open": open_, "high": np.maximum(open_, close) * 1.0005,
        "low": np.minimum(open_, close) * 0.9995, "close": close,
        "volume": rng.integers(1_000, 50_000, len(ts)).astype(float),
        "source": source, "interval": freq.replace("min", "m"),
    })


def events_from_csv(path: Path = config.EVENTS_FILE) -> pd.DataFrame:
    """The committed events file as an events frame (ts in UTC; a day event at its day's start)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    ts = []
    for local, precision, zone in zip(raw["ts_local"], raw["precision"], raw["zone"]):
        stamp = pd.Timestamp(local)
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(zone or "UTC")
        ts.append(stamp.tz_convert("UTC"))
    return pd.DataFrame({
        "event_id": raw["event_id"], "ts": pd.DatetimeIndex(ts), "ts_raw": raw["ts_local"],
        "ts_zone": raw["zone"], "precision": raw["precision"], "kind": raw["kind"],
        "stance": raw["stance"], "actor": raw["actor"], "source": raw["source"],
        "headline": raw["headline"], "detail": raw["detail"], "source_url": raw["source_url"],
        "article_id": None, "company_id": raw["company"], "symbol": raw["symbol"], "value": raw["value"],
        "tags": [[t for t in s.split(";") if t] for s in raw["tags"]],
    })


def build_view(*, zone: str = "UTC", start_day: dt.date = CASE_START, end_day: dt.date = CASE_END,
               events: pd.DataFrame | None = None, max_points: int = 4000, source: str = "synthetic",
               freq: str = "1min", parity: bool = False):
    """A ViewData for the Alibaba case from generated bars and the real events file; with
    ``parity``, the ADR parity of those bars at a fixed USDHKD of 7.78."""
    from dashboard.analysis.parity import parity_frame
    from dashboard.screen import (Filters, ListingView, ViewData, downsample_bars, events_first_trades, volume_bucket_for,
                                volume_buckets, window_bounds)

    start, end = window_bounds(start_day, end_day, zone)
    if events is None:
        events = events_from_csv()
    events = events[(events["ts"] >= start) & (events["ts"] < end)].reset_index(drop=True)
    listings, raw = [], {}
    for symbol, mic, cur, tz, price, seed in (
        ("BABA", "XNYS", "USD", "America/New_York", 159.0, 1),
        ("9988.HK", "XHKG", "HKD", "Asia/Hong_Kong", 155.0, 2),
    ):
        bars = session_bars(mic, start, end, price=price, seed=seed, source=source, freq=freq)
        raw[symbol] = bars
        shown = downsample_bars(bars, max_points)
        bucket = volume_bucket_for(end - start, bars["interval"].iloc[0])
        closed = pd.DataFrame(markets.closed_intervals(mic, start, end), columns=["start", "end"])
        listings.append(ListingView(
            symbol=symbol, name=symbol, exchange_mic=mic, currency=cur, tz=tz,
            shares_per_unit=8 if symbol == "BABA" else 1, bars=shown, total_bars=len(bars),
            interval=bars["interval"].iloc[0], closed=closed, y_unit=cur,
            volume=volume_buckets(bars, bucket), volume_bucket=bucket,
        ))
    parity_rows = None
    if parity:
        fx = raw["BABA"].assign(open=7.78, high=7.78, low=7.78, close=7.78)
        parity_rows = parity_frame(raw["BABA"], raw["9988.HK"], fx, adr_shares_per_unit=8)
    return ViewData(
        filters=Filters(zone=zone, start=start_day, end=end_day, parity=parity), company_id="alibaba",
        company_name="Alibaba Group", start=start, end=end, start_day=start_day, end_day=end_day,
        articles=pd.DataFrame(), events=events, listings=listings,
        parity=parity_rows, parity_symbols=("BABA", "9988.HK") if parity else None,
        first_trades=events_first_trades(events, listings, raw, start, end),
    )


# ---------------------------------------------------------------------------------------------
# A database built from the real data files


def _build_db(path: Path, extra_paths: list[Path] = ()) -> Path:
    from dashboard import store
    from dashboard.ingest.pipeline import ingest_paths
    from dashboard.prices import sample

    ingest_paths(path, [config.ARTICLES_DIR, config.EVENTS_FILE, *extra_paths])
    from dashboard.store.bars import upsert_bars

    # One short connection per symbol (what `prices sample` stores, symbol by symbol).
    for symbol, frame in sample.read().items():
        with store.writer(path) as con:
            upsert_bars(con, frame, symbol=symbol, interval=sample.INTERVAL, source=sample.SOURCE)
    return path


@pytest.fixture(scope="session")
def case_db(tmp_path_factory) -> Path:
    """Articles, events, companies and the synthetic sample bars, read from data/ by the real
    ingest pipeline into a fresh DuckDB file."""
    return _build_db(tmp_path_factory.mktemp("case") / "case.duckdb")


HOSTILE_ARTICLE = {
    "title": 'Alibaba <img src=x onerror="window.__pwned=1;alert(1)"> <script>window.__pwned=2</script> memo',
    "source": "Hostile Wire",
    "published": "2025-11-15T10:00:00+00:00",
    "tags": ["Alibaba", "<script>window.__pwned=3</script>", "<b onmouseover=alert(1)>x</b>"],
    "url": "javascript:alert(1)",
    "region": "US",
    "subtitle": "<iframe src=javascript:alert(1)></iframe>",
    "summary": "**bold?** [link](javascript:alert(1)) <svg onload=alert(1)>",
    "body": "Body with <script>alert(1)</script> and & ampersands.",
    "companies": ["alibaba"],
}


TENCENT_ARTICLE = {
    "title": "Tencent weighs its own chip options as export curbs bite",
    "source": "Example Wire",
    "published": "2025-11-13T09:15:00+08:00",
    "tags": ["Tencent", "Tech War"],
    "url": "https://example.com/tencent-chips",
    "region": "HK",
    "summary": "A second company, so the company filter has something to switch to.",
    "body": "Tencent said little.",
    "companies": ["tencent"],
}

TENCENT_REGISTRY = """
[[company]]
id = "tencent"
name = "Tencent Holdings"
aliases = ["Tencent", "騰訊"]

  [[company.listing]]
  symbol = "0700.HK"
  exchange = "XHKG"
  currency = "HKD"
  tz = "Asia/Hong_Kong"
  shares_per_unit = 1
  benchmark = "2800.HK"
  name = "Tencent Holdings (HKEX)"
"""


@pytest.fixture(scope="session")
def rich_db(tmp_path_factory) -> Path:
    """The case database plus a second company (Tencent, one article, no bars) and one Alibaba
    article whose title, tags and text carry HTML/JS payloads."""
    import json

    from dashboard.ingest.pipeline import ingest_paths

    folder = tmp_path_factory.mktemp("rich")
    companies = folder / "companies.toml"
    companies.write_text(config.COMPANIES_FILE.read_text(encoding="utf-8") + TENCENT_REGISTRY, encoding="utf-8")
    extra = folder / "extra.jsonl"
    extra.write_text("\n".join(json.dumps(a) for a in (HOSTILE_ARTICLE, TENCENT_ARTICLE)) + "\n", encoding="utf-8")
    path = _build_db(folder / "rich.duckdb")
    report = ingest_paths(path, [config.ARTICLES_DIR, config.EVENTS_FILE, extra], companies_file=companies)
    assert not report.rejections, report.rejections
    return path


# ---------------------------------------------------------------------------------------------
# streamlit run + Chromium


APP_SCRIPT = str(PROJECT_ROOT / "dashboard" / "app.py")


def open_app_at(db, monkeypatch, params: dict):
    """The app through AppTest on ``db`` with URL ``params``, the tables below the chart opened
    (they are built only when opened); no exception on the page."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(APP_SCRIPT, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    for section in ("reactions_open", "events_open", "articles_open"):
        at.session_state[section] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def run_streamlit(db_path: Path | None = None, script: Path = PROJECT_ROOT / "dashboard" / "app.py"):
    """`streamlit run script` on a free port (the app by default), until it answers /_stcore/health."""
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    if db_path is not None:
        env["DASHBOARD_DB"] = str(db_path)
    log = (TEST_OUTPUT / f"streamlit-{port}.log")
    TEST_OUTPUT.mkdir(exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script),
             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited early; see {log}")
                try:
                    with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not become healthy; see {log}")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _browser_missing_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (uv sync --group dev)"
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        return f"no Chromium at {CHROMIUM}: enable browser tests with `apt-get install -y chromium`"
    return None


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session (a launch costs seconds on a busy machine)."""
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests must run under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=CHROMIUM_ARGS,
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def browser_context(browser):
    """One browser context per module: pages in it share the HTTP cache (Streamlit's and Plotly's
    scripts load once), while each page is still its own Streamlit session. Every page counts
    script runs, for the idle wait in browser_helpers."""
    import browser_helpers

    context = browser.new_context(viewport={"width": 1500, "height": 1750}, accept_downloads=True)
    browser_helpers.install(context)
    yield context
    context.close()


@pytest.fixture
def app_page(browser_context):
    """A fresh page (a new Streamlit session) wrapped in browser_helpers.AppPage: the one way
    browser tests click, type and wait."""
    import browser_helpers

    page = browser_context.new_page()
    yield browser_helpers.AppPage(page)
    page.close()


@pytest.fixture(scope="module")
def chromium():
    """PNG/SVG export needs a Chromium-family browser: skip without one, except under CI=true."""
    from dashboard import export

    problem = export.static_export_problem()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"static export must work under CI: {problem}")
        pytest.skip(f"no static export here: {problem}")
