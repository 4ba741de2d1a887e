"""CSV-injection neutralising, shared by every CSV writer (CLI output and exports).

A spreadsheet treats a cell starting with ``= + - @``, a tab or a carriage return as a formula
(OWASP "CSV injection"). Article text is untrusted, so such cells get a leading single quote: the
reader sees the text, the spreadsheet does not run it. A cell that is just a number ("-3.78",
"+1.5%") cannot run anything and is left readable, so reported figures survive unchanged.
"""
from __future__ import annotations

import re
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def neutralise_csv_cell(value: Any) -> Any:
    """Prefix a quote to text that a spreadsheet would read as a formula; other values pass."""
    if (isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)
            and not _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value
