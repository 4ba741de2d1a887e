"""The event-study view (part of the Streamlit face; the work is done by dashboard.analysis.study).

An expander under the reaction table, closed by default, that is **built only when opened**:
``st.expander(..., on_change="rerun")`` (Streamlit ≥ 1.5x) reruns the page when it is opened or
closed and reports ``.open``, so a closed panel costs the main page nothing — no study is run and
no figure is sent. (A plain expander or ``st.tabs`` would run their content on every rerun even
while hidden; a lazily-run tab would put a tab bar above the chart's tables.) Its open state has a
key, so a filter change keeps it open and re-runs the study for the new filters only then.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import charts, config, export, screen
from dashboard.analysis.study import MODELS, STUDY_INTERVALS, StudyResult
from dashboard.charts.study import caar_figure
from dashboard.formatting import markdown_literal as md
from dashboard.screen import study as screen_study

PANEL_KEY = "study_open"
MODEL_LABELS = {"market": "market model", "market-adjusted": "market-adjusted", "constant-mean": "constant mean"}


@st.cache_data(show_spinner="Running the event study…", max_entries=16)
def cached_study(db_name: str, stamp: Any, scope: screen.AnalysisScope, options, _db) -> StudyResult:
    return screen_study.load_study(_db, scope, options)


def render_study(db: Any, view: screen.ViewData, stamp: Any, *, theme: str = "light") -> None:
    """The event-study panel for the screen's filters: CAAR path per listing with its 95% band
    (and the selected event's own path), the pooled tests, the per-event CARs and t-stats."""
    panel = st.expander("Event study: is each move unusual, and what do these events do on average?",
                        key=PANEL_KEY, on_change="rerun")
    with panel:
        if not panel.open:
            return
        if view.events.empty or not view.listings:
            st.caption("No events to study in this window.")
            return
        scope, note = screen.reaction_scope(view, screen.MAX_REACTION_EVENTS)
        if scope is None:
            st.info(md(note))
            return
        if note:
            st.info(md(note.replace("Reactions for", "The study covers")))
        left, middle, right = st.columns(3)
        model = left.selectbox("Normal-return model", MODELS, format_func=MODEL_LABELS.get, key="study_model")
        interval = middle.radio("Bars", STUDY_INTERVALS, index=STUDY_INTERVALS.index("5m"), horizontal=True,
                                key="study_interval")
        first_only = right.checkbox("First of each overlapping cluster", key="study_first_of_cluster",
                                    help="Events whose windows share bars on a listing are flagged; this keeps the first.")
        options = screen_study.study_options(scope, model=model, interval=interval, first_of_cluster=first_only)
        result = cached_study(db.name, stamp, scope, options, db)
        if result.synthetic:
            st.warning(f"⚠ {md(config.SYNTHETIC_LABEL)}: these statistics describe made-up bars, nothing real.")
        st.caption(screen_study.STUDY_HELP)
        selected = st.session_state.get("selected_event")
        event_path = result.paths[result.paths["event_id"] == selected] if selected else None
        headline = ""
        if selected is not None and len(result.events):
            picked = result.events[result.events["event_id"] == selected]["headline"]
            headline = str(picked.iloc[0]) if len(picked) else ""
        fig = caar_figure(result.caar_paths, synthetic=result.synthetic, title=f"Event study: {view.company_name}",
                          event_path=event_path, event_label=headline, model=model, interval=interval, theme=theme)
        stem = screen.figure_filename(view.filters, view, suffix="caar")
        st.plotly_chart(fig, key="study_chart", theme=None, config=charts.chart_config(stem))
        st.markdown("**Pooled per listing and window** — each test as statistic (p)")
        st.dataframe(screen_study.pooled_rows(result), key="study_pooled", hide_index=True, width="stretch")
        st.markdown("**Per event** — CAR and t per window (t beyond ±1.96: unusual at 5 %)")
        st.dataframe(screen_study.event_rows(result, view.zone), key="study_events", hide_index=True,
                     width="stretch", height=320,
                     column_config={"event_id": None, "event": st.column_config.TextColumn(width="medium"),
                                    "notes": st.column_config.TextColumn(width="large")})
        _downloads(result, fig, stem)


def _downloads(result: StudyResult, fig, stem: str) -> None:
    """The study table and the CAAR figure, made only when a button is clicked."""
    columns = st.columns(3)
    columns[0].download_button("Study CSV", data=lambda: export.frame_to_csv(export_table(result)),
                               file_name=f"{stem}.csv", mime="text/csv", on_click="ignore", key="study_csv")
    columns[1].download_button("Study Parquet", data=lambda: export.frame_to_parquet(export_table(result)),
                               file_name=f"{stem}.parquet", mime="application/vnd.apache.parquet",
                               on_click="ignore", key="study_parquet")
    labelled = export.ensure_synthetic_label(fig, result.synthetic)
    columns[2].download_button("CAAR figure (HTML)",
                               data=lambda: export.figure_to_html(labelled, filename_stem=stem, title=stem),
                               file_name=f"{stem}.html", mime="text/html", on_click="ignore", key="study_html")


def export_table(result: StudyResult):
    from dashboard.export.study import study_table

    return study_table(result)
