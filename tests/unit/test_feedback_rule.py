"""The feedback rule lives in the engine: its events say what the next step sees, and the page shows that."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from samantha.backends.base import Control
from samantha.backends.scripted import ScriptedBackend
from samantha.chain import HookOutcome, run_chain
from samantha.events import AnswerFinished, ChainStarted, Event
from samantha.model_host import ModelHost
from samantha.run_spec import RunSpec
from samantha.settings import ChainSettings
from samantha.ui.session import TabSession
from samantha.ui.streaming import ChainStream


class AddOutput:
    def after_answer(self, record: Any, control: Control) -> HookOutcome:
        return HookOutcome(feedback=f"{record.answer} + output")


def test_each_answer_reports_the_previous_response_its_next_step_sees() -> None:
    backend = ScriptedBackend(answers=["one", "two", "three"])
    settings = ChainSettings(models=("/m/a.gguf",), prompt="a\nb\nc", previous="typed", feedback=True,
                             cumulative=True, seed=1)
    events = list(run_chain(settings, backend, Control(), hooks=[AddOutput()]))
    started = next(e for e in events if isinstance(e, ChainStarted))
    reported = [e.previous for e in events if isinstance(e, AnswerFinished)]
    assert started.previous == "typed"
    assert reported == ["typed\n\none + output", "typed\n\none + output\n\ntwo + output",
                        "typed\n\none + output\n\ntwo + output\n\nthree + output"]
    # What the engine reports is what the next model read.
    assert reported[0] in backend.prompts[1][1] and reported[1] in backend.prompts[2][1]


def test_without_feedback_the_typed_previous_response_stays() -> None:
    settings = ChainSettings(models=("/m/a.gguf",), prompt="a\nb", previous="typed", seed=1)
    events = list(run_chain(settings, ScriptedBackend(answers=["one", "two"]), Control()))
    assert [e.previous for e in events if isinstance(e, AnswerFinished)] == ["typed", "typed"]


def test_the_page_shows_the_engines_previous_response_not_its_own_reckoning(monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine whose rule gives something the page could not work out from the answer (here a fixed text):
    the page's previous-response box follows the engine."""
    import samantha.run_setup

    real = samantha.run_setup.run_chain

    def engine_with_another_rule(*args: Any, **kwargs: Any) -> Iterator[Event]:
        for event in real(*args, **kwargs):
            if isinstance(event, ChainStarted):
                event = replace(event, previous="engine start")
            elif isinstance(event, AnswerFinished):
                event = replace(event, previous=f"engine after {event.record.answer}")
            yield event

    monkeypatch.setattr(samantha.run_setup, "run_chain", engine_with_another_rule)
    seen: list[str] = []
    session = TabSession()
    real_set = session.set_previous
    monkeypatch.setattr(session, "set_previous", lambda text: (seen.append(text), real_set(text)))
    spec = RunSpec(ChainSettings(models=("/m/a.gguf",), prompt="a\nb", previous="typed", feedback=True, seed=1))
    list(ChainStream(ModelHost(lambda: ScriptedBackend(answers=["one", "two"])), session, session.begin_run(),
                     spec, ""))
    assert seen == ["engine start", "engine after one", "engine after two"]
    assert session.previous == "engine after two"
