"""The main screen (Streamlit): widgets → core calls → figure, table, reader.

Layout and widget state only; every number comes from ``dashboard.screen`` and every figure from
``dashboard.charts``. Untrusted text (titles, tags, bodies) is shown as escaped markdown or plain
text, never as HTML.
"""
from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from dashboard import config, search, store, versions
from dashboard.app_chart import (REACTIONS_OPEN, cached_view, chart_choices, chart_section, header_line,
                                 mirror_to_url, seed_chart_state, take_new_selection)
from dashboard.app_runtime import freeze_startup_heap
from dashboard.app_search import render_search_index_state
from dashboard.app_study import render_study
from dashboard.formatting import markdown_literal as md
from dashboard import screen
from dashboard.lake.catalog import LakeError, LakeLocation
from dashboard.screen import Filters

st.set_page_config(page_title="Event overlay — news vs. prices", page_icon="📈", layout="wide")
# The page's top padding (Streamlit's 6rem) cut to what its toolbar needs, so the header and the
# chart's controls leave the chart within the top 35 % of a 1280×800 screen (docs/app.md). A
# constant style rule, no text of ours: st.html puts a style-only block out of the layout.
PAGE_STYLE = "<style>[data-testid=stMainBlockContainer] {padding-top: 3rem;}</style>"

LAKE = LakeLocation.from_env()  # team mode: DASHBOARD_CATALOG + DASHBOARD_WAREHOUSE
# What this run reads: the file, or one publish of the lake (main() sets it per run).
DB = store.Database(config.resolve_db_path(), read_only=True)


# ---------------------------------------------------------------------------------------------
# Cached core calls, keyed on the database's name and cache_key(): the file's write time (so a
# new ingest shows up), or in team mode the lake snapshot id (so a new publish shows up). Each
# reads the database it is handed (``_db``: not hashed, Streamlit skips a leading underscore),
# and its caller passes that database's own name and key, so the key always names what was read;
# none reads the module's ``DB``, which main() replaces on every run.


@st.cache_data(show_spinner=False, max_entries=64)
def cached_options(_db, db_name: str, stamp: float, company: str, zone: str) -> screen.ScreenOptions:
    return screen.load_options(_db, company, zone)


@st.cache_data(show_spinner="Computing reactions…", max_entries=64)
def cached_reactions(_db, db_name: str, stamp: float, scope: screen.AnalysisScope) -> pd.DataFrame:
    return screen.load_reactions(_db, scope)


@st.cache_data(show_spinner="Checking reported moves…", max_entries=64)
def cached_claims(_db, db_name: str, stamp: float, scope: screen.AnalysisScope) -> pd.DataFrame:
    return screen.load_claims(_db, scope)


# The tables as shown, per filter: formatting 140 reaction rows or the claims costs tens of ms a
# rerun, and a rerun that changes only the chart (a price mode, a zone) must not pay it again.
@st.cache_data(show_spinner="Computing reactions…", max_entries=64)
def cached_reaction_rows(_db, db_name: str, stamp: float, scope: screen.AnalysisScope, zone: str,
                         event_ids: tuple[str, ...]) -> pd.DataFrame:
    return screen.reaction_rows(cached_reactions(_db, db_name, stamp, scope), zone, event_ids)


@st.cache_data(show_spinner="Checking reported moves…", max_entries=64)
def cached_claim_table(_db, db_name: str, stamp: float, scope: screen.AnalysisScope | None,
                       zone: str) -> tuple[pd.DataFrame, str]:
    """The claims as shown and their verdict summary ("" when there are none)."""
    claims = cached_claims(_db, db_name, stamp, scope) if scope is not None else None
    table = screen.claim_rows(claims, zone)
    return table, "" if table.empty else screen.verdict_summary(claims)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_article(_db, db_name: str, stamp: float, article_id: str) -> dict | None:
    return screen.load_article(_db, article_id)


# ---------------------------------------------------------------------------------------------
# The analysis tables


def reaction_frame(view: screen.ViewData, stamp: tuple) -> tuple[pd.DataFrame, str]:
    """The reaction rows of the screen's events (empty when there are none or no listings), and
    a note when a large window measures only some of them."""
    measured = not view.events.empty and view.listings
    scope, note = screen.reaction_scope(view, screen.MAX_REACTION_EVENTS) if measured else (None, "")
    if scope is None:
        return screen.reaction_rows(None, view.zone), note
    return cached_reaction_rows(DB, DB.name, stamp, scope, view.zone, tuple(view.events["event_id"])), note


