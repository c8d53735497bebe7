"""The listening loop: audio chunks -> recogniser -> final texts -> commands -> the caller's callback.

The loop knows nothing of microphones or Vosk: it takes any iterable of PCM
chunks and any object with `feed`/`flush`, so it runs the same on a live
microphone, on a WAV file, and in tests with a stand-in recogniser.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Literal, Protocol, TypeVar, runtime_checkable

from samantha.voice.commands import Command, CommandKind, parse_command

LOG = logging.getLogger(__name__)

T = TypeVar("T")
EndReason = Literal["close", "stop", "source_ended", "error"]


@runtime_checkable
class Recognizer(Protocol):
    """Speech to text, one chunk at a time."""

    def feed(self, chunk: bytes) -> str | None:
        """Take one chunk of 16-bit mono PCM; return the text of an utterance that just ended, else None."""
        ...

    def flush(self) -> str | None:
        """The text of any utterance still pending when the audio ends."""
        ...


@runtime_checkable
class InterruptibleSource(Protocol):
    """An audio source that a `stop()` from another thread can wake while it waits for audio."""

    def interrupt(self) -> None: ...


class VoiceListener:
    """Runs the listening loop in a background thread and hands each Command to `on_command`.

    The loop ends on the close command ("Samantha close" / "Samantha fechar",
    which is still passed to `on_command`), on `stop()`, when the source runs
    out, or on an error (given to `on_error` and kept in `error`). Exceptions
    raised by the callbacks are reported to `on_error` and do not end the loop.
    """

    def __init__(
        self,
        source: Iterable[bytes],
        recognizer: Recognizer,
        on_command: Callable[[Command], None],
        *,
        on_text: Callable[[str], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        parser: Callable[[str], Command | None] = parse_command,
    ) -> None:
        self._source = source
        self._recognizer = recognizer
        self._on_command = on_command
        self._on_text = on_text
        self._on_error = on_error
        self._parser = parser
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._end_reason: EndReason | None = None

    @property
    def running(self) -> bool:
        """True between `start()` and the end of the loop."""
        return self._thread is not None and not self._done.is_set()

    @property
    def error(self) -> BaseException | None:
        """The exception that ended the loop, if any."""
        return self._error

    @property
    def end_reason(self) -> EndReason | None:
        """Why the loop ended, or None while it runs."""
        return self._end_reason if self._done.is_set() else None

    def start(self) -> None:
        """Start listening in a daemon thread (once per listener)."""
        if self._thread is not None:
            raise RuntimeError("This listener was already started; create a new VoiceListener to listen again.")
        self._thread = threading.Thread(target=self.run, name="samantha-voice-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end after the current chunk (wakes an interruptible source)."""
        self._stop.set()
        if isinstance(self._source, InterruptibleSource):
            self._source.interrupt()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the loop to end; True if it has."""
        return self._done.wait(timeout)

    def run(self) -> None:
        """The loop itself, in the caller's thread (`start()` runs it in a new one)."""
        reason: EndReason = "source_ended"
        try:
            reason = self._listen()
        except BaseException as exc:  # noqa: BLE001 - report, do not die silently in a thread
            reason = "error"
            self._error = exc
            self._report(exc)
        finally:
            close = getattr(self._source, "close", None)
            if callable(close):
                try:
                    close()
                except Exception as exc:  # noqa: BLE001 - a failing close must not hide why the loop ended
                    LOG.debug("closing the audio source failed: %s", exc)
            self._end_reason = reason
            self._done.set()

    def _listen(self) -> EndReason:
        if self._stop.is_set():
            return "stop"
        for chunk in self._source:
            if self._stop.is_set():
                return "stop"
            text = self._recognizer.feed(chunk)
            if text and self._handle(text):
                return "close"
            if self._stop.is_set():
                return "stop"
        text = self._recognizer.flush()
        if text and self._handle(text):
            return "close"
        return "stop" if self._stop.is_set() else "source_ended"

    def _handle(self, text: str) -> bool:
        """Deliver one final text; True when it was the close command."""
        if self._on_text is not None:
            self._call(self._on_text, text)
        command = self._parser(text)
        if command is None:
            return False
        self._call(self._on_command, command)
        return command.kind is CommandKind.CLOSE

    def _call(self, callback: Callable[[T], None], value: T) -> None:
        try:
            callback(value)
        except Exception as exc:  # noqa: BLE001 - a broken callback must not stop listening
            self._report(exc)

    def _report(self, exc: BaseException) -> None:
        if self._on_error is None:
            LOG.warning("voice listener: %s", exc, exc_info=exc)
            return
        try:
            self._on_error(exc)
        except Exception:
            LOG.exception("voice listener: the error callback failed")
