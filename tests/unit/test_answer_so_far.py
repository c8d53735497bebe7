"""The answer being written, as the copy buttons take it."""

from __future__ import annotations

from samantha.events import AnswerStarted, Token
from samantha.ui.answer_so_far import AnswerSoFar, answer_code


def test_the_answer_so_far_replaces_the_last_one_only_while_it_is_written() -> None:
    so_far = AnswerSoFar()
    assert so_far.last("old") == "old" and so_far.everything("old") == "old"
    so_far.apply(AnswerStarted(1, "x"))
    so_far.apply(Token("```python\nprint("))
    so_far.apply(Token("1)\n"))
    assert so_far.last("old") == "```python\nprint(1)\n"
    assert so_far.everything("old") == "old\n\n```python\nprint(1)\n"
    assert answer_code(so_far.last("old")) == "print(1)"  # the fence is not closed yet
