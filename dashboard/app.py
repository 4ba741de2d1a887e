"""The main screen (Streamlit): widgets → core calls → figure, table, reader.

Layout and widget state only; every number comes from ``dashboard.screen`` and every figure from
``dashboard.charts``. Untrusted text (titles, tags, bodies) is shown as escaped markdown or plain
text, never as HTML.
"""
from __future__ import annotations

import os
import re

import pandas as pd
import streamlit as st

from dashboard import charts, config, store, taxonomy
from dashboard.app_exports import render_export_buttons
from dashboard.formatting import markdown_literal as md
from dashboard.formatting import markdown_paragraphs as md_paragraphs
from dashboard import screen
from dashboard.lake.catalog import LakeError, LakeLocation
from dashboard.screen import Filters

st.set_page_config(page_title="Event overlay — news vs. prices", page_icon="📈", layout="wide")

LAKE = LakeLocation.from_env()  # team mode: DASHBOARD_CATALOG + DASHBOARD_WAREHOUSE
# What this run reads: the file, or one publish of the lake (main() sets it per run).
DB = store.Database(config.resolve_db_path(), read_only=True)


# ---------------------------------------------------------------------------------------------
# Cached core calls, keyed on the database's name and cache_key(): the file's write time (so a
# new ingest shows up), or in team mode the lake snapshot id (so a new publish shows up).


@st.cache_data(show_spinner=False, max_entries=64)
def cached_options(db_name: str, stamp: float, company: str, zone: str) -> screen.ScreenOptions:
    return screen.load_options(DB, company, zone)


@st.cache_data(show_spinner="Loading prices and events…", max_entries=64)
def cached_view(db_name: str, stamp: float, filters: Filters, max_articles: int) -> screen.ViewData:
    # The article table shows the newest rows only; the rest are counted, not loaded.
    return screen.load_view(DB, filters, max_articles=max_articles)


# Building the figure is most of a rerun (plotly validates every trace and shape), so the built
# figure is kept on the same key as the view it draws, plus theme and highlight. A resource, not
# data: nothing mutates it (st.plotly_chart and the exports copy it), and unpickling a copy per
# rerun would cost as much as building it.
@st.cache_resource(show_spinner="Drawing the chart…", max_entries=16)
def cached_figure(db_name: str, stamp: float, filters: Filters, theme: str, highlight: str | None,
                  _view: screen.ViewData):
    return charts.overlay_figure(_view, theme=theme, highlight=highlight)


@st.cache_data(show_spinner="Computing reactions…", max_entries=64)
def cached_reactions(db_name: str, stamp: float, scope: screen.AnalysisScope) -> pd.DataFrame:
    return screen.load_reactions(DB, scope)


@st.cache_data(show_spinner="Checking reported moves…", max_entries=64)
def cached_claims(db_name: str, stamp: float, scope: screen.AnalysisScope) -> pd.DataFrame:
    return screen.load_claims(DB, scope)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_article(db_name: str, stamp: float, article_id: str) -> dict | None:
    return screen.load_article(DB, article_id)


# ---------------------------------------------------------------------------------------------
# Hooks for later features (issue 5: exports, issue 6: reactions)


def render_exports(fig, view: screen.ViewData) -> None:
    """Download buttons under the figure (dashboard/app_exports.py)."""
    render_export_buttons(st, fig, view, view.filters, db=DB)


def reaction_frame(view: screen.ViewData, stamp: tuple) -> tuple[pd.DataFrame, str]:
    """The reaction rows of the screen's events (empty when there are none or no listings), and
    a note when a large window measures only some of them."""
    if view.events.empty or not view.listings:
        return screen.reaction_rows(None, view.zone), ""
    scope, note = screen.reaction_scope(view, screen.MAX_REACTION_EVENTS)
    if scope is None:
        return screen.reaction_rows(None, view.zone), note
    table = cached_reactions(DB.name, stamp, scope)
    return screen.reaction_rows(table, view.zone, view.events["event_id"]), note


