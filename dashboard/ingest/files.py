"""Finding ingest files and telling what each holds, by content as well as by extension.

Line-oriented files (JSON Lines, CSV) are read lazily by their parsers, so they have no size
limit; whole documents (JSON, feeds, text, TOML) are read at once under ``max_bytes``.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from dashboard import config
from dashboard.ingest import ParseError
from dashboard.ingest.csvfmt import csv_kind
from dashboard.ingest.feeds import looks_like_feed
from dashboard.ingest.mapping import Format
from dashboard.ingest.shapes import MARKER_KEYS
from dashboard.ingest.text import decode

_SNIFF_BYTES = 64 * 1024
LINE_KINDS = ("jsonl", "articles-csv")  # streamed: no size limit
SETTINGS_FILES = {"sources.toml": "source settings (read from the configured sources file)",
                  "tags.toml": "tagging rules (read from the configured tags file)"}
MAX_BYTES_SETTING = "--max-bytes"


@dataclass
class Found:
    path: Path
    kind: str  # text | jsonl | json | feed | articles-csv | events | companies


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(_SNIFF_BYTES).removeprefix(b"\xef\xbb\xbf")


def _looks_like_news_json(head: str, formats: list[Format]) -> bool:
    head = head.lstrip()
    if not head.startswith(("[", "{")):
        return False
    markers = list(MARKER_KEYS) + [f'"{f.fields["title"].split(".")[0]}"' for f in formats]
    return any(marker in head for marker in markers)


def classify(path: Path, formats: list[Format] = ()) -> tuple[str | None, str]:
    """(kind, reason when None) for one file."""
    name = path.name.lower()
    suffix = path.suffix.lower()
    if name == "companies.toml":
        return "companies", ""
    if name in SETTINGS_FILES:
        return None, SETTINGS_FILES[name]
    if suffix in (".parquet", ".duckdb", ".wal", ".write-intent", ".readers-waiting"):  # a database, its locks
        return None, f"not an article, events or companies file ({suffix})"
    head = _head(path)
    if looks_like_feed(head):
        return "feed", ""
    text = head.decode("utf-8", errors="replace")
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl", ""
    if suffix == ".csv":
        kind = csv_kind(text, formats)
        if kind == "events":
            return "events", ""
        if kind == "articles":
            return "articles-csv", ""
        return None, ("CSV header is neither the events header, article fields (title, source, "
                      "published) nor a [format.*] mapping in sources.toml")
    if _looks_like_news_json(text, formats):
        return "json", ""
    if suffix == ".json":
        return None, "JSON that is not a known news shape (see docs/ingest.md)"
    if suffix == ".txt":
        return "text", ""
    return None, f"not an article, feed, events or companies file ({suffix or 'no extension'})"


def discover(paths: Iterable[str | Path], report, formats: list[Format] = ()) -> list[Found]:
    """Files to read; folders are walked recursively, skipping hidden entries and other files."""
    found: list[Found] = []
    seen: set[Path] = set()

    def add(path: Path, explicit: bool) -> None:
        resolved = path.resolve()
        if resolved in seen:
            return
        seen.add(resolved)
        try:
            kind, reason = classify(path, formats)
        except OSError as exc:
            report.reject_file(f"{path}: file: cannot read ({exc.strerror or exc})")
            return
        if kind:
            found.append(Found(path, kind))
        elif explicit:
            counts = None
            if path.suffix.lower() == ".json" or path.suffix.lower() == "":
                from dashboard.ingest.shapes import unknown_shape
                reason, counts = unknown_shape(), report.articles  # as when a known kind fails to parse
            report.reject_file(f"{path}: format: {reason}", counts)
        else:
            report.skipped.append(f"{path}: {reason}")

    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if _in_search_index(path, relative):
                    continue  # a store's own index beside its file (`make run` puts one in data/)
                if child.is_symlink() and not child.is_file():
                    report.skipped.append(f"{child}: {_unfollowed_link(child)}")
                    continue
                if child.is_file():
                    add(child, explicit=False)
        elif path.is_file():
            add(path, explicit=True)
        else:
            report.reject_file(f"{path}: path: no such file or folder")
    return found


def _in_search_index(root: Path, relative: Path) -> bool:
    """Whether a file lies in a folder that is a store file's search index (``file.search``)."""
    folder = root
    for part in relative.parts[:-1]:
        if part.endswith(config.SEARCH_INDEX_SUFFIX) and (folder / part[:-len(config.SEARCH_INDEX_SUFFIX)]).is_file():
            return True
        folder = folder / part
    return False


def _unfollowed_link(link: Path) -> str:
    """Why a link in a folder is not read (a folder walk follows links to files only)."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:  # Python 3.11's word for ELOOP while resolving
        return "symlink loop (the link leads back to itself)"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop (the link leads back to itself)"
        return f"broken link ({exc.strerror or 'its target cannot be reached'})"
    if target.is_dir():
        return "link to a folder: not followed (name the folder itself to ingest it)"
    return "link to something that is not a file"


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """A whole document's bytes; ParseError naming the file, its size, the limit and the setting
    that raises it, or for an empty file."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ParseError("size", f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit for "
                         f"whole-document files (raise it with {MAX_BYTES_SETTING} BYTES; "
                         "JSON Lines and CSV have no limit)", origin=str(path))
    data = path.read_bytes()
    if not data.strip():
        raise ParseError("content", "file is empty", origin=str(path))
    return data


def read_text(path: Path, max_bytes: int) -> str:
    """The file's text; ParseError for size, emptiness or encoding."""
    data = read_bytes(path, max_bytes)
    try:
        return decode(data)
    except ParseError as exc:
        raise exc.located(str(path)) from None
