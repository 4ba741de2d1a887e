"""`python -m dashboard export …` end to end on a temporary database built by
`python -m dashboard ingest data/` and `python -m dashboard prices sample` (real processes). The
export commands run through the same entry point (`cli.main`) in this process, so the kaleido
browser starts once for the module; one case runs `python -m dashboard export` as a process."""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from dashboard import cli, config, store
from dashboard.store import bars as store_bars

pytestmark = pytest.mark.slow  # static images drive Chromium

PROJECT_ROOT = config.PROJECT_ROOT
WINDOW = ["--company", "alibaba", "--start", "2025-11-13", "--end", "2025-11-18"]
STEM = "alibaba_BABA-9988.HK_2025-11-13_2025-11-18_utc"


def run_process(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """`python -m dashboard ARGS` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), **env))


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The command line's entry point in this process, run from ``cwd``: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def case_db(tmp_path_factory) -> Path:
    """The real data files and the synthetic price sample, loaded by the real commands."""
    folder = tmp_path_factory.mktemp("export_cli")
    db = folder / "case.duckdb"
    for args in (("ingest", str(config.DATA_DIR)), ("prices", "sample")):
        done = run_process(*args, "--db", str(db), cwd=folder)
        assert done.returncode == 0, f"{args}: {done.stderr}"
    return db




def test_chart_png_offline(chromium, case_db, tmp_path):
    done = run_cli("export", "chart", "--db", str(case_db), *WINDOW, "--zone", "utc",
                   "--format", "png", "--width", "1000", "--height", "700", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    png = (tmp_path / f"{STEM}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1000, 700)
    assert "synthetic" in done.stdout


def test_chart_svg_names_traces_and_label(chromium, case_db, tmp_path):
    out = tmp_path / "chart.svg"
    done = run_cli("export", "chart", "--db", str(case_db), *WINDOW, "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    texts = " ".join("".join(n.itertext()) for n in ET.fromstring(out.read_bytes()).iter() if n.tag.endswith("}text"))
    assert "BABA" in texts and "9988.HK" in texts
    assert config.SYNTHETIC_LABEL in texts


def test_chart_html_is_offline(case_db, tmp_path):
    done = run_cli("export", "chart", "--db", str(case_db), *WINDOW, "--zone", "ny", "--format", "html",
                   "--out", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [page] = tmp_path.glob("*.html")
    assert page.name == "alibaba_BABA-9988.HK_2025-11-13_2025-11-18_new-york.html"
    html = page.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html and json.dumps(config.SYNTHETIC_LABEL)[1:-1] in html
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)


def test_chart_parity_flag_adds_the_parity_rows(case_db, tmp_path):
    pages = {}
    for flag in ([], ["--parity"]):
        out = tmp_path / f"chart{len(flag)}.html"
        done = run_cli("export", "chart", "--db", str(case_db), *WINDOW, *flag, "--format", "html",
                       "--out", str(out), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        pages[bool(flag)] = out.read_text(encoding="utf-8")
    assert "ADR parity" in pages[True] and "ADR parity" not in pages[False]


def test_data_csv_with_bom_round_trips(case_db, tmp_path):
    done = run_cli("export", "data", "--db", str(case_db), *WINDOW, "--table", "bars", "--bom", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    raw = (tmp_path / f"{STEM}_bars.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    bars = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert set(bars["symbol"]) == {"BABA", "9988.HK"} and set(bars["source"]) == {"synthetic"}
    ts = pd.to_datetime(bars["ts"], utc=True)
    assert ts.min() >= pd.Timestamp("2025-11-13", tz="UTC") and ts.max() < pd.Timestamp("2025-11-19", tz="UTC")
    # Full resolution: every stored minute in the window, not the chart's thinned series.
    with store.reader(case_db) as con:
        for symbol in ("BABA", "9988.HK"):
            stored = store_bars.query_bars(con, symbol, pd.Timestamp("2025-11-13", tz="UTC"),
                                           pd.Timestamp("2025-11-19", tz="UTC"), interval="1m")
            assert (bars["symbol"] == symbol).sum() == len(stored)


def test_data_articles_csv_is_neutralised_and_parquet_round_trips(case_db, tmp_path):
    csv_done = run_cli("export", "data", "--db", str(case_db), *WINDOW, "--table", "articles",
                       "--out", str(tmp_path / "a.csv"), cwd=tmp_path)
    pq_done = run_cli("export", "data", "--db", str(case_db), *WINDOW, "--table", "articles",
                      "--out", str(tmp_path / "a.parquet"), cwd=tmp_path)
    assert csv_done.returncode == 0 and pq_done.returncode == 0, csv_done.stderr + pq_done.stderr
    from_csv = pd.read_csv(tmp_path / "a.csv")
    from_parquet = pd.read_parquet(tmp_path / "a.parquet")
    assert len(from_csv) == len(from_parquet) > 0
    assert sorted(from_csv["article_id"]) == sorted(from_parquet["article_id"])
    for column in ("title", "summary", "body"):
        cells = from_csv[column].dropna().astype(str)
        assert not cells.str.match(r"[=+\-@\t\r]").any(), column


def test_report_zip(case_db, tmp_path):
    done = run_cli("export", "report", "--db", str(case_db), *WINDOW, "--zone", "hk", "--no-images",
                   "--out", str(tmp_path / "report.zip"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    bundle = zipfile.ZipFile(tmp_path / "report.zip")
    manifest = json.loads(bundle.read("manifest.json"))
    assert {f["name"] for f in manifest["files"]} == set(bundle.namelist())
    assert manifest["zone"] == "Asia/Hong_Kong"
    assert manifest["synthetic_label"] == config.SYNTHETIC_LABEL
    assert {(c["symbol"], c["source"]) for c in manifest["store_coverage"]} == {("BABA", "synthetic"), ("9988.HK", "synthetic")}
    assert manifest["event_sources"] and all(e["url"].startswith("http") for e in manifest["event_sources"])
    events = pd.read_csv(bundle.open("events.csv"))
    assert len(events) == manifest["rows"]["events"] > 0
    reactions = pd.read_csv(bundle.open("reactions.csv"))
    assert len(reactions) == manifest["rows"]["reactions"] > 0
    assert set(reactions["event_id"]) <= set(events["event_id"])
    claims = pd.read_csv(bundle.open("claims.csv"))
    assert len(claims) == manifest["rows"]["claims"] > 0
    close_claims = claims[(claims["listing"] == "BABA") & (claims["session"] == "2025-11-14")
                          & (claims["measure"] == "close")]
    assert not close_claims.empty and set(close_claims["verdict"]) == {"agrees"}
    parity = pd.read_parquet(io.BytesIO(bundle.read("parity.parquet")))
    assert len(parity) == manifest["rows"]["parity"] > 0
    friday_close = parity[parity["ts"] == pd.Timestamp("2025-11-14 20:59", tz="UTC")]
    assert float(friday_close["premium"].iloc[0]) < 0  # the ADR priced the news while HK was shut


def test_report_with_images(chromium, case_db, tmp_path):
    done = run_cli("export", "report", "--db", str(case_db), *WINDOW, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    bundle = zipfile.ZipFile(tmp_path / f"{STEM}_report.zip")
    assert {"chart.png", "chart.svg", "chart.html"} <= set(bundle.namelist())
    assert bundle.read("chart.png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_browser_fails_png_clearly_but_html_works(case_db, tmp_path):
    args = ("export", "chart", "--db", str(case_db), *WINDOW)
    no_browser = str(tmp_path / "no-chromium")
    png = run_process(*args, "--format", "png", cwd=tmp_path, BROWSER_PATH=no_browser)
    assert png.returncode == 1
    assert "apt-get install chromium" in png.stderr
    html = run_process(*args, "--format", "html", cwd=tmp_path, BROWSER_PATH=no_browser)
    assert html.returncode == 0, html.stderr
    assert (tmp_path / f"{STEM}.html").stat().st_size > 0


def test_chart_reproduces_the_apps_pct_chart_with_a_reference_time_and_regular_bars_only(case_db, tmp_path):
    """What the app draws for ?mode=pct&ref=…&ext=0, the command writes: the same Filters from the
    one builder, hence the same view and figure (% change from the reference, no extended bars)."""
    from dashboard.commands.export import filters_from_args
    from dashboard.screen import Filters, load_view

    flags = ["--price-mode", "pct", "--reference", "2025-11-14T18:00Z", "--regular-only"]
    url = {"start": "2025-11-13", "end": "2025-11-18", "mode": "pct", "ref": "2025-11-14T18:00Z", "ext": "0"}
    filters = filters_from_args(cli.build_parser().parse_args(["export", "chart", *WINDOW, *flags]))
    assert filters == Filters.from_query_params(url)[0]
    view = load_view(case_db, filters)
    baba = next(lv for lv in view.listings if lv.symbol == "BABA")
    assert baba.y_unit == "% change" and set(baba.bars["session_part"]) == {"regular"}

    done = run_cli("export", "chart", "--db", str(case_db), *WINDOW, *flags, "--out", "pct.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    plain = run_cli("export", "chart", "--db", str(case_db), *WINDOW, "--out", "plain.html", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    pct, drawn = (tmp_path / "pct.html").read_text(encoding="utf-8"), (tmp_path / "plain.html").read_text(encoding="utf-8")
    assert "% change" in pct and "% change" not in drawn
    assert '"name":"BABA extended hours"' in drawn and '"name":"BABA extended hours"' not in pct


@pytest.mark.parametrize("args, message", [
    (["--zone", "Europe/Paris"], "--zone"),
    (["--start", "14/11/2025"], "not a date"),
    (["--start", "2025-11-18", "--end", "2025-11-13"], "after --end"),
    (["--price-mode", "pct", "--reference", "teatime"], "--reference teatime is not a time"),
])
def test_bad_flags_exit_2_with_reason(case_db, tmp_path, args, message):
    done = run_cli("export", "chart", "--db", str(case_db), "--format", "html", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
