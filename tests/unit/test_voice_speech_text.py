"""What the voice says for a Markdown answer: only words, no symbols, code or URLs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samantha.voice.speech_text import CODE_BLOCK_PHRASE, speakable_text, split_for_speech

ANSWER = """## Results

The **answer** is _forty two_. See [the docs](https://example.com/a/very/long/path?x=1) or https://example.org/page.

```python
print(42)
```

- one
- `two`

| name | value |
|------|-------|
| x    | 1     |

> quoted <br> text ![a chart](chart.png)

---
C# and snake_case stay; 2 + 2 = 4.
"""


def test_markdown_answer_becomes_plain_sentences() -> None:
    assert speakable_text(ANSWER) == (
        "Results. The answer is forty two. See the docs or. Code block. one. two. "
        "name, value. x, 1. quoted text a chart. C# and snake_case stay; 2 + 2 = 4."
    )


def test_code_blocks_can_be_skipped() -> None:
    spoken = speakable_text(ANSWER, code_blocks="skip")
    assert CODE_BLOCK_PHRASE not in spoken
    assert "print" not in spoken
    assert spoken.startswith("Results. The answer is forty two.")


def test_indented_and_unclosed_code_are_code_too() -> None:
    assert speakable_text("Look:\n\n    x = 1\n") == "Look: Code block."
    assert speakable_text("Here:\n```python\nwhile True:\n    pass") == "Here: Code block."


@pytest.mark.parametrize(
    "markdown",
    ["**bold** and *it* and ~~gone~~", "# Heading", "<https://auto.link/x>", "www.example.com/x and more"],
)
def test_no_markdown_symbols_or_urls_survive(markdown: str) -> None:
    spoken = speakable_text(markdown)
    for symbol in ("*", "#", "~", "<", ">", "http", "www", "://"):
        assert symbol not in spoken


def test_stray_markers_from_broken_markdown_are_dropped() -> None:
    assert speakable_text("**unclosed bold and ## odd | pipes") == "unclosed bold and odd pipes."


def test_text_without_words_says_nothing() -> None:
    assert speakable_text("```\ncode only\n```", code_blocks="skip") == ""
    assert speakable_text("https://only.a/link") == ""
    assert speakable_text("***") == ""


def test_bad_code_blocks_option_is_rejected() -> None:
    with pytest.raises(ValueError, match="announce"):
        speakable_text("x", code_blocks="read")  # type: ignore[arg-type]


def test_split_keeps_sentences_whole_and_under_the_limit() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(100))
    pieces = split_for_speech(text, max_chars=200)
    assert all(len(piece) <= 200 for piece in pieces)
    assert all(piece.endswith(".") for piece in pieces)
    assert " ".join(pieces) == text


def test_split_cuts_a_giant_word() -> None:
    pieces = split_for_speech("a" * 250, max_chars=100)
    assert pieces == ["a" * 100, "a" * 100, "a" * 50]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400), st.integers(20, 120))
def test_split_loses_no_words(text: str, limit: int) -> None:
    pieces = split_for_speech(text, max_chars=limit)
    assert all(len(piece) <= limit for piece in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


@given(st.text(max_size=300))
def test_any_markdown_is_handled(text: str) -> None:
    spoken = speakable_text(text)
    assert "```" not in spoken
