"""The page's Start, `samantha run` and `samantha history rerun` set up and run a chain through one function."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from samantha.backends.base import Control
from samantha.backends.router import RouterBackend
from samantha.cli import main
from samantha.events import Event, RunObserver
from samantha.model_host import ModelHost
from samantha.run_setup import PreparedRun, build_backend
from samantha.run_spec import RunSpec
from samantha.settings import ChainSettings, Sampling
from samantha.ui.session import TabSession
from samantha.ui.streaming import ChainStream


def test_the_page_the_command_line_and_a_rerun_all_run_through_prepared_runs(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[str, type]] = []
    real = PreparedRun.events

    def spy(self: PreparedRun, control: Control, observers: Sequence[RunObserver] = ()) -> Iterator[Event]:
        seen.append((self.spec.settings.prompt, type(self.backend)))
        return real(self, control, observers)

    monkeypatch.setattr(PreparedRun, "events", spy)

    # The page: Start streams a ChainStream, which borrows the shared host's backend.
    session = TabSession()
    spec = RunSpec(ChainSettings(models=(str(tiny_model),), prompt="page", seed=1, sampling=Sampling(max_tokens=3)))
    host = ModelHost(build_backend)
    try:
        views = list(ChainStream(host, session, session.begin_run(), spec, ""))
    finally:
        host.close()
    assert views[-1].phase == "done", views[-1].transcript

    # `samantha run`, then `samantha history rerun` of what it stored.
    assert main(["run", "--model", str(tiny_model), "--prompt", "cli", "--seed", "2", "--set", "max_tokens=3"]) == 0
    stored = re.search(r"stored as history session #(\d+)", capsys.readouterr().err)
    assert stored is not None
    assert main(["history", "rerun", stored.group(1)]) == 0, capsys.readouterr()

    assert seen == [("page", RouterBackend), ("cli", RouterBackend), ("cli", RouterBackend)]
