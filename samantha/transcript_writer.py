"""Turns chain events into the running transcript text and a one-line status.

Uses the same banner and stats lines as the CLI (samantha.transcript); errors
and notices become marked lines so they stay in the transcript's history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from samantha.events import (
    AnswerFinished,
    AnswerStarted,
    Banner,
    ChainFailed,
    ChainFinished,
    ChainStarted,
    CodeRan,
    Downloading,
    Event,
    ModelLoaded,
    Notice,
    RunObserver,
    Token,
)
from samantha.hub.errors import human_size
from samantha.transcript import answer_text_head, banner_text, code_run_text, prompt_block, start_separator, stats_line

ERROR_MARK = "[error]"
NOTICE_MARK = "[notice]"

_FINISH_TEXT = {
    "done": "Done",
    "stopped": "Stopped",
    "STOP_SAMANTHA": "Stopped: an answer was STOP_SAMANTHA",
    "stop condition": "Stopped: the stop condition held",
    "error": "Ended with an error",
    "worker crashed": "Finished, but a llama.cpp worker died on the way (its answer is cut short; see the [error] lines)",
}


def _as_is(message: str) -> str:
    return message


@dataclass
class TranscriptWriter(RunObserver):
    """Appends events to a transcript; `fast` writes each answer only when it is done; `say` puts the
    [error] and [notice] lines in the reader's language (the page gives its translator; the CLI writes English)."""

    text: str = ""
    fast: bool = False
    status: str = "Starting\u2026"
    errors: list[str] = field(default_factory=list)
    seed: int | None = None
    steps: int = 0
    answers: int = 0
    finished: str | None = None
    current_model: str = ""
    show_prompts: bool = False  # write the exact prompt each model saw before its answer
    say: Callable[[str], str] = _as_is

    def _line(self, line: str) -> None:
        if self.text and not self.text.endswith("\n"):
            self.text += "\n"
        self.text += line + "\n"

    def apply(self, event: Event) -> None:
        if isinstance(event, ChainStarted):
            self.seed, self.steps = event.seed, event.steps
            if self.text.strip():  # the page keeps earlier Starts: say where this one begins
                self.text += "\n" if self.text.endswith("\n") else "\n\n"
                self.text += start_separator(event.seed, event.steps)
            self.status = f"Running: {event.steps} answer(s) planned, seed {event.seed}"
        elif isinstance(event, Banner):
            if self.text and not self.text.endswith("\n\n"):
                self.text += "\n" if self.text.endswith("\n") else "\n\n"
            self.text += banner_text(event)
            self.current_model = event.model_name
            self.status = f"Loading {event.model_name}\u2026"
        elif isinstance(event, ModelLoaded):
            self.status = f"Loaded {self.current_model} in {event.seconds:.1f}s"
        elif isinstance(event, AnswerStarted):
            head = answer_text_head(event)
            if self.show_prompts and event.prompt:
                head += prompt_block(event.prompt, event.template_added)
            if head:
                self._line(head.rstrip("\n"))
            self.status = f"{self.current_model}: answering item {event.item_number} ({self.answers + 1} of {self.steps})"
        elif isinstance(event, Token):
            self.text += event.text
        elif isinstance(event, AnswerFinished):
            if self.fast:
                self.text += event.record.answer
            self._line(stats_line(event.record))
            self.text += "\n"
            self.answers += 1
        elif isinstance(event, Notice):
            self._line(f"{NOTICE_MARK} {self.say(event.message)}")
        elif isinstance(event, Downloading):
            total = f" of {human_size(event.total)}" if event.total else ""
            self.status = f"Downloading {event.filename}: {human_size(event.done)}{total}"
        elif isinstance(event, CodeRan):
            self._line(code_run_text(event))
            self.text += "\n"
        elif isinstance(event, ChainFailed):
            self._line(f"{ERROR_MARK} {self.say(event.message)}")
            self.errors.append(event.message)
            self.status = f"Error: {event.message}"
        elif isinstance(event, ChainFinished):
            self.finished = event.reason
            self.status = self.finish_status(event)

    def finish_status(self, event: ChainFinished) -> str:
        text = _FINISH_TEXT.get(event.reason, f"Ended: {event.reason}")
        text += f": {event.answers} answer(s)"
        if self.seed is not None:
            text += f", seed {self.seed}"
        if self.errors:
            text += f"; {len(self.errors)} error(s), see the [error] lines"
        return text

    def note(self, message: str) -> None:
        """A marked notice line written by the app itself (e.g. a failure outside the chain)."""
        self._line(f"{NOTICE_MARK} {self.say(message)}")

    def error(self, message: str) -> None:
        self._line(f"{ERROR_MARK} {self.say(message)}")
        self.errors.append(message)
        self.status = f"Error: {message}"
