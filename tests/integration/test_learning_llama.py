"""Learning mode through the real engine: the candidates are the true top-k of each step's logits."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from samantha.backends.base import Control
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.events import AnswerFinished, ChainFinished, Token
from samantha.learning import WHY_DRAW, WHY_SETTINGS, WHY_TOP, TokenChoice
from samantha.pacing import DelayPacer, StepPacer
from samantha.settings import ChainSettings, Sampling, SettingsError
from samantha.tinymodel import grammar_for_text

SAMPLING = Sampling(n_ctx=512, max_tokens=12, top_k=8)


def learn(model: Path, sampling: Sampling = SAMPLING, grammar: str | None = None, pacer=None, control=None):
    backend = LlamaProcessBackend()
    try:
        events = list(run_chain(ChainSettings(models=(str(model),), prompt="Tell me", learning=True, sampling=sampling),
                                backend, control or Control(), grammar=grammar, pacer=pacer))
    finally:
        backend.close()
    [record] = [e.record for e in events if isinstance(e, AnswerFinished)]
    return events, record, [TokenChoice.from_dict(c) for c in record.extra["learning"]]


def reference_logits(model: Path, prompt: str, generated: list[int]) -> np.ndarray:
    """Each step's raw logits straight from llama.cpp (logits_all), for the prompt plus the answer."""
    import llama_cpp

    llm = llama_cpp.Llama(str(model), n_ctx=512, logits_all=True, verbose=False)
    tokens = llm.tokenize(prompt.encode(), add_bos=True, special=True)
    llm.eval(tokens + generated)
    return np.array(llm.scores[len(tokens) - 1 : len(tokens) - 1 + len(generated)])


def test_candidates_are_the_true_top_k_of_each_step(tiny_model: Path) -> None:
    events, record, choices = learn(tiny_model)
    assert len(choices) == record.answer_tokens > 0
    rows = reference_logits(tiny_model, record.prompt, [c.token_id for c in choices])
    for choice, row in zip(choices, rows):
        expected = np.lexsort((np.arange(row.size), -row))[:8]
        assert [c.token_id for c in choice.candidates] == list(expected)
        assert np.allclose([c.logit for c in choice.candidates], row[expected], atol=1e-3)
        probs = np.exp(row - row.max()) / np.exp(row - row.max()).sum()
        assert np.allclose([c.probability for c in choice.candidates], probs[expected], atol=1e-5)
        assert sum(c.probability for c in choice.candidates) <= 1.0 + 1e-6
        assert probs[choice.token_id] == pytest.approx(choice.probability, abs=1e-5)


def test_greedy_always_picks_rank_one_and_the_marked_token_is_the_generated_one(tiny_model: Path) -> None:
    events, record, choices = learn(tiny_model)
    assert all(c.rank == 1 and c.token_id == c.candidates[0].token_id for c in choices)
    streamed = [e for e in events if isinstance(e, Token)]
    assert [e.choice.token_id for e in streamed] == [c.token_id for c in choices]
    events, record, choices = learn(tiny_model, grammar=grammar_for_text("Hello world"),
                                    sampling=Sampling(n_ctx=512, max_tokens=40, top_k=8))
    assert "".join(c.text for c in choices) == record.answer == "Hello world"


def test_a_forced_grammar_pick_is_an_unlikely_pick_with_its_true_rank(tiny_model: Path) -> None:
    events, record, choices = learn(tiny_model, Sampling(n_ctx=512, max_tokens=40, top_k=5),
                                    grammar=grammar_for_text("zebra"))
    assert record.answer == "zebra"
    rows = reference_logits(tiny_model, record.prompt, [c.token_id for c in choices])
    unlikely = [c for c in choices if c.rank > 1]
    assert unlikely, "a random model does not pick 'zebra' on its own"
    for choice, row in zip(choices, rows):
        assert choice.rank == 1 + int(np.count_nonzero(row > row[choice.token_id]))
    for choice in unlikely:  # greedy decoding: the grammar, not chance, made the pick
        assert choice.why == WHY_SETTINGS and choice.sampled_top == choice.token_id
        assert choice.sampled_probability == 1.0


def test_a_repeat_penalty_that_changes_the_pick_is_named_as_the_reason(tiny_model: Path) -> None:
    plain = learn(tiny_model, Sampling(n_ctx=512, max_tokens=20, top_k=8))[2]
    ids = [c.token_id for c in plain]
    first_repeat = next(i for i, token in enumerate(ids) if token in ids[:i])  # this random model loops
    penalised = learn(tiny_model, Sampling(n_ctx=512, max_tokens=20, top_k=8, repeat_penalty=1.5))[2]
    assert [c.token_id for c in penalised[:first_repeat]] == ids[:first_repeat]
    step = penalised[first_repeat]
    assert step.candidates[0].token_id == ids[first_repeat]  # the raw favourite is still the repeat ...
    assert step.token_id != ids[first_repeat] and step.rank > 1  # ... but the penalty moved the pick
    assert step.why == WHY_SETTINGS and step.sampled_top == step.token_id
    assert step.candidates[0].sampled_probability == 0.0 and step.sampled_probability == 1.0
    assert all(c.why == WHY_TOP for c in plain)


