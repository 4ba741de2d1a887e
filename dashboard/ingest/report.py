"""What an ingest batch tells its caller: counts per status, every change, rejections, warnings."""
from __future__ import annotations

from dataclasses import dataclass, field

from dashboard.ingest import ParseError


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def count(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    def __str__(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.rejected} rejected")


@dataclass
class Change:
    """One copy that added or changed a record."""

    what: str  # article | event
    key: str
    status: str  # added | updated
    changed: list[str]  # the fields an update changed
    origin: str
    title: str


@dataclass
class IngestReport:
    articles: Counts = field(default_factory=Counts)
    events: Counts = field(default_factory=Counts)  # includes each article's publication event
    rejections: list[str] = field(default_factory=list)  # "file[:line]: field: reason"
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "file: reason"
    files: list[str] = field(default_factory=list)  # files read
    files_rejected: int = 0  # files rejected whole (unknown format, unreadable, over the size limit)
    items_skipped: int = 0  # records left out on purpose (not a story, removed placeholders)
    # Updates, and in a dry run also what would be added: what `ingest` prints. (A real run does
    # not keep each "added": a million-article ingest would hold two million of them.)
    changes: list[Change] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejections

    @property
    def changed(self) -> bool:
        return any((c.added, c.updated) != (0, 0) for c in (self.articles, self.events))

    def note(self, change: Change) -> None:
        if change.status != "added" or self.dry_run:
            self.changes.append(change)

    def reject(self, error: ParseError | str, counts: Counts | None = None) -> None:
        self.rejections.append(error.message if isinstance(error, ParseError) else error)
        if counts is not None:
            counts.rejected += 1

    def reject_file(self, error: ParseError | str, counts: Counts | None = None) -> None:
        """A whole file rejected: counted among the files, and once in ``counts`` (the records it
        was meant to hold), so the summary agrees with the rejection."""
        self.reject(error, counts)
        self.files_rejected += 1

    def summary_lines(self) -> list[str]:
        rejected = f", {self.files_rejected} rejected" if self.files_rejected else ""
        lines = [f"articles: {self.articles}", f"events: {self.events}",
                 f"files: {len(self.files)} read, {len(self.skipped)} skipped{rejected}"]
        if self.items_skipped:
            lines.append(f"items skipped (not stories, removed): {self.items_skipped}")
        return lines + (["dry run: nothing was written"] if self.dry_run else [])
