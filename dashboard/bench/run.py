"""The measurements. Each one runs in a fresh Python process so its peak memory is its own.

The parent starts ``python -m dashboard.bench.run MEASUREMENT PARAMS_FILE`` and reads one JSON
line from the child's stdout, which includes the child's peak resident set (``VmHWM``: the whole
process, interpreter and imports included).
Timings inside the child use ``time.perf_counter``; set-up (loading the baseline's data into
memory, opening the database) is outside the timed region unless it is what is being measured.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.config import PROJECT_ROOT

RESULT_MARK = "BENCH-RESULT "


# ---------------------------------------------------------------------------------------------
# Helpers shared by the children


def percentiles(samples_ms: list[float]) -> dict:
    values = np.asarray(samples_ms, dtype=float)
    return {
        "p50": float(np.percentile(values, 50)),
        "p95": float(np.percentile(values, 95)),
        "n": int(values.size),
    }


def filter_specs(count: int) -> list[dict]:
    """Deterministic filters: any-of tags (common, middling and rare; mixed case) + a company + a
    date window from one month to three years, ending at different times."""
    from dashboard.bench.generate import LAST_DAY, make_universe

    corpus = make_universe()
    tags, companies = corpus.tags, corpus.company_ids
    windows_days = [30, 365, 90, 1095]
    specs = []
    for i in range(count):
        chosen = [tags[i % 5]]
        if i % 2:
            chosen.append(tags[20 + i])
        if i % 3 == 0:
            chosen.append(tags[150 + (i * 7) % 140])
        chosen = [t.lower() if i % 2 else t.upper() for t in chosen]  # case must not matter
        until = LAST_DAY - pd.Timedelta(days=17 * i) - pd.Timedelta(seconds=1)
        since = until - pd.Timedelta(days=windows_days[i % 4])
        specs.append({
            "tags": chosen,
            "companies": [companies[[0, 1, 5, 20][i % 4]]],
            "since": since.isoformat(),
            "until": until.isoformat(),
        })
    return specs


def chart_window(last_bar: pd.Timestamp, window: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) UTC covering the last day / 30 days / 365 days of bars."""
    end = last_bar.floor("D") + pd.Timedelta(days=1)
    days = {"1d": 1, "1mo": 30, "1y": 365}[window]
    return end - pd.Timedelta(days=days), end


# ---------------------------------------------------------------------------------------------
# The children: each returns a dict that becomes the JSON line.