def render_reactions(view: screen.ViewData, stamp: tuple, rows: pd.DataFrame, note: str = "") -> None:
    """Reaction table (a picked row highlights its event and opens it in the reader) and the
    reported-vs-computed claims."""
    st.subheader("How each listing reacted")
    if note:
        st.info(md(note))
    if rows.empty:
        st.caption("No events to measure in this window.")
    else:
        st.caption(
            "Returns from the last price before the event, counted from the listing's first trade at or after it "
            "(exchange calendars: a closed market waits for its next open — see *wait*). Abnormal = minus the "
            "benchmark over the same instants, in basis points. Timed events first. Pick a row to highlight its "
            "event on the chart and read it below."
        )
        if any(config.SYNTHETIC_LABEL in n for n in rows["notes"]):
            st.warning(f"⚠ Figures computed from the {md(config.SYNTHETIC_LABEL)}.")
        state = st.dataframe(
            screen.style_reactions(rows), key="reaction_table", on_select="rerun", selection_mode="single-row",
            hide_index=True, width="stretch", height=360,
            column_config={"event_id": None, "event": st.column_config.TextColumn(width="medium"),
                           "notes": st.column_config.TextColumn(width="large")},
        )
        _take_new_selection("reaction_table", _selection_ids(state, rows, "event_id"), "selected_event")

    st.subheader("Reported vs computed")
    scope, claims_note = screen.claims_scope(view, screen.MAX_CLAIM_TEXTS)
    if claims_note:
        st.info(md(claims_note))
    claims = cached_claims(DB.name, stamp, scope) if scope is not None else None
    claim_table = screen.claim_rows(claims, view.zone)
    if claim_table.empty:
        st.caption("No price-move claims in the filtered articles and events.")
        return
    st.caption(
        md(screen.verdict_summary(claims))
        + " — each figure a text gives, checked against the stored bars of the session it speaks of "
        "(close, intraday extreme or price at publication; rules in docs/analysis.md)."
    )
    st.dataframe(
        claim_table, key="claims_table", hide_index=True, width="stretch", height=320,
        column_config={"quote": st.column_config.TextColumn(width="large"),
                       "detail": st.column_config.TextColumn(width="large")},
    )


# ---------------------------------------------------------------------------------------------
# State: URL ⇄ widgets


WIDGET_KEYS = ("company", "tags", "sources", "kinds", "dates", "zone", "interval", "price_mode", "reference", "parity")


def seed_state_from_url() -> None:
    """First run of a session: the URL decides the widgets' starting values."""
    if st.session_state.get("_seeded"):
        return
    filters, notices = Filters.from_query_params(st.query_params)
    st.session_state["_url_filters"] = filters
    st.session_state["_notices"] = notices
    st.session_state["selected_event"] = st.query_params.get("event") or None
    st.session_state["selected_article"] = st.query_params.get("article") or None
    st.session_state["_seeded"] = True


