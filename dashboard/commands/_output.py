"""Printing frames on the command line, one way for every command.

JSON is one array of objects with ISO 8601 UTC ``Z`` timestamps and ``null`` for missing values;
CSV has the frame's columns, lists joined by ``;`` and text cells neutralised against spreadsheet
formulas; ``table`` is for reading in a terminal: untrusted text (titles, tags, article text) loses
its control characters, so it cannot move the cursor or recolour the terminal, and long cells are
cut with ``…``. pandas is imported inside the functions so that building the parser stays cheap.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
import sys
from typing import Any, Callable, Iterable, Sequence

from dashboard.csvsafe import neutralise_csv_cell

FORMATS = ("table", "json", "csv")
# C0/C1 controls (ESC starts a terminal escape) and the bidi overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

CellText = Callable[[str, Any], str]


def iso_z(value) -> str | None:
    """A time as ISO 8601 UTC with ``Z``, to the second; None for missing. Naive times are UTC."""
    import pandas as pd

    from dashboard.timeutil import to_utc

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def plain_value(value):
    """A JSON/CSV-ready value: ISO Z for times, ISO date for dates, lists as lists, None for
    missing or non-finite numbers (JSON has neither NaN nor Infinity)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain_value(item) for item in value]
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (dt.datetime, np.datetime64)):
        return iso_z(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame, time_columns: Iterable[str] = ()) -> list[dict]:
    """The frame's rows as plain dicts; `time_columns` become ISO Z whatever their dtype."""
    times = set(time_columns)
    return [{column: iso_z(value) if column in times else plain_value(value)
             for column, value in row.items()}
            for row in frame.to_dict(orient="records")]


def print_json(rows: list[dict]) -> None:
    json.dump(rows, sys.stdout, ensure_ascii=False, indent=2, allow_nan=False, default=str)
    sys.stdout.write("\n")


def csv_cell(value):
    """One CSV cell: lists joined by ';', missing as empty, formula-looking text neutralised."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join("" if item is None else str(item) for item in value)
    return neutralise_csv_cell(value)


def print_csv(rows: list[dict], columns: Sequence[str]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(column)) for column in columns])


def table_text(value) -> str:
    """The default text of a table cell: lists joined by ', ', missing as empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join("" if item is None else str(item) for item in value)
    return str(value)


def table_cell(text: str, width: int) -> str:
    """Untrusted text made safe and short for a terminal: no control characters, one line."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_table(rows: list[dict], columns: Sequence[tuple[str, int]], what: str, *,
                cell_text: CellText | None = None) -> None:
    """Aligned columns `(name, max width)`, then a count line; `cell_text(name, value)` formats."""
    if not rows:
        print(f"no {what} match")
        return
    text_of = cell_text or (lambda name, value: table_text(value))
    cells = [[table_cell(text_of(name, row.get(name)), width) for name, width in columns] for row in rows]
    widths = [max(len(name), *(len(line[i]) for line in cells)) for i, (name, _) in enumerate(columns)]
    print("  ".join(name.ljust(w) for (name, _), w in zip(columns, widths)).rstrip())
    for line in cells:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
    print(f"({len(rows)} {what})")


def emit(frame, fmt: str, *, table_columns: Sequence[tuple[str, int]], what: str,
         time_columns: Iterable[str] = (), cell_text: CellText | None = None) -> None:
    """Print `frame` as `fmt` (table | json | csv); JSON/CSV carry every column, and rows from
    synthetic bars a `data_note` with the label (``export.with_data_note``; the table format ends
    with it instead)."""
    if fmt in ("json", "csv"):
        from dashboard.export.files import with_data_note

        frame = with_data_note(frame)
    rows = records(frame, time_columns)
    if fmt == "json":
        print_json(rows)
    elif fmt == "csv":
        print_csv(rows, list(frame.columns))
    elif fmt == "table":
        print_table(rows, table_columns, what, cell_text=cell_text)
    else:
        raise ValueError(f"unknown output format {fmt!r} (use one of {', '.join(FORMATS)})")
