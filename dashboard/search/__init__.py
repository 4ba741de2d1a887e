"""Full-text search over stored articles (tantivy; docs/architecture.md "Search").

``find(db, text)`` ranks the articles a query matches; ``snippets`` marks the matched words of
the hits shown; ``status``/``sync``/``follow`` keep the index beside the store covering it.
"""
from dashboard.search.find import MATCH_LIMIT, Hit, Matches, find, ranked, snippets
from dashboard.search.index import IndexBusy, IndexMissing, Status, Synced, follow, index_dir, ready, status, sync
from dashboard.search.query import HELP, QueryError
from dashboard.search.snippet import Snippet

__all__ = ["HELP", "MATCH_LIMIT", "Hit", "IndexBusy", "IndexMissing", "Matches", "QueryError", "Snippet",
           "Status", "Synced", "find", "follow", "index_dir", "ranked", "ready", "snippets", "status", "sync"]