def child_ingest(params: dict) -> dict:
    """The project's pipeline on generated files, into a fresh database."""
    from dashboard.ingest.pipeline import ingest_paths

    db = Path(params["db"])
    for leftover in (db, db.with_suffix(db.suffix + ".wal")):
        if leftover.exists():
            leftover.unlink()
    paths = [Path(p) for p in params["paths"]]
    # A reader beside the ingest (as the app would be), which also samples the memory of this
    # process and its parse workers together (dashboard/bench/busy.py).
    probe = subprocess.Popen([sys.executable, "-m", "dashboard.bench.busy", str(db)], cwd=PROJECT_ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) if params.get("probe") else None
    # Desks reloading the page meanwhile: the app's read back to back, each in its own process.
    desks = [subprocess.Popen([sys.executable, "-m", "dashboard.bench.busy", str(db), "--app"], cwd=PROJECT_ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for _ in range(params.get("app_readers", 0))]
    if probe:
        probe.stdout.readline()  # "probing": its imports are done, it is looking for the file
    started = time.perf_counter()
    try:
        report = ingest_paths(db, paths)
        elapsed = time.perf_counter() - started
    finally:
        reader = json.loads(probe.communicate("")[0]) if probe else None
        app_readers = [json.loads(desk.communicate("")[0].splitlines()[-1]) for desk in desks]
    from dashboard import store

    with store.as_database(db).read() as con:
        stored = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    return {"seconds": elapsed, "articles": int(stored), "report": _plain(report), "reader": reader,
            "app_readers": app_readers}


def child_read_json(params: dict) -> dict:
    """The floor: DuckDB's own read_json of the same JSONL into a table in a fresh file."""
    import duckdb

    db = Path(params["db"])
    if db.exists():
        db.unlink()
    con = duckdb.connect(str(db))
    started = time.perf_counter()
    # The file list is bound as a parameter; this is the baseline, not the store.
    con.execute("CREATE TABLE raw_articles AS SELECT * FROM read_json(?, format = 'newline_delimited')",
                [params["paths"]])
    con.execute("CHECKPOINT")
    elapsed = time.perf_counter() - started
    stored = con.execute("SELECT count(*) FROM raw_articles").fetchone()[0]
    con.close()
    return {"seconds": elapsed, "articles": int(stored)}


def child_filter_store(params: dict) -> dict:
    """query_articles (newest 50) + count_articles on the big database, one open connection."""
    from dashboard.store.articles import count_articles, query_articles

    from dashboard.bench.lake import source

    specs = params["specs"]
    samples, counts = [], []
    with source(params).read() as con:
        for repeat in range(params["repeats"] + 1):  # the first round warms caches, not counted
            for spec in specs:
                args = _spec_args(spec)
                started = time.perf_counter()
                newest = query_articles(con, **args, limit=50)
                total = count_articles(con, **args)
                elapsed_ms = (time.perf_counter() - started) * 1000
                if repeat:
                    samples.append(elapsed_ms)
                else:
                    counts.append([int(total), int(len(newest))])
    return {"samples_ms": samples, "counts": counts}


def child_filter_pandas(params: dict) -> dict:
    """The same filters in pandas/numpy on the same articles held in memory.

    A fair in-memory design, not a straw man: articles sorted by time (so a date window is a
    binary search), tags and companies exploded once into categorical columns (so any-of is one
    vectorised ``isin``), lower-cased once at load time.
    """
    frame = pd.read_parquet(params["parquet"])
    frame = frame.sort_values("published_at", kind="stable").reset_index(drop=True)
    positions = np.arange(len(frame))
    tag_lens = frame["tags"].map(len).to_numpy()
    tag_pos = np.repeat(positions, tag_lens)
    tag_lower = pd.Categorical([t.casefold() for tags in frame["tags"] for t in tags])
    company_lens = frame["companies"].map(len).to_numpy()
    company_pos = np.repeat(positions, company_lens)
    company_ids = pd.Categorical([c for cs in frame["companies"] for c in cs])
    # Naive UTC datetime64 so the window bounds are two binary searches.
    published = frame["published_at"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    columns = ["title", "source", "region", "published_at", "url", "tags", "companies"]

    samples, counts = [], []
    for repeat in range(params["repeats"] + 1):
        for spec in params["specs"]:
            args = _spec_args(spec)
            started = time.perf_counter()
            wanted_tags = [t.casefold() for t in args["tags"]]
            wanted_companies = [c.casefold() for c in args["companies"]]
            lo = np.searchsorted(published, args["since"].tz_localize(None).to_datetime64(), "left")
            hi = np.searchsorted(published, args["until"].tz_localize(None).to_datetime64(), "right")
            has_tag = np.zeros(len(frame), dtype=bool)
            has_tag[tag_pos[tag_lower.isin(wanted_tags)]] = True
            has_company = np.zeros(len(frame), dtype=bool)
            has_company[company_pos[company_ids.isin(wanted_companies)]] = True
            hits = lo + np.flatnonzero(has_tag[lo:hi] & has_company[lo:hi])
            total = len(hits)
            newest = frame.iloc[hits[-50:][::-1]][columns]
            elapsed_ms = (time.perf_counter() - started) * 1000
            if repeat:
                samples.append(elapsed_ms)
            else:
                counts.append([int(total), int(len(newest))])
    return {"samples_ms": samples, "counts": counts}


def _spec_args(spec: dict) -> dict:
    return {
        "tags": list(spec["tags"]),
        "companies": list(spec["companies"]),
        "since": pd.Timestamp(spec["since"]).tz_convert("UTC"),
        "until": pd.Timestamp(spec["until"]).tz_convert("UTC"),
    }


def _last_bar(con, symbol: str) -> pd.Timestamp:
    from dashboard.store.bars import coverage

    cov = coverage(con)
    return pd.Timestamp(cov[cov["symbol"] == symbol]["last_ts"].max()).tz_convert("UTC")


def child_chart_store(params: dict) -> dict:
    """query_bars + the app's downsampling (view.downsample_bars) for one window."""
    from dashboard.store.bars import query_bars
    from dashboard.screen import DEFAULT_MAX_POINTS, downsample_bars

    from dashboard.bench.lake import source

    samples = []
    with source(params).read() as con:
        start, end = chart_window(_last_bar(con, params["symbol"]), params["window"])
        for repeat in range(params["repeats"] + 1):
            started = time.perf_counter()
            bars = query_bars(con, params["symbol"], start, end)
            shown = downsample_bars(bars, DEFAULT_MAX_POINTS)
            elapsed_ms = (time.perf_counter() - started) * 1000
            if repeat:
                samples.append(elapsed_ms)
    return {"samples_ms": samples, "bars_in": int(len(bars)), "bars_out": int(len(shown)),
            "budget": DEFAULT_MAX_POINTS, "start": start.isoformat(), "end": end.isoformat()}


def child_chart_tsdownsample(params: dict) -> dict:
    """The limit: MinMaxLTTB on the same window's arrays, already in memory."""
    from tsdownsample import MinMaxLTTBDownsampler

    from dashboard import store
    from dashboard.store.bars import query_bars
    from dashboard.screen import DEFAULT_MAX_POINTS

    with store.as_database(params["db"]).read() as con:
        start, end = chart_window(_last_bar(con, params["symbol"]), params["window"])
        bars = query_bars(con, params["symbol"], start, end)
    x = bars["ts"].astype("int64").to_numpy()
    y = bars["close"].to_numpy(dtype="float64")
    downsampler = MinMaxLTTBDownsampler()
    samples = []
    for repeat in range(params["repeats"] + 1):
        started = time.perf_counter()
        if len(x) > DEFAULT_MAX_POINTS:
            kept = downsampler.downsample(x, y, n_out=DEFAULT_MAX_POINTS)
        else:  # the app sends a window under budget as it is: nothing to do
            kept = np.arange(len(x))
        elapsed_ms = (time.perf_counter() - started) * 1000
        if repeat:
            samples.append(elapsed_ms)
    return {"samples_ms": samples, "bars_in": int(len(x)), "bars_out": int(len(kept))}


def child_app(params: dict) -> dict:
    """AppTest on the big database: the first run in a fresh process (cold), reruns (warm), then
    the figure payload for each chart window (a new session per window, URL state as a user
    would share it)."""
    os.environ["DASHBOARD_DB"] = params["db"]
    from streamlit.testing.v1 import AppTest

    from dashboard import store

    app_file = str(PROJECT_ROOT / "dashboard" / "app.py")
    timeout = params["timeout"]
    started = time.perf_counter()
    at = AppTest.from_file(app_file, default_timeout=timeout)
    at.run()
    cold_ms = (time.perf_counter() - started) * 1000
    _raise_app_errors(at, "default view")
    warm = []
    for _ in range(params["repeats"]):
        started = time.perf_counter()
        at.run()
        warm.append((time.perf_counter() - started) * 1000)
    _raise_app_errors(at, "rerun")
    default_payload = _payload_bytes(at)

    with store.as_database(params["db"]).read() as con:
        last_bar = _last_bar(con, params["symbol"])
    windows = {}
    # Longest window last: a run that times out keeps its script thread busy in this process.
    for window in params["windows"]:
        start, end = chart_window(last_bar, window)
        at = AppTest.from_file(app_file, default_timeout=params["window_timeout"])
        at.query_params["start"] = start.date().isoformat()
        at.query_params["end"] = (end - pd.Timedelta(days=1)).date().isoformat()
        started = time.perf_counter()
        try:
            at.run()
            _raise_app_errors(at, f"window {window}")
        except Exception as exc:  # one window failing (or timing out) must not hide the others
            windows[window] = {"error": f"{type(exc).__name__}: {exc}"[:500],
                               "elapsed_ms": (time.perf_counter() - started) * 1000}
            continue
        first_ms = (time.perf_counter() - started) * 1000
        windows[window] = {"payload_bytes": _payload_bytes(at), "first_run_ms": first_ms,
                           "start": start.isoformat(), "end": end.isoformat()}
    return {"cold_ms": cold_ms, "warm_samples_ms": warm, "default_payload_bytes": default_payload,
            "windows": windows}


def _payload_bytes(at) -> int:
    charts = at.get("plotly_chart")
    return int(sum(len(chart.proto.spec.encode("utf-8")) for chart in charts))


def _raise_app_errors(at, what: str) -> None:
    if len(at.exception):
        raise RuntimeError(f"app raised on {what}: {at.exception[0].message}")
    if not len(at.get("plotly_chart")):
        raise RuntimeError(f"app drew no chart on {what}")


def _plain(value):
    """Something JSON can hold: dataclasses and objects become dicts of their simple fields."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in list(value)[:20]]
    if hasattr(value, "__dict__"):
        return {k: _plain(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def child_lake_publish(params: dict) -> dict:
    from dashboard.bench.lake import child_publish

    return child_publish(params)


def child_study(params: dict) -> dict:
    from dashboard.bench.study import child_study as measure

    return measure(params)


def child_search(params: dict) -> dict:
    from dashboard.bench.search import child_search as measure

    return measure(params)


CHILDREN = {
    "ingest": child_ingest,
    "read_json": child_read_json,
    "filter_store": child_filter_store,
    "filter_pandas": child_filter_pandas,
    "chart_store": child_chart_store,
    "chart_tsdownsample": child_chart_tsdownsample,
    "app": child_app,
    "lake_publish": child_lake_publish,
    "study": child_study,
    "search": child_search,
}


def peak_rss_mb() -> float | None:
    """This process's peak resident set (VmHWM) in MB.

    Read in the child rather than taken from ``wait4``'s ``ru_maxrss``: Linux carries the
    parent's high-water mark across fork+exec into the child's ``ru_maxrss``, so a child of a
    300 MB parent would never report less than 300 MB.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_main(argv: list[str]) -> int:
    name, params = argv[0], json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    result = CHILDREN[name](params)
    result["peak_mb"] = peak_rss_mb()
    sys.stdout.write(RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # do not wait for an AppTest script thread that is still running


# ---------------------------------------------------------------------------------------------
# The parent side


class MeasurementFailed(RuntimeError):
    """A measurement's child process failed; the message carries the end of its stderr."""


def run_child(name: str, params: dict, *, timeout: float) -> dict:
    """Run one measurement in a fresh process; adds ``peak_mb`` and ``wall_s``."""
    # Parameters go through a file: a list of 20k paths is too long for a command line.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as params_file:
        json.dump(params, params_file)
        params_file.flush()
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "dashboard.bench.run", name, params_file.name],
            stdout=out, stderr=err, cwd=PROJECT_ROOT, env=_child_env(),
        )
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        try:
            _, status, _ = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        lines = [line for line in out.read().splitlines() if line.startswith(RESULT_MARK)]
        if child.returncode != 0 or not lines:
            tail = err.read()[-3000:]
            reason = f"killed after {timeout:.0f} s" if child.returncode == -9 else f"exit {child.returncode}"
            raise MeasurementFailed(f"{name}: {reason}; stderr ends:\n{tail}")
    result = json.loads(lines[-1][len(RESULT_MARK):])
    result["wall_s"] = wall
    return result


def _child_env() -> dict:
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    # The ingest is measured alone; the search index build is its own measurement (bench/search.py).
    env.setdefault("DASHBOARD_SEARCH_FOLLOW", "0")
    # Keep Streamlit quiet and local in AppTest children.
    env.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    return env


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
