"""CSV-injection neutralising, shared by every CSV writer (CLI output and exports).

A spreadsheet treats a cell starting with ``= + - @``, a tab or a carriage return as a formula.
Article text is untrusted, so such cells get a leading single quote (OWASP's advice); the quote is
visible, which is the point: the reader sees the text, the spreadsheet does not run it.
"""
from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_csv_cell(value: Any) -> Any:
    """Prefix a quote to text that a spreadsheet would read as a formula; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
