"""Finding the files of a batch and reading them: what each file is, by extension and content."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from dashboard.ingest import ParseError
from dashboard.ingest.csvfmt import csv_kind
from dashboard.ingest.text import decode

if TYPE_CHECKING:
    from dashboard.ingest.pipeline import IngestReport

_SNIFF_BYTES = 64 * 1024

@dataclass
class Found:
    path: Path
    kind: str  # text | jsonl | json | articles-csv | events | companies


def _sniff(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.decode("utf-8", errors="replace")


def classify(path: Path) -> tuple[str | None, str]:
    """(kind, reason when None) for one file, by extension and, for CSV/JSON, content."""
    name = path.name.lower()
    suffix = path.suffix.lower()
    if name == "companies.toml":
        return "companies", ""
    if suffix == ".txt":
        return "text", ""
    if suffix == ".jsonl":
        return "jsonl", ""
    if suffix == ".json":
        head = _sniff(path).lstrip()
        if head.startswith("[") or (head.startswith("{") and '"title"' in head):
            return "json", ""
        return None, "JSON that is not an article array or record"
    if suffix == ".csv":
        kind = csv_kind(_sniff(path))
        if kind == "events":
            return "events", ""
        if kind == "articles":
            return "articles-csv", ""
        return None, "CSV header is neither the events header nor article fields (title, source, published)"
    if name == "sources.toml":
        return None, "source settings (read from the configured sources file)"
    return None, f"not an article, events or companies file ({suffix or 'no extension'})"


def discover(paths: Iterable[str | Path], report: "IngestReport") -> list[Found]:
    """Files to read; folders are walked recursively, skipping hidden entries and other files."""
    found: list[Found] = []
    seen: set[Path] = set()

    def add(path: Path, explicit: bool) -> None:
        resolved = path.resolve()
        if resolved in seen:
            return
        seen.add(resolved)
        try:
            kind, reason = classify(path)
        except OSError as exc:
            report.reject(f"{path}: file: cannot read ({exc.strerror or exc})")
            return
        if kind:
            found.append(Found(path, kind))
        elif explicit:
            report.reject(f"{path}: format: {reason}")
        else:
            report.skipped.append(f"{path}: {reason}")

    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if any(part.startswith(".") for part in relative.parts) or not child.is_file():
                    continue
                add(child, explicit=False)
        elif path.is_file():
            add(path, explicit=True)
        else:
            report.reject(f"{path}: path: no such file or folder")
    return found


def read_text(path: Path, max_bytes: int) -> str:
    """The file's text; ParseError for size, emptiness or encoding."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ParseError("size", f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit",
                         origin=str(path))
    data = path.read_bytes()
    if not data.strip():
        raise ParseError("content", "file is empty", origin=str(path))
    try:
        return decode(data)
    except ParseError as exc:
        raise exc.located(str(path)) from None

