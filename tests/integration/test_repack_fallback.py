"""Weight repacking is on by default; a file that crashes llama.cpp with it loads again without it, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from samantha.backends.base import Control, LoadOptions
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.backends.repack_memory import RepackMemory
from samantha.chain import run_chain
from samantha.events import AnswerFinished, ChainFailed, Notice
from samantha.settings import ChainSettings, Sampling
from tests.support.crashing_worker import (
    crash_on_every_load,
    crash_when_decoding_with_repack,
    crash_when_loading_with_repack,
    exits_when_decoding_with_repack,
    killed_when_loading_with_repack,
)

SETTINGS = ChainSettings(prompt="Hello\nAgain", sampling=Sampling(n_ctx=512, max_tokens=8))


def chain(model: Path, backend: LlamaProcessBackend) -> list:
    try:
        return list(run_chain(ChainSettings(**{**SETTINGS.__dict__, "models": (str(model),)}), backend, Control()))
    finally:
        backend.close()


def test_repacking_is_the_default() -> None:
    assert LoadOptions().repack is True


@pytest.mark.parametrize("crashing", [crash_when_loading_with_repack, crash_when_decoding_with_repack])
def test_a_crash_with_repacking_reloads_without_it_says_so_once_and_remembers(
    tiny_model: Path, tmp_path: Path, crashing
) -> None:
    memory = RepackMemory(tmp_path / "repack-off.json")
    events = chain(tiny_model, LlamaProcessBackend(repack_memory=memory, worker=crashing))
    assert not [e for e in events if isinstance(e, ChainFailed)]
    answers = [e.record for e in events if isinstance(e, AnswerFinished)]
    assert len(answers) == 2 and all(a.answer_tokens > 0 for a in answers)
    notices = [e.message for e in events if isinstance(e, Notice) and "repacking" in e.message]
    assert len(notices) == 1 and tiny_model.name in notices[0]
    assert memory.avoids(tiny_model)
    # The same answers as a worker that never had repacking on.
    plain = chain(tiny_model, LlamaProcessBackend(repack_memory=RepackMemory(tmp_path / "other.json")))
    assert [a.answer for a in answers] == [e.record.answer for e in plain if isinstance(e, AnswerFinished)]
    # Next time the remembered file loads without repacking straight away: no crash, no notice.
    again = chain(tiny_model, LlamaProcessBackend(repack_memory=memory, worker=crashing))
    assert not [e for e in again if isinstance(e, (ChainFailed, Notice))]
    assert len([e for e in again if isinstance(e, AnswerFinished)]) == 2


def test_a_file_that_crashes_without_repacking_too_is_reported_after_one_retry(tiny_model: Path, tmp_path: Path) -> None:
    events = chain(tiny_model, LlamaProcessBackend(repack_memory=RepackMemory(tmp_path / "r.json"), worker=crash_on_every_load))
    [error] = [e for e in events if isinstance(e, ChainFailed)]
    assert "died (signal 6, abort) while loading" in error.message and tiny_model.name in error.message
    assert not [e for e in events if isinstance(e, AnswerFinished)]


@pytest.mark.parametrize(("ending", "said"), [(killed_when_loading_with_repack, "died (signal 9, killed) while loading"),
                                             (exits_when_decoding_with_repack, "died (exit code 1) while answering")])
def test_a_kill_or_an_exit_is_not_blamed_on_repacking(tiny_model: Path, tmp_path: Path, ending, said: str) -> None:
    """Only a crash inside llama.cpp (a fatal signal) turns repacking off for a file: a worker killed from outside
    (out of memory, a task manager) or ended by a Python error would otherwise slow that file down for good."""
    memory = RepackMemory(tmp_path / "repack-off.json")
    events = chain(tiny_model, LlamaProcessBackend(repack_memory=memory, worker=ending))
    assert not memory.avoids(tiny_model) and not memory.path.exists()
    assert not [e for e in events if isinstance(e, Notice) and "repacking" in e.message]
    failures = [e.message for e in events if isinstance(e, ChainFailed)]
    assert failures and said in failures[0] and tiny_model.name in failures[0]
