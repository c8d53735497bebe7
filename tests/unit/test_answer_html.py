"""Answers as HTML: Markdown rendered, a model's raw HTML shown as text, never run."""

from __future__ import annotations

from samantha.answer_html import answers_fragment, answers_page, render_markdown
from samantha.ui.output_panel import status_html
from samantha.ui.session import AnswerEntry


def test_markdown_is_rendered() -> None:
    out = render_markdown("# Title\n\n**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h1>Title</h1>" in out and "<strong>bold</strong>" in out and "<code>code</code>" in out
    assert "<table>" in out


def test_raw_html_in_an_answer_is_escaped() -> None:
    out = render_markdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">')
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;" in out


def test_page_titles_each_answer() -> None:
    entries = [AnswerEntry("a.gguf", 1, 1, 1, 1, "One"), AnswerEntry("b<x>.gguf", 2, 3, 1, 2, "Two")]
    page = answers_page(entries, "All answers")
    assert page.startswith("<!DOCTYPE html>") and "<title>All answers</title>" in page
    assert "1) a.gguf, item 1" in page and "2) b&lt;x&gt;.gguf, item 3 (loop 2, response 1)" in page
    assert answers_fragment([]) == ""


def test_status_box_escapes_messages() -> None:
    assert status_html("bad <b>", "error") == '<div class="status error">bad &lt;b&gt;</div>'
    assert status_html("") == ""


def test_images_in_an_answer_become_links_and_nothing_is_loaded() -> None:
    out = render_markdown('See ![the chart](https://tracker.example/pixel.png?id=42 "t") and ![](http://x.example/a.gif)')
    assert "<img" not in out and " src=" not in out
    assert '<a class="image-link" href="https://tracker.example/pixel.png?id=42"' in out
    assert "[image: the chart] https://tracker.example/pixel.png?id=42" in out
    assert "[image: image] http://x.example/a.gif" in out  # no alt text: still says what it is
    page = answers_page([AnswerEntry("a.gguf", 1, 1, 1, 1, "![x](https://tracker.example/p.png)")], "Last")
    assert "<img" not in page and "default-src 'none'" in page