def test_probabilities_after_the_samplers_are_the_distribution_the_pick_was_drawn_from(tiny_model: Path) -> None:
    temperature = 0.7
    sampling = Sampling(n_ctx=512, max_tokens=12, top_k=3, temperature=temperature, top_p=1.0, min_p=0.0,
                        typical_p=1.0, tfs_z=1.0, seed=11)
    choices = learn(tiny_model, sampling)[2]
    for choice in choices:
        assert choice.survivors == 3  # top-k = 3 and every other sampler off
        logits = np.array([c.logit for c in choice.candidates], dtype=np.float64) / temperature
        expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        assert np.allclose([c.sampled_probability for c in choice.candidates], expected, atol=1e-5)
        assert choice.sampled_probability == pytest.approx(expected[choice.rank - 1], abs=1e-5)
        assert choice.sampled_top == choice.candidates[0].token_id
        assert choice.why == (WHY_TOP if choice.rank == 1 else WHY_DRAW)
    assert any(c.why == WHY_DRAW for c in choices), "with three nearly equal survivors some draws miss the top"


def test_learning_data_is_in_the_session_file(tiny_model: Path, tmp_path: Path) -> None:
    session = tmp_path / "s.json"
    result = subprocess.run([sys.executable, "-m", "samantha", "run", "--model", str(tiny_model), "--prompt", "x",
                             "--learning", "--set", "max_tokens=6", "--set", "n_ctx=256", "--set", "top_k=3",
                             "--save", str(session)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    [answer] = json.loads(session.read_text())["answers"]
    steps = answer["extra"]["learning"]
    assert len(steps) == answer["answer_tokens"]
    assert all(len(step["candidates"]) == 3 and step["rank"] >= 1 for step in steps)
    assert "unlikely picks" in result.stdout


def test_next_token_stepping_produces_exactly_one_token_per_click(tiny_model: Path) -> None:
    stepper = StepPacer()
    control = Control()
    backend = LlamaProcessBackend()
    tokens: list[Token] = []
    settings = ChainSettings(models=(str(tiny_model),), prompt="x", learning=True,
                             sampling=Sampling(n_ctx=256, max_tokens=50))
    chain = run_chain(settings, backend, control, pacer=stepper, grammar="root ::= [a-z]{50}\n")

    def consume() -> None:
        for event in chain:
            if isinstance(event, Token):
                tokens.append(event)

    thread = threading.Thread(target=consume)
    thread.start()
    try:
        _wait_for(lambda: len(tokens) == 1)
        for clicks in range(1, 4):
            stepper.next_token()
            _wait_for(lambda clicks=clicks: len(tokens) == 1 + clicks)
            time.sleep(0.3)
            assert len(tokens) == 1 + clicks, "no token may come without a click"
        control.stop_next()  # releases the waiting step at once
        thread.join(timeout=5)
        assert not thread.is_alive()
    finally:
        control.stop_all()
        thread.join(timeout=5)
        backend.close()
    assert len(tokens) == 4


def _wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_delay_step_is_released_by_stop(tiny_model: Path) -> None:
    waited: list[float] = []

    class StopDuringTheWait(DelayPacer):
        """Presses Stop all while the first 10 s pause is under way (however long loading took)."""

        def wait(self, control: Control) -> None:
            threading.Timer(0.2, control.stop_all).start()
            started = time.monotonic()
            super().wait(control)
            waited.append(time.monotonic() - started)

    events, record, choices = learn(tiny_model, Sampling(n_ctx=256, max_tokens=20), pacer=StopDuringTheWait(10.0))
    assert len(waited) == 1 and waited[0] < 9  # released by the stop, not by the end of the 10 s pause
    assert record.finish_reason == "cancelled" and len(choices) == 1
    assert events[-1] == ChainFinished("stopped", 1)


def test_learning_cannot_be_combined_with_fast_mode() -> None:
    with pytest.raises(SettingsError, match="fast mode"):
        ChainSettings(learning=True, fast=True)


def test_control_tokens_show_by_name_among_the_candidates(tiny_model: Path) -> None:
    """Ending the answer is a choice too: `<|im_end|>` must read as itself, not as an empty cell."""
    choices = learn(tiny_model, Sampling(n_ctx=512, max_tokens=40, top_k=50))[2]
    control = {c.token_id: c.text for choice in choices for c in choice.candidates if c.token_id in (259, 260)}
    assert control, "over 40 steps of a 452-token vocabulary the top 50 hold a control token"
    assert set(control.items()) <= {(259, "<|im_start|>"), (260, "<|im_end|>")}


def test_tail_free_sampling_shows_in_what_the_samplers_leave(tiny_model: Path) -> None:
    """Samantha's own tail-free step sits inside llama.cpp's chain, so the after-sampler view includes it."""
    sampling = Sampling(n_ctx=512, max_tokens=10, top_k=8, temperature=1.0, tfs_z=0.0, top_p=1.0, min_p=0.0,
                        typical_p=1.0, seed=5)
    choices = learn(tiny_model, sampling)[2]
    assert all(c.survivors == 1 and c.sampled_probability == 1.0 and c.rank == 1 for c in choices)
    loose = learn(tiny_model, Sampling(**{**sampling.to_dict(), "tfs_z": 1.0, "stop": ()}))[2]
    assert all(c.survivors == 8 for c in loose)  # tail-free off: top-k alone decides
