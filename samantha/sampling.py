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

# SPEC §3: ranges for "Random hyperparameters".
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


def draw_random_hyperparameters(rng: random.Random) -> dict[str, float]:
    """Draw one set of values in the SPEC ranges, rounded so they can be shown and typed back."""
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