def sidebar(stamp: tuple) -> Filters:
    url_filters: Filters = st.session_state["_url_filters"]
    notices: list[str] = st.session_state["_notices"]
    st.sidebar.header("Filters")

    # Zone first: the default window is a set of days in the display zone.
    zone_default = url_filters.zone
    company_wanted = st.session_state.get("company", url_filters.company)
    options = cached_options(DB.name, stamp, company_wanted, st.session_state.get("zone", zone_default))
    if not options.companies:
        st.error("The database holds no companies yet: run `python -m dashboard ingest data/`.")
        st.stop()
    company_ids = [cid for cid, _ in options.companies]
    names = dict(options.companies)
    if "company" not in st.session_state:
        if options.company_id and screen.resolve_company(
            pd.DataFrame(options.companies, columns=["company_id", "name"]), url_filters.company
        ) is None:
            notices.append(f"Unknown company {url_filters.company!r} in the URL; showing {names[options.company_id]}.")
        st.session_state["company"] = options.company_id or company_ids[0]
    st.sidebar.selectbox("Company", company_ids, key="company", format_func=lambda c: names.get(c, c))

    tag_labels = {t: f"{t} ({a} art., {e} ev.)" for t, a, e in options.tags}
    if "tags" not in st.session_state:
        st.session_state["tags"], unknown = screen.url_choices(url_filters.tags, tag_labels, "tag")
        notices += unknown
    st.session_state["tags"] = [t for t in st.session_state["tags"] if t in tag_labels]
    st.sidebar.multiselect(
        "Tags (any of)", list(tag_labels), key="tags", format_func=lambda t: tag_labels.get(t, t),
        help="Counts: articles and events carrying the tag. Narrows articles, events and chart markers alike.",
    )

    if "sources" not in st.session_state:
        st.session_state["sources"], unknown = screen.url_choices(url_filters.sources, options.sources, "source")
        notices += unknown
    st.session_state["sources"] = [s for s in st.session_state["sources"] if s in options.sources]
    st.sidebar.multiselect("Sources", options.sources, key="sources")

    kind_options = options.kinds
    if "kinds" not in st.session_state:
        st.session_state["kinds"], unknown = screen.url_choices(url_filters.kinds, kind_options, "event kind",
                                                                ignore_case=False)
        notices += unknown
    st.session_state["kinds"] = [k for k in st.session_state["kinds"] if k in kind_options]
    st.sidebar.multiselect("Event kinds", kind_options, key="kinds")

    default_window = (options.default_start, options.default_end)
    if "dates" not in st.session_state:
        start = url_filters.start or options.default_start
        end = url_filters.end or options.default_end
        st.session_state["dates"] = (start, end) if start and end else ()
    st.sidebar.date_input("Dates (in the display zone)", key="dates")

    if "zone" not in st.session_state:
        st.session_state["zone"] = url_filters.zone
    st.sidebar.selectbox("Display time zone", screen.ZONES, key="zone", format_func=lambda z: f"{screen.ZONE_LABELS[z]} ({z})")
    if "interval" not in st.session_state:
        st.session_state["interval"] = url_filters.interval
    st.sidebar.selectbox("Bar interval", screen.INTERVALS, key="interval")
    if "price_mode" not in st.session_state:
        st.session_state["price_mode"] = url_filters.price_mode
    st.sidebar.radio("Prices as", screen.PRICE_MODES, key="price_mode", format_func=screen.PRICE_MODE_LABELS.get)
    if "parity" not in st.session_state:
        st.session_state["parity"] = url_filters.parity
    st.sidebar.toggle("Show ADR parity", key="parity",
                      help="An extra row: the ADR against its home-market price × shares per ADS ÷ FX, and the premium.")
    reference = None
    if st.session_state["price_mode"] == "pct":
        if "reference" not in st.session_state:
            st.session_state["reference"] = (
                url_filters.reference.strftime("%Y-%m-%dT%H:%MZ") if url_filters.reference is not None else ""
            )
        text = st.sidebar.text_input("Reference time (UTC, e.g. 2025-11-14T18:00Z; empty = window start)", key="reference")
        if text.strip():
            try:
                reference = screen.parse_utc(text.strip())
            except ValueError:
                st.sidebar.warning(f"Reference time {text!r} is not a time; using the window start.")

    dates = st.session_state.get("dates") or ()
    start = end = None
    if isinstance(dates, (tuple, list)) and len(dates) == 2 and tuple(dates) != default_window:
        start, end = dates
    elif isinstance(dates, (tuple, list)) and len(dates) == 1:
        st.sidebar.caption("Pick an end date too; showing the default window meanwhile.")

    return Filters(
        company=st.session_state["company"],
        tags=tuple(st.session_state["tags"]),
        sources=tuple(st.session_state["sources"]),
        kinds=tuple(st.session_state["kinds"]),
        start=start,
        end=end,
        zone=st.session_state["zone"],
        interval=st.session_state["interval"],
        price_mode=st.session_state["price_mode"],
        reference=reference,
        parity=bool(st.session_state.get("parity")),
    )


