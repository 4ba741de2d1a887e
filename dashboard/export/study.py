"""The event study's files: its table (CSV/Parquet) and the CAAR figure (PNG/SVG/HTML), for the
view's company, filters and window; the report ZIP, the app's buttons and the CLI all come here."""
from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from dashboard.analysis.study import StudyResult
from dashboard.analysis.study.table import export_table
from dashboard.charts.study import caar_figure


def study_for(db: Any, view: Any) -> StudyResult:
    """The event study of the view's events (the same scope as its reaction table)."""
    from dashboard.screen import analysis_scope
    from dashboard.screen.study import load_study

    return load_study(db, analysis_scope(view))


def study_table(result: StudyResult):
    """The pooled rows then the per-event rows, as one table (see ``analysis.study.table.export_table``)."""
    return export_table(result)


def study_figure(result: StudyResult, view: Any = None, **options: Any) -> go.Figure:
    """The CAAR figure of a study; synthetic bars say so."""
    title = f"Event study: {view.company_name}" if view is not None else "Event study"
    return caar_figure(result.caar_paths, synthetic=result.synthetic, title=title, model=result.options.model,
                       interval=result.options.interval, **options)
