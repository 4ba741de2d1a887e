"""HTML from feeds and news APIs → plain text, through a real HTML parser (selectolax/lexbor).

A summary is stored and shown as text, never as HTML: tags are dropped, entities decoded,
script/style contents removed, whitespace collapsed.
"""
from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

_DROPPED = "script, style, noscript, template, iframe, object"
# Elements that end a run of text: a space after each keeps "a</p><p>b" apart, while inline
# elements ("report <em>false</em>.") join without one.
_BREAKS = ("p, br, div, li, ul, ol, h1, h2, h3, h4, h5, h6, tr, td, th, blockquote, table, "
           "section, article, header, footer, figure, figcaption, hr, pre")


def plain_text(html: str | None) -> str | None:
    """The readable text of an HTML fragment (None when nothing is left)."""
    if html is None:
        return None
    if "<" not in html and "&" not in html:
        text = " ".join(html.split())
        return text or None
    tree = LexborHTMLParser(html)
    for node in tree.css(_DROPPED):
        node.decompose()
    for node in tree.css(_BREAKS):
        node.insert_after(" ")
    root = tree.body or tree.root
    text = root.text(separator="") if root is not None else ""
    text = " ".join(text.split())
    return text or None
