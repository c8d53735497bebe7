"""Kept contexts on real models: returning to a model reads only the new tail, and answers do not change."""

from __future__ import annotations

from pathlib import Path

from samantha.backends.base import Control
from samantha.backends.kv_states import StateStore
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.events import AnswerFinished, ChainFailed
from samantha.settings import ChainSettings, Sampling

DOCUMENT = "information: " + " ".join(
    f"Clause {i}: every contract above {i * 1000} reais is published with its supplier." for i in range(1, 25)
)


def chain(models: tuple[Path, ...], keep: bool) -> list:
    settings = ChainSettings(models=tuple(str(m) for m in models), prompt="Summarise the clauses in one sentence.",
                             system=DOCUMENT, feedback=True, loops=2, fast=True,
                             sampling=Sampling(n_ctx=2048, max_tokens=16))
    backend = LlamaProcessBackend(StateStore() if keep else StateStore(cap_bytes=0))
    try:
        events = list(run_chain(settings, backend, Control()))
    finally:
        backend.close()
    assert not [e.message for e in events if isinstance(e, ChainFailed)]
    return [e.record for e in events if isinstance(e, AnswerFinished)]


def test_smollm2_and_gemma_keep_their_context_and_their_answers(smollm2: Path, gemma: Path) -> None:
    kept = chain((smollm2, gemma), keep=True)
    fresh = chain((smollm2, gemma), keep=False)
    assert [r.answer for r in kept] == [r.answer for r in fresh]  # greedy answers identical
    for returning in kept[2:]:  # loop 2: each model comes back after the other answered
        assert returning.extra["evaluated_prompt_tokens"] <= returning.prompt_tokens // 10
    for returning in fresh[2:]:
        assert returning.extra["evaluated_prompt_tokens"] == returning.prompt_tokens
