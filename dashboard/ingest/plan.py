"""What a parsed batch changes in the store: every copy merged into what is stored by the one
merge rule (``ingest.merge``), counted and reported. Articles seen for the first time, from a
single copy, are set aside for the columnar write path (``store.bulk``) instead of becoming
merge steps; they are counted and reported in the same order either way. A copy from a file
parsed column-wise (``ingest.columnar``) is a row of its table: it goes to the bulk write as
that row, and becomes an Article only when the merge rule needs it.
"""
from __future__ import annotations

from dataclasses import dataclass

from dashboard.ingest.build import publication_event
from dashboard.ingest.columnar import TableRow, articles_of_rows
from dashboard.ingest.merge import Step, merge_article_copies, merge_event_copies
from dashboard.ingest.report import Change, Counts, IngestReport
from dashboard.records import Article, Event
from dashboard.store.articles import stored_articles
from dashboard.store.bulk import in_batch_order, new_articles_table
from dashboard.store.events import stored_event_ids, stored_events


@dataclass
class Plan:
    """What the merge rule decided for a batch: id → steps, beside what was stored before; and
    the articles (with their publication events) the columnar path adds."""

    article_steps: dict[str, list[Step]]
    stored_articles: dict
    event_steps: dict[str, list[Step]]
    stored_events: dict
    new_articles: object = None  # pa.Table of store.bulk rows, in batch order


def _columnar(con, parsed, stored: dict) -> set[str]:
    """Ids of the articles the columnar path can add as the merge rule would: not stored, one copy
    in the batch, not retracted, and their publication event neither stored nor in the batch."""
    candidates = {key for key, copies in parsed.articles.items()
                  if key not in stored and len(copies) == 1 and copies[0].retracted is None
                  and f"pub-{key}" not in parsed.events}
    if con is not None and candidates:
        taken = stored_event_ids(con, [f"pub-{key}" for key in candidates])
        candidates -= {event_id.removeprefix("pub-") for event_id in taken}
    return candidates


def plan_batch(con, parsed, report: IngestReport, *, columnar: bool = True) -> Plan:
    """Every copy of ``parsed`` (a ParsedBatch) merged into the stored version (``con`` None:
    nothing stored yet); the publication events follow each article's final version."""
    before_articles = stored_articles(con, parsed.articles) if con is not None else {}
    bulk = _columnar(con, parsed, before_articles) if columnar else set()
    tables = getattr(parsed, "tables", [])
    # (origin, title) of what the columnar path adds, for the report.
    added = _labels(parsed.articles, bulk, tables)
    article_steps = _steps(_as_articles(parsed.articles, bulk, tables), before_articles,
                           merge_article_copies, report, report.articles, "article",
                           lambda a: a.title, order=parsed.articles, added=added)
    copies: dict[str, list[Event]] = {}
    for key in parsed.articles:
        if key not in bulk:
            copies[f"pub-{key}"] = [publication_event(article_steps[key][-1].record)]
    for event_id, events in parsed.events.items():
        copies.setdefault(event_id, []).extend(events)
    before_events = stored_events(con, copies) if con is not None else {}
    order = {f"pub-{key}": None for key in parsed.articles} | dict.fromkeys(parsed.events)
    event_steps = _steps(copies, before_events, merge_event_copies, report, report.events, "event",
                         lambda e: e.headline, order=order,
                         added={f"pub-{key}": value for key, value in added.items()})
    return Plan(article_steps, before_articles, event_steps, before_events,
                _bulk_rows(parsed.articles, bulk, tables))


def _labels(articles: dict, bulk: set[str], tables: list) -> dict[str, tuple[str, str]]:
    """id → (origin, title) of each article the bulk write adds, for the report."""
    columns: dict[int, tuple[list, list]] = {}
    result = {}
    for key in bulk:
        copy = articles[key][0]
        if isinstance(copy, TableRow):
            if copy.table not in columns:
                table = tables[copy.table]
                columns[copy.table] = (table["origin"].to_pylist(), table["title"].to_pylist())
            origins, titles = columns[copy.table]
            result[key] = (origins[copy.index] or "", titles[copy.index])
        else:
            result[key] = (copy.origin or "", copy.title)
    return result


def _as_articles(articles: dict, bulk: set[str], tables: list) -> dict[str, list[Article]]:
    """id → copies as Articles, for the ids the merge rule takes (rows made Articles per table)."""
    wanted: dict[int, list[int]] = {}
    for key, copies in articles.items():
        if key not in bulk:
            for copy in copies:
                if isinstance(copy, TableRow):
                    wanted.setdefault(copy.table, []).append(copy.index)
    made = {(number, index): article for number, indices in wanted.items()
            for index, article in zip(indices, articles_of_rows(tables[number], indices))}
    return {key: [made[copy] if isinstance(copy, TableRow) else copy for copy in copies]
            for key, copies in articles.items() if key not in bulk}


def _bulk_rows(articles: dict, bulk: set[str], tables: list):
    """The bulk write's rows for ``bulk``, in batch order: table rows as they are, Articles
    made rows (``store.bulk.new_articles_table``)."""
    records = [articles[key][0] for key in articles if key in bulk and not isinstance(articles[key][0], TableRow)]
    if not tables:
        return new_articles_table(records)
    picks, made = [], 0
    for key in articles:
        if key in bulk:
            copy = articles[key][0]
            if isinstance(copy, TableRow):
                picks.append((copy.table, copy.index))
            else:
                picks.append((len(tables), made))
                made += 1
    return in_batch_order([*tables, new_articles_table(records)], picks)


def _steps(copies_by_id, stored, merge_copies, report: IngestReport, counts: Counts, what: str,
           title_of, *, order, added: dict[str, tuple[str, str]]) -> dict[str, list[Step]]:
    """Merge steps of every id in ``copies_by_id``; ids in ``added`` (the columnar path's) are
    counted and reported in their place in ``order`` with no steps."""
    result = {}
    for key in order:
        if key in added:
            counts.count("added")
            origin, title = added[key]
            report.note(Change(what, key, "added", [], origin, title))
            continue
        before = stored.get(key)
        steps = merge_copies(before.record if before else None,
                             before.copy_hashes if before else (), copies_by_id[key])
        for step in steps:
            counts.count(step.status)
            if step.status != "unchanged":
                report.note(Change(what, key, step.status, step.changed, step.copy_origin,
                                             title_of(step.record)))
        result[key] = steps
    return result
