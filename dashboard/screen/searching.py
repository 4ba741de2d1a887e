"""The screen's search step: the articles a search matches narrow what the screen loads.

A search (``Filters.search``) narrows the article table, the event table and the chart's markers
to the matching articles and the events linked to them, on top of the other filters. The article
table then lists the matches best first, each with its snippet as plain text (the matched words
between « », never HTML) and, for a match on an older wording, which revision it was.
"""
from __future__ import annotations

import pandas as pd

from dashboard import search
from dashboard.store import articles as store_articles


def search_matches(db, text: str, notices: list[str]) -> search.Matches | None:
    """The matches of ``text`` (None: no search, or one that cannot run, with a notice why)."""
    if not text.strip():
        return None
    try:
        found = search.ready(db)
    except search.IndexBusy:
        notices.append(f"Search {text!r} not applied yet: the search index of this publish is "
                       "being built (by another session); reload in a moment.")
        return None
    if found.state == "missing":
        notices.append(f"Search {text!r} not applied: {found.message}.")
        return None
    elif found.state == "stale":
        notices.append(f"Search results may miss recent writes: {found.message}.")
    try:
        matches = search.find(db, text)
    except search.QueryError as exc:
        notices.append(f"Search not applied: {exc}")
        return None
    if matches.note():
        notices.append(f"Search: {matches.note()}.")
    return matches


def best_matches(con, db, matches: search.Matches, filters: dict, limit: int | None) -> tuple[pd.DataFrame, int]:
    """(the best ``limit`` articles (None: all) passing ``filters``, best first, with ``score``,
    ``matched`` and ``snippet`` columns; how many pass in all)."""
    places, total = store_articles.best_of_ranked(con, matches.article_ids, limit=limit, **filters)
    shown = [matches.article_ids[place] for place in places]
    frame = search.ranked(store_articles.query_articles(con, article_ids=shown), matches, places)
    marked = search.snippets(db, matches.text, [matches.hit_at(place) for place in places])
    frame["snippet"] = [marked[key].as_text() if key in marked else "" for key in frame["article_id"]]
    return frame, total
