"""Reproducibility: run a stored session again with its own settings and seed, and mark what differs.

The stored settings go back into a ChainSettings with the seed the session used,
the same grammar and load options; the new run is recorded as its own session
(`rerun_of` points at the original) and its answers are compared one by one.

A session that ran code is re-run with its code run again when the caller gives a
code hook; without one the code is not run, and only the answers whose model saw
the same prompt as before are compared (the others are listed as not compared).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from samantha.backends.base import Backend, Control
from samantha.chain import AnswerHook, ModelPreparer
from samantha.events import Event
from samantha.history.db import HistoryDB, StoredAnswer, StoredSession
from samantha.history.fingerprint import fingerprint
from samantha.history.recorder import Recorder
from samantha.model_ref import RefKind, kind_of
from samantha.run_setup import RunAccess, prepare_run
from samantha.run_spec import LearningOptions, RunSpec
from samantha.runner.errors import RunnerError


@dataclass(frozen=True)
class AnswerComparison:
    position: int  # 1-based order in the session
    title: str
    stored: str | None  # None: the re-run produced an answer the stored run does not have
    new: str | None  # None: the re-run did not get this far
    new_id: int | None = None
    not_compared: str = ""  # why this answer cannot be compared (its model saw another prompt), or ""

    @property
    def compared(self) -> bool:
        return not self.not_compared

    @property
    def same(self) -> bool:
        return self.compared and self.stored is not None and self.stored == self.new


@dataclass
class RerunReport:
    original: int
    rerun: int | None
    comparisons: list[AnswerComparison] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return sum(c.compared and not c.same for c in self.comparisons)

    @property
    def uncompared(self) -> int:
        return sum(not c.compared for c in self.comparisons)


def _why_not_comparable(stored: StoredSession, old: StoredAnswer | None, fresh: StoredAnswer | None,
                        code_rerun: bool) -> str:
    """Why the answers in one place cannot be compared, or "" when they can.

    Only a session that ran code has answers that depend on something besides the model and its seed: the
    interpreter output fed back, and the code's own say on when the chain stops.
    """
    if not stored.chain_settings().run_code:
        return ""
    if old is not None and fresh is not None:
        if old.prompt == fresh.prompt:
            return ""
        if code_rerun:
            return "its model saw another prompt: the code's output fed back differed from the stored run's"
        return "its model saw another prompt: the stored run fed interpreter output back, which this re-run " \
               "did not produce"
    if old is None:
        return "the stored run had stopped before this answer (its code's output may have ended it)"
    return "" if code_rerun else "the re-run stopped before this answer, without the stored run's code output"


def compare_sessions(stored: StoredSession, new: StoredSession, *, code_rerun: bool = True) -> list[AnswerComparison]:
    """Answers paired in order; a missing or extra answer counts as a difference, except where code decided."""
    out = []
    count = max(len(stored.answers), len(new.answers))
    for index in range(count):
        old = stored.answers[index] if index < len(stored.answers) else None
        fresh = new.answers[index] if index < len(new.answers) else None
        title = (old or fresh).title if (old or fresh) is not None else ""  # type: ignore[union-attr]
        out.append(AnswerComparison(index + 1, title, old.answer if old else None,
                                    fresh.answer if fresh else None, fresh.id if fresh else None,
                                    _why_not_comparable(stored, old, fresh, code_rerun)))
    return out


def same_marks(stored: StoredSession, new: StoredSession) -> dict[int, bool]:
    """For the grid: each re-run answer's id -> whether it matches the stored answer in its place (compared
    answers only)."""
    return {c.new_id: c.same for c in compare_sessions(stored, new) if c.new_id is not None and c.compared}


def rerun_spec(stored: StoredSession, *, run_code: bool = False) -> tuple[RunSpec, list[str]]:
    """The stored run, ready to run again, and notes on what may make answers differ.

    `run_code`: the code of the answers runs again (in a fresh working folder, removed at the end). Learning
    mode's pacing is not repeated: it changes when tokens come, never which.
    """
    spec = stored.run_spec()
    spec = replace(spec, learning=LearningOptions(),
                   code=replace(spec.code, runner=None, workdir=None, keep_workdir=False))
    settings = spec.settings
    notes = []
    if settings.run_code and run_code:
        notes.append("the stored run executed code; the re-run executes it again, and compares only the answers "
                     "whose model saw the same prompt as before")
    elif settings.run_code:
        spec = spec.with_settings(run_code=False, stop_condition=False, feedback_output_only=False)
        notes.append("the stored run executed code; this re-run does not, so only the answers whose model saw the "
                     "same prompt as before are compared (the others are listed as not compared)")
    checked: set[str] = set()
    for answer in stored.answers:
        ref = str(answer.extra.get("model_file") or answer.model_ref)
        if ref in checked or kind_of(ref) is not RefKind.FILE or not answer.model_fingerprint:
            continue
        checked.add(ref)
        path = Path(ref)
        if not path.is_file():
            notes.append(f"{answer.model_name} is no longer at {ref}")
        elif fingerprint(path)[1] != answer.model_fingerprint:
            notes.append(f"{answer.model_name} changed since the stored run (another file at {ref})")
    return spec, notes


def rerun_events(
    db: HistoryDB,
    stored: StoredSession,
    backend: Backend | None,
    control: Control,
    *,
    access: RunAccess | None = None,
    prepare: ModelPreparer | None = None,
    report: RerunReport | None = None,
    code_hooks: Iterable[AnswerHook] | None = None,
    runner: str | None = None,
) -> Iterator[Event]:
    """Run the stored session again through the one run path, recording it; yields the events, fills `report`.

    `backend` None: one is built as `samantha run` builds it (local files and remote servers). The code of a
    session that ran code runs again with `code_hooks`, else with the runner environment `runner` (or the
    remembered one); without an environment the re-run goes on without code and the report says why.
    """
    hooks = list(code_hooks) if code_hooks is not None else None
    spec, notes = rerun_spec(stored, run_code=hooks is None or bool(hooks))
    spec = replace(spec, code=replace(spec.code, runner=runner))
    if hooks is not None and not spec.settings.run_code:
        hooks = []  # code hooks for a session that ran no code: nothing to run again
    try:
        run = prepare_run(spec, access=access or RunAccess(), backend=backend, hooks=hooks, prepare=prepare)
    except (RunnerError, ValueError) as exc:
        spec, notes = rerun_spec(stored, run_code=False)
        notes.insert(0, f"the code is not run again: {exc} Or name one with --runner PATH.")
        run = prepare_run(spec, access=access or RunAccess(), backend=backend, hooks=[], prepare=prepare)
    if report is not None:
        report.notes.extend(notes)
    recorder = Recorder(db, spec, source="rerun", rerun_of=stored.id)
    try:
        yield from run.events(control, [recorder])
    finally:
        run.close()
    code_rerun = spec.settings.run_code
    if recorder.problem and report is not None:
        report.notes.append(recorder.problem)
    if report is not None and recorder.session_id is not None:
        report.rerun = recorder.session_id
        report.comparisons = compare_sessions(stored, db.session(recorder.session_id), code_rerun=code_rerun)


def rerun_session(
    db: HistoryDB,
    session_id: int,
    backend: Backend | None,
    control: Control,
    *,
    prepare: ModelPreparer | None = None,
    on_event: Callable[[Event], None] | None = None,
) -> RerunReport:
    """Run stored session `session_id` again (without its code) and compare; HistoryError if there is no such
    session."""
    stored = db.session(session_id)
    report = RerunReport(session_id, None)
    for event in rerun_events(db, stored, backend, control, prepare=prepare, report=report, code_hooks=[]):
        if on_event is not None:
            on_event(event)
    return report
