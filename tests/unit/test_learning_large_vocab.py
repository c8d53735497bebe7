"""Learning mode on a 262k vocabulary: the shortcuts that avoid sorting or scanning the row give the exact answers."""

from __future__ import annotations

import numpy as np

from samantha.backends.llama_worker import idle_samplers
from samantha.learning import CandidateRecorder
from samantha.settings import Sampling

VOCAB = 262_144
RECORD = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)  # llama.cpp's token data


def raw_logits(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 3.0, VOCAB).astype(np.float32)


def records(ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """A sampler's view of the token list, interleaved as llama.cpp lays it out."""
    data = np.zeros(ids.size, dtype=RECORD)
    data["id"], data["logit"] = ids, logits
    return data


def recorder_after(logits: np.ndarray, k: int = 40, greedy: bool = True) -> CandidateRecorder:
    recorder = CandidateRecorder(k, piece=str, greedy=greedy)
    recorder(np.zeros(0, dtype=np.intc), logits)
    return recorder


def test_candidates_are_the_top_k_by_logit_then_id_also_when_many_tie_with_the_kth() -> None:
    logits = raw_logits()
    order = np.argsort(-logits, kind="stable")
    logits[order[30:5000]] = logits[order[30]]  # thousands tie with the 31st: ties at the cut go by the lowest id
    choice = recorder_after(logits).choice(int(order[0]))
    assert choice is not None
    expected = np.lexsort((np.arange(VOCAB), -logits))[:40]
    assert [c.token_id for c in choice.candidates] == expected.tolist()
    weights = np.exp((logits - logits.max()).astype(np.float64))
    assert np.allclose([c.probability for c in choice.candidates], weights[expected] / weights.sum(), atol=1e-7)
    assert choice.rank == 1


def test_the_favourite_is_followed_when_a_sampler_reorders_the_token_list() -> None:
    logits = raw_logits(1)
    favourite = int(np.argmax(logits))
    recorder = recorder_after(logits)
    shuffled = np.random.default_rng(2).permutation(VOCAB).astype(np.intc)
    data = records(shuffled, logits[shuffled])
    recorder.observe_stage("a penalty", data["id"], data["logit"])  # same logits, new order: nothing moved
    assert recorder.choice(favourite).moved_by is None  # type: ignore[union-attr]
    lowered = logits[shuffled].copy()
    lowered[np.flatnonzero(shuffled == favourite)] -= 100.0
    data = records(shuffled, lowered)
    recorder.observe_stage("top_k", data["id"], data["logit"])
    choice = recorder.choice(favourite)
    assert choice is not None and (choice.moved_by, choice.moved_how) == ("top_k", "lowered")

    recorder = recorder_after(logits)
    kept = shuffled[shuffled != favourite][:40]  # a sampler that left 40 tokens, none of them the favourite
    data = records(kept, logits[kept])
    recorder.observe_stage("top_p", data["id"], data["logit"])
    choice = recorder.choice(favourite)
    assert choice is not None and (choice.moved_by, choice.moved_how) == ("top_p", "cut")


def test_the_final_view_counts_what_a_grammar_left_and_ties_for_the_greedy_pick() -> None:
    logits = raw_logits(3)
    final = np.full(VOCAB, -np.inf, dtype=np.float32)
    allowed = np.array([7, 11, 500, 200_000])
    final[allowed] = [1.0, 2.5, 2.5, 0.5]
    recorder = recorder_after(logits)
    data = records(np.arange(VOCAB, dtype=np.intc), final)
    recorder.observe_final(data["id"], data["logit"])
    choice = recorder.choice(500)
    assert choice is not None and choice.survivors == 4 and choice.sampled_top == 500
    everything = records(np.arange(VOCAB, dtype=np.intc), logits)
    recorder.observe_final(everything["id"], everything["logit"])
    choice = recorder.choice(int(np.argmax(logits)))
    assert choice is not None and choice.survivors == VOCAB and choice.sampled_probability == 1.0


def test_neutral_penalties_are_not_watched_as_a_stage_that_could_move_the_favourite() -> None:
    assert idle_samplers(Sampling()) == frozenset({"penalties"})
    assert idle_samplers(Sampling(repeat_penalty=1.1)) == frozenset()
    assert idle_samplers(Sampling(presence_penalty=-0.5)) == frozenset()
