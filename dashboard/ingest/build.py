"""Resolving a parsed record into a stored Article: time in UTC, identity, company links, rule
tags, stance, content hash; and each article's publication event. Pure."""
from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata

from dashboard.ingest import ParseError, RawArticle
from dashboard.ingest import limits
from dashboard.ingest.companies import Registry, link_companies
from dashboard.ingest.stance import article_stance
from dashboard.ingest.tagrules import RuleSet
from dashboard.ingest.zones import resolve_time
from dashboard.records import Article, Event
from dashboard.store import hashes


def _normalise(text: str) -> str:
    if text.isascii():  # NFKC leaves ASCII as it is, and casefold() is lower() there
        return " ".join(text.lower().split())
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def article_identity(source: str, title: str, published_utc) -> str:
    """Stable id: normalised source + title + UTC publication minute."""
    return identity_of_minute(source, title, published_utc.tz_convert("UTC").strftime(IDENTITY_MINUTE))


# The publication minute as the identity writes it (strftime; also run over a column in
# ``ingest.columnar``).
IDENTITY_MINUTE = "%Y-%m-%dT%H:%MZ"


def identity_of_minute(source: str, title: str, minute: str) -> str:
    """The identity given the UTC minute already written with ``IDENTITY_MINUTE``."""
    key = f"{_normalise(source)}\n{_normalise(title)}\n{minute}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def article_content_hash(article: Article) -> str:
    """What counts as the article's content (``store.hashes``); the raw timestamp text, zone and
    file are left out, so the same article in another format is ``unchanged``."""
    values = {name: getattr(article, name) for name, _ in hashes.ARTICLE_FIELDS if name != "company_ids"}
    values["company_ids"] = sorted({company_id for company_id, _ in article.company_links})
    return hashes.content_hash(values, hashes.ARTICLE_FIELDS)


def event_content_hash(event: Event) -> str:
    return hashes.content_hash({name: getattr(event, name) for name, _ in hashes.EVENT_FIELDS},
                               hashes.EVENT_FIELDS)


def safe_url(url: str | None, field_name: str) -> tuple[str | None, list[str]]:
    """Keep only http(s) links: a ``javascript:`` or ``data:`` URL must never reach a link."""
    if url is None or re.match(r"https?://", url.strip(), re.IGNORECASE):
        return url, []
    return None, [f"{field_name}: only http(s) links are kept; dropped {url[:40]!r}"]


def _where(raw: RawArticle) -> str:
    if raw.line is not None:
        return f"{raw.origin}:{raw.line}"
    return raw.origin if raw.item is None else f"{raw.origin}:item {raw.item}"


def with_rule_tags(rules: RuleSet, tags: list[str], texts,
                   company_ids) -> tuple[list[str], dict[str, str]]:
    """(the record's own tags, then the rule tags it does not already carry; case-folded rule
    tag → its origin ``rule: <name>``)."""
    have = {t.casefold() for t in tags}
    added = [(tag, origin) for tag, origin in rules.rule_tags([*texts, *tags], company_ids)
             if tag.casefold() not in have]
    return list(tags) + [tag for tag, _ in added], {tag.casefold(): origin for tag, origin in added}


def _within_limits(raw: RawArticle, where: str) -> tuple[RawArticle, list[str]]:
    """The record with every field over its limit cut (a copy; the record itself when none is)."""
    changed, warnings = {}, []
    for name in limits.FIELD_LIMITS:
        value = getattr(raw, name)
        if name in ("title", "source"):
            value = " ".join(value.split())  # measured as stored
        kept, cut = limits.cut(where, name, value)
        if cut:
            changed[name], warnings = kept, warnings + cut
    for name, (kept, cut) in (("url", limits.limited_url(where, raw.url)),
                              ("tags", limits.limited_tags(where, raw.tags))):
        if cut:
            changed[name], warnings = kept, warnings + cut
    return (dataclasses.replace(raw, **changed) if changed else raw), warnings


def derived_fields(registry: Registry, rules: RuleSet | None, *, title: str, subtitle, summary, body,
                   tags: list[str], companies: list[str], tickers: list[str]):
    """What an article's text and lists give it: (company links, their warnings, stance, tags
    with the rule tags added, rule tag → origin). The one composition both parse paths use."""
    links, link_warnings = link_companies(registry, tags=tags, texts=[title, subtitle, summary],
                                          explicit=companies, tickers=tickers)
    stance = article_stance(title=title, subtitle=subtitle, summary=summary, body=body).stance
    all_tags, tag_origins = list(tags), {}
    if rules:
        all_tags, tag_origins = with_rule_tags(rules, all_tags, [title, subtitle, summary, body],
                                               {company_id for company_id, _ in links})
    return links, link_warnings, stance, all_tags, tag_origins


def build_article(raw: RawArticle, registry: Registry, source_zones: dict[str, str],
                  rules: RuleSet | None = None) -> tuple[Article, list[str]]:
    """Resolve the timestamp, identity, company links, rule tags and stance; raises a located
    ParseError. Fields over their limits are cut first (``ingest.limits``), so the identity and
    the content hash are those of what is stored."""
    where = _where(raw)
    raw, limit_warnings = _within_limits(raw, where)
    title = " ".join(raw.title.split())
    source = " ".join(raw.source.split())
    try:
        resolved = resolve_time(raw.published, precision=raw.precision, field_name=raw.time_field,
                                default_zone=raw.zone or source_zones.get(source.casefold()))
    except ParseError as exc:
        raise exc.located(raw.origin, raw.line, raw.item) from None
    url, url_warnings = safe_url(raw.url, "url")
    links, link_warnings, stance, tags, tag_origins = derived_fields(
        registry, rules, title=title, subtitle=raw.subtitle, summary=raw.summary, body=raw.body,
        tags=raw.tags, companies=raw.companies, tickers=raw.tickers)
    published_raw = str(raw.published) if not raw.time_note else f"{raw.published} ({raw.time_note})"
    article = Article(
        article_id=article_identity(source, title, resolved.utc), title=title, source=source,
        published_at=resolved.utc, published_raw=published_raw, published_zone=resolved.zone,
        published_precision=resolved.precision, region=raw.region, subtitle=raw.subtitle,
        summary=raw.summary, background=raw.background, insights=raw.insights, body=raw.body,
        url=url, stance=stance, origin=where, tags=tags, company_links=links,
        retracted=raw.retracted,
    )
    # Rule tags name their rule; the record's own tags take the copy's origin when merged. The
    # content hash is left to the write path (the merge rule, or SQL on the columnar path).
    article.tag_origins = tag_origins
    warnings = limit_warnings + [f"{where}: {raw.time_field}: {w}" for w in resolved.warnings]
    warnings += [f"{where}: {w}" for w in url_warnings + link_warnings]
    return article, warnings


def publication_event(article: Article) -> Event:
    """Every article is also a point on the timeline."""
    event = Event(
        event_id=f"pub-{article.article_id}", ts=article.published_at, ts_raw=article.published_raw,
        ts_zone=article.published_zone, precision=article.published_precision, kind="publication",
        stance=article.stance, headline=article.title, actor=article.source, source=article.source,
        detail=article.subtitle, source_url=article.url, article_id=article.article_id,
        company_id=article.companies[0] if article.companies else None, origin=article.origin,
        tags=list(article.tags), tag_origins=dict(article.tag_origins), retracted=article.retracted,
    )
    return event


