"""What a click picked (no Streamlit): the ids behind a table's selected rows or the chart's
selected points, read from a widget's return value or its session-state entry (an object with
``.selection`` or the same as a dict)."""
from __future__ import annotations

import pandas as pd


def _selection(state, name: str) -> list:
    """``state.selection.<name>`` of a widget's return value or its session-state entry."""
    try:
        selection = state["selection"] if isinstance(state, dict) else state.selection
        return list((selection.get(name) if isinstance(selection, dict) else getattr(selection, name)) or [])
    except (AttributeError, KeyError, TypeError):
        return []


def picked_row_ids(state, rows, id_column: str) -> list[str]:
    """The ``id_column`` values of the table rows selected (positions out of range are ignored).
    ``rows`` is the table, or a callable returning it, called only when some row is selected."""
    picked = _selection(state, "rows")
    if not picked:
        return []
    if callable(rows):
        rows = rows()
    return [str(rows.iloc[i][id_column]) for i in picked if isinstance(i, int) and 0 <= i < len(rows)]


def picked_point_ids(state) -> list[str]:
    """The event ids of the chart points selected: a marker carries one, a day band a list (its
    first event stands for it)."""
    ids = []
    for point in _selection(state, "points"):
        data = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        if data:
            ids.append(str(data))
    return ids
