"""The adapter over llama-cpp-python's internals, through the real llama.cpp engine.

CI runs this file twice: in .venv with the pinned llama-cpp-python, and in .venv-compat with the
newest version that has prebuilt Windows CPU wheels (scripts/bootstrap_compat.sh). A feature the
installed version cannot give must be named for the user while the answer still comes.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from samantha.backends.base import Control, Generated, GenerationRequest, LoadOptions, Piece
from samantha.backends.llama_compat import PINNED_VERSION, LlamaCompat
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.events import AnswerFinished, Notice
from samantha.settings import ChainSettings, Sampling

# What each version CI installs offers (read from their sources): (repack, chain_steps, logits_hooks).
KNOWN = {PINNED_VERSION: (True, True, True), "0.3.2": (False, True, True)}


def installed() -> LlamaCompat:
    import llama_cpp

    return LlamaCompat.inspect(llama_cpp)


def generate(backend: LlamaProcessBackend, model: Path, options: LoadOptions, sampling: Sampling,
             **request: Any) -> tuple[str, Generated]:
    backend.load(str(model), options, Control())
    text = ""
    for part in backend.generate(GenerationRequest("Tell me", sampling, seed=7, **request), Control()):
        if isinstance(part, Piece):
            text += part.text
        else:
            return text, part
    raise AssertionError("the answer never ended")


def test_the_installed_version_is_read_for_what_it_has() -> None:
    import llama_cpp

    compat = installed()
    assert compat.version == llama_cpp.__version__
    if compat.version not in KNOWN:
        pytest.skip(f"llama-cpp-python {compat.version} is not one CI installs")
    assert (compat.repack, compat.chain_steps, compat.logits_hooks) == KNOWN[compat.version]


@pytest.mark.parametrize("repack", [True, False])
def test_repack_is_applied_or_named_as_unavailable_and_the_answer_comes(repack: bool, tiny_model: Path,
                                                                        llama_backend) -> None:
    compat = installed()
    options = LoadOptions(n_ctx=256, repack=repack)
    text, done = generate(llama_backend, tiny_model, options, Sampling(max_tokens=8))
    assert done.answer_tokens > 0 and done.text == text
    if compat.repack or repack:  # without the switch llama.cpp repacks as it always did: only "off" is lost
        assert done.notices == ()
    else:
        [notice] = done.notices
        assert notice.startswith("turning CPU weight repacking off (--no-repack) is not available with the "
                                 f"installed llama-cpp-python {compat.version} (it has no use_extra_bufts)")
        assert "docs/windows.md" in notice
    # Told once: the next answer on the same loaded model carries no repeat of it.
    _, again = generate(llama_backend, tiny_model, options, Sampling(max_tokens=4))
    assert again.notices == ()


def test_a_notice_from_the_engine_reaches_the_transcript(tiny_model: Path, llama_backend) -> None:
    """Through the chain, what the installed version could not do becomes a Notice after the answer."""
    compat = installed()
    events = list(run_chain(ChainSettings(models=(str(tiny_model),), prompt="Tell me",
                                          sampling=Sampling(n_ctx=256, max_tokens=4)),
                            llama_backend, Control(), load_options=LoadOptions(n_ctx=256, repack=False)))
    notices = [e.message for e in events if isinstance(e, Notice) and "llama-cpp-python" in e.message]
    assert [e for e in events if isinstance(e, AnswerFinished)]
    assert len(notices) == (0 if compat.repack else 1)
    if notices:
        assert notices[0].startswith(f"{tiny_model.name}: ") and "use_extra_bufts" in notices[0]


class InProcessWorker:
    """The real worker (and real llama.cpp) in a thread, so a test can hand it an adapter that lacks a feature."""

    def __init__(self, compat_change: dict[str, bool]) -> None:
        from samantha.backends.llama_worker import Worker

        self.conn, child = multiprocessing.Pipe()
        self.worker = Worker(child, multiprocessing.Value("i", 0))
        self.worker.compat = dataclasses.replace(self.worker.compat, **compat_change)
        self.thread = threading.Thread(target=self.worker.serve, daemon=True)
        self.thread.start()

    def ask(self, message: Any) -> Iterator[Any]:
        from samantha.backends.worker_messages import Failed, Finished, Loaded, WorkerBug

        self.conn.send(message)
        while True:
            assert self.conn.poll(120), "the worker did not answer"
            reply = self.conn.recv()
            yield reply
            if isinstance(reply, (Loaded, Finished, Failed, WorkerBug)):
                return

    def close(self) -> None:
        from samantha.backends.worker_messages import Quit

        self.conn.send(Quit())
        self.thread.join(30)


@pytest.fixture
def worker_without(request: pytest.FixtureRequest) -> Iterator[InProcessWorker]:
    worker = InProcessWorker(request.param)
    try:
        yield worker
    finally:
        worker.close()


def answer(worker: InProcessWorker, model: Path, sampling: Sampling, candidates: int = 0) -> tuple[list, Generated]:
    from samantha.backends.worker_messages import Finished, Generate, Loaded, LoadModel

    [loaded] = worker.ask(LoadModel(str(model), LoadOptions(n_ctx=256, n_batch=64, n_threads=1, repack=True)))
    assert isinstance(loaded, Loaded), loaded
    replies = list(worker.ask(Generate(prompt="Tell me", sampling=sampling.to_dict(), seed=3, grammar=None,
                                       reset=True, candidates=candidates)))
    assert isinstance(replies[-1], Finished), replies[-1]
    return replies[:-1], replies[-1].result


@pytest.mark.parametrize("worker_without", [{"chain_steps": False}], indirect=True)
def test_without_a_chain_to_extend_tail_free_sampling_is_named_and_the_answer_comes(
        worker_without: InProcessWorker, tiny_model: Path) -> None:
    pieces, done = answer(worker_without, tiny_model, Sampling(temperature=0.8, tfs_z=0.5, max_tokens=8))
    assert done.answer_tokens > 0 and "".join(p.text for p in pieces) == done.text
    [notice] = done.notices
    assert notice.startswith("tail-free sampling (tfs_z 0.5) is not available with the installed llama-cpp-python")
    assert "_init_sampler" in notice


@pytest.mark.parametrize("worker_without", [{"chain_steps": False}], indirect=True)
def test_without_a_chain_to_extend_learning_mode_keeps_its_candidates_and_names_what_is_missing(
        worker_without: InProcessWorker, tiny_model: Path) -> None:
    pieces, done = answer(worker_without, tiny_model, Sampling(temperature=0.8, tfs_z=1.0, max_tokens=6), candidates=5)
    choices = [p.choice for p in pieces if p.token >= 0]
    assert choices and all(c is not None and len(c["candidates"]) == 5 for c in choices)
    assert all(c["sampled_probability"] is None for c in choices)  # the after-sampler view needs the chain
    [notice] = done.notices
    assert notice.startswith("learning mode's probabilities after the samplers is not available")


@pytest.mark.parametrize("worker_without", [{"logits_hooks": False}], indirect=True)
def test_without_logits_hooks_learning_mode_is_named_and_the_answer_comes(
        worker_without: InProcessWorker, tiny_model: Path) -> None:
    pieces, done = answer(worker_without, tiny_model, Sampling(max_tokens=6), candidates=5)
    assert done.answer_tokens > 0 and all(p.choice is None for p in pieces)  # plain pieces, no choices
    [notice] = done.notices
    assert notice.startswith("learning mode's token candidates is not available")


def test_what_the_installer_says_is_missing_is_what_the_engine_finds_missing() -> None:
    """install.bat's wheel chooser names what an older version lacks before anything runs; the adapter
    finds it at run time. They must agree on the version installed here."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    from choose_llama_wheel import lacks

    compat = installed()
    said = " ".join(lacks(compat.version))
    assert ("use_extra_bufts" in said) == (not compat.repack)
    assert (said == "") == (compat.version == PINNED_VERSION)
