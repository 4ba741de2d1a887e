"""How long an article's fields may be (docs/ingest.md "Field limits").

A field over its limit is cut to it (the URL, which a cut would break, is dropped) and a warning
names the file, line or item, and field; the rest of the record is kept. The cut happens once,
in ``ingest.build.build_article``, before the identity and the content hash are computed, so
every format and both write paths (record by record, and column-wise in ``store.bulk``) store and
hash the same cut text, and a re-ingest of the same file is ``unchanged``.
"""
from __future__ import annotations

# Characters. Far above real news (a long feature is ~100k characters), low enough that one bad
# record cannot fill the page or the database.
FIELD_LIMITS = {
    "title": 1_000, "source": 200, "region": 200, "subtitle": 2_000, "summary": 20_000,
    "background": 50_000, "insights": 50_000, "body": 1_000_000,
}
URL_LIMIT = 2_048
TAG_LIMIT = 200


def _over(where: str, name: str, length: int, limit: int, outcome: str) -> str:
    return f"{where}: {name}: {length:,} characters, over the {limit:,}-character limit; {outcome}"


def cut(where: str, name: str, value: str | None) -> tuple[str | None, list[str]]:
    """``value`` cut to the limit of field ``name``, and the warning when it was cut."""
    limit = FIELD_LIMITS[name]
    if value is None or len(value) <= limit:
        return value, []
    return value[:limit], [_over(where, name, len(value), limit, f"kept the first {limit:,}")]


def limited_url(where: str, url: str | None) -> tuple[str | None, list[str]]:
    if url is None or len(url) <= URL_LIMIT:
        return url, []
    return None, [_over(where, "url", len(url), URL_LIMIT, "dropped")]


def limited_tags(where: str, tags: list[str]) -> tuple[list[str], list[str]]:
    warnings = [_over(where, "tags", len(tag), TAG_LIMIT, f"kept the first {TAG_LIMIT:,} of that tag")
                for tag in tags if len(tag) > TAG_LIMIT]
    return ([tag[:TAG_LIMIT] for tag in tags], warnings) if warnings else (tags, [])