def render_reactions(view: screen.ViewData, stamp: tuple, rows: pd.DataFrame, note: str = "") -> None:
    """Reaction table (a picked row highlights its event and opens it in the reader) and the
    reported-vs-computed claims."""
    st.subheader("How each listing reacted")
    if note:
        st.info(md(note))
    if rows.empty:
        st.caption("No events to measure in this window.")
    else:
        st.caption(screen.REACTIONS_HELP)
        if any(config.SYNTHETIC_LABEL in n for n in rows["notes"]):
            st.warning(f"⚠ Figures computed from the {md(config.SYNTHETIC_LABEL)}.")
        state = st.dataframe(
            # Sent light: long text cut (a pick opens the event whole in the reader).
            screen.style_reactions(screen.clip_cells(rows, ["event", "notes"])), key="reaction_table", on_select="rerun", selection_mode="single-row",
            hide_index=True, width="stretch", height=360,
            column_config={"event_id": None, "event": st.column_config.TextColumn(width="medium"),
                           "notes": st.column_config.TextColumn(width="large")},
        )
        take_new_selection("reaction_table", screen.picked_row_ids(state, rows, "event_id"), "selected_event")

    st.subheader("Reported vs computed")
    scope, claims_note = screen.claims_scope(view, screen.MAX_CLAIM_TEXTS)
    if claims_note:
        st.info(md(claims_note))
    claim_table, summary = cached_claim_table(DB, DB.name, stamp, scope, view.zone)
    if claim_table.empty:
        st.caption("No price-move claims in the filtered articles and events.")
        return
    st.caption(md(summary) + screen.CLAIMS_HELP)
    st.dataframe(
        screen.clip_cells(claim_table, ["quote", "detail"]), key="claims_table", hide_index=True, width="stretch", height=320,
        column_config={"quote": st.column_config.TextColumn(width="large"),
                       "detail": st.column_config.TextColumn(width="large")},
    )


# ---------------------------------------------------------------------------------------------
# State: URL ⇄ widgets


def seed_state_from_url() -> None:
    """First run of a session: the URL decides the widgets' starting values."""
    if st.session_state.get("_seeded"):
        return
    filters, notices = Filters.from_query_params(st.query_params)
    st.session_state["_url_filters"] = filters
    st.session_state["_notices"] = notices
    st.session_state["selected_event"] = st.query_params.get("event") or None
    st.session_state["selected_article"] = st.query_params.get("article") or None
    seed_chart_state(filters)
    st.session_state["_seeded"] = True


def _seed_choices(key: str, wanted, offered, noun: str, notices: list[str], *, ignore_case: bool = True) -> None:
    """A multiselect's values: the URL's on the first run (an unknown one becomes a notice), then
    only those still offered (another company offers other tags)."""
    if key not in st.session_state:
        st.session_state[key], unknown = screen.url_choices(wanted, offered, noun, ignore_case=ignore_case)
        notices += unknown
    st.session_state[key] = [v for v in st.session_state[key] if v in offered]


