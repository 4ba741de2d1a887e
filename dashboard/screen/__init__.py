"""The main screen's core (no Streamlit): filters and their URL state, the loader that builds
``ViewData``, and the tables and lines the app shows. The app and the ``export`` command call
these; ``charts`` draws a ``ViewData``.

- :mod:`.filters` — ``Filters`` and their URL parameters
- :mod:`.model` — ``ListingView``, ``ViewData``, the file name a view is saved under
- :mod:`.bars` — thinning, volume buckets, price modes, first trades (markets' rules)
- :mod:`.load` — ``load_view``, ``load_options``, the default window, one article (the reads)
- :mod:`.steps` — the loader's pure steps: the company, the days, a listing's priced bars and row
- :mod:`.scope` — what the reaction and claims tables cover, and loading them
- :mod:`.tables` — reaction / claims / events / articles tables as shown
- :mod:`.picks` — the ids a click picked (table rows, chart points)
- :mod:`.reader` — the reader panel's content: a picked event and its article as escaped markdown
"""
from dashboard.formatting import ZONE_LABELS, ZONES, format_time, signed_bp, signed_pct, times_line
from dashboard.screen.bars import (DEFAULT_MAX_POINTS, downsample_bars, downsample_frame, events_first_trades,
                                   volume_bucket_for, volume_buckets)
from dashboard.screen.filters import (DEFAULT_COMPANY, INTERVALS, PRICE_MODE_LABELS, PRICE_MODES, SIDEBAR, URL,
                                      Filters, Spelling, Unusable, build_filters, parse_utc, picked_window,
                                      url_choices)
from dashboard.screen.load import (DAYS_BEFORE_PEAK, DEFAULT_WINDOW_DAYS, ScreenOptions, bar_span, default_window,
                                   load_article, load_options, load_view, resolve_company)
from dashboard.screen.model import ListingView, ViewData, figure_filename
from dashboard.screen.steps import CompanyPick, PricedBars, listing_view, pick_company, priced_bars, window_days
from dashboard.screen.picks import picked_point_ids, picked_row_ids
from dashboard.screen.reader import (NOTHING_PICKED, ReaderBlock, ReaderPick, article_blocks, event_blocks, reader_pick,
                                     source_link)
from dashboard.screen.scope import (MAX_CLAIM_TEXTS, MAX_REACTION_EVENTS, AnalysisScope, analysis_scope,
                                    claims_scope, load_claims, load_reactions, reaction_scope)
from dashboard.screen.tables import (CLAIMS_HELP, MAX_TABLE_ROWS, REACTIONS_HELP, REFRESH_WARNING, RETURN_COLUMNS,
                                     article_table, claim_rows, clip_cells, event_table, header_line, header_status, listed_events, news_status_line,
                                     other_notices, price_status_line, reaction_rows, shown_note, style_reactions,
                                     verdict_summary)
from dashboard.timeutil import window_bounds

__all__ = [
    "ZONE_LABELS", "ZONES", "format_time", "signed_bp", "signed_pct", "times_line",
    "DEFAULT_MAX_POINTS", "downsample_bars", "downsample_frame", "events_first_trades", "volume_bucket_for", "volume_buckets",
    "DEFAULT_COMPANY", "INTERVALS", "PRICE_MODE_LABELS", "PRICE_MODES", "Filters", "figure_filename", "parse_utc",
    "picked_window", "url_choices", "SIDEBAR", "URL", "Spelling", "Unusable", "build_filters",
    "DAYS_BEFORE_PEAK", "DEFAULT_WINDOW_DAYS", "ScreenOptions", "bar_span", "default_window", "load_article",
    "load_options", "load_view", "resolve_company", "ListingView", "ViewData",
    "CompanyPick", "PricedBars", "listing_view", "pick_company", "priced_bars", "window_days",
    "picked_point_ids", "picked_row_ids", "NOTHING_PICKED", "ReaderBlock", "ReaderPick", "article_blocks",
    "event_blocks", "reader_pick", "source_link",
    "MAX_CLAIM_TEXTS", "MAX_REACTION_EVENTS", "AnalysisScope", "analysis_scope", "claims_scope", "load_claims",
    "load_reactions", "reaction_scope",
    "CLAIMS_HELP", "MAX_TABLE_ROWS", "REACTIONS_HELP", "RETURN_COLUMNS", "article_table", "claim_rows", "event_table",
    "clip_cells", "header_line", "header_status", "REFRESH_WARNING", "listed_events", "news_status_line", "other_notices", "price_status_line", "reaction_rows",
    "shown_note", "style_reactions", "verdict_summary", "window_bounds",
]
