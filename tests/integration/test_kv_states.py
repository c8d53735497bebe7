"""Each model keeps what it had read while another model holds the memory (A -> B -> A reads only the tail)."""

from __future__ import annotations

from pathlib import Path

from samantha.backends.base import Control
from samantha.backends.kv_states import SavedState, StateStore
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.events import AnswerFinished, ChainFailed
from samantha.settings import ChainSettings, Sampling

DOCUMENT = "information: " + " ".join(f"fact number {i} is blue." for i in range(25))
SETTINGS = {"prompt": "Say something\nSay more", "system": DOCUMENT, "sampling": Sampling(n_ctx=2048, max_tokens=6)}


def answers(models: tuple[str, ...], backend: LlamaProcessBackend) -> list:
    settings = ChainSettings(models=models, **SETTINGS)
    try:
        events = list(run_chain(settings, backend, Control()))
    finally:
        backend.close()
    assert not [e for e in events if isinstance(e, ChainFailed)]
    return [e.record for e in events if isinstance(e, AnswerFinished)]


def test_returning_to_a_model_reads_only_the_new_tail(tiny_model: Path, tiny_model_b: Path) -> None:
    chain = (str(tiny_model), str(tiny_model_b), str(tiny_model))
    kept = answers(chain, LlamaProcessBackend(StateStore()))
    fresh = answers(chain, LlamaProcessBackend(StateStore(cap_bytes=0)))
    returning = kept[4]  # model A's first item again, after model B answered
    assert returning.model == str(tiny_model) and returning.load_seconds > 0  # it was loaded again
    read = returning.extra["evaluated_prompt_tokens"]
    assert read <= returning.prompt_tokens // 10, (read, returning.prompt_tokens)
    assert fresh[4].extra["evaluated_prompt_tokens"] == fresh[4].prompt_tokens  # without states: all of it
    assert [r.answer for r in kept] == [r.answer for r in fresh]  # greedy answers are the same either way


def test_unload_forgets_the_saved_contexts(tiny_model: Path, tiny_model_b: Path) -> None:
    store = StateStore()
    backend = LlamaProcessBackend(store)
    try:
        list(run_chain(ChainSettings(models=(str(tiny_model), str(tiny_model_b)), **SETTINGS), backend, Control()))
        assert len(store) == 1  # A's context, saved when B was loaded
        backend.unload()
        assert len(store) == 0
    finally:
        backend.close()


def test_the_store_drops_the_oldest_state_to_stay_under_its_cap() -> None:
    store = StateStore(cap_bytes=1000)
    store.put("a", SavedState((1, 2), b"x" * 400))
    store.put("b", SavedState((1, 2), b"x" * 400))
    store.put("c", SavedState((1, 2), b"x" * 400))
    assert store.take("a") is None and store.take("b") is not None and store.take("c") is not None
    store.put("huge", SavedState((1,), b"x" * 2000))  # larger than the cap: not kept at all
    assert len(store) == 0 and store.used_bytes == 0


def test_the_stats_line_says_how_many_prompt_tokens_were_reused(tiny_model: Path, tiny_model_b: Path) -> None:
    from samantha.transcript import stats_line

    kept = answers((str(tiny_model), str(tiny_model_b), str(tiny_model)), LlamaProcessBackend(StateStore()))
    returning = kept[4]
    reused = returning.prompt_tokens - returning.extra["evaluated_prompt_tokens"]
    assert f"prompt {returning.prompt_tokens} tokens ({reused} reused) in " in stats_line(returning)
    first = kept[0]  # a cold start reuses nothing, and says nothing about it
    assert first.extra["evaluated_prompt_tokens"] == first.prompt_tokens and "reused" not in stats_line(first)
