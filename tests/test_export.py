"""Exports read back: PNG decodes at the requested size, SVG parses and names the traces, HTML
holds the figure and loads nothing from the network, CSV/Parquet round-trip, CSV injection is
neutralised, the report ZIP's manifest lists every file and keeps the synthetic label."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import struct
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pandas as pd
import pytest

from dashboard import charts, config, export, markets
from dashboard.screen import Filters, ListingView, ViewData

HYPERLINK_TITLE = '=HYPERLINK("http://example.com","x")'
START_DAY, END_DAY = dt.date(2025, 11, 13), dt.date(2025, 11, 18)


# ---------------------------------------------------------------------------------------------
# A small Alibaba view built in memory (the figure builder and export need no database)


def _session_bars(mic: str, start, end, *, price: float, seed: int, source: str) -> pd.DataFrame:
    stamps = pd.date_range(start, end, freq="5min", inclusive="left")
    stamps = stamps[markets.open_mask(mic, pd.Series(stamps)).to_numpy()]
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0, 0.002, len(stamps))))
    return pd.DataFrame({
        "ts": stamps, "open": close, "high": close * 1.001, "low": close * 0.999, "close": close,
        "volume": rng.integers(1_000, 9_000, len(stamps)).astype(float),
        "source": source, "interval": "5m",
    })


def make_view(*, source: str = "synthetic", zone: str = "UTC", headline: str = "FT: memo alleges help to PLA") -> ViewData:
    filters = Filters(company="alibaba", start=START_DAY, end=END_DAY, zone=zone)
    start = pd.Timestamp(START_DAY).tz_localize(zone).tz_convert("UTC")
    end = (pd.Timestamp(END_DAY) + pd.Timedelta(days=1)).tz_localize(zone).tz_convert("UTC")
    listings = []
    for symbol, mic, currency, tz, units, price, seed in (
        ("BABA", "XNYS", "USD", "America/New_York", 8.0, 159.84, 1),
        ("9988.HK", "XHKG", "HKD", "Asia/Hong_Kong", 1.0, 154.9, 2),
    ):
        bars = _session_bars(mic, start, end, price=price, seed=seed, source=source)
        closed = pd.DataFrame(markets.closed_intervals(mic, start, end), columns=["start", "end"])
        listings.append(ListingView(
            symbol=symbol, name=symbol, exchange_mic=mic, currency=currency, tz=tz,
            shares_per_unit=units, bars=bars, total_bars=len(bars), interval="5m", closed=closed,
            y_unit=currency,
        ))
    events = pd.DataFrame([{
        "event_id": "ft-memo", "ts": pd.Timestamp("2025-11-14T18:02:11Z"),
        "ts_raw": "2025-11-14T13:02:11-05:00", "ts_zone": "America/New_York", "precision": "minute",
        "kind": "allegation", "stance": "allegation", "actor": "Financial Times", "source": "FT",
        "headline": headline, "detail": "", "source_url": "https://www.ft.com/content/example",
        "article_id": None, "company_id": "alibaba", "symbol": "BABA", "value": "-3.78%",
        "tags": ["alibaba", "security"],
    }])
    articles = pd.DataFrame([{
        "article_id": "a-1", "title": HYPERLINK_TITLE, "source": "CNBC",
        "published_at": pd.Timestamp("2025-11-14T19:30:00Z"), "url": "https://www.cnbc.com/example",
        "body": "+ leading plus in the body", "tags": ["alibaba"], "companies": ["alibaba"],
    }])
    return ViewData(
        filters=filters, company_id="alibaba", company_name="Alibaba Group", start=start, end=end,
        start_day=START_DAY, end_day=END_DAY, articles=articles, events=events, listings=listings,
    )


@pytest.fixture(scope="module")
def synthetic_view() -> ViewData:
    return make_view()


@pytest.fixture(scope="module")
def synthetic_figure(synthetic_view):
    return charts.overlay_figure(synthetic_view)




def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (after checking the signature)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_texts(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return ["".join(node.itertext()) for node in root.iter() if node.tag.endswith("}text")]


# ---------------------------------------------------------------------------------------------
# PNG / SVG


def test_png_decodes_at_requested_size(chromium, synthetic_figure):
    png = export.figure_to_png(synthetic_figure, width=900, height=640, scale=2)
    assert png_size(png) == (1800, 1280)
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image.load()  # decodes every pixel
        assert image.size == (1800, 1280)
        # The chart drew something: many distinct colours, not a blank page.
        assert len(image.convert("RGB").getcolors(maxcolors=1_000_000)) > 50


def test_svg_parses_names_traces_and_keeps_synthetic_label(chromium, synthetic_figure):
    svg = export.figure_to_svg(synthetic_figure, width=1200, height=800)
    texts = svg_texts(svg)
    legend = " ".join(texts)
    assert "BABA" in legend and "9988.HK" in legend
    assert "Allegation (1)" in legend
    assert any(config.SYNTHETIC_LABEL in t for t in texts), "synthetic label lost in the SVG"


def test_static_export_adds_missing_synthetic_label(chromium, synthetic_view):
    import plotly.graph_objects as go

    bare = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="BABA close"))
    labelled = export.ensure_synthetic_label(bare, synthetic_view.synthetic)
    texts = svg_texts(export.figure_to_svg(labelled, width=600, height=400))
    assert any(config.SYNTHETIC_LABEL in t for t in texts)
    # A figure that already has the label is not labelled twice.
    assert export.ensure_synthetic_label(labelled, True) is labelled


def test_no_browser_gives_clear_message_and_other_formats_work(monkeypatch, synthetic_view, synthetic_figure):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    with pytest.raises(export.StaticExportUnavailable, match="apt-get install chromium"):
        export.figure_to_png(synthetic_figure, width=400, height=300)
    with pytest.raises(export.StaticExportUnavailable, match="BROWSER_PATH"):
        export.figure_to_svg(synthetic_figure)
    assert "Plotly.newPlot" in export.figure_to_html(synthetic_figure)
    bundle = zipfile.ZipFile(io.BytesIO(export.report_zip(synthetic_view, synthetic_figure)))
    names = set(bundle.namelist())
    assert {"chart.html", "bars.csv", "manifest.json"} <= names
    assert "chart.png" not in names
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["static_images"].startswith("missing") and "chromium" in manifest["static_images"]
    assert "apt-get install chromium" in bundle.read("README.txt").decode()


# ---------------------------------------------------------------------------------------------
# HTML


def test_html_is_self_contained_and_holds_the_figure(synthetic_figure):
    html = export.figure_to_html(synthetic_figure, filename_stem="alibaba_BABA-9988.HK_2025-11-13_2025-11-18_utc")
    assert "Plotly.newPlot" in html
    assert json.dumps("BABA — synthetic")[1:-1] in html  # the BABA trace, named
    assert "ft-memo" in html  # the event marker's data
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I), "HTML loads a script from elsewhere"
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?:", html, re.I)
    assert len(html) > 1_000_000  # plotly.js itself is inlined
    assert '"filename": "alibaba_BABA-9988.HK_2025-11-13_2025-11-18_utc"' in html


def test_html_does_not_execute_untrusted_headline():
    view = make_view(headline="</script><script>window.__pwned=1</script>")
    html = export.figure_to_html(charts.overlay_figure(view), title="<b>x</b>")
    assert "<script>window.__pwned" not in html
    assert "<title>&lt;b&gt;x&lt;/b&gt;</title>" in html


# ---------------------------------------------------------------------------------------------
# CSV / Parquet


def test_bars_csv_round_trips_with_source_column(synthetic_view):
    bars = export.bars_frame(synthetic_view)
    back = pd.read_csv(io.BytesIO(export.frame_to_csv(bars)))
    assert list(back.columns) == [*bars.columns, "data_note"]  # the label on every synthetic row
    assert len(back) == len(bars) == sum(lv.total_bars for lv in synthetic_view.listings)
    assert set(back["source"]) == {"synthetic"} and set(back["data_note"]) == {config.SYNTHETIC_LABEL}
    assert np.array_equal(back["close"].to_numpy(), bars["close"].to_numpy())
    assert (pd.to_datetime(back["ts"], utc=True) == bars["ts"].reset_index(drop=True)).all()
    assert back["ts"].str.endswith("Z").all()  # ISO 8601 UTC


def test_csv_neutralises_formula_title_and_keeps_numbers(synthetic_view):
    frame = synthetic_view.articles.assign(score=[-3.5])
    back = pd.read_csv(io.BytesIO(export.frame_to_csv(frame)))
    assert back.loc[0, "title"] == "'" + HYPERLINK_TITLE
    assert back.loc[0, "body"] == "'+ leading plus in the body"
    assert back.loc[0, "score"] == -3.5  # a negative number stays a number
    assert back.loc[0, "tags"] == "alibaba"


@pytest.mark.parametrize("text", ["=1+1", "+1+cmd", "-2+3", "@SUM(A1)", "\tx", "\r=1", "=cmd|' /C calc'!A0"])
def test_formula_triggers_are_neutralised(text):
    back = pd.read_csv(io.BytesIO(export.frame_to_csv(pd.DataFrame({"cell": [text]}))), keep_default_na=False)
    assert back.loc[0, "cell"] == "'" + text


@pytest.mark.parametrize("text", ["-3.78%", "+1.5", "-0.19", "plain text", "a=b"])
def test_harmless_text_is_left_alone(text):
    back = pd.read_csv(io.BytesIO(export.frame_to_csv(pd.DataFrame({"cell": [text]}))), dtype=str)
    assert back.loc[0, "cell"] == text


def test_csv_is_utf8_with_optional_bom():
    frame = pd.DataFrame({"title": ["阿里巴巴 — 港股"], "n": [1]})
    plain = export.frame_to_csv(frame)
    with_bom = export.frame_to_csv(frame, bom=True)
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert with_bom == b"\xef\xbb\xbf" + plain
    assert pd.read_csv(io.BytesIO(with_bom), encoding="utf-8-sig").loc[0, "title"] == "阿里巴巴 — 港股"


def test_parquet_round_trips_types(synthetic_view):
    for frame in (export.bars_frame(synthetic_view), synthetic_view.events, synthetic_view.articles):
        back = pd.read_parquet(io.BytesIO(export.frame_to_parquet(frame)))
        assert list(back.columns) == list(frame.columns)
        assert len(back) == len(frame)
    events_back = pd.read_parquet(io.BytesIO(export.frame_to_parquet(synthetic_view.events)))
    assert str(events_back["ts"].dt.tz) == "UTC"
    assert events_back.loc[0, "ts"] == pd.Timestamp("2025-11-14T18:02:11Z")
    assert list(events_back.loc[0, "tags"]) == ["alibaba", "security"]
    # Parquet keeps text as typed: no spreadsheet quoting there.
    assert events_back.loc[0, "value"] == "-3.78%"


# ---------------------------------------------------------------------------------------------
# File names


def test_export_filename_says_what_it_holds(synthetic_view):
    name = export.export_filename(synthetic_view.filters, "chart", "png", view=synthetic_view)
    assert name == "alibaba_BABA-9988.HK_2025-11-13_2025-11-18_utc.png"
    assert export.export_filename(synthetic_view.filters, "bars", "CSV", view=synthetic_view).endswith("_utc_bars.csv")


def test_export_filename_only_safe_characters():
    hostile = Filters(company="../../etc/pass wd<script>", start=START_DAY, end=END_DAY, zone="Asia/Hong_Kong")
    name = export.export_filename(hostile, "report", "zip")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", name), name
    assert not name.startswith(".") and "/" not in name and ".." not in name.split("_")[0]


# ---------------------------------------------------------------------------------------------
# Report bundle


def _bundle(view, figure, **kwargs):
    data = export.report_zip(view, figure, include_static=kwargs.pop("include_static", False), **kwargs)
    return zipfile.ZipFile(io.BytesIO(data))


def test_report_manifest_lists_every_file_with_hashes(synthetic_view, synthetic_figure):
    bundle = _bundle(synthetic_view, synthetic_figure)
    manifest = json.loads(bundle.read("manifest.json"))
    listed = {entry["name"] for entry in manifest["files"]}
    assert listed == set(bundle.namelist())
    for entry in manifest["files"]:
        if "sha256" in entry:
            assert hashlib.sha256(bundle.read(entry["name"])).hexdigest() == entry["sha256"]
    assert {"chart.html", "events.csv", "events.parquet", "bars.csv", "bars.parquet",
            "articles.csv", "articles.parquet", "README.txt"} <= listed


def test_report_manifest_describes_filters_sources_and_urls(synthetic_view, synthetic_figure):
    stamp = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    bundle = _bundle(synthetic_view, synthetic_figure, generated_at=stamp)
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["generated_at"] == "2026-01-02T03:04:05Z"
    assert manifest["version"] == export.project_version() != ""
    assert manifest["zone"] == "UTC"
    assert manifest["filters"]["start"] == "2025-11-13" and manifest["filters"]["end"] == "2025-11-18"
    sources = {(s["symbol"], s["source"]): s for s in manifest["bar_sources"]}
    assert set(sources) == {("BABA", "synthetic"), ("9988.HK", "synthetic")}
    baba = sources[("BABA", "synthetic")]
    assert baba["rows"] == synthetic_view.listings[0].total_bars
    assert baba["first_ts"] == synthetic_view.listings[0].bars["ts"].min().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [a["url"] for a in manifest["article_sources"]] == ["https://www.cnbc.com/example"]
    assert [e["url"] for e in manifest["event_sources"]] == ["https://www.ft.com/content/example"]


def test_report_keeps_synthetic_label_everywhere(synthetic_view, synthetic_figure):
    bundle = _bundle(synthetic_view, synthetic_figure)
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["synthetic"] is True
    assert manifest["synthetic_label"] == config.SYNTHETIC_LABEL
    assert all(s["label"] == config.SYNTHETIC_LABEL for s in manifest["bar_sources"])
    assert config.SYNTHETIC_LABEL in bundle.read("README.txt").decode("utf-8")
    bars = pd.read_csv(bundle.open("bars.csv"))
    assert set(bars["source"]) == {"synthetic"}
    # plotly writes the figure JSON ASCII-only: the em dash arrives as \u2014.
    assert json.dumps(config.SYNTHETIC_LABEL)[1:-1] in bundle.read("chart.html").decode("utf-8")
    articles = pd.read_csv(bundle.open("articles.csv"))
    assert articles.loc[0, "title"] == "'" + HYPERLINK_TITLE


def test_report_images_carry_synthetic_label(chromium, synthetic_view, synthetic_figure):
    bundle = _bundle(synthetic_view, synthetic_figure, include_static=True, width=1000, height=700)
    assert png_size(bundle.read("chart.png")) == (1000, 700)
    assert any(config.SYNTHETIC_LABEL in t for t in svg_texts(bundle.read("chart.svg")))
    assert json.loads(bundle.read("manifest.json"))["static_images"] == "included"


def test_report_of_real_bars_has_no_synthetic_label():
    view = make_view(source="yahoo")
    bundle = _bundle(view, charts.overlay_figure(view))
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["synthetic"] is False and manifest["synthetic_label"] is None
    assert {s["label"] for s in manifest["bar_sources"]} == {"Yahoo Finance (yfinance)"}
    assert "SYNTHETIC" not in bundle.read("README.txt").decode("utf-8")
