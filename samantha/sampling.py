"""Sampling maths the engine owns: tail-free sampling and random hyperparameters.

llama.cpp dropped tail-free sampling (tfs_z) and llama-cpp-python accepts and
ignores it, so Samantha applies it as a logits mask with the original algorithm,
as a step inside llama.cpp's sampler chain after the penalties and a grammar
(see `ChainExtras` in the llama.cpp worker).
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import numpy.typing as npt

from samantha.settings import Sampling

# Ranges for "Random hyperparameters", as in the original program.
RANDOM_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0.1, 1.0),
    "tfs_z": (0.1, 1.0),
    "top_p": (0.1, 1.0),
    "min_p": (0.1, 1.0),
    "typical_p": (0.1, 1.0),
    "presence_penalty": (0.0, 0.3),
    "frequency_penalty": (0.0, 0.3),
    "repeat_penalty": (1.0, 1.2),
}


# One click (or --preset) away: the manual's deterministic defaults, and its "maximum stochastic values",
# where every token-sampling setting lets the others act (temperature 2, every cut-off off, top_k 40).
PRESETS: dict[str, dict[str, float | int]] = {
    "deterministic": {"temperature": 0.0, "tfs_z": 0.0, "top_p": 0.0, "min_p": 1.0, "typical_p": 0.0, "top_k": 40},
    "stochastic": {"temperature": 2.0, "tfs_z": 1.0, "top_p": 1.0, "min_p": 0.0, "typical_p": 1.0, "top_k": 40},
}

# A cut-off at its deterministic value keeps a single token, so every stochastic setting is silenced;
# in the order they run in llama.cpp's sampler chain, so the first one named is the one that cuts.
_SINGLE_TOKEN = {
    "tfs_z": (0.0, "keeps only the most probable token"),
    "top_k": (1, "keeps only the most probable token"),
    "typical_p": (0.0, "keeps a single token (the most typical one, not always the most probable)"),
    "top_p": (0.0, "keeps only the most probable token"),
    "min_p": (1.0, "keeps only the most probable token"),
}


def _number(value: float) -> str:
    return f"{value:g}"


def _active_cutoffs(sampling: Sampling) -> list[str]:
    """Cut-offs the user moved to a stochastic value that would shape the draw (off and defaults left out)."""
    default = Sampling()
    active = []
    for key in ("tfs_z", "top_p", "min_p", "typical_p"):
        value = getattr(sampling, key)
        if 0.0 < value < 1.0 and value != getattr(default, key):
            active.append(f"{key} {_number(value)}")
    if sampling.top_k > 1 and sampling.top_k != default.top_k:
        active.append(f"top_k {sampling.top_k}")
    return active


def ineffective_settings(sampling: Sampling) -> list[str]:
    """Stochastic settings that cannot act because a deterministic one prevails, in words for the user.

    The manual's rule: a token-sampling setting at its deterministic value prevails over every stochastic one,
    so `temperature 0.7` with `min_p 1` gives the same answer for every seed. Nothing is said for the
    defaults (only top_k 40 is stochastic there, and the manual keeps it).
    """
    active = _active_cutoffs(sampling)
    if sampling.temperature == 0:
        if not active:
            return []
        names = _listed(active)
        verb = "has" if len(active) == 1 else "have"
        return [f"{names} {verb} no effect: temperature 0 always picks the most probable token"]
    prevailing = [(key, value, why) for key, (value, why) in _SINGLE_TOKEN.items() if getattr(sampling, key) == value]
    if not prevailing:
        return []
    silenced = [f"temperature {_number(sampling.temperature)}", *active]
    key, value, why = prevailing[0]
    reason = f"{key} {_number(value)} {why}"
    others = [f"{k} {_number(v)}" for k, v, _ in prevailing[1:]]
    if others:
        reason += f" ({_listed(others)} would too)"
    verb = "has" if len(silenced) == 1 else "have"
    advice = f"use the Stochastic preset, or set {_listed([k for k, _, _ in prevailing])} off"
    return [f"{_listed(silenced)} {verb} no effect: {reason}; {advice}"]


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def draw_random_hyperparameters(rng: random.Random) -> dict[str, float]:
    """Draw one set of values in the ranges above, rounded so they can be shown and typed back."""
    return {key: round(rng.uniform(low, high), 2) for key, (low, high) in RANDOM_RANGES.items()}


def format_settings(values: dict[str, Any]) -> str:
    """`{key=value, ...}` in the item-settings syntax, so a shown draw can be pasted back."""
    return "{" + ", ".join(f"{key}={value}" for key, value in values.items()) + "}"


def tfs_is_active(sampling: Sampling) -> bool:
    """Tail-free sampling changes nothing under greedy decoding or with z >= 1."""
    return sampling.temperature > 0 and sampling.tfs_z < 1.0


def tail_free_mask(logits: npt.NDArray[np.floating], z: float, top_k: int, min_keep: int = 1) -> npt.NDArray[np.bool_]:
    """Which tokens survive top-k then tail-free sampling with parameter `z`.

    Follows the original llama.cpp `llama_sample_tail_free`: sort probabilities,
    take the absolute second differences, normalise them, and keep tokens until
    their running sum exceeds z (always at least `min_keep`).
    """
    n = logits.shape[0]
    keep = np.zeros(n, dtype=bool)
    k = n if top_k <= 0 or top_k >= n else top_k
    top = np.argpartition(-logits, k - 1)[:k] if k < n else np.arange(n)
    order = top[np.argsort(-logits[top], kind="stable")]
    if z >= 1.0 or order.size <= 2:
        keep[order] = True
        return keep
    values = logits[order].astype(np.float64)
    probs = np.exp(values - values[0])
    probs /= probs.sum()
    second = np.abs(np.diff(probs, n=2))
    total = second.sum()
    second = second / total if total > 1e-6 else np.full(second.size, 1.0 / second.size)
    cumulative = np.cumsum(second)
    over = np.nonzero((cumulative > z) & (np.arange(second.size) >= min_keep))[0]
    last = int(over[0]) if over.size else order.size
    keep[order[:last]] = True
    return keep


class TailFreeProcessor:
    """Masks the tokens tail-free sampling drops (-inf); called like a llama-cpp-python logits processor."""

    def __init__(self, z: float, top_k: int) -> None:
        self.z = z
        self.top_k = top_k

    def __call__(self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        keep = tail_free_mask(scores, self.z, self.top_k)
        return np.where(keep, scores, np.float32(-np.inf)).astype(np.single, copy=False)
