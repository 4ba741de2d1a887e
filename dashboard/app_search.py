"""The sidebar's word on the search index (Streamlit): a search on a local database whose index
is missing or behind says so and offers the rebuild."""
from __future__ import annotations

import streamlit as st

from dashboard import search
from dashboard.formatting import markdown_literal as md


def render_search_index_state(db, text: str) -> None:
    if not text.strip():
        return
    found = search.status(db)
    if found.state == "current":
        return
    st.sidebar.warning(md(found.message))
    if st.sidebar.button("Rebuild the search index", key="rebuild_search"):
        with st.spinner("Indexing every stored article…"):
            try:
                done = search.sync(db, full=True)
            except search.IndexBusy as exc:
                st.sidebar.error(md(str(exc)))
                return
        st.sidebar.success(f"Search index built: {done.articles:,} articles.")
        st.cache_data.clear()  # the cached views were loaded without the index
