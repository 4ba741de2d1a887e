"""The reader panel's content (no Streamlit): a picked event and its article as blocks the app
shows one by one. Event and article text is untrusted, so every value is escaped markdown
(``formatting.markdown_literal`` / ``markdown_paragraphs``): it shows as the text it is, never as
HTML, a link or formatting; a source link is offered only for an http(s) address."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from dashboard.formatting import markdown_literal as md
from dashboard.formatting import markdown_paragraphs, times_line
from dashboard.screen.model import ViewData
from dashboard.taxonomy import lane_label
from dashboard.versions import retraction_line

ARTICLE_SECTIONS = (("Subtitle", "subtitle"), ("Summary", "summary"), ("Background", "background"),
                    ("Insights", "insights"), ("Text", "body"))
NOTHING_PICKED = "Click a marker on the chart or pick a row in the tables to read it here."


@dataclass(frozen=True)
class ReaderBlock:
    """One element of the reader: ``markdown``, ``caption`` or ``warning`` (escaped markdown in ``text``),
    ``divider``, or ``link`` (a button labelled ``text`` opening ``url``, an http(s) address)."""

    kind: str
    text: str = ""
    url: str = ""


@dataclass(frozen=True)
class ReaderPick:
    """What the reader shows: the picked event (a row of ``view.events``) and the article to show
    (the event's own, or the picked article); ``note`` when the picked event is filtered out."""

    event: dict | None
    article_id: str | None
    note: str = ""


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and value != ""


def reader_pick(view: ViewData, event_id: str | None, article_id: str | None) -> ReaderPick:
    """An event picked on the chart or in a table wins over a picked article; it brings its own
    article (if it is a publication)."""
    if not event_id:
        return ReaderPick(None, article_id or None)
    match = view.events[view.events["event_id"] == event_id] if len(view.events) else view.events
    if not len(match):
        return ReaderPick(None, article_id or None, "The selected event is not in the current filters.")
    event = match.iloc[0].to_dict()
    own = event.get("article_id")
    return ReaderPick(event, str(own) if _given(own) else None)


def source_link(url: object, label: str) -> list[ReaderBlock]:
    """A button to the source for an http(s) address; any other address is named, not linked."""
    text = str(url).strip() if _given(url) else ""
    if not text:
        return []
    if re.match(r"^https?://", text, re.IGNORECASE):
        return [ReaderBlock("link", label, text)]
    return [ReaderBlock("caption", f"Source link not shown (not an http/https address): {md(text)}")]


def event_blocks(event: dict) -> list[ReaderBlock]:
    """The event: kind and lane, headline, its time (original zone and precision kept), who and
    what, its detail, its source."""
    blocks = [
        ReaderBlock("markdown", f"**Event** · {md(event.get('kind'))} · "
                                f"{md(lane_label(event.get('kind'), event.get('stance')))}"),
        ReaderBlock("markdown", f"#### {md(event.get('headline'))}"),
        ReaderBlock("caption", md(times_line(event["ts"], event.get("precision") or "minute", event.get("ts_zone")))),
    ]
    details = [("Actor", event.get("actor")), ("Source", event.get("source")), ("Figure", event.get("value")),
               ("Tags", "; ".join(event.get("tags") or []))]
    facts = "  \n".join(f"**{name}:** {md(value)}" for name, value in details if value and _given(value))
    if facts:
        blocks.append(ReaderBlock("markdown", facts))
    if event.get("detail"):
        blocks.append(ReaderBlock("markdown", markdown_paragraphs(event.get("detail"))))
    return blocks + source_link(event.get("source_url"), "Open the event's source ↗")


def article_blocks(article: dict | None, article_id: str, *, after_event: bool = False) -> list[ReaderBlock]:
    """The article (``store.articles`` row as ``screen.load_article`` gives it): title, source,
    time, tags, each text section, its source; a note when it is no longer stored."""
    if article is None:
        return [ReaderBlock("caption", f"Article {md(article_id)} is no longer in the database.")]
    blocks = [ReaderBlock("divider")] if after_event else []
    blocks.append(ReaderBlock("markdown", "**Article**"))
    retracted = retraction_line(article.get("retracted_at"), article.get("retracted_reason"))
    if retracted:
        blocks.append(ReaderBlock("warning", md(retracted + " — hidden from lists, charts and exports; kept for the record.")))
    blocks += [
        ReaderBlock("markdown", f"### {md(article.get('title'))}"),
        ReaderBlock("caption", md(f"{article.get('source') or ''} · {article.get('region') or ''}") + "  \n"
                    + md(times_line(article["published_at"], article.get("published_precision") or "minute",
                                    article.get("published_zone")))),
    ]
    if article.get("tags"):
        blocks.append(ReaderBlock("markdown", "**Tags:** " + md("; ".join(article["tags"]))))
    for name, key in ARTICLE_SECTIONS:
        value = article.get(key)
        if value and _given(value):
            blocks += [ReaderBlock("markdown", f"**{name}**"), ReaderBlock("markdown", markdown_paragraphs(value))]
    return blocks + source_link(article.get("url"), "Open the article's source ↗")
