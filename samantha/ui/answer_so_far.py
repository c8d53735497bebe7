"""The answer being written, followed token by token, so Copy last answer and Copy code work while the
chain still runs (the session records an answer only once it has finished)."""

from __future__ import annotations

from samantha.events import AnswerFinished, AnswerStarted, RunObserver, Token
from samantha.runner.extract import extract_python


class AnswerSoFar(RunObserver):
    """Collects the current answer's tokens; `last` and `everything` fall back to the finished answers."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.writing = False

    def on_answer_started(self, event: AnswerStarted) -> None:
        self._parts = []
        self.writing = True

    def on_token(self, event: Token) -> None:
        if self.writing:
            self._parts.append(event.text)

    def on_answer_finished(self, event: AnswerFinished) -> None:
        self.writing = False

    @property
    def text(self) -> str:
        return "".join(self._parts) if self.writing else ""

    def last(self, finished_last: str) -> str:
        """The answer being written, else the last finished one."""
        return self.text if self.writing else finished_last

    def everything(self, finished_all: str) -> str:
        """All finished answers, then the one being written."""
        if not self.writing:
            return finished_all
        return f"{finished_all}\n\n{self.text}" if finished_all else self.text


def answer_code(answer: str) -> str:
    """The Python of an answer, even one whose closing fence has not been written yet."""
    return extract_python(answer)