def sidebar(stamp: tuple) -> dict:
    url_filters: Filters = st.session_state["_url_filters"]
    notices: list[str] = st.session_state["_notices"]
    st.sidebar.header("Filters")

    # The default window is a set of days in the display zone (a chart control, seeded from the URL).
    company_wanted = st.session_state.get("company", url_filters.company)
    options = cached_options(DB, DB.name, stamp, company_wanted, st.session_state["zone"])
    if not options.companies:
        st.error("The database holds no companies yet: run `python -m dashboard ingest data/`.")
        st.stop()
    company_ids = [cid for cid, _ in options.companies]
    names = dict(options.companies)
    if "company" not in st.session_state:
        # Resolved once, by load_options (screen.steps.pick_company): an unknown one is said here.
        if options.company_id and options.company is not None and not options.company.found:
            notices.append(f"Unknown company {url_filters.company!r} in the URL; showing {names[options.company_id]}.")
        st.session_state["company"] = options.company_id or company_ids[0]
    st.sidebar.selectbox("Company", company_ids, key="company", format_func=lambda c: names.get(c, c))

    st.session_state.setdefault("search", url_filters.search)
    st.sidebar.text_input("Search articles", key="search", placeholder='memo, "exact phrase", Pentag*, 阿里巴巴',
                          help=f"Full-text search: {search.HELP}. Narrows articles, events and chart markers "
                               "to the matching articles, with the other filters.")
    if LAKE is None:  # a lake publish's index is built on its first search (screen.searching)
        render_search_index_state(DB, st.session_state["search"])

    tag_labels = {t: f"{t} ({a} art., {e} ev.)" for t, a, e in options.tags}
    _seed_choices("tags", url_filters.tags, tag_labels, "tag", notices)
    st.sidebar.multiselect(
        "Tags (any of)", list(tag_labels), key="tags", format_func=lambda t: tag_labels.get(t, t),
        help="Counts: articles and events carrying the tag. Narrows articles, events and chart markers alike.",
    )
    _seed_choices("sources", url_filters.sources, options.sources, "source", notices)
    st.sidebar.multiselect("Sources", options.sources, key="sources")
    _seed_choices("kinds", url_filters.kinds, options.kinds, "event kind", notices, ignore_case=False)
    st.sidebar.multiselect("Event kinds", options.kinds, key="kinds")

    default_window = (options.default_start, options.default_end)
    if "dates" not in st.session_state:
        start = url_filters.start or options.default_start
        end = url_filters.end or options.default_end
        st.session_state["dates"] = (start, end) if start and end else ()
    st.sidebar.date_input("Dates (in the display zone)", key="dates")

    start, end, hint = screen.picked_window(st.session_state.get("dates"), default_window)
    if hint:
        st.sidebar.caption(hint)

    # The sidebar's part of the filters; the chart's own controls add theirs (app_chart).
    return {"company": st.session_state["company"], "tags": st.session_state["tags"],
            "sources": st.session_state["sources"], "kinds": st.session_state["kinds"], "start": start, "end": end,
            "search": st.session_state.get("search", "")}


# ---------------------------------------------------------------------------------------------
# Tables and the reader


def render_table(key: str, rows: pd.DataFrame, total: int, noun: str, as_shown, id_column: str, target: str) -> None:
    """The events or articles table (``as_shown(rows)`` formats it): a picked row opens it in the
    reader."""
    if rows.empty:
        st.caption(f"No matching {noun}.")
        return
    note = screen.shown_note(len(rows), total, noun)
    if note:
        st.caption(md(note))
    state = st.dataframe(as_shown(rows), key=key, on_select="rerun", selection_mode="single-row", hide_index=True,
                         width="stretch")
    take_new_selection(key, screen.picked_row_ids(state, rows, id_column), target)


def render_reader(view: screen.ViewData, stamp: tuple) -> None:
    """The picked event and its article, as escaped markdown from ``screen.reader``."""
    st.subheader("Reader")
    pick = screen.reader_pick(view, st.session_state.get("selected_event"), st.session_state.get("selected_article"))
    if pick.note:
        st.caption(pick.note)
    with st.container(border=True, key="reader"):
        if pick.event is None and not pick.article_id:
            st.caption(screen.NOTHING_PICKED)
            return
        blocks = screen.event_blocks(pick.event) if pick.event is not None else []
        if pick.article_id:
            article = cached_article(DB, DB.name, stamp, pick.article_id)
            blocks += screen.article_blocks(article, pick.article_id, after_event=pick.event is not None)
        for block in blocks:
            if block.kind == "link":
                st.link_button(block.text, block.url)
            elif block.kind == "divider":
                st.divider()
            elif block.kind == "warning":
                st.warning(block.text)
            else:
                (st.caption if block.kind == "caption" else st.markdown)(block.text)
        if pick.article_id and article is not None:
            render_versions(article.get("history"))


def render_versions(past: dict | None) -> None:
    """"N versions" (what each changed: field, before, after) and "delivered by" (the origins),
    in data tables: every cell is plain text, never markdown or HTML."""
    if not past or not past.get("revisions"):
        return
    label = f"{versions.versions_label(past['revisions'])} · delivered by {len(past['origins'])}"
    with st.expander(label, expanded=False):
        st.dataframe(pd.DataFrame(versions.change_rows(past["revisions"])), hide_index=True,
                     key="reader_versions")
        st.caption("Delivered by")
        st.dataframe(pd.DataFrame(versions.origin_rows(past["origins"])), hide_index=True,
                     key="reader_origins")


