"""`tags apply`: run the tagging rules again over stored articles, without their files.

Each article is rebuilt from its stored row, given the rule tags it does not carry yet, and saved
through the same path as an ingest (content hash, tag lists, publication event).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from dashboard import store
from dashboard.records import Article
from dashboard.ingest.build import article_content_hash, publication_event, with_rule_tags
from dashboard.ingest.tagrules import RuleSet


@dataclass
class RetagResult:
    articles: int  # stored articles looked at
    changed: int  # articles that gained a tag
    tags_added: int


def apply_rules(db: store.Database | str | Path, rules: RuleSet) -> RetagResult:
    """Add every rule tag an article's stored text calls for, in one transaction."""
    from dashboard.store.articles import every_stored_article, save_articles
    from dashboard.store.events import save_events

    now = datetime.now(timezone.utc)
    with store.as_database(db).write() as con:
        rows = every_stored_article(con)
        changed: list[Article] = []
        added = 0
        for row in rows:
            article = Article(**row)
            tags = with_rule_tags(rules, article.tags,
                                  [article.title, article.subtitle, article.summary, article.body],
                                  set(article.companies))
            if len(tags) == len(article.tags):
                continue
            added += len(tags) - len(article.tags)
            article.tags = tags
            article.content_hash = article_content_hash(article)
            changed.append(article)
        save_articles(con, changed, now)
        save_events(con, [publication_event(a) for a in changed], now)
    return RetagResult(len(rows), len(changed), added)
