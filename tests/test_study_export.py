"""The event study's exports: the CAAR figure builder, the study table (CSV/Parquet), and both in
the report ZIP — on the bundled case (synthetic sample bars, so every file says so)."""
from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest

from dashboard import cli, config, export
from dashboard.charts.study import caar_figure

LABEL_IN_HTML = json.dumps(config.SYNTHETIC_LABEL)[1:-1]  # plotly's figure JSON escapes the dash
WINDOW = ["--company", "alibaba", "--start", "2025-11-13", "--end", "2025-11-18"]


def paths_frame():
    return pd.DataFrame({"symbol": ["BABA"] * 3 + ["9988.HK"] * 3, "minutes": [0.0, 5.0, 10.0] * 2,
                         "n_events": 4, "caar": [0, -0.01, -0.02, 0, 0.005, 0.004],
                         "low": [0, -0.015, -0.03, 0, 0.0, -0.002], "high": [0, -0.005, -0.01, 0, 0.01, 0.01]})


def test_caar_figure_draws_a_line_and_band_per_listing_and_labels_synthetic_bars():
    fig = caar_figure(paths_frame(), synthetic=True, title="Alibaba <b>")
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    bands = [t for t in fig.data if t.fill == "toself"]
    assert [t.legendgroup for t in lines] == ["BABA", "9988.HK"] and len(bands) == 2
    assert list(lines[0].y) == [0, -0.01, -0.02]
    assert export.has_synthetic_label(fig)
    assert "<b>" not in fig.layout.title.text  # untrusted text escaped
    assert fig.layout.yaxis.tickformat == ".1%"


def test_caar_figure_adds_the_selected_events_path_with_its_band():
    event = pd.DataFrame({"symbol": "BABA", "minutes": [0.0, 5.0], "car": [0.0, -0.03], "se": [0.0, 0.01]})
    fig = caar_figure(paths_frame(), synthetic=False, event_path=event, event_label="FT report")
    dotted = [t for t in fig.data if t.line.dash == "dot"]
    assert len(dotted) == 1 and "FT report" in dotted[0].name
    band = [t for t in fig.data if t.fill == "toself" and t.legendgroup == "event BABA"][0]
    assert max(band.y) == pytest.approx(-0.03 + 1.96 * 0.01) or max(band.y) == pytest.approx(0.0)
    assert not export.has_synthetic_label(fig)


@pytest.mark.slow
def test_report_zip_holds_the_study_table_and_figure(case_db, tmp_path, capsys):
    out = tmp_path / "report.zip"
    assert cli.main(["export", "report", "--db", str(case_db), *WINDOW, "--no-images", "--out", str(out)]) == 0
    bundle = zipfile.ZipFile(out)
    assert {"study.csv", "study.parquet", "caar.html"} <= set(bundle.namelist())
    manifest = json.loads(bundle.read("manifest.json"))
    assert {f["name"] for f in manifest["files"]} == set(bundle.namelist())
    study = pd.read_csv(bundle.open("study.csv"))
    assert len(study) == manifest["rows"]["study"] > 0
    assert set(study["row"]) == {"pooled", "event"}
    assert set(study.loc[study["row"] == "pooled", "bars_source"]) == {"synthetic"}
    from_parquet = pd.read_parquet(io.BytesIO(bundle.read("study.parquet")))
    # the same table; the CSV adds the synthetic label as a data_note on its synthetic rows
    assert list(from_parquet.columns) + ["data_note"] == list(study.columns)
    assert set(study.loc[study["bars_source"] == "synthetic", "data_note"]) == {config.SYNTHETIC_LABEL}
    assert LABEL_IN_HTML in bundle.read("caar.html").decode("utf-8")
    assert "caar.html" in bundle.read("README.txt").decode("utf-8")


@pytest.mark.slow
def test_export_data_table_study_and_study_out(case_db, tmp_path, capsys):
    target = tmp_path / "study.csv"
    assert cli.main(["export", "data", "--db", str(case_db), *WINDOW, "--table", "study", "--out", str(target)]) == 0
    table = pd.read_csv(target)
    assert {"row", "symbol", "window", "caar", "z_kp", "p_kp", "car", "t", "note"} <= set(table.columns)
    # text cells that a spreadsheet would run stay text
    assert not table["headline"].dropna().astype(str).str.match(r"[=+\-@]").any()
    parquet = tmp_path / "study.parquet"
    assert cli.main(["study", "--db", str(case_db), "--since", "2025-11-13", "--until", "2025-11-18",
                     "--out", str(parquet)]) == 0
    assert len(pd.read_parquet(parquet)) > 0
    html = tmp_path / "caar.html"
    assert cli.main(["study", "--db", str(case_db), "--since", "2025-11-13", "--until", "2025-11-18",
                     "--out", str(html)]) == 0
    assert LABEL_IN_HTML in html.read_text(encoding="utf-8")
    assert cli.main(["study", "--db", str(case_db), "--out", str(tmp_path / "x.txt")]) == 2
    assert "use a file ending" in capsys.readouterr().err
