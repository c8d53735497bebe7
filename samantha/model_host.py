"""The one model host all tabs share: one backend, one chain at a time, first come first served.

Only one model fits in memory at once, so a tab that presses Start while
another tab's chain runs waits in line; it can still be stopped while it waits.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from samantha.backends.base import Backend, Control

WAIT_POLL_SECONDS = 0.1


class ModelHost:
    """Owns the backend (created on first use) and lends it to one chain at a time."""

    def __init__(self, backend_factory: Callable[[], Backend]) -> None:
        self._factory = backend_factory
        self._backend: Backend | None = None
        self._cond = threading.Condition()
        self._line: deque[object] = deque()  # tickets of chains waiting, first in line first
        self._busy = False

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._line)

    def acquire(self, control: Control, on_wait: Callable[[int], None] | None = None) -> Backend | None:
        """Wait for the backend; None when Stop all is pressed first. `on_wait(position)` reports the queue."""
        ticket = object()
        with self._cond:
            self._line.append(ticket)
            reported: int | None = None
            try:
                while self._busy or self._line[0] is not ticket:
                    if control.all_stopped:
                        return None
                    position = list(self._line).index(ticket) + (1 if self._busy else 0)
                    if on_wait is not None and position != reported:
                        reported = position
                        on_wait(position)
                    self._cond.wait(WAIT_POLL_SECONDS)
                if control.all_stopped:
                    return None
                self._busy = True
            finally:
                self._line.remove(ticket)
                self._cond.notify_all()
            if self._backend is None:
                try:
                    self._backend = self._factory()
                except BaseException:
                    self._busy = False
                    self._cond.notify_all()
                    raise
            return self._backend

    def release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    @contextmanager
    def borrow(self, control: Control, on_wait: Callable[[int], None] | None = None) -> Iterator[Backend | None]:
        """`with host.borrow(control) as backend:`; backend is None when stopped while waiting."""
        backend = self.acquire(control, on_wait)
        try:
            yield backend
        finally:
            if backend is not None:
                self.release()

    def unload(self) -> bool:
        """Free the model's memory now; False (nothing done) while a chain uses it."""
        with self._cond:
            if self._busy:
                return False
            if self._backend is not None:
                self._backend.unload()
            return True

    def close(self) -> None:
        """End the backend (its worker process) when the app shuts down."""
        with self._cond:
            if self._backend is not None:
                self._backend.close()
                self._backend = None
