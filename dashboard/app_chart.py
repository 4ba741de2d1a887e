"""The chart, the header line above it and the controls that change only it (part of the Streamlit face).

The section is an ``st.fragment``: a change of "Prices as", the bar interval, ADR parity or
extended hours reruns this function alone, so the server rebuilds and the browser redraws only the
chart, not the tables and the reader below it (issue 28). It rebuilds its ``Filters`` with the one
builder (``screen.build_filters``) from the sidebar's choices of the last full run plus its own
controls, and mirrors them to the URL, so a shared link restores every setting. A change that
reaches beyond the chart reruns the whole page: the display zone (it moves the default window and
every table's times), extended hours while the reactions are open (they count pre/post bars), and
a pick on the chart (the reader shows it).
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import charts, screen
from dashboard.app_exports import render_export_buttons
from dashboard.formatting import markdown_literal as md
from dashboard.screen import Filters

# The chart controls' widget keys (also the session-state names the whole page reads).
CHART_KEYS = ("price_mode", "interval", "zone", "parity", "extended_hours", "reference")
REACTIONS_OPEN = "reactions_open"  # the reactions section's open state (app.py)
DOWNLOADS_OPEN = "downloads_open"  # the downloads panel under the chart
PRICE_MODE_HELP = ("Price: each listing in its own currency. % change: from the reference time (empty = the "
                   "window's start). USD per ADS: both listings in US dollars per ADS (HK price × shares per "
                   "ADS ÷ USD/HKD).")
REFERENCE_HELP = ('With "% change": the time the changes count from, in UTC (e.g. 2025-11-14T18:00Z); '
                  "empty = the window's start.")


@st.cache_data(show_spinner="Loading prices and events…", max_entries=64)
def cached_view(_db, db_name: str, stamp: Any, filters: Filters, max_articles: int) -> screen.ViewData:
    # The article table shows the newest rows only; the rest are counted, not loaded.
    return screen.load_view(_db, filters, max_articles=max_articles)


# Building the figure is most of a rerun (plotly validates every trace and shape), so the built
# figure is kept on the same key as the view it draws, plus theme and highlight. A resource, not
# data: nothing mutates it (st.plotly_chart and the exports copy it), and unpickling a copy per
# rerun would cost as much as building it.
@st.cache_resource(show_spinner="Drawing the chart…", max_entries=16)
def cached_figure(db_name: str, stamp: Any, filters: Filters, theme: str, highlight: str | None,
                  _view: screen.ViewData):
    return charts.overlay_figure(_view, theme=theme, highlight=highlight)


def seed_chart_state(url_filters: Filters) -> None:
    """The chart controls' starting values: the URL's, on the session's first run."""
    state = st.session_state
    for name in ("zone", "interval", "price_mode", "parity", "extended_hours"):
        state.setdefault(name, getattr(url_filters, name))
    if "reference" not in state:  # the URL's reference time (empty = the window's start)
        reference = url_filters.reference
        state["reference"] = reference.strftime("%Y-%m-%dT%H:%MZ") if reference is not None else ""


def chart_choices() -> dict:
    """The chart controls' values, as ``screen.build_filters`` takes them."""
    state = st.session_state
    return {"zone": state["zone"], "interval": state["interval"], "price_mode": state["price_mode"],
            "reference": state.get("reference") if state["price_mode"] == "pct" else None,
            "parity": bool(state.get("parity")), "extended_hours": bool(state.get("extended_hours", True))}


def take_new_selection(name: str, ids: list[str], target: str) -> None:
    """A widget's selection wins only when it changed since the last run (newest click wins)."""
    previous = st.session_state.get(f"_last_{name}")
    if ids != previous:
        st.session_state[f"_last_{name}"] = ids
        if ids:
            st.session_state["selected_event"] = None
            st.session_state["selected_article"] = None
            st.session_state[target] = ids[0]


def mirror_to_url(filters: Filters) -> None:
    params = filters.to_query_params()  # only what differs from the defaults
    for name in ("selected_event", "selected_article"):
        if st.session_state.get(name):
            params[name.split("_")[1]] = st.session_state[name]
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    wanted = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    if st.query_params.get("as_of"):  # a lake read as of a time stays as of that time
        wanted["as_of"] = [st.query_params["as_of"]]
        params["as_of"] = st.query_params["as_of"]
    if current != wanted:
        st.query_params.from_dict(params)


