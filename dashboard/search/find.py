"""Searching: the ranked articles a query matches, and a snippet for each hit shown.

A query is run on every document (current texts and older revisions); an article is one hit,
on its current text when that matches, else on its best-scoring older revision (the hit says
which). At most ``MATCH_LIMIT`` documents are taken, best first: a query matching more says so
(``Matches.truncated``), and the other filters then narrow those best ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import tantivy

from dashboard.search.fields import article_id_of
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
    text: str
    hits: list[Hit] = field(default_factory=list)  # best first, one per article
    documents: int = 0  # index documents matched (all of them, also past MATCH_LIMIT)
    truncated: bool = False

    @property
    def article_ids(self) -> list[str]:
        return [hit.article_id for hit in self.hits]

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
    best: dict[int, Hit] = {}
    for (score, _), key, revision, count in zip(result.hits, keys, revisions, counts):
        known = best.get(key)
        # The current text wins over an older revision; else the first seen is the best score.
        if known is None or (revision == 0 and known.revision != 0):
            best[key] = Hit(article_id_of(key), float(score), int(revision), int(count))
    hits = sorted(best.values(), key=lambda hit: -hit.score)
    return Matches(text, hits, result.count, result.count > limit)


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


def ranked(frame, matches: Matches, limit: int | None = None):
    """The rows of ``frame`` (articles, ``article_id`` column) among the matches, best first,
    with ``score`` and ``matched`` (which older revision matched; '' for the current text)."""
    order = {hit.article_id: (rank, hit) for rank, hit in enumerate(matches.hits)}
    frame = frame[frame["article_id"].isin(order.keys())].copy()
    frame["score"] = [round(order[key][1].score, 3) for key in frame["article_id"]]
    frame["matched"] = [order[key][1].where() for key in frame["article_id"]]
    frame["_rank"] = [order[key][0] for key in frame["article_id"]]
    frame = frame.sort_values("_rank").drop(columns="_rank").reset_index(drop=True)
    return frame if limit is None else frame.head(limit)
