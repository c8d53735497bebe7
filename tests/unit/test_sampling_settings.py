"""Sampling maths (tail-free sampling, random draws) and settings parsing."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from samantha.sampling import (
    RANDOM_RANGES,
    TailFreeProcessor,
    draw_random_hyperparameters,
    tail_free_mask,
    tfs_is_active,
)
from samantha.settings import ChainSettings, Sampling, SettingsError, apply_settings, coerce_setting, parse_stop


def reference_tail_free(logits: list[float], z: float, min_keep: int = 1) -> int:
    """A line-by-line port of the original llama.cpp `llama_sample_tail_free`; returns how many tokens stay."""
    probs = sorted((float(np.exp(v)) for v in logits), reverse=True)
    total = sum(probs)
    probs = [p / total for p in probs]
    if z >= 1.0 or len(probs) <= 2:
        return len(probs)
    first = [probs[i] - probs[i + 1] for i in range(len(probs) - 1)]
    second = [abs(first[i] - first[i + 1]) for i in range(len(first) - 1)]
    s = sum(second)
    second = [x / s for x in second] if s > 1e-6 else [1.0 / len(second)] * len(second)
    cum = 0.0
    last = len(probs)
    for i, x in enumerate(second):
        cum += x
        if cum > z and i >= min_keep:
            last = i
            break
    return last


@pytest.mark.parametrize("z", [0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 1.0])
@pytest.mark.parametrize("seed", range(5))
def test_tail_free_matches_original_algorithm(z: float, seed: int) -> None:
    logits = np.random.default_rng(seed).normal(0, 3, 50).astype(np.float32)
    keep = tail_free_mask(logits, z, top_k=0)
    assert keep.sum() == reference_tail_free(list(logits), z)
    kept = np.sort(logits[keep])
    dropped = logits[~keep]
    assert dropped.size == 0 or kept.min() >= dropped.max(), "keeps the most likely tokens"


def test_tail_free_works_within_top_k() -> None:
    logits = np.random.default_rng(1).normal(0, 3, 1000).astype(np.float32)
    keep = tail_free_mask(logits, 0.95, top_k=40)
    top40 = np.sort(logits)[-40:]
    assert keep.sum() == reference_tail_free(list(top40), 0.95)


def test_processor_masks_to_minus_infinity() -> None:
    logits = np.array([5.0, 4.9, 1.0, 0.5, 0.1, -3.0], dtype=np.float32)
    out = TailFreeProcessor(0.3, 40)(np.array([], dtype=np.intc), logits)
    assert np.isfinite(out[:1]).all() and np.isneginf(out).any()
    assert out.dtype == np.float32


def test_tfs_only_active_when_it_can_change_the_choice() -> None:
    assert not tfs_is_active(Sampling())  # greedy defaults
    assert tfs_is_active(Sampling(temperature=0.7, tfs_z=0.9))
    assert not tfs_is_active(Sampling(temperature=0.7, tfs_z=1.0))


def test_random_draws_cover_all_keys_within_ranges() -> None:
    rng = random.Random(5)
    for _ in range(200):
        drawn = draw_random_hyperparameters(rng)
        assert set(drawn) == set(RANDOM_RANGES)
        for key, (low, high) in RANDOM_RANGES.items():
            assert low <= drawn[key] <= high


@pytest.mark.parametrize(
    "text, expected",
    [
        ('["$$$", ".", ".\\n"]', ("$$$", ".", ".\n")),
        ("['a', 'b']", ("a", "b")),
        ("'###'", ("###",)),
        ("", ()),
        ("[]", ()),
    ],
)
def test_parse_stop(text: str, expected: tuple) -> None:
    assert parse_stop(text) == expected


@pytest.mark.parametrize("text", ["[1, 2]", "__import__('os')", "[a, b]", "{'a': 1}", "[" * 5000 + "]" * 5000,
                                  "[" * 5000])
def test_parse_stop_rejects_non_string_lists(text: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_stop(text)
    assert "stop must be a list of strings" in str(caught.value) and len(str(caught.value)) < 300


def test_coerce_setting() -> None:
    assert coerce_setting("top_k", "40") == 40
    assert coerce_setting("temperature", "0.5") == 0.5
    assert coerce_setting("seed", "random") is None
    assert coerce_setting("reset_model", "yes") is True
    for key, value in [("top_k", "-1"), ("temperature", "nan"), ("min_p", "1.5"), ("n_ctx", "1.5"), ("nope", "1")]:
        with pytest.raises(SettingsError):
            coerce_setting(key, value)


def test_defaults_are_the_originals_deterministic_ones() -> None:
    s = Sampling()
    assert (s.n_ctx, s.max_tokens, s.temperature, s.tfs_z, s.top_p, s.min_p, s.typical_p, s.top_k) == (
        4000, 4000, 0.0, 0.0, 0.0, 1.0, 0.0, 40)
    assert (s.presence_penalty, s.frequency_penalty, s.repeat_penalty, s.stop) == (0.0, 0.0, 1.0, ())
    assert apply_settings(s, {"top_k": "5"}).top_k == 5


def test_chain_settings_validate() -> None:
    with pytest.raises(SettingsError):
        ChainSettings(responses=0)
    with pytest.raises(SettingsError):
        ChainSettings(prompt_format="alpaca")
    assert ChainSettings(models=("a",)).to_dict()["models"] == ["a"]


def test_the_tfs_z_help_text_says_what_the_values_do() -> None:
    """The slider's help names the value that turns tail-free sampling off and the one that is deterministic."""
    from samantha.settings import SAMPLING_SETTINGS

    help_text = next(entry.help for entry in SAMPLING_SETTINGS if entry.name == "tfs_z")
    off = float(re.search(r"([\d.]+) = off", help_text).group(1))
    deterministic = float(re.search(r"([\d.]+) = deterministic", help_text).group(1))
    assert not tfs_is_active(Sampling(temperature=1.0, tfs_z=off))
    logits = np.linspace(3.0, -3.0, 50).astype(np.float32)
    assert tail_free_mask(logits, deterministic, top_k=40).sum() == 1


def test_an_n_ctx_beyond_any_model_is_refused_before_llama_cpp_grinds_on_it() -> None:
    with pytest.raises(SettingsError, match="n_ctx"):
        apply_settings(Sampling(), {"n_ctx": str(10**9)})
    assert apply_settings(Sampling(), {"n_ctx": "1048576"}).n_ctx == 1048576  # a 1M-token model is fine


def test_a_context_that_does_not_fit_is_not_blamed_on_the_file(tmp_path) -> None:
    from samantha.backends.llama_process import _load_failure

    model = tmp_path / "fine.gguf"
    message = _load_failure(model, "Failed to create llama_context", 10_000_000)
    assert "n_ctx 10000000" in message and "lower n_ctx" in message and "damaged" not in message
