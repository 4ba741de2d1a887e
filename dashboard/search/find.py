"""Searching: the ranked articles a query matches, and a snippet for each hit shown.

A query is run on every document (current texts and older revisions); an article is one hit,
on its current text when that matches, else on its best-scoring older revision (the hit says
which). At most ``MATCH_LIMIT`` documents are taken, best first: a query matching more says so
(``Matches.truncated``), and the other filters then narrow those best ones.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import tantivy

from dashboard.search.fields import article_ids_of
from dashboard.search.index import index_dir, open_index
from dashboard.search.query import parse
from dashboard.search.snippet import Snippet, snippet_of
from dashboard.store.search_rows import search_text

MATCH_LIMIT = 100_000


@dataclass(frozen=True)
class Hit:
    article_id: str
    score: float
    revision: int = 0  # 0: the current text matched; else the older revision that did
    revisions: int = 1

    @property
    def on_older_revision(self) -> bool:
        return self.revision > 0

    def where(self) -> str:
        """'' for the current text, else which older revision matched (for tables)."""
        if not self.revision:
            return ""
        return f"older revision {self.revision} of {self.revisions}"


@dataclass(frozen=True)
class Matches:
    """One hit per article, best first, held as columns (a search may match 100,000 articles;
    only the few shown become ``Hit`` objects)."""

    text: str
    article_ids: list[str] = field(default_factory=list)  # best first
    scores: list[float] = field(default_factory=list)
    revisions: list[int] = field(default_factory=list)  # 0: the current text matched
    counts: list[int] = field(default_factory=list)  # how many revisions each article has
    documents: int = 0  # index documents matched (all of them, also past MATCH_LIMIT)
    truncated: bool = False

    def __len__(self) -> int:
        return len(self.article_ids)

    @functools.cached_property
    def rank(self) -> dict[str, int]:
        """article id → its place (0 is the best)."""
        return {key: place for place, key in enumerate(self.article_ids)}

    def hit_at(self, place: int) -> Hit:
        return Hit(self.article_ids[place], self.scores[place], self.revisions[place], self.counts[place])

    def hit(self, article_id: str) -> Hit:
        return self.hit_at(self.rank[article_id])

    @property
    def hits(self) -> list[Hit]:
        return [self.hit_at(place) for place in range(len(self))]

    def note(self) -> str:
        """What a reader needs to know about the set: '' when it is complete."""
        if not self.truncated:
            return ""
        return (f"the search matched {self.documents:,} texts; only the best {MATCH_LIMIT:,} are "
                "used: add words to narrow it")


def _query(index: tantivy.Index, text: str, include_retracted: bool) -> tantivy.Query:
    query = parse(index, text)
    if include_retracted:
        return query
    retracted = tantivy.Query.term_query(index.schema, "retracted", True)
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.MustNot, retracted)])


def find(db, text: str, *, include_retracted: bool = False, limit: int = MATCH_LIMIT) -> Matches:
    """The articles matching ``text``, best first. Raises QueryError for a text that cannot be
    read, IndexMissing when the database has no index yet."""
    index = open_index(index_dir(db))
    query = _query(index, text, include_retracted)
    searcher = index.searcher()
    result = searcher.search(query, limit, count=True)
    addresses = [address for _, address in result.hits]
    keys = searcher.fast_field_values("key", addresses)
    revisions = searcher.fast_field_values("revision", addresses)
    counts = searcher.fast_field_values("revisions", addresses)
    if not addresses:
        return Matches(text, documents=result.count)
    scores = np.fromiter((score for score, _ in result.hits), dtype=np.float64, count=len(addresses))
    keys = np.asarray(keys, dtype=np.uint64)
    revisions = np.asarray(revisions, dtype=np.int64)
    # One hit per article: its current text when that matched, else its best older revision.
    # Sorted by (article, older?, -score), the first row of each article is that hit.
    order = np.lexsort((-scores, revisions != 0, keys))
    first = order[np.r_[True, keys[order][1:] != keys[order][:-1]]]
    first = first[np.argsort(-scores[first], kind="stable")]
    return Matches(text, article_ids_of(keys[first]), scores[first].tolist(),
                   revisions[first].tolist(), np.asarray(counts, dtype=np.int64)[first].tolist(),
                   result.count, result.count > limit)


def snippets(db, text: str, hits: list[Hit], *, include_retracted: bool = True) -> dict[str, Snippet]:
    """article id → the snippet of its matched text (current or older revision), for ``hits``
    (the few a page shows: their text is read from the store)."""
    if not hits:
        return {}
    index = open_index(index_dir(db))
    query = _query(index, text, include_retracted)
    searcher = index.searcher()
    with db.read() as con:
        rows = search_text(con, [hit.article_id for hit in hits])
    by_text = {(row["article_id"], int(row["revision"])): row for row in rows.to_dict("records")}
    generators: dict[str, tantivy.SnippetGenerator] = {}
    found = {}
    for hit in hits:
        row = by_text.get((hit.article_id, hit.revision))
        if row is not None:
            found[hit.article_id] = snippet_of(searcher, query, index.schema, row, text, generators)
    return found


def ranked(frame, matches: Matches, places: list[int]):
    """The rows of ``frame`` (articles, ``article_id`` column) that are the matches at ``places``
    (``store.articles.best_of_ranked``), in that order, with ``score`` and ``matched`` (which
    older revision matched; '' for the current text)."""
    hits = [matches.hit_at(place) for place in places]
    rows = {key: n for n, key in enumerate(frame["article_id"])}
    frame = frame.iloc[[rows[hit.article_id] for hit in hits if hit.article_id in rows]].copy()
    hits = [hit for hit in hits if hit.article_id in rows]
    frame["score"] = [round(hit.score, 3) for hit in hits]
    frame["matched"] = [hit.where() for hit in hits]
    return frame.reset_index(drop=True)
