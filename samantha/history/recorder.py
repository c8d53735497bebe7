"""Stores a run as it goes: feed a Recorder every chain event, in order.

The session row is written when the chain starts, each answer (with its model's
fingerprint) when it finishes, each interpreter run, error and notice when it
happens, each in its own committed transaction. A database problem never stops
the chain: the recorder stops recording and says so in `problem`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, replace
from pathlib import Path

from samantha.events import (
    AnswerFinished,
    Banner,
    ChainFailed,
    ChainFinished,
    ChainStarted,
    CodeRan,
    Event,
    Notice,
    RunObserver,
)
from samantha.history.db import HistoryDB, HistoryError, StoredItem, out_of_space, space_advice
from samantha.history.fingerprint import fingerprint
from samantha.model_ref import RefKind, kind_of
from samantha.prompts import PromptSyntaxError, parse_prompt_list
from samantha.run_spec import RunSpec
from samantha.settings import ChainSettings
from samantha.transcript import code_run_text


def stored_settings(settings: ChainSettings) -> ChainSettings:
    """The settings with model files as absolute paths, so the session can run again from anywhere."""
    models = []
    for ref in settings.models:
        path = Path(ref).expanduser()
        models.append(str(path.resolve()) if kind_of(ref) is RefKind.FILE and path.is_file() else ref)
    return replace(settings, models=tuple(models))


def finish_label(reason: str, errors: list[str]) -> str:
    """How a finished run is listed: a run with errors is `failed: <the first error>`, not `done`."""
    if not errors and reason != "error":
        return reason
    if not errors:
        return "failed"
    more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
    return f"failed: {errors[0]}{more}"


class Recorder(RunObserver):
    """One run's recording into the history database: the RunSpec when it starts, then what happens."""

    def __init__(self, db: HistoryDB, spec: RunSpec, *, source: str, rerun_of: int | None = None) -> None:
        self.db = db
        self.spec = replace(spec, settings=stored_settings(spec.settings))
        self.source = source
        self.rerun_of = rerun_of
        self.session_id: int | None = None
        self.problem = ""
        self.finished = False
        self._seq = 0
        self._last_answer: int | None = None
        self._last_had_output = False
        self._models: dict[tuple[str, int, int], int] = {}
        self._errors: list[str] = []

    def apply(self, event: Event) -> None:
        """Take one chain event; store what is worth keeping."""
        if self.problem:
            return
        try:
            super().apply(event)
        except (sqlite3.Error, OSError, HistoryError) as exc:
            advice = f": {space_advice(self.db.path)}" if out_of_space(exc) else ""
            self.problem = f"history: this run is no longer being recorded ({type(exc).__name__}: {exc}){advice}"

    def end(self, reason: str) -> None:
        """Close a run that ended without ChainFinished (a failure outside the chain)."""
        if self.session_id is not None and not self.finished and not self.problem:
            try:
                self.db.finish_session(self.session_id, reason)
                self.finished = True
            except sqlite3.Error as exc:
                self.problem = f"history: could not close the session ({exc})"

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def on_started(self, event: ChainStarted) -> None:
        self._start(event)

    def on_answer_finished(self, event: AnswerFinished) -> None:
        if self.session_id is None:
            return
        record = event.record
        model = self._model_row(str(record.extra.get("model_file") or record.model), record.model_name)
        self._last_answer = self.db.add_answer(self.session_id, self._next_seq(), record, model)
        self._last_had_output = bool(record.extra.get("code_output"))

    def on_banner(self, event: Banner) -> None:
        if self.session_id is not None:
            self.db.add_event(self.session_id, self._next_seq(), "banner", event.model_name, asdict(event))

    def on_code_ran(self, event: CodeRan) -> None:
        if self.session_id is None:
            return
        data = asdict(event)
        data.pop("view_html", None)  # rebuilt from the output when needed; can be large
        self.db.add_event(self.session_id, self._next_seq(), "code", "", data)
        if self._last_answer is not None and not self._last_had_output:
            self.db.set_code_output(self._last_answer, code_run_text(event))

    def on_notice(self, event: Notice) -> None:
        if self.session_id is not None:
            self.db.add_event(self.session_id, self._next_seq(), "notice", event.message)

    def on_failed(self, event: ChainFailed) -> None:
        if self.session_id is None:
            return
        self._errors.append(event.message)
        self.db.add_event(self.session_id, self._next_seq(), "error", event.message,
                          {"model": event.model, "item_number": event.item_number})

    def on_finished(self, event: ChainFinished) -> None:
        if self.session_id is not None:
            self.db.finish_session(self.session_id, finish_label(event.reason, self._errors))
            self.finished = True

    def _start(self, event: ChainStarted) -> None:
        try:
            parsed = parse_prompt_list(self.spec.settings.prompt)
        except PromptSyntaxError:
            parsed = []
        items = [StoredItem(item.number, item.body, item.is_final) for item in parsed]
        self.session_id = self.db.start_session(
            source=self.source, settings=self.spec.settings.to_dict(), run_info=self.spec.run_info(), seed=event.seed,
            steps=event.steps, items=items, rerun_of=self.rerun_of, item_prefix=parsed[0].prefix if parsed else "",
        )

    def _model_row(self, ref: str, name: str) -> int | None:
        """The model's row; a local file is fingerprinted once per run (and again if it changed), a remote model not."""
        path = Path(ref).expanduser()
        local = kind_of(ref) is RefKind.FILE and path.is_file()
        key: tuple[str, int, int] = (ref, 0, 0)
        if local:
            stat = path.stat()
            key = (ref, stat.st_mtime_ns, stat.st_size)
        if key in self._models:
            return self._models[key]
        if local:
            size, print_ = fingerprint(path)
            row = self.db.model_id(path.name, size, print_, str(path.resolve()))
        else:
            row = self.db.model_id(name, None, "", ref)
        self._models[key] = row
        return row
