"""The app's export buttons (part of the Streamlit face; the work is done by dashboard.export).

Every file is made only when its button is clicked (`st.download_button` with a callable), so a
rerun costs nothing and the browser used for PNG/SVG starts only when someone asks for an image.
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from dashboard import export

TABLES = {"bars": "Price bars", "events": "Events", "articles": "Articles",
          "reactions": "Reactions", "claims": "Reported vs computed moves", "parity": "ADR parity",
          "study": "Event study"}


def _table(view: Any, name: str, db: Any):
    if name == "bars":
        return export.bars_frame(view)
    if name in export.ANALYSIS_TABLES or name == "study":
        if db is None:
            raise ValueError(f"the {TABLES[name]} table is computed from the database")
        frame = export.analysis_table_for(db, view, name)
        return frame if frame is not None else pd.DataFrame()
    return getattr(view, name)


def render_export_buttons(st, fig, view, filters, *, db: Any = None,
                          key_prefix: str = "export") -> None:
    """Download buttons under a figure: PNG, SVG, HTML, CSV, Parquet and the report ZIP.

    `st` is the streamlit module or a container; `fig` the figure as shown; `view` the ViewData it
    was drawn from. With `db`, the data files and the report hold the window's bars at full
    resolution (the same filters re-read); without it, the bars the chart drew.
    """
    fig = export.ensure_synthetic_label(fig, view.synthetic)

    def data_view():
        return view if db is None else export.full_resolution_view(db, filters)

    def report() -> bytes:
        if db is None:
            return export.report_zip(view, fig)
        return export.report_for(db, view, fig)

    def name(kind: str, ext: str) -> str:
        return export.export_filename(filters, kind, ext, view=view)

    stem = name("chart", "x").rsplit(".", 1)[0]
    problem = export.static_export_problem()

    table = st.selectbox(
        "Data to download", list(TABLES), format_func=TABLES.get, key=f"{key_prefix}_table",
        help="CSV and Parquet hold this table for the window and filters on screen (times in UTC).",
    )
    bom = st.checkbox("CSV with a BOM (for Excel)", key=f"{key_prefix}_bom",
                      help="Excel reads UTF-8 text (阿里巴巴, —) correctly only when the file starts with a BOM.")
    columns = st.columns(6)

    def button(column, label: str, data: Callable[[], bytes | str], file_name: str, mime: str,
               help_text: str, disabled: bool = False) -> None:
        column.download_button(
            label, data=data, file_name=file_name, mime=mime, help=help_text, disabled=disabled,
            on_click="ignore", key=f"{key_prefix}_{file_name.rsplit('.', 1)[-1]}_{label}",
        )

    static_help = problem or "Static image of the chart as shown (rendered by Chromium via kaleido)."
    button(columns[0], "PNG", lambda: export.figure_to_png(fig), name("chart", "png"), "image/png",
           static_help, disabled=problem is not None)
    button(columns[1], "SVG", lambda: export.figure_to_svg(fig), name("chart", "svg"), "image/svg+xml",
           static_help, disabled=problem is not None)
    button(columns[2], "HTML", lambda: export.figure_to_html(fig, filename_stem=stem, title=stem),
           name("chart", "html"), "text/html",
           "Interactive chart in one file; opens offline (plotly.js inside).")
    button(columns[3], "CSV", lambda: export.frame_to_csv(_table(data_view(), table, db), bom=bom),
           name(table, "csv"), "text/csv",
           "UTF-8 CSV; cells that a spreadsheet would run as a formula are quoted with '.")
    button(columns[4], "Parquet", lambda: export.frame_to_parquet(_table(data_view(), table, db)),
           name(table, "parquet"), "application/vnd.apache.parquet",
           "Parquet with types kept (UTC timestamps, tag lists).")
    button(columns[5], "Report ZIP", report,
           name("report", "zip"), "application/zip",
           "Chart (PNG, SVG, HTML); events, bars, articles, reactions, claims and ADR parity "
           "(CSV, Parquet); manifest.json and README.txt.")
    if problem:
        st.caption(f"{problem}. HTML, CSV, Parquet and the report (without images) still work.")