def mirror_to_url(filters: Filters) -> None:
    params = filters.to_query_params()
    if filters.company == screen.DEFAULT_COMPANY:
        params.pop("company", None)
    for name in ("selected_event", "selected_article"):
        value = st.session_state.get(name)
        if value:
            params[name.split("_")[1]] = value
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    wanted = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    if st.query_params.get("as_of"):  # a lake read as of a time stays as of that time
        wanted["as_of"] = [st.query_params["as_of"]]
        params["as_of"] = st.query_params["as_of"]
    if current != wanted:
        st.query_params.from_dict(params)


# ---------------------------------------------------------------------------------------------
# Tables and the reader


def _link(url: object, label: str) -> None:
    text = "" if url is None or (isinstance(url, float) and pd.isna(url)) else str(url).strip()
    if not text:
        return
    if re.match(r"^https?://", text, re.IGNORECASE):
        st.link_button(label, text)
    else:
        st.caption(f"Source link not shown (not an http/https address): {md(text)}")


def render_reader(view: screen.ViewData, stamp: tuple) -> None:
    st.subheader("Reader")
    event_id = st.session_state.get("selected_event")
    article_id = st.session_state.get("selected_article")
    event = None
    if event_id:
        match = view.events[view.events["event_id"] == event_id] if len(view.events) else view.events
        if len(match):
            event = match.iloc[0].to_dict()
            article_id = event.get("article_id") or None
            if isinstance(article_id, float):
                article_id = None
        else:
            st.caption("The selected event is not in the current filters.")
    with st.container(border=True, key="reader"):
        if event is None and not article_id:
            st.caption("Click a marker on the chart or pick a row in the tables to read it here.")
            return
        if event is not None:
            st.markdown(f"**Event** · {md(event.get('kind'))} · {md(taxonomy.STANCE_GROUPS[taxonomy.stance_group(event.get('kind'), event.get('stance'))].label)}")
            st.markdown(f"#### {md(event.get('headline'))}")
            st.caption(md(screen.times_line(event["ts"], event.get("precision") or "minute", event.get("ts_zone"))))
            details = [("Actor", event.get("actor")), ("Source", event.get("source")), ("Figure", event.get("value")),
                       ("Tags", "; ".join(event.get("tags") or []))]
            st.markdown("  \n".join(f"**{k}:** {md(v)}" for k, v in details if v and not (isinstance(v, float) and pd.isna(v))))
            if event.get("detail"):
                st.markdown(md_paragraphs(event.get("detail")))
            _link(event.get("source_url"), "Open the event's source ↗")
        if article_id:
            article = cached_article(DB.name, stamp, article_id)
            if article is None:
                st.caption(f"Article {md(article_id)} is no longer in the database.")
                return
            if event is not None:
                st.divider()
            st.markdown("**Article**")
            st.markdown(f"### {md(article.get('title'))}")
            st.caption(
                md(f"{article.get('source') or ''} · {article.get('region') or ''}")
                + "  \n" + md(screen.times_line(article["published_at"], article.get("published_precision") or "minute", article.get("published_zone")))
            )
            if article.get("tags"):
                st.markdown("**Tags:** " + md("; ".join(article["tags"])))
            for label, key in (("Subtitle", "subtitle"), ("Summary", "summary"), ("Background", "background"),
                               ("Insights", "insights"), ("Text", "body")):
                value = article.get(key)
                if value and not (isinstance(value, float) and pd.isna(value)):
                    st.markdown(f"**{label}**")
                    st.markdown(md_paragraphs(value))
            _link(article.get("url"), "Open the article's source ↗")


