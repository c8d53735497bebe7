"""Runs one chain for one tab and streams its transcript to the page, throttled.

The chain runs in a worker thread and puts its events on a queue; the Gradio
handler drains the queue and sends the page at most one update per `interval`
(about ten a second), however fast tokens arrive, so a long transcript never
slows generation down. Stop buttons only set the tab's Control flags.
The run is set up by the one run path (`run_setup.prepare_run`) with the shared host's backend and the
parts the feature panels bring (hub downloads, the code runner, the pacer); the transcript, the tab and
the panels' watchers are observers of its events. The previous response the page shows is the one the
engine reports (ChainStarted and AnswerFinished carry it): the feedback rule lives in chain.py only.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from samantha.backends.base import Control
from samantha.chain import AnswerHook, ModelPreparer, Pacer
from samantha.errors import SamanthaError, user_message
from samantha.events import AnswerFinished, ChainStarted, Event, RunObserver
from samantha.model_host import ModelHost
from samantha.run_setup import prepare_run
from samantha.run_spec import RunSpec
from samantha.template_probe import TEMPLATE_ADDED_KEY
from samantha.transcript_writer import TranscriptWriter
from samantha.ui.i18n import tr
from samantha.ui.session import AnswerEntry, TabSession

UPDATE_INTERVAL_SECONDS = 0.1
# The page re-renders the whole transcript on each update: send it at most this many characters a second,
# so a long transcript updates less often instead of taking CPU from the model (50k characters: 4 a second).
PAGE_CHARS_PER_SECOND = 200_000
# How long the handler waits for a stopped chain's thread before giving up on it.
STOP_JOIN_SECONDS = 15.0


@dataclass(frozen=True)
class RunView:
    """What the page shows while a chain runs."""

    transcript: str
    status: str
    phase: str  # "waiting", "running", "done", "stopped", "error"
    finished: bool = False


class Throttle:
    """Says when the next page update is due; the clock is injectable so tests need no sleeping."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: float | None = None

    def due(self, size: int = 0) -> bool:
        """Whether to update now; `size` (characters on the page) stretches the interval for long pages."""
        now = self._clock()
        interval = max(self.interval, size / PAGE_CHARS_PER_SECOND)
        if self._last is None or now - self._last >= interval:
            self._last = now
            return True
        return False


@dataclass(frozen=True)
class _Status:
    message: str
    phase: str = "running"


@dataclass(frozen=True)
class _Failure:
    message: str


_END = object()


def _chain_worker(
    host: ModelHost,
    control: Control,
    spec: RunSpec,
    hooks: list[AnswerHook],
    prepare: ModelPreparer | None,
    pacer: Pacer | None,
    out: queue.Queue[object],
) -> None:
    """The worker thread: wait for the model host, run the chain (which downloads linked models itself)."""
    try:
        if spec.links and prepare is None:
            raise SamanthaError("downloading from links is not available in this build")

        def waiting(position: int) -> None:
            out.put(_Status(
                f"Waiting for the model: another tab's chain is running (place {position} in line). "
                "Stop all cancels the wait.",
                "waiting",
            ))

        with host.borrow(control, waiting) as backend:
            if backend is None:
                out.put(_Status("Stopped while waiting for the model", "stopped"))
                return
            run = prepare_run(spec, backend=backend, hooks=hooks, prepare=prepare, pacer=pacer)
            try:
                for event in run.events(control):
                    out.put(event)
            finally:
                run.close()
    except Exception as exc:  # the page must say what went wrong and keep working
        if not isinstance(exc, SamanthaError):
            traceback.print_exc()  # a bug: its traceback goes to the terminal the app runs in
        out.put(_Failure(user_message(exc)))
    finally:
        out.put(_END)


class ChainStream:
    """One Start of one tab: apply events to the transcript and the session, yield throttled views."""

    def __init__(
        self,
        host: ModelHost,
        session: TabSession,
        control: Control,
        spec: RunSpec,
        transcript: str,
        *,
        hooks: Iterable[AnswerHook] = (),
        prepare: ModelPreparer | None = None,
        pacer: Pacer | None = None,
        watchers: Iterable[RunObserver] = (),
        interval: float = UPDATE_INTERVAL_SECONDS,
    ) -> None:
        self._host = host
        self._session = session
        self._control = control
        self._spec = spec
        self._hooks = list(hooks)
        self._prepare = prepare
        self._pacer = pacer
        self._watchers = list(watchers)
        self._interval = interval
        self.writer = TranscriptWriter(text=transcript, fast=spec.settings.fast, say=tr)
        self._phase = "running"
        self._queue: queue.Queue[object] = queue.Queue()

    def _view(self, finished: bool = False) -> RunView:
        return RunView(self.writer.text, self.writer.status, self._phase, finished)

    def _apply(self, item: object) -> None:
        if isinstance(item, _Status):
            self.writer.status = item.message
            self._phase = item.phase
        elif isinstance(item, _Failure):
            self.writer.error(item.message)
            self._phase = "error"
        else:
            event: Event = item  # type: ignore[assignment]
            if isinstance(event, ChainStarted):
                self._session.set_previous(event.previous)
                self._phase = "running"
            self.writer.apply(event)
            if isinstance(event, AnswerFinished):
                self._record(event)
            for watcher in self._watchers:
                watcher.apply(event)

    def _record(self, event: AnswerFinished) -> None:
        record = event.record
        self._session.add_answer(AnswerEntry(
            record.model_name, record.model_position, record.item_number, record.round, record.loop, record.answer,
            record.prompt, str(record.extra.get(TEMPLATE_ADDED_KEY, "")),
        ))
        self._session.set_previous(event.previous)  # what the engine's feedback rule gives the next step

    def _final_phase(self) -> str:
        if self._phase in ("error", "stopped"):
            return self._phase
        finished = self.writer.finished
        if finished == "error" or (finished == "done" and self.writer.errors):
            return "error"
        if finished in ("stopped", "STOP_SAMANTHA", "stop condition") or self._control.all_stopped:
            return "stopped"
        return "done"

    def __iter__(self) -> Iterator[RunView]:
        worker = threading.Thread(
            target=_chain_worker,
            args=(self._host, self._control, self._spec, self._hooks, self._prepare, self._pacer, self._queue),
            name="samantha-chain",
            daemon=True,
        )
        throttle = Throttle(self._interval)
        worker.start()
        try:
            yield self._view()
            ended = False
            while not ended:
                try:
                    item = self._queue.get(timeout=self._interval)
                except queue.Empty:
                    item = None
                while item is not None:
                    if item is _END:
                        ended = True
                        break
                    self._apply(item)
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        item = None
                if not ended and throttle.due(len(self.writer.text)):
                    yield self._view()
            self._phase = self._final_phase()
            yield self._view(finished=True)
        finally:
            if worker.is_alive():  # the page went away or the handler was cancelled
                self._control.stop_all()
                worker.join(STOP_JOIN_SECONDS)
            self._session.end_run()
