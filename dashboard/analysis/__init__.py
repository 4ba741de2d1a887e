"""The analysis core: event reactions, ADR parity/premium, reported-vs-computed claims.

Pure functions on frames (``reactions``, ``parity``, ``claims``) plus a thin loader (``load``)
that gathers those frames from the store. Rules and formulas: docs/analysis.md.

``_bars`` and ``_sessions`` are this package's private modules: the reaction, parity and claims
modules share them, nothing outside the package imports them (the leading underscore says so).
"""
from dashboard.analysis.claims import Claim, check_claim, claims_table, extract_claims
from dashboard.analysis.parity import parity_frame, premium_at
from dashboard.analysis.reactions import listing_reaction, reaction_table

__all__ = [
    "Claim", "check_claim", "claims_table", "extract_claims",
    "parity_frame", "premium_at",
    "listing_reaction", "reaction_table",
]
