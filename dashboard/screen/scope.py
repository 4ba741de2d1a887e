"""What the analysis tables under the chart cover (the screen's company, filters and window),
and loading them: reactions and reported-vs-computed claims (issue 6)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard import store
from dashboard.analysis import load as analysis_load
from dashboard.screen.model import ViewData

# Reactions cost a bars query per event and listing: above this many events in the window, only
# the curated ones (not article publications) are measured, and at most this many of them.
MAX_REACTION_EVENTS = 200


# Claims are read from every article body and event text: above this many, curated events only.
MAX_CLAIM_TEXTS = 600


@dataclass(frozen=True)
class AnalysisScope:
    """What the analysis tables cover: the screen's company, filters and window. Hashable."""

    company_id: str
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    kinds: tuple[str, ...]
    since: pd.Timestamp
    until: pd.Timestamp  # inclusive
    extended_hours: bool = True  # the "extended hours" toggle: reactions count pre/post bars

    def selection(self) -> analysis_load.EventSelection:
        """This scope as the analysis loader takes it."""
        return analysis_load.EventSelection(tags=list(self.tags), companies=[self.company_id],
                                            sources=list(self.sources), kinds=list(self.kinds),
                                            since=self.since, until=self.until)


def analysis_scope(view: ViewData) -> AnalysisScope:
    f = view.filters
    return AnalysisScope(view.company_id, tuple(f.tags), tuple(f.sources), tuple(f.kinds),
                         view.start, view.end - pd.Timedelta(microseconds=1), f.extended_hours)


def reaction_scope(view: ViewData, limit: int = MAX_REACTION_EVENTS) -> tuple[AnalysisScope | None, str]:
    """What the reaction table measures, and a note when that is not every event on screen.

    Up to ``limit`` events: all of them. Beyond: the curated events only (article publications
    are the bulk of a large archive), and of those the first ``limit`` in time order. None when
    nothing is left to measure."""
    scope = analysis_scope(view)
    events = view.events
    if events is None or len(events) <= limit:
        return scope, ""
    kinds = events["kind"].astype(str).str.lower()
    curated_kinds = sorted(set(kinds) - {"publication"})
    picked_publications = "publication" in {k.lower() for k in view.filters.kinds}
    if curated_kinds:
        chosen = events[kinds.isin(curated_kinds)]
        scope = dataclasses.replace(scope, kinds=tuple(curated_kinds))
    elif picked_publications:
        chosen = events
    else:
        return None, (f"Reactions are not computed for the {len(events):,} article publications in this window "
                      f"(more than {limit:,}): narrow the dates, pick a tag or source, or pick the kind "
                      f"'publication' to measure the first {limit:,}.")
    candidates = len(chosen)
    if len(chosen) > limit:
        last = pd.Timestamp(chosen["ts"].sort_values(kind="stable").iloc[limit - 1])
        scope = dataclasses.replace(scope, until=min(scope.until, last))
        chosen = chosen[pd.to_datetime(chosen["ts"], utc=True) <= last]
    left_out = []
    if len(events) > candidates:
        left_out.append(f"{len(events) - candidates:,} article publications")
    if candidates > len(chosen):
        left_out.append(f"{candidates - len(chosen):,} events after the first {len(chosen):,} in time order")
    return scope, (f"Reactions for {len(chosen):,} of the {len(events):,} events in this window; left out to keep "
                   f"the page quick: {' and '.join(left_out)}. Narrow the dates or pick tags, sources or event "
                   "kinds to measure others.")


def load_reactions(db: Any, scope: AnalysisScope) -> pd.DataFrame:
    """analysis.load.reactions for the screen's events (every listing of the company)."""

    with store.as_database(db).read() as con:
        return analysis_load.reactions(con, scope.selection(), extended=scope.extended_hours)


def claims_scope(view: ViewData, limit: int = MAX_CLAIM_TEXTS) -> tuple[AnalysisScope | None, str]:
    """What the claims panel reads, and a note when that is not every text on screen: above
    ``limit`` articles and events, the curated events only (no article bodies)."""
    scope = analysis_scope(view)
    events = view.events if view.events is not None else pd.DataFrame(columns=["kind"])
    if view.total_articles + len(events) <= limit:
        return scope, ""
    curated_kinds = sorted(set(events["kind"].astype(str).str.lower()) - {"publication"})
    if not curated_kinds:
        return None, (f"Claims are not checked for the {view.total_articles:,} articles in this window (more than "
                      f"{limit:,}): narrow the dates or pick a tag or source.")
    scope = dataclasses.replace(scope, kinds=tuple(curated_kinds))
    curated = int(events["kind"].astype(str).str.lower().isin(curated_kinds).sum())
    return scope, (f"Claims checked in the {curated:,} curated events only; the {view.total_articles:,} articles "
                   f"in this window (more than {limit:,}) are left out: narrow the dates or pick a tag or source.")


def load_claims(db: Any, scope: AnalysisScope) -> pd.DataFrame:
    """analysis.load.claims for the screen's articles and events."""

    with store.as_database(db).read() as con:
        return analysis_load.claims(con, scope.selection())
