"""One benchmark run: every measurement beside its baseline, as result records.

Ratios always read "how many times the baseline's cost ours is" (time, or the inverse of
throughput): 1.0 is parity, below 1 is faster than the baseline, above 1 slower.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from dashboard.bench import lake, page, run
from dashboard.bench import search_rows
from dashboard.bench.generate import Dataset, Sizes, text_paths

CHART_WINDOWS = ("1d", "1mo", "1y")
CHART_SYMBOL = "BABA"
TARGET_INGEST_RATIO = 4.0  # at most 4x the cost of DuckDB's own read_json (issue 14)
TARGET_INGEST_1M_S = 60.0
TARGET_INGEST_PEAK_MB = 1536.0
TARGET_READER_WAIT_S = 2.0
APP_READERS = 3  # desks reloading the page during the ingest measured under readers (issue 32)
TEXT_INGEST_ARTICLES = 20_000  # one file per article: a sample, not all of them
TARGET_FILTER_P50_MS = 50.0
TARGET_CHART_RATIO = 2.0
TARGET_PAYLOAD_BYTES = 1_000_000
TARGET_WARM_MS = 500.0


@dataclass(frozen=True)
class Plan:
    """How much to repeat each measurement."""

    ingest_articles: int
    filter_specs: int
    filter_repeats: int
    chart_repeats: int
    app_reruns: int
    timeout_s: float
    app_window_timeout_s: float

    @classmethod
    def for_run(cls, sizes: Sizes, *, quick: bool, ingest_articles: int | None = None) -> "Plan":
        # A full run ingests every generated JSONL article (the aggregator text files: a sample).
        wanted = ingest_articles or (min(sizes.articles, 200) if quick else sizes.articles)
        if quick:
            return cls(min(wanted, sizes.articles), 6, 2, 3, 2, 180.0, 60.0)
        return cls(min(wanted, sizes.articles), 12, 5, 20, 5, 3600.0, 300.0)


def measure_all(data: Dataset, sizes: Sizes, plan: Plan, *, log=print) -> list[dict]:
    records: list[dict] = []
    for step in (_ingest_rows, ingest_under_readers_rows, _filter_row, _chart_rows, _app_rows, _study_rows, _lake_rows,
                 partial(page.rows, record=_record)):
        records.extend(step(data, sizes, plan, log))
    records.extend(search_rows.rows(data, sizes, plan, log, record=_record,
                                    ingest_seconds=_whole_ingest_seconds(records, sizes)))
    return records


def _whole_ingest_seconds(records: list[dict], sizes: Sizes) -> float | None:
    """The JSONL ingest's wall time when it ingested every article (what the index build is
    compared with), else None."""
    for row in records:
        if row["name"] == "ingest_jsonl" and row["value"] and row["details"].get("stored") == sizes.articles:
            return row["details"]["seconds"]
    return None


def _record(name: str, what: str, size: str, unit: str, **fields) -> dict:
    base = {"name": name, "what": what, "size": size, "value": None, "unit": unit,
            "baseline": None, "baseline_name": None, "ratio": None, "p50": None, "p95": None,
            "timing_unit": "ms", "peak_mb": None, "baseline_peak_mb": None, "target": None,
            "met": None, "details": {}, "error": None}
    base.update(fields)
    return base


def _attempt(log, label: str, name: str, params: dict, timeout: float) -> tuple[dict | None, str | None]:
    log(f"  {label} …")
    try:
        result = run.run_child(name, params, timeout=timeout)
    except run.MeasurementFailed as exc:
        log(f"  {label}: FAILED ({str(exc).splitlines()[0]})")
        return None, str(exc)
    log(f"  {label}: done in {result['wall_s']:.1f} s, peak {result['peak_mb']:.0f} MB")
    return result, None


# ---------------------------------------------------------------------------------------------


def _jsonl_sample(data: Dataset, n: int) -> tuple[list, int]:
    """Whole generated JSONL files until ``n`` articles are reached, and how many they hold."""
    jsonl, n_jsonl = [], 0
    for path in data.jsonl_paths():
        if n_jsonl >= n:
            break
        jsonl.append(path)
        with path.open("rb") as handle:
            n_jsonl += sum(1 for _ in handle)
    return jsonl, n_jsonl


def _ingest_rows(data: Dataset, sizes: Sizes, plan: Plan, log) -> list[dict]:
    n = plan.ingest_articles
    jsonl, n_jsonl = _jsonl_sample(data, n)
    n_text = min(n, TEXT_INGEST_ARTICLES)
    scratch = data.root / "scratch"
    scratch.mkdir(exist_ok=True)
    log("ingest")
    floor, floor_error = _attempt(log, "DuckDB read_json (floor)", "read_json",
                                  {"db": str(scratch / "read_json.duckdb"), "paths": [str(p) for p in jsonl]},
                                  plan.timeout_s)
    floor_rate = floor["articles"] / floor["seconds"] if floor else None
    rows = []
    registry = [str(data.companies_toml)]  # the synthetic companies, linked like real ones
    for fmt, paths, count in (
        ("jsonl", registry + [str(p) for p in jsonl], n_jsonl),
        ("text", registry + [str(p) for p in text_paths(data.text_dir, n_text)], n_text),
    ):
        result, error = _attempt(log, f"ingest_paths ({fmt})", "ingest",
                                 {"db": str(scratch / f"ingest_{fmt}.duckdb"), "paths": paths,
                                  "probe": fmt == "jsonl"}, plan.timeout_s)
        row = _record(
            f"ingest_{fmt}", f"ingest_paths on generated {'JSONL' if fmt == 'jsonl' else 'aggregator text'} files",
            f"{count:,} articles", "articles/s",
            baseline=floor_rate, baseline_name="DuckDB read_json of the same articles as JSONL",
            baseline_peak_mb=floor["peak_mb"] if floor else None,
            target=f"<= {TARGET_INGEST_RATIO:g}x read_json" if fmt == "jsonl" else None,
            error=error or floor_error,
        )
        if result:
            rate = result["articles"] / result["seconds"]
            row.update(value=rate, p50=result["seconds"] * 1000, p95=result["seconds"] * 1000,
                       peak_mb=result["peak_mb"],
                       details={"stored": result["articles"], "seconds": result["seconds"],
                                "files": len(paths) - 1, "report": result.get("report"),
                                "reader": result.get("reader")})
            if floor_rate:
                row["ratio"] = floor_rate / rate
                if fmt == "jsonl":
                    row["met"] = row["ratio"] <= TARGET_INGEST_RATIO
        rows.append(row)
        if fmt == "jsonl":
            rows += _ingest_side_rows(result, error, count, sizes)
    return rows


def _ingest_side_rows(result: dict | None, error: str | None, count: int, sizes: Sizes) -> list[dict]:
    """The JSONL ingest's wall time, memory (main process and parse workers together) and what a
    reader beside it waited."""
    size = f"{count:,} articles"
    whole = count >= 1_000_000
    wall = _record("ingest_jsonl_wall", "the same JSONL ingest: wall time", size, "s",
                   target=f"< {TARGET_INGEST_1M_S:g} s for 1M articles" if whole else None, error=error)
    memory = _record("ingest_jsonl_memory", "the same ingest: peak memory — the larger of its process's peak RSS "
                     "and the peak PSS of it with its parse workers",
                     size, "MB", target=f"<= {TARGET_INGEST_PEAK_MB / 1024:g} GB", error=error)
    reader = _record("ingest_reader_wait", "a reader opening the database as the app does, every 250 ms during it: "
                     "longest wait to open (5 s of waiting is \"database busy\")",
                     size, "s", target=f"<= {TARGET_READER_WAIT_S:g} s", error=error)
    if result:
        wall.update(value=result["seconds"], peak_mb=result["peak_mb"], met=result["seconds"] < TARGET_INGEST_1M_S if whole else None)
        probe = result.get("reader") or {}
        if probe:
            peak = max(probe["tree_peak_mb"], result["peak_mb"])
            memory.update(value=peak, peak_mb=result["peak_mb"], met=peak <= TARGET_INGEST_PEAK_MB,
                          details={"tree_peak_pss_mb": probe["tree_peak_mb"]})
            reader.update(value=probe["longest_wait_s"], peak_mb=result["peak_mb"],
                          met=probe["longest_wait_s"] <= TARGET_READER_WAIT_S and not probe["busy"],
                          details={k: probe[k] for k in ("attempts", "waited", "busy")})
    return [wall, memory, reader]


def ingest_under_readers_rows(data: Dataset, sizes: Sizes, plan: Plan, log) -> list[dict]:
    """The JSONL ingest alone, then again under desks reloading the page (issue 32): what the
    readers cost the writer, and what the writer costs them."""
    jsonl, count = _jsonl_sample(data, plan.ingest_articles)
    paths = [str(data.companies_toml)] + [str(p) for p in jsonl]
    scratch = data.root / "scratch"
    log("ingest under readers")
    runs = {}
    for readers in (0, APP_READERS):
        runs[readers] = _attempt(log, f"ingest_paths (jsonl), {readers} looping readers", "ingest",
                                 {"db": str(scratch / f"ingest_readers_{readers}.duckdb"), "paths": paths,
                                  "app_readers": readers}, plan.timeout_s)
    (alone, alone_error), (under, under_error) = runs[0], runs[APP_READERS]
    size = f"{count:,} articles"
    wall = _record("ingest_under_readers", f"the same JSONL ingest while {APP_READERS} processes loop over the "
                   "app's read (load_view, back to back): wall time", size, "s",
                   baseline_name="the same ingest alone", error=under_error or alone_error)
    wait = _record("ingest_readers_wait", f"those {APP_READERS} readers: longest wait to open "
                   "(5 s of waiting is \"database busy\")", size, "s",
                   target=f"<= {TARGET_READER_WAIT_S:g} s, none busy", error=under_error)
    if under:
        wall.update(value=under["seconds"], p50=under["seconds"] * 1000, p95=under["seconds"] * 1000,
                    peak_mb=under["peak_mb"], details={"stored": under["articles"]})
        desks = under["app_readers"]
        longest = max(d["longest_wait_s"] for d in desks)
        failed = sum(d["busy"] + d["errors"] for d in desks)
        wait.update(value=longest, peak_mb=under["peak_mb"], met=longest <= TARGET_READER_WAIT_S and not failed,
                    details={"reads": [d["attempts"] for d in desks], "waited": [d["waited"] for d in desks],
                             "busy": sum(d["busy"] for d in desks), "errors": sum(d["errors"] for d in desks),
                             "first_error": next((d["first_error"] for d in desks if d["first_error"]), None)})
    if under and alone:
        wall.update(baseline=alone["seconds"], baseline_peak_mb=alone["peak_mb"],
                    ratio=under["seconds"] / alone["seconds"])
        if under["articles"] != alone["articles"]:
            wall["error"] = f"stored {under['articles']:,} articles under readers, {alone['articles']:,} alone"
    return [wall, wait]


def _filter_row(data: Dataset, sizes: Sizes, plan: Plan, log) -> list[dict]:
    log("filter")
    specs = run.filter_specs(plan.filter_specs)
    common = {"specs": specs, "repeats": plan.filter_repeats}
    ours, error = _attempt(log, "query_articles + count_articles", "filter_store",
                           {**common, "db": str(data.db)}, plan.timeout_s)
    pandas_result, pandas_error = _attempt(log, "pandas in memory", "filter_pandas",
                                           {**common, "parquet": str(data.parquet)}, plan.timeout_s)
    row = _record(
        "filter", "any-of tags + company + date window: count + newest 50",
        f"{sizes.articles:,} articles", "ms (p50)",
        baseline_name="pandas/numpy on the same articles in memory (sorted, exploded categorical tags)",
        target=f"p50 <= {TARGET_FILTER_P50_MS:g} ms and faster than pandas",
        error=error or pandas_error,
    )
    if ours:
        stats = run.percentiles(ours["samples_ms"])
        row.update(value=stats["p50"], p50=stats["p50"], p95=stats["p95"], peak_mb=ours["peak_mb"],
                   details={"samples": stats["n"], "filters": len(specs), "counts": ours["counts"]})
    if pandas_result:
        base = run.percentiles(pandas_result["samples_ms"])
        row.update(baseline=base["p50"], baseline_peak_mb=pandas_result["peak_mb"])
        row["details"]["baseline_p95"] = base["p95"]
        row["details"]["baseline_counts"] = pandas_result["counts"]
    if ours and pandas_result:
        row["ratio"] = row["value"] / row["baseline"]
        row["met"] = row["value"] <= TARGET_FILTER_P50_MS and row["ratio"] < 1
        # Both sides must find the same articles, or the comparison means nothing.
        agree = [a[0] == b[0] for a, b in zip(ours["counts"], pandas_result["counts"])]
        row["details"]["counts_agree"] = all(agree)
        if not all(agree):
            row["error"] = "store and pandas counts differ for some filters (see details)"
    return [row]


def _chart_rows(data: Dataset, sizes: Sizes, plan: Plan, log) -> list[dict]:
    log("chart data path")
    rows = []
    for window in CHART_WINDOWS:
        params = {"db": str(data.db), "symbol": CHART_SYMBOL, "window": window, "repeats": plan.chart_repeats}
        ours, error = _attempt(log, f"query_bars + downsample_bars ({window})", "chart_store", params, plan.timeout_s)
        limit, limit_error = _attempt(log, f"tsdownsample in memory ({window})", "chart_tsdownsample",
                                      params, plan.timeout_s)
        row = _record(
            f"chart_{window}", f"{CHART_SYMBOL} 1-minute bars, last {window}: window query + downsampling",
            f"{sizes.bars:,} bars stored", "ms (p50)",
            baseline_name="tsdownsample MinMaxLTTB on the same arrays in memory",
            target=f"<= {TARGET_CHART_RATIO:g}x tsdownsample", error=error or limit_error,
        )
        if ours:
            stats = run.percentiles(ours["samples_ms"])
            row.update(value=stats["p50"], p50=stats["p50"], p95=stats["p95"], peak_mb=ours["peak_mb"],
                       size=f"{ours['bars_in']:,} of {sizes.bars:,} bars",
                       details={k: ours[k] for k in ("bars_in", "bars_out", "budget", "start", "end")})
        if limit:
            base = run.percentiles(limit["samples_ms"])
            row.update(baseline=base["p50"], baseline_peak_mb=limit["peak_mb"])
        if ours and limit and row["baseline"] > 0:
            row["ratio"] = row["value"] / row["baseline"]
            if ours["bars_in"] > ours["budget"]:
                row["met"] = row["ratio"] <= TARGET_CHART_RATIO
            else:  # under budget there is nothing to downsample: the limit is ~0 and the ratio moot
                row["details"]["note"] = "window under the point budget: nothing to downsample"
        rows.append(row)
    return rows


def _app_rows(data: Dataset, sizes: Sizes, plan: Plan, log) -> list[dict]:
    log("app (AppTest)")
    params = {"db": str(data.db), "symbol": CHART_SYMBOL, "windows": list(CHART_WINDOWS),
              "repeats": plan.app_reruns, "timeout": plan.timeout_s,
              "window_timeout": plan.app_window_timeout_s}
    result, error = _attempt(log, "AppTest cold run, warm reruns, windows", "app", params, plan.timeout_s)
    size = f"{sizes.articles:,} articles, {sizes.bars:,} bars"
    peak = result["peak_mb"] if result else None
    cold = _record("app_cold", "AppTest first run in a fresh process (default view)", size, "ms",
                   peak_mb=peak, error=error)
    warm = _record("app_warm", "AppTest rerun, nothing changed (caches warm)", size, "ms (p50)",
                   peak_mb=peak, target=f"<= {TARGET_WARM_MS:g} ms", error=error)
    rows = [cold, warm]
    payloads = []
    for window in CHART_WINDOWS:
        payloads.append(_record(f"payload_{window}", f"figure JSON sent to the browser, last {window}",
                                size, "bytes", peak_mb=peak,
                                target=f"<= {TARGET_PAYLOAD_BYTES / 1e6:g} MB", error=error))
    if result:
        cold.update(value=result["cold_ms"], p50=result["cold_ms"], p95=result["cold_ms"])
        stats = run.percentiles(result["warm_samples_ms"])
        warm.update(value=stats["p50"], p50=stats["p50"], p95=stats["p95"], met=stats["p50"] <= TARGET_WARM_MS,
                    details={"reruns": stats["n"]})
        cold["details"] = {"default_payload_bytes": result["default_payload_bytes"]}
        for row, window in zip(payloads, CHART_WINDOWS):
            measured = result["windows"][window]
            if "error" in measured:
                row["error"] = f"{measured['error']} (after {measured['elapsed_ms'] / 1000:.0f} s)"
                continue
            row.update(value=measured["payload_bytes"], met=measured["payload_bytes"] <= TARGET_PAYLOAD_BYTES,
                       details={"first_run_ms": measured["first_run_ms"], "start": measured["start"],
                                "end": measured["end"]})
    return rows + payloads


def _study_rows(data: Dataset, sizes: Sizes, plan: Plan, log) -> list[dict]:
    """The event study (issue 27): 1,000 events × BABA and 9988.HK, cold and warm."""
    from dashboard.bench.study import STUDY_EVENTS, TARGET_WARM_S

    log("event study")
    params = {"db": str(data.db), "events": STUDY_EVENTS, "repeats": 1 if plan.app_reruns <= 2 else 3}
    result, error = _attempt(log, "study of the last 1,000 Alibaba events", "study", params, plan.timeout_s)
    size = f"{STUDY_EVENTS:,} events × 2 listings, 5m from {sizes.bars:,} 1m bars"
    cold = _record("study_cold", "event study, first call in a fresh process", size, "ms", error=error)
    warm = _record("study_warm", "event study, the same study again", size, "ms (p50)",
                   target=f"<= {TARGET_WARM_S * 1000:g} ms", error=error)
    if result:
        details = {k: result[k] for k in ("events", "listings", "rows", "with_statistics", "pooled_rows", "since", "until")}
        cold.update(value=result["cold_ms"], p50=result["cold_ms"], p95=result["cold_ms"], peak_mb=result["peak_mb"],
                    details=details)
        stats = run.percentiles(result["warm_samples_ms"])
        warm.update(value=stats["p50"], p50=stats["p50"], p95=stats["p95"], peak_mb=result["peak_mb"],
                    met=stats["p50"] <= TARGET_WARM_S * 1000, details=details)
    return [cold, warm]


def _lake_rows(data: Dataset, sizes: Sizes, plan: Plan, log) -> list[dict]:
    """Publish full + 1% increment, then the filter and chart paths on the lake beside the file."""
    log("lake (Iceberg: SQLite catalog, file warehouse)")
    # Bars are scanned per query (not held in memory) at every size, as they are at 10M bars.
    where = {**lake.location_params(data.root), "materialize_rows": min(2_000_000, sizes.bars // 2)}
    scratch = data.root / "scratch"
    scratch.mkdir(exist_ok=True)
    published, error = _attempt(log, "publish full + 1% increment", "lake_publish",
                                      {"db": str(data.db), "lake": where, "scratch": str(scratch)},
                                      plan.timeout_s * 2)
    size = f"{sizes.articles:,} articles, {sizes.bars:,} bars"
    full = _record("lake_publish_full", "publish: every table into a fresh lake (99% of the data)",
                         size, "ms", error=error)
    step = _record("lake_publish_1pct", "publish: the newest 1% of articles and bars added since",
                         size, "ms", baseline_name="the full publish", error=error)
    if published:
        full.update(value=published["full_s"] * 1000, p50=published["full_s"] * 1000, p95=published["full_s"] * 1000,
                    peak_mb=published["peak_mb"],
                    details={"rows": published["rows"]})
        step.update(value=published["increment_s"] * 1000, baseline=published["full_s"] * 1000, peak_mb=published["peak_mb"],
                    p50=published["increment_s"] * 1000, p95=published["increment_s"] * 1000,
                    ratio=published["increment_s"] / published["full_s"],
                    details={"written [partitions, of, rows, s]": published["written"],
                             "articles: partition overwrite s": published["articles_overwrite_s"],
                             "articles: pyiceberg Table.upsert s": published["upsert_s"]})
    rows = [full, step]
    if not published:
        return rows
    specs = run.filter_specs(plan.filter_specs)
    pairs = [("lake_filter", "filter_store", {"specs": specs, "repeats": plan.filter_repeats},
              "article filter (count + newest 50)", f"{sizes.articles:,} articles")]
    pairs += [(f"lake_chart_{w}", "chart_store", {"symbol": CHART_SYMBOL, "window": w,
                                                  "repeats": plan.chart_repeats},
               f"{CHART_SYMBOL} chart window {w}: query + downsampling", f"{sizes.bars:,} bars")
              for w in CHART_WINDOWS]
    for name, child, params, what, size in pairs:
        local, local_error = _attempt(log, f"{name} (local file)", child, {**params, "db": str(data.db)},
                                            plan.timeout_s)
        ours, lake_error = _attempt(log, f"{name} (lake)", child, {**params, "db": str(data.db), "lake": where},
                                          plan.timeout_s)
        row = _record(name, f"lake: {what}", size, "ms (p50)", baseline_name="the same on the local DuckDB file",
                            target=f"<= {lake.TARGET_LAKE_RATIO:g}x local", error=lake_error or local_error)
        if ours and local:
            a, b = run.percentiles(ours["samples_ms"]), run.percentiles(local["samples_ms"])
            row.update(value=a["p50"], p50=a["p50"], p95=a["p95"], baseline=b["p50"], peak_mb=ours["peak_mb"],
                       baseline_peak_mb=local["peak_mb"], ratio=a["p50"] / b["p50"] if b["p50"] else None)
            row["met"] = row["ratio"] is not None and row["ratio"] <= lake.TARGET_LAKE_RATIO
            if "counts" in ours and ours["counts"] != local["counts"]:
                row["error"] = "lake and local counts differ"
        rows.append(row)
    return rows
