"""The merge rule: what a new copy of a stored article or event changes (docs/ingest.md, "Copies
of the same article").

One rule for every path that stores records (ingest, ``ingest --dry-run``, and any later feed or
bulk path), so it lives here and nowhere else:

- an empty or missing field in the copy keeps the current value; a non-empty field that differs
  replaces it (the version it replaces is kept by the store as a revision);
- tags and company links accumulate (union); each tag keeps the origin that first gave it (a file
  or feed, or ``rule: <name>`` for a tagging rule);
- a copy identical to the current version, or delivered before (same content hash), changes
  nothing: re-running a folder is stable, and an old copy delivered again does not undo a later
  correction;
- a retraction is kept: a later copy does not bring the record back.

Pure: records in, records and the names of the changed fields out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Mapping, TypeVar

from dashboard.ingest.build import article_content_hash, event_content_hash
from dashboard.ingest.stance import article_stance
from dashboard.records import Article, Event

Record = TypeVar("Record", Article, Event)

# Fields a copy replaces when it gives them (non-empty and different). An article's raw time text
# and zone go with its published_at; its stance is derived from the merged text.
ARTICLE_FIELDS = ("title", "source", "region", "published_at", "published_precision", "subtitle",
                  "summary", "background", "insights", "body", "url")
EVENT_FIELDS = ("ts", "ts_raw", "ts_zone", "precision", "kind", "stance", "actor", "source",
                "headline", "detail", "source_url", "article_id", "company_id", "symbol", "value")


def is_empty(value: Any) -> bool:
    """Missing, blank text, or NaN (a NULL read back through pandas)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def merge_fields(current: Mapping[str, Any], copy: Mapping[str, Any],
                 names: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """(the merged values of ``names``, the names whose value the copy replaced)."""
    merged, changed = {}, []
    for name in names:
        old, new = current.get(name), copy.get(name)
        if is_empty(new) or new == old:
            merged[name] = old
        else:
            merged[name] = new
            changed.append(name)
    return merged, changed


def merge_tags(tags: list[str], origins: Mapping[str, str], new_tags: Iterable[str],
               new_origins: Mapping[str, str], default_origin: str) -> tuple[list[str], dict[str, str]]:
    """Union of tags (a spelling that differs only in case is the same tag), current ones first;
    ``origins`` maps each case-folded tag to the origin that first gave it."""
    merged, merged_origins = list(tags), dict(origins)
    for tag in new_tags:
        key = tag.casefold()
        if key not in merged_origins:
            merged.append(tag)
            merged_origins[key] = new_origins.get(key, default_origin)
    return merged, merged_origins


def with_tag_origins(record: Record) -> Record:
    """The record with an origin for every tag (its own origin where it names none)."""
    origins = {t.casefold(): record.tag_origins.get(t.casefold(), record.origin or "")
               for t in record.tags}
    return replace(record, tag_origins=origins)


def _merge_common(current: Record, copy: Record, names: Iterable[str]) -> tuple[dict, list[str]]:
    """Field, tag and retraction changes shared by articles and events."""
    values, changed = merge_fields(vars(current), vars(copy), names)
    tags, origins = merge_tags(current.tags, current.tag_origins, copy.tags, copy.tag_origins,
                               copy.origin or "")
    values.update(tags=tags, tag_origins=origins)
    if len(tags) != len(current.tags):
        changed.append("tags")
    if current.retracted is None and copy.retracted is not None:
        values["retracted"] = copy.retracted
        changed.append("retracted")
    return values, changed


def merge_article(current: Article, copy: Article) -> tuple[Article, list[str]]:
    """``copy`` merged into ``current`` by the rule; (merged article, changed field names)."""
    values, changed = _merge_common(current, copy, ARTICLE_FIELDS)
    if {"published_at", "published_precision"} & set(changed):
        values.update(published_raw=copy.published_raw, published_zone=copy.published_zone)
    links = list(current.company_links)
    links += [link for link in copy.company_links if link not in links]
    if len(links) != len(current.company_links):
        changed.append("companies")
    if not changed:
        return current, []
    merged = replace(current, **values, company_links=links, origin=copy.origin)
    merged.stance = article_stance(title=merged.title, subtitle=merged.subtitle,
                                   summary=merged.summary, body=merged.body).stance
    if merged.stance != current.stance:
        changed.append("stance")
    merged.content_hash = article_content_hash(merged)
    return merged, changed


def merge_event(current: Event, copy: Event) -> tuple[Event, list[str]]:
    """``copy`` merged into ``current`` by the rule; (merged event, changed field names)."""
    values, changed = _merge_common(current, copy, EVENT_FIELDS)
    if not changed:
        return current, []
    merged = replace(current, **values, origin=copy.origin)
    merged.content_hash = event_content_hash(merged)
    return merged, changed


@dataclass
class Step:
    """What one copy did: ``status`` is added | updated | unchanged; ``record`` is the version
    current after it; ``changed`` names the fields it changed (empty unless updated)."""

    status: str
    record: Article | Event
    changed: list[str]
    copy_origin: str
    copy_hash: str


def apply_copies(current: Record | None, known_hashes: Iterable[str], copies: Iterable[Record],
                 merge: Callable[[Record, Record], tuple[Record, list[str]]],
                 content_hash: Callable[[Record], str]) -> list[Step]:
    """Each copy of one record, in order, merged into what is current (``None``: not stored yet).

    ``known_hashes``: content hashes of copies delivered before; such a copy changes nothing.
    A copy's hash is computed here when it has none yet (the columnar path, which never makes
    steps, hashes in SQL instead).
    """
    known = set(known_hashes)
    steps = []
    for copy in copies:
        if not copy.content_hash:
            copy.content_hash = content_hash(copy)
        origin, copy_hash = copy.origin or "", copy.content_hash
        if current is None:
            current = with_tag_origins(copy)
            steps.append(Step("added", current, [], origin, copy_hash))
        else:
            merged, changed = (current, []) if copy_hash in known else merge(current, copy)
            if copy_hash in known and copy.retracted is not None and current.retracted is None:
                merged, changed = replace(current, retracted=copy.retracted), ["retracted"]
            steps.append(Step("updated" if changed else "unchanged", merged, changed, origin, copy_hash))
            current = merged
        known.add(copy_hash)
    return steps


def merge_article_copies(current: Article | None, known_hashes: Iterable[str],
                         copies: Iterable[Article]) -> list[Step]:
    return apply_copies(current, known_hashes, copies, merge_article, article_content_hash)


def merge_event_copies(current: Event | None, known_hashes: Iterable[str],
                       copies: Iterable[Event]) -> list[Step]:
    return apply_copies(current, known_hashes, copies, merge_event, event_content_hash)
