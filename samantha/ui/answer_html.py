"""Answers as rendered HTML pages (the "open as HTML" buttons, SPEC §3).

Markdown is rendered with raw HTML switched off: a model's answer is untrusted
text, so any HTML in it shows as text instead of running in the page.
"""

from __future__ import annotations

import html
from typing import Sequence

from markdown_it import MarkdownIt

from samantha.ui.session import AnswerEntry

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


def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(text: str) -> str:
    """One answer's Markdown as an HTML fragment (raw HTML in the text is escaped)."""
    return _renderer().render(text)


def answers_fragment(entries: Sequence[AnswerEntry]) -> str:
    """The answers as HTML sections, each titled with its model and item."""
    renderer = _renderer()
    parts = []
    for entry in entries:
        parts.append(
            f'<section class="answer"><h2>{html.escape(entry.title)}</h2>\n{renderer.render(entry.text)}</section>'
        )
    return "\n".join(parts)


def answers_page(entries: Sequence[AnswerEntry], title: str) -> str:
    """A standalone HTML document of the answers, for a new browser tab."""
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>\n{answers_fragment(entries)}\n</body></html>\n"
    )
