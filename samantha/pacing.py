"""Learning mode's pacing: a delay between tokens, or one token per "Next token" click.

A pacer belongs to one session; Stop/next and Stop all release a waiting step at once.
"""

from __future__ import annotations

import threading
import time

from samantha.backends.base import Control

POLL_SECONDS = 0.05
# The choices the UI offers, in seconds; None means "next token" stepping.
PACING_CHOICES: dict[str, float | None] = {
    "no delay": 0.0,
    "0.3 s": 0.3,
    "1 s": 1.0,
    "3 s": 3.0,
    "10 s": 10.0,
    "next token": None,
}


class DelayPacer:
    """Waits a fixed time after each token."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def wait(self, control: Control) -> None:
        deadline = time.monotonic() + self.seconds
        while not control.answer_should_stop():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(POLL_SECONDS, left))


class StepPacer:
    """Lets exactly one token through per `next_token()` call (the Next token button)."""

    def __init__(self) -> None:
        self._go = threading.Semaphore(0)

    def next_token(self) -> None:
        self._go.release()

    def take(self, timeout: float) -> bool:
        """One click's permission, if one comes within `timeout` seconds."""
        return self._go.acquire(timeout=timeout)

    def wait(self, control: Control) -> None:
        while not control.answer_should_stop():
            if self.take(POLL_SECONDS):
                return


def pacer_for(choice: str, stepper: StepPacer | None = None) -> DelayPacer | StepPacer | None:
    """The pacer for a UI choice; None when tokens should flow freely."""
    seconds = PACING_CHOICES[choice]
    if seconds is None:
        return stepper or StepPacer()
    return DelayPacer(seconds) if seconds > 0 else None


class SwitchablePacer:
    """Pacing the user may change while an answer runs: every wait reads the current choice, so a change
    applies at the next token, and leaving "next token" releases a step that is waiting for a click."""

    def __init__(self, choice: str) -> None:
        self._lock = threading.Lock()
        self._choice = choice
        self._stepper = StepPacer()

    @property
    def stepping(self) -> bool:
        with self._lock:
            return PACING_CHOICES[self._choice] is None

    def set_choice(self, choice: str) -> None:
        with self._lock:
            if PACING_CHOICES[choice] is None and PACING_CHOICES[self._choice] is not None:
                self._stepper = StepPacer()  # clicks made before stepping began let nothing through
            self._choice = choice

    def next_token(self) -> bool:
        """Let one token through; False when this run is not stepping token by token."""
        with self._lock:
            if PACING_CHOICES[self._choice] is not None:
                return False
            stepper = self._stepper
        stepper.next_token()
        return True

    def wait(self, control: Control) -> None:
        started = time.monotonic()
        while not control.answer_should_stop():
            with self._lock:
                seconds = PACING_CHOICES[self._choice]
                stepper = self._stepper
            if seconds is None:
                if stepper.take(POLL_SECONDS):
                    return
                continue
            left = started + seconds - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(POLL_SECONDS, left))
