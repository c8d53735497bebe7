"""Learning mode (SPEC §4): how each token is chosen, from the raw logits of every step.

`CandidateRecorder` is a llama-cpp-python logits processor placed first in the
sampler chain, so it sees the model's raw logits for the current step only:
memory stays flat whatever n_ctx is (no `logits_all`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import numpy.typing as npt

# How many candidates a step shows at most, whatever top_k is.
MAX_DISPLAY_CANDIDATES = 50
CANDIDATES_WHEN_TOP_K_OFF = 10


def display_candidates(top_k: int) -> int:
    """k for display: the top_k setting, capped so the view stays readable."""
    return min(top_k, MAX_DISPLAY_CANDIDATES) if top_k > 0 else CANDIDATES_WHEN_TOP_K_OFF


@dataclass(frozen=True)
class Candidate:
    token_id: int
    text: str
    logit: float
    probability: float  # softmax of the raw logits over the whole vocabulary


@dataclass(frozen=True)
class TokenChoice:
    """One generation step: the candidates and which token was picked."""

    token_id: int
    text: str
    rank: int  # 1 = the most probable token under the raw logits
    logit: float
    probability: float
    candidates: tuple[Candidate, ...]

    @property
    def unlikely(self) -> bool:
        """The pick was not the most probable token (sampling or a grammar chose otherwise)."""
        return self.rank > 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TokenChoice":
        return cls(**{**data, "candidates": tuple(Candidate(**c) for c in data["candidates"])})


def escape_piece(text: str) -> str:
    """Token text with whitespace and control bytes visible (`\\n`, `\\t`, `·` for a space)."""
    out = []
    for char in text:
        if char == " ":
            out.append("·")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


class CandidateRecorder:
    """Keeps the top-k of the latest step's raw logits; `choice(token)` describes the pick."""

    def __init__(self, k: int, piece: Callable[[int], str]) -> None:
        self.k = k
        self.piece = piece
        self._logits: npt.NDArray[np.float32] | None = None

    def __call__(self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        self._logits = np.array(scores, dtype=np.float32, copy=True)
        return scores

    def choice(self, token_id: int) -> TokenChoice | None:
        logits = self._logits
        if logits is None or not 0 <= token_id < logits.shape[0]:
            return None
        k = min(self.k, logits.shape[0])
        top = np.argpartition(-logits, k - 1)[:k]
        top = top[np.lexsort((top, -logits[top]))]  # by logit, ties by id: a stable, checkable order
        shift = float(logits.max())
        weights = np.exp((logits - shift).astype(np.float64))
        total = float(weights.sum())
        chosen_logit = float(logits[token_id])
        rank = 1 + int(np.count_nonzero(logits > chosen_logit))
        candidates = tuple(
            Candidate(int(i), self.piece(int(i)), float(logits[i]), float(weights[i] / total)) for i in top
        )
        return TokenChoice(token_id, self.piece(token_id), rank, chosen_logit, float(weights[token_id] / total), candidates)


def unlikely_picks(choices: list[TokenChoice]) -> list[tuple[int, TokenChoice]]:
    """(position in the answer, choice) for every pick that was not the most probable token."""
    return [(position, choice) for position, choice in enumerate(choices, start=1) if choice.unlikely]
