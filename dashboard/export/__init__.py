"""Exports: PNG/SVG (kaleido), self-contained HTML, CSV/Parquet, and the report ZIP.

Pure functions, bytes out; the app's download buttons and `python -m dashboard export` both call
them, so the same filters give the same files. Nothing here imports Streamlit.

- :mod:`.static` — PNG/SVG through kaleido and a Chromium-family browser
- :mod:`.files` — HTML, the synthetic label, CSV/Parquet, file names, the bars table
- :mod:`.report` — the report ZIP, and building it (or one analysis table) from a database
"""
from dashboard.export.files import (BAR_COLUMNS, bar_coverage, bars_frame, csv_ready_frame, ensure_synthetic_label,
                                    export_filename, figure_to_html, frame_to_csv, frame_to_parquet,
                                    has_synthetic_label, is_synthetic, plotly_config, project_version, safe_filename,
                                    with_data_note)
from dashboard.export.report import (ANALYSIS_TABLES, FULL_RESOLUTION, analysis_table_for, full_resolution_view,
                                     report_for, report_zip)
from dashboard.export.static import (DEFAULT_HEIGHT, DEFAULT_WIDTH, NO_BROWSER_MESSAGE, StaticExportUnavailable,
                                     figure_to_png, figure_to_svg, find_browser, static_export_problem)

__all__ = [
    "BAR_COLUMNS", "bar_coverage", "bars_frame", "csv_ready_frame", "ensure_synthetic_label", "export_filename",
    "figure_to_html", "frame_to_csv", "frame_to_parquet", "has_synthetic_label", "is_synthetic", "plotly_config",
    "project_version", "safe_filename", "with_data_note", "ANALYSIS_TABLES", "FULL_RESOLUTION", "analysis_table_for",
    "full_resolution_view", "report_for", "report_zip", "DEFAULT_HEIGHT", "DEFAULT_WIDTH", "NO_BROWSER_MESSAGE",
    "StaticExportUnavailable", "figure_to_png", "figure_to_svg", "find_browser", "static_export_problem",
]