# ---------------------------------------------------------------------------------------------
# The page


def _selection(state, name: str) -> list:
    """``state.selection.<name>`` of a widget's return value or its session-state entry."""
    try:
        selection = state["selection"] if isinstance(state, dict) else state.selection
        return list((selection.get(name) if isinstance(selection, dict) else getattr(selection, name)) or [])
    except (AttributeError, KeyError, TypeError):
        return []


def _selection_ids(state, rows: pd.DataFrame, id_column: str) -> list[str]:
    picked = _selection(state, "rows")
    return [str(rows.iloc[i][id_column]) for i in picked if isinstance(i, int) and 0 <= i < len(rows)]


def _chart_selection(state) -> list[str]:
    points = _selection(state, "points")
    if not points:
        return []
    ids = []
    for point in points or []:
        data = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        if data:
            ids.append(str(data))
    return ids


def _take_new_selection(name: str, ids: list[str], target: str) -> None:
    """A widget's selection wins only when it changed since the last run (newest click wins)."""
    previous = st.session_state.get(f"_last_{name}")
    if ids != previous:
        st.session_state[f"_last_{name}"] = ids
        if ids:
            st.session_state["selected_event"] = None
            st.session_state["selected_article"] = None
            st.session_state[target] = ids[0]


def apply_pending_selections(view: screen.ViewData, reactions: pd.DataFrame) -> None:
    """A click in a table below the chart reruns the page before that table is drawn again;
    take it now so the chart drawn above it already highlights the picked event."""
    _take_new_selection("chart", _chart_selection(st.session_state.get("overlay_chart")), "selected_event")
    _take_new_selection("reaction_table", _selection_ids(st.session_state.get("reaction_table"), reactions, "event_id"),
                        "selected_event")
    if len(view.events):
        _take_new_selection("event_table", _selection_ids(st.session_state.get("event_table"), screen.listed_events(view, screen.MAX_TABLE_ROWS),
                                                          "event_id"), "selected_event")
    if len(view.articles):
        _take_new_selection("article_table", _selection_ids(st.session_state.get("article_table"), view.articles,
                                                            "article_id"), "selected_article")


def _theme_type() -> str:
    """The page's theme for the figure. st.context.theme can be wrong on a session's first run
    (streamlit#11920), so that run trusts the configured ``theme.base`` when one is set."""
    kind = getattr(getattr(st.context, "theme", None), "type", None)
    first_run = not st.session_state.get("_theme_seen")
    st.session_state["_theme_seen"] = True
    if first_run or kind not in ("light", "dark"):
        try:
            configured = st.get_option("theme.base")
        except Exception:  # an unknown option must not take the page down
            configured = None
        kind = configured if configured in ("light", "dark") else kind
    return "dark" if kind == "dark" else "light"


def open_database():
    """The local file, or with DASHBOARD_CATALOG/WAREHOUSE the lake's latest publish (or the one
    current at ?as_of= / DASHBOARD_AS_OF): then no local file is needed."""
    if LAKE is None:
        return DB
    from dashboard.lake.read import open_lake, parse_as_of

    as_of = st.query_params.get("as_of") or os.environ.get("DASHBOARD_AS_OF")
    return open_lake(LAKE, parse_as_of(as_of))