def _controls() -> None:
    """One row over the chart: prices as, the % reference, interval, zone, and the two toggles.

    The reference time's box is always in the row, disabled unless "% change" is picked: a box
    that appeared with "% change" mounted a new widget and moved the chart down, which cost that
    rerun 45–65 ms in the browser (issue 28; docs/benchmarks.md)."""
    # Widths for a 1280-px window with the sidebar open (the radio's three options on one line,
    # "extended hours" whole); short labels, the rest in each widget's help.
    mode, reference, interval, zone, toggles = st.columns([2.75, 1.1, 0.95, 1.15, 1.75], vertical_alignment="top")
    mode.radio("Prices as", screen.PRICE_MODES, key="price_mode", format_func=screen.PRICE_MODE_LABELS.get,
               horizontal=True, help=PRICE_MODE_HELP)
    reference.text_input("% from (UTC)", key="reference", placeholder="window start",
                         disabled=st.session_state["price_mode"] != "pct",
                         help=REFERENCE_HELP)
    interval.selectbox("Bars", screen.INTERVALS, key="interval",
                       help="The bar interval. auto: the finest stored on at least half the days with bars; "
                            "the others are resampled from finer bars.")
    zone.selectbox("Time zone", screen.ZONES, key="zone", format_func=screen.ZONE_LABELS.get,
                   help="The zone every time on the page is shown in (the chart's axis, tables, reader): "
                        + ", ".join(f"{screen.ZONE_LABELS[z]} = {z}" for z in screen.ZONES) + ".")
    toggles.toggle("ADR parity", key="parity",
                   help="An extra row: the ADR against its home-market price × shares per ADS ÷ FX, and the premium.")
    toggles.toggle("extended hours", key="extended_hours", help="US pre-market and after-hours bars (dotted, lighter tint)")


def header_line(view: screen.ViewData, source_note: str | None) -> None:
    """The summary line and the one status line (full sentences in its tooltip), so the chart
    starts high on the first screen in every header state (issues 17 and 28; docs/app.md).

    Drawn by the full page run, above the chart's fragment: nothing in it depends on the chart's
    own controls (the zone reruns the page; each listing's bar size, and how many bars it shows
    when thinned, are in its row's title on the chart), so a chart rerun does not redraw it
    (about 35 ms of the browser's rerun)."""
    summary = [f"{view.start_day:%a %Y-%m-%d} → {view.end_day:%a %Y-%m-%d}, times in {screen.ZONE_LABELS[view.zone]}",
               f"{len(view.events):,} events", f"{view.total_articles:,} articles"]
    if source_note:  # where the data comes from (team mode), on the same summary line
        summary.append(source_note)
    badge, short, full, warning = screen.header_line(view)
    # A failed refresh is a red badge on the same caption, not a warning box: a box's padding and
    # larger text pushed the chart below the first screen at 1280x800 (issue 17).
    line = ((f":orange-badge[**{md(badge)}**] " if badge else "")
            + (f":red-badge[**{md(warning)}**] " if warning else "") + md(short))
    st.caption(" · ".join(md(part) for part in summary) + "  \n" + line, help=md(full))


@st.fragment
def chart_section(db: Any, stamp: Any, choices: dict, page_filters: Filters, page_view: screen.ViewData,
                  theme: str) -> None:
    """Chart controls, chart and its downloads. ``choices`` are the sidebar's values of the last
    full run; ``page_view`` is the view that run loaded (reused while unchanged)."""
    state = st.session_state
    filters, unusable = screen.build_filters({**choices, **chart_choices()}, screen.SIDEBAR)
    if filters.zone != page_filters.zone or (
            filters.extended_hours != page_filters.extended_hours and state.get(REACTIONS_OPEN)):
        st.rerun()  # beyond the chart: the whole page (see the module docstring)
    view = page_view if filters == page_filters else cached_view(db, db.name, stamp, filters, screen.MAX_TABLE_ROWS)
    mirror_to_url(filters)
    _controls()
    for problem in unusable:
        st.warning(md(str(problem)))
    if view.events.empty:
        st.info("No events match these filters in this window. Widen the dates or clear a filter.")
    if not view.has_bars and view.events.empty:
        st.info("Nothing to draw: no prices and no events for these filters.")
        return
    fig = cached_figure(db.name, stamp, filters, theme, state.get("selected_event"), view)
    chart_state = st.plotly_chart(
        # theme=None: the app shows exactly the figure that `export chart` writes.
        fig, key="overlay_chart", on_select="rerun", selection_mode="points", theme=None,
        config=charts.chart_config(screen.figure_filename(filters, view)),
    )
    picked_before = state.get("selected_event")
    take_new_selection("chart", screen.picked_point_ids(chart_state), "selected_event")
    if state.get("selected_event") != picked_before:
        st.rerun()  # a pick on the chart opens it in the reader, below the fragment
    # The downloads under the figure, built only while opened (eight widgets fewer on a load
    # and on every chart rerun); opening it reruns this fragment only.
    downloads = st.expander("Download the chart and its data", key=DOWNLOADS_OPEN, on_change="rerun")
    if downloads.open:
        with downloads:
            render_export_buttons(st, fig, view, view.filters, db=db)
