"""Per-tab state: one TabSession per browser tab, held in a gr.State.

Everything a tab changes lives here (its stop flags, its answers, the previous
response the model sees), so two tabs never touch each other's chain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from samantha.backends.base import Control
from samantha.errors import SamanthaError

T = TypeVar("T")


class SessionBusy(SamanthaError, RuntimeError):
    """The tab already runs a chain; the message says what to do."""


@dataclass(frozen=True)
class AnswerEntry:
    """One finished answer, as the copy and HTML views show it."""

    model_name: str
    model_position: int
    item_number: int
    round: int
    loop: int
    text: str
    prompt: str = ""  # the exact text the model saw, after its template
    template_added: str = ""  # what the model's own template added that nobody typed

    @property
    def title(self) -> str:
        # Loop and response are always named, loop 1 too, so a title read alone says where the answer sits.
        return f"{self.model_position}) {self.model_name}, item {self.item_number} (loop {self.loop}, response {self.round})"


class TabSession:
    """The chain state of one browser tab.

    Gradio deep-copies state values; a session holds locks and a live Control
    that the Stop buttons must reach, so copying returns the same object.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._control = Control()
        self._running = False
        self._answers: list[AnswerEntry] = []
        self._previous = ""  # the previous response the model sees now (changes with feedback)
        self._parts: dict[str, Any] = {}  # features' own per-tab objects (code runner, token stepper)

    def __deepcopy__(self, memo: dict[int, Any]) -> TabSession:
        return self

    # -- running -----------------------------------------------------------
    def begin_run(self) -> Control:
        """Mark the tab busy and hand out a fresh Control for the new chain."""
        with self._lock:
            if self._running:
                raise SessionBusy("a chain is already running in this tab: press Stop all first, or wait for it to end")
            self._running = True
            self._control = Control()
            return self._control

    def end_run(self) -> None:
        with self._lock:
            self._running = False

    @property
    def running(self) -> bool:
        return self._running

    @property
    def control(self) -> Control:
        return self._control

    def stop_next(self) -> bool:
        """End the current answer and go on with the next item or model; False when nothing runs."""
        with self._lock:
            if not self._running:
                return False
            self._control.stop_next()
            return True

    def stop_all(self) -> bool:
        """End the chain; False when nothing runs."""
        with self._lock:
            if not self._running:
                return False
            self._control.stop_all()
            return True

    def close(self) -> None:
        """The tab went away: stop whatever it was running, and close what features kept for it."""
        self._control.stop_all()
        with self._lock:
            parts = list(self._parts.values())
            self._parts.clear()
        for part in parts:
            closer = getattr(part, "close", None)
            if callable(closer):
                closer()

    def close_programs(self) -> None:
        """The browser tab closed or reloaded: end the programs its features started (servers, notebooks).

        Gradio keeps a closed tab's state for an hour in case it comes back; programs listening on
        ports should not run on for that long, unseen. Parts that start programs say so with a
        `close_programs` method.
        """
        with self._lock:
            parts = list(self._parts.values())
        for part in parts:
            closer = getattr(part, "close_programs", None)
            if callable(closer):
                closer()

    def part(self, key: str, factory: Callable[[], T]) -> T:
        """A feature's own object for this tab (made by `factory` on first use), closed with the tab."""
        with self._lock:
            if key not in self._parts:
                self._parts[key] = factory()
            value: T = self._parts[key]
            return value

    # -- answers and previous response ---------------------------------------
    def add_answer(self, entry: AnswerEntry) -> None:
        with self._lock:
            self._answers.append(entry)

    @property
    def answers(self) -> list[AnswerEntry]:
        with self._lock:
            return list(self._answers)

    @property
    def last_answer(self) -> str:
        with self._lock:
            return self._answers[-1].text if self._answers else ""

    def all_answers_text(self) -> str:
        """Every answer of the session, in order, separated by a blank line."""
        return "\n\n".join(entry.text for entry in self.answers)

    @property
    def previous(self) -> str:
        return self._previous

    def set_previous(self, text: str) -> None:
        self._previous = text

    def clear_history(self) -> None:
        """Forget the answers and the internal previous response (Clear history)."""
        with self._lock:
            if self._running:
                raise SessionBusy("a chain is running: press Stop all first, then Clear history")
            self._answers.clear()
            self._previous = ""