def main() -> None:
    global DB
    seed_state_from_url()
    try:
        DB = open_database()
        stamp = DB.cache_key()
        if not DB.exists():
            raise store.DatabaseMissing(f"{DB.name}: no database here yet")
        filters = sidebar(stamp)
        view = cached_view(DB.name, stamp, filters, screen.MAX_TABLE_ROWS)
    except store.DatabaseMissing as exc:
        st.title("Event overlay")
        st.error(
            f"No database at `{md(DB.name)}`. Build it offline with `make data` "
            "(or `python -m dashboard ingest data/` and `python -m dashboard prices sample`), "
            "or point `DASHBOARD_DB` at one."
        )
        st.caption(md(str(exc)))
        return
    except LakeError as exc:
        st.title("Event overlay")
        st.error(f"Cannot read the lake: {md(str(exc))}")
        return
    except store.DatabaseBusy as exc:
        st.title("Event overlay")
        st.warning(f"{md(str(exc))}. The page will work again once the writer finishes.")
        st.button("Try again")
        return

    reactions, reactions_note = reaction_frame(view, stamp)
    apply_pending_selections(view, reactions)
    mirror_to_url(filters)
    zone_label = screen.ZONE_LABELS[view.zone]
    # A compact header (a small title, one summary line, one status line) so the chart starts
    # high on the first screen (issue 17; the sizes in docs/app.md).
    st.subheader(f"{md(view.company_name)}: news vs. prices", anchor=False)
    summary = [f"{view.start_day:%a %Y-%m-%d} → {view.end_day:%a %Y-%m-%d}, times in {zone_label}",
               f"{len(view.events):,} events", f"{view.total_articles:,} articles"]
    summary += [f"{lv.symbol}: {lv.total_bars:,} {lv.interval} bars" for lv in view.listings]
    if LAKE is not None:  # where the data comes from, on the same summary line
        summary.append(f"{DB.describe()} · {LAKE.describe()}")
    for notice in st.session_state.get("_notices", []):
        st.warning(md(notice))
    st.session_state["_notices"] = []  # URL notices are shown once, on the run that read the URL
    for notice in screen.other_notices(view):
        st.info(md(notice))
    badge, status, is_warning = screen.header_status(view)
    line = (f":orange-badge[**{md(badge)}**] " if badge else "") + md(status)
    (st.warning if is_warning else st.caption)(" · ".join(md(part) for part in summary) + "  \n" + line)

    if view.events.empty:
        st.info("No events match these filters in this window. Widen the dates or clear a filter.")
    if not view.has_bars and view.events.empty:
        st.info("Nothing to draw: no prices and no events for these filters.")
    else:
        theme = _theme_type()
        fig = cached_figure(DB.name, stamp, filters, theme, st.session_state.get("selected_event"), view)
        chart_state = st.plotly_chart(
            # theme=None: the app shows exactly the figure that `export chart` writes.
            fig, key="overlay_chart", on_select="rerun", selection_mode="points", theme=None,
            config=charts.chart_config(screen.figure_filename(filters, view)),
        )
        _take_new_selection("chart", _chart_selection(chart_state), "selected_event")
        render_exports(fig, view)

    render_reactions(view, stamp, reactions, reactions_note)

    events_tab, articles_tab = st.tabs([f"Events ({len(view.events):,})", f"Articles ({view.total_articles:,})"])
    with events_tab:
        if view.events.empty:
            st.caption("No matching events.")
        else:
            listed = screen.listed_events(view, screen.MAX_TABLE_ROWS)
            note = screen.shown_note(len(listed), len(view.events), "events")
            if note:
                st.caption(md(note))
            table_state = st.dataframe(
                screen.event_table(listed, view.zone), key="event_table", on_select="rerun",
                selection_mode="single-row", hide_index=True, width="stretch",
            )
            _take_new_selection("event_table", _selection_ids(table_state, listed, "event_id"), "selected_event")
    with articles_tab:
        if view.articles.empty:
            st.caption("No matching articles.")
        else:
            note = screen.shown_note(len(view.articles), view.total_articles, "articles")
            if note:
                st.caption(md(note))
            article_state = st.dataframe(
                screen.article_table(view.articles, view.zone), key="article_table", on_select="rerun",
                selection_mode="single-row", hide_index=True, width="stretch",
            )
            _take_new_selection("article_table", _selection_ids(article_state, view.articles, "article_id"), "selected_article")
    mirror_to_url(filters)
    render_reader(view, stamp)


main()
