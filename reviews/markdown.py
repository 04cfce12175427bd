"""Critique and comment Markdown → safe HTML. Raw HTML in the source is never passed through."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
         "hr", "table", "thead", "tbody", "tr", "th", "td"}


def render_markdown(source: str) -> str:
    html = _renderer.render(source or "")
    # Headings are demoted so a critique cannot outrank the page's own headings.
    for level in (1, 2):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    return nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener noreferrer")
