"""What the search index holds per document, and how an article's text becomes one.

One document per article text: the current text (revision 0) and each older revision (its
number), so an older wording stays findable and a hit on it can say so. Text is indexed, not
stored: snippets are made from the store's text of the few hits shown (``dashboard.search.find``).
"""
from __future__ import annotations

import re

import numpy as np
import tantivy

# Searched fields, in the order a snippet is looked for (the title is shown beside it anyway).
TEXT_FIELDS = ("summary", "body", "subtitle", "background", "insights", "title", "tags", "source")
# BM25 scores per field are multiplied by these: a word in the title says most about an article.
BOOSTS = {"title": 3.0, "subtitle": 1.5, "tags": 1.5, "summary": 1.2}
# Han, kana and hangul are letters to tantivy's default tokenizer, so "阿里巴巴集团" would be one
# token and "阿里巴巴" would not find it. Their runs are copied into one more field, cut into
# overlapping character pairs (bigrams, as CJK search engines commonly do): any run of two or more
# characters is then found wherever it occurs, as a phrase of its pairs.
CJK_FIELD = "cjk"
CJK_TOKENIZER = "cjk_bigram"
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
SEARCHED = TEXT_FIELDS + (CJK_FIELD,)
# Bumped when the schema or the tokenizers change: an index of another version is rebuilt.
SCHEMA_VERSION = 1


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=False)
    builder.add_text_field(CJK_FIELD, stored=False, tokenizer_name=CJK_TOKENIZER)
    # The article's 64-bit id as a number: read for every hit from the column store (fast field).
    builder.add_unsigned_field("key", indexed=True, fast=True)
    builder.add_unsigned_field("revision", fast=True)  # 0: the current text
    builder.add_unsigned_field("revisions", fast=True)
    builder.add_boolean_field("retracted", indexed=True, fast=True)
    return builder.build()


def register_tokenizers(index: tantivy.Index) -> None:
    """Tokenizers are not saved in the index: every open registers them again."""
    index.register_tokenizer(CJK_TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(2, 2)).build())


def article_key(article_id: str) -> int:
    """The id as the index's number. Ids are 16 hex digits (``ingest.build.article_identity``)."""
    return int(article_id, 16)


def article_ids_of(keys) -> list[str]:
    """The ids of ``keys`` (a uint64 array): one hex string of them all, cut (100k in ~10 ms)."""
    text = np.asarray(keys, dtype=">u8").tobytes().hex()
    return [text[start:start + 16] for start in range(0, len(text), 16)]


def cjk_text(values) -> str:
    """The CJK runs of ``values``, one per line."""
    runs = []
    for value in values:
        if value and not value.isascii():
            runs += CJK_RUN.findall(value)
    return "\n".join(runs)


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def document(row: dict) -> tantivy.Document:
    """One index document from a row of ``store.search_rows.search_rows``."""
    texts = {name: _text(row.get(name)) for name in TEXT_FIELDS}
    doc = tantivy.Document(**{name: text for name, text in texts.items() if text})
    cjk = cjk_text(texts.values())
    if cjk:
        doc.add_text(CJK_FIELD, cjk)
    doc.add_unsigned("key", article_key(row["article_id"]))
    doc.add_unsigned("revision", int(row["revision"]))
    doc.add_unsigned("revisions", int(row["revisions"]))
    doc.add_boolean("retracted", bool(row["retracted"]))
    return doc
