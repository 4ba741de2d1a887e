"""Gathering the event study's inputs from the store with the reactions' own loader
(:mod:`dashboard.analysis.load`), so the local file and the lake feed it alike."""
from __future__ import annotations

import math

import pandas as pd

from dashboard.analysis import load
from dashboard.analysis.study.table import StudyOptions, StudyResult, study_table
from dashboard.store import events as store_events
from dashboard.taxonomy import EVENT_KINDS

# Whose windows are left out of the estimation windows besides the studied events: the company's
# curated events. Not every article's publication: on a news archive that is an event every few
# minutes, and leaving all of them out would leave no estimation window at all.
CONTEXT_KINDS = tuple(kind for kind in EVENT_KINDS if kind != "publication")


def reach_back(estimation_sessions: int) -> pd.Timedelta:
    """How far before an event to read bars: its estimation sessions (five a week) plus
    holidays and the reactions' own look-back."""
    return pd.Timedelta(days=math.ceil(estimation_sessions * 7 / 5)) + load.BEFORE


def study(con, filters: load.EventSelection, options: StudyOptions = StudyOptions()) -> StudyResult:
    """The event study of the filtered events (the same ``EventSelection`` as ``reactions``);
    the windows of these events and of the same companies' other curated events (CONTEXT_KINDS)
    are left out of the estimation windows."""
    events = load.select_events(con, filters)
    before = reach_back(options.estimation_sessions)
    context = None
    companies = [c for c in events["company_id"].dropna().unique()] if len(events) else []
    if companies:
        times = pd.to_datetime(events["ts"], utc=True)
        context = store_events.query_events(con, companies=companies, kinds=CONTEXT_KINDS,
                                            since=times.min() - before, until=times.max() + load.AFTER)
    # an event naming no company concerns every listing (the reactions' pairing)
    scope = None if events["company_id"].isna().any() else companies
    listings, bars, sessions = load.event_frames(con, events["ts"], before=before, companies=scope)
    return study_table(events, listings, bars, sessions, context_events=context, options=options)