# ---------------------------------------------------------------------------------------------
# The page


def apply_pending_selections(view: screen.ViewData, reactions) -> None:
    """A click in a table below the chart reruns the page before that table is drawn again;
    take it now so the chart drawn above it already highlights the picked event.
    ``reactions()`` gives the reaction rows; it is called only when that table has a pick."""
    state = st.session_state
    take_new_selection("chart", screen.picked_point_ids(state.get("overlay_chart")), "selected_event")
    tables = [("reaction_table", reactions, "event_id", "selected_event")]
    if len(view.events):
        tables.append(("event_table", screen.listed_events(view, screen.MAX_TABLE_ROWS), "event_id", "selected_event"))
    if len(view.articles):
        tables.append(("article_table", view.articles, "article_id", "selected_article"))
    for key, rows, id_column, target in tables:
        take_new_selection(key, screen.picked_row_ids(state.get(key), rows, id_column), target)


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


def _section(label: str, key: str):
    """An expander below the chart whose content is built only while it is open (the study's
    pattern, app_study.py): opening or closing it reruns the page. The panel while open (the
    caller draws into it), else None."""
    panel = st.expander(label, key=key, on_change="rerun")
    return panel if panel.open else None


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
    st.html(PAGE_STYLE)
    seed_state_from_url()
    try:
        DB = open_database()
        stamp = DB.cache_key()
        if not DB.exists():
            raise store.DatabaseMissing(f"{DB.name}: no database here yet")
        choices = sidebar(stamp)
        filters, _ = screen.build_filters({**choices, **chart_choices()}, screen.SIDEBAR)  # unusable: said by the chart
        view = cached_view(DB, DB.name, stamp, filters, screen.MAX_TABLE_ROWS)
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

    # The reaction table is computed after the chart is sent (the browser draws it meanwhile),
    # unless a pick in that table must be taken before the chart highlights it.
    analysis: dict = {}

    def reactions() -> pd.DataFrame:
        if not analysis:
            analysis["rows"], analysis["note"] = reaction_frame(view, stamp)
        return analysis["rows"]

    apply_pending_selections(view, reactions)
    mirror_to_url(filters)
    # A compact header (a small title, one summary line, one status line) so the chart starts
    # high on the first screen (issues 17 and 28; the sizes in docs/app.md).
    st.subheader(f"{md(view.company_name)}: news vs. prices", anchor=False)
    for notice in st.session_state.get("_notices", []):
        st.warning(md(notice))
    st.session_state["_notices"] = []  # URL notices are shown once, on the run that read the URL
    for notice in screen.other_notices(view):
        st.info(md(notice))
    theme = _theme_type()
    source_note = f"{DB.describe()} · {LAKE.describe()}" if LAKE is not None else None
    header_line(view, source_note)
    chart_section(DB, stamp, choices, filters, view, theme)  # a fragment: reruns alone

    # Below the chart, each section is built only while it is open (a closed one costs a rerun
    # nothing and sends nothing); the open states have keys, so a filter change keeps them.
    if panel := _section("How each listing reacted · reported vs computed moves", REACTIONS_OPEN):
        with panel:
            render_reactions(view, stamp, reactions(), analysis["note"])
    render_study(DB, view, stamp, theme=theme)
    if panel := _section("Events", "events_open"):
        listed = screen.listed_events(view, screen.MAX_TABLE_ROWS) if len(view.events) else view.events
        with panel:
            render_table("event_table", listed, len(view.events), "events",
                         lambda rows: screen.event_table(rows, view.zone), "event_id", "selected_event")
    if panel := _section("Articles", "articles_open"):
        with panel:
            render_table("article_table", view.articles, view.total_articles, "articles",
                         lambda rows: screen.article_table(rows, view.zone), "article_id", "selected_article")
    mirror_to_url(filters)
    render_reader(view, stamp)


main()
freeze_startup_heap()  # once per process, after its first run (app_runtime.py says why)
