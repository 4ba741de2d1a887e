"""What each version of an article or event changed, and who delivered it: the rows that
`articles show` / `events show` print and the reader lists (pure; text in, text out).

The store keeps each revision's full field set (``store.history.history``); a revision's
``changed`` names the fields that differ from the revision before it.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

# A revision's ``changed`` names a field as the merge rule does; the revision row holds it as this.
_COLUMN_OF = {"companies": "company_ids"}
# Long text is cut for the compact view (`show --format json` has it whole).
CELL_CHARS = 240


def as_text(value: Any, limit: int | None = None) -> str:
    """One value as plain text: lists joined by '; ', times as ISO UTC ``Z``, missing as ''."""
    if value is None or (isinstance(value, float) and value != value):
        text = ""
    elif isinstance(value, (list, tuple)):
        text = "; ".join(as_text(item) for item in value)
    elif isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        text = stamp.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        text = str(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def change_rows(revisions: Iterable[dict], limit: int | None = CELL_CHARS) -> list[dict[str, str]]:
    """(version, field, before, after, when, origin) for each field each version changed,
    oldest first; the first version is one row with field ``(first version)``."""
    rows, previous = [], None
    for revision in revisions:
        version = {"version": str(revision["revision"])}
        source = {"when": as_text(revision["ingested_at"]), "origin": as_text(revision.get("origin"))}
        if previous is None:
            rows.append({**version, "field": "(first version)", "before": "", "after": "", **source})
        changed = (revision.get("changed") or []) if previous is not None else []
        for name in changed:
            column = _COLUMN_OF.get(name, name)
            if name == "retracted":
                before, after = "", "retracted"
            else:
                before, after = previous.get(column), revision.get(column)
            rows.append({**version, "field": name, "before": as_text(before, limit),
                         "after": as_text(after, limit), **source})
        previous = revision
    return rows


def origin_rows(origins: Iterable[dict]) -> list[dict[str, str]]:
    """(origin, first seen, last seen, copies) for each file or feed that delivered the record."""
    return [{"origin": as_text(o["origin"]), "first_seen": as_text(o["first_seen"]),
             "last_seen": as_text(o["last_seen"]), "copies": str(o.get("copies", 1))}
            for o in origins]


def versions_label(revisions: list) -> str:
    count = len(revisions)
    return f"{count} version" if count == 1 else f"{count} versions"


def retraction_line(retracted_at: Any, reason: Any) -> str | None:
    """The sentence that says a record was retracted (None when it was not)."""
    if retracted_at is None or retracted_at != retracted_at:  # None, NaN or NaT
        return None
    when = as_text(retracted_at.to_pydatetime() if hasattr(retracted_at, "to_pydatetime") else retracted_at)
    return f"Retracted {when}: {as_text(reason) or 'no reason given'}"
