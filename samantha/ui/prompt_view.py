"""The page's "Prompt the model saw" view: pick an answer, read the exact text its model was given.

The transcript shows what the user typed; the model read that text after its chat template, the system
text and the previous response were put around it, and a template may add words of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from samantha.ui.session import AnswerEntry

NO_PROMPT = "No answer yet: after Start, pick an answer here to see the exact prompt its model read."


def prompt_choices(entries: Sequence[AnswerEntry]) -> list[tuple[str, int]]:
    """One choice per answer, numbered in order and titled like the transcript's headings."""
    return [(f"#{index} \u00b7 {entry.title}", index) for index, entry in enumerate(entries, start=1)]


def prompt_text(entries: Sequence[AnswerEntry], choice: Any) -> str:
    """The prompt of answer number `choice` (1-based), with a note when the model's template added text."""
    try:
        index = int(choice)
    except (TypeError, ValueError):
        return NO_PROMPT
    if not 1 <= index <= len(entries):
        return NO_PROMPT
    entry = entries[index - 1]
    note = ""
    if entry.template_added:
        note = (f"Note: the model's own chat template added text you did not type: \u201c{entry.template_added}\u201d. "
                "Give a system prompt to replace it.\n\n")
    return note + entry.prompt
