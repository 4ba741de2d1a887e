"""`tags apply`: run the tagging rules again over stored articles, without their files.

Each article that a rule now matches is sent through the ingest merge path (``store_parsed``) as
a copy that carries only its identity and the new rule tags: the merge rule keeps every stored
field (an empty field never blanks one) and adds the tags with their origin ``rule: <name>``.
Tags accumulate under that rule, so a tag whose rule was deleted stays (see docs/ingest.md).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from dashboard import store
from dashboard.ingest.build import article_content_hash, with_rule_tags
from dashboard.ingest.pipeline import ParsedBatch, store_parsed
from dashboard.ingest.report import IngestReport
from dashboard.ingest.tagrules import RuleSet
from dashboard.records import Article

RETAG_ORIGIN = "tags apply"
# Everything but identity is left empty in a retag copy: the merge keeps what is stored.
_LEFT_TO_STORE = dict(region=None, subtitle=None, summary=None, background=None, insights=None,
                      body=None, url=None, company_links=[])


@dataclass
class RetagResult:
    articles: int  # stored articles looked at
    changed: int  # articles that gained a tag
    tags_added: int


def rule_tag_copy(article: Article, rules: RuleSet) -> Article | None:
    """A copy of ``article`` carrying the rule tags it lacks (None: it lacks none)."""
    tags, origins = with_rule_tags(rules, article.tags,
                                   [article.title, article.subtitle, article.summary, article.body],
                                   set(article.companies))
    if not origins:
        return None
    new_tags = tags[len(article.tags):]
    copy = replace(article, **_LEFT_TO_STORE, tags=new_tags, tag_origins=origins, origin=RETAG_ORIGIN)
    copy.content_hash = article_content_hash(copy)
    return copy


def apply_rules(db: store.Database | str | Path, rules: RuleSet) -> RetagResult:
    """Add every rule tag an article's stored text calls for, in one transaction."""
    from dashboard.store.articles import every_stored_article

    db = store.as_database(db)
    with db.read() as con:
        rows = every_stored_article(con)
    parsed, added = ParsedBatch(), 0
    for row in rows:
        copy = rule_tag_copy(Article(**row), rules)
        if copy is not None:
            parsed.add_article(copy)
            added += len(copy.tags)
    report = IngestReport()
    if parsed.articles:
        store_parsed(db, parsed, report)
    return RetagResult(len(rows), report.articles.updated, added)
