"""Learning mode: how each token is chosen, from the raw logits of every step.

`CandidateRecorder` is a llama-cpp-python logits processor placed first in the
sampler chain, so it sees the model's raw logits for the current step only:
memory stays flat whatever n_ctx is (no `logits_all`). The backend also shows it
the token list just before llama.cpp's final pick (`observe_final`): what the
penalties, a grammar, top-k/typical/top-p/min-p and temperature left, so each
step also says how probable the pick was after the samplers and why it was chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

# How many candidates a step shows at most, whatever top_k is.
MAX_DISPLAY_CANDIDATES = 50
CANDIDATES_WHEN_TOP_K_OFF = 10


def display_candidates(top_k: int) -> int:
    """k for display: the top_k setting, capped so the view stays readable."""
    return min(top_k, MAX_DISPLAY_CANDIDATES) if top_k > 0 else CANDIDATES_WHEN_TOP_K_OFF


# Why a token was picked (TokenChoice.why).
WHY_TOP = "top"  # the most probable token, before and after the samplers
WHY_SETTINGS = "settings"  # a sampler (penalty, grammar, typical_p, ...) cut or lowered the most probable token
WHY_DRAW = "draw"  # temperature sampling drew a token that was not the most probable survivor
WHY_UNKNOWN = "unknown"  # not the most probable, and the source cannot say why (a remote server)


@dataclass(frozen=True)
class Candidate:
    token_id: int
    text: str
    logit: float
    probability: float  # softmax of the raw logits over the whole vocabulary
    sampled_probability: float | None = None  # after the samplers (0 = cut); None = not known


@dataclass(frozen=True)
class TokenChoice:
    """One generation step: the candidates and which token was picked."""

    token_id: int
    text: str
    rank: int  # 1 = the most probable token under the raw logits
    logit: float
    probability: float
    candidates: tuple[Candidate, ...]
    sampled_probability: float | None = None  # the pick's chance in the distribution it was drawn from
    survivors: int | None = None  # how many tokens the samplers left in the running
    sampled_top: int | None = None  # the most probable token after the samplers
    moved_by: str | None = None  # the setting that first cut or lowered the raw favourite ("typical_p", "a penalty")
    moved_how: str = ""  # "cut" (it left the running) or "lowered" (another token became the most probable)
    greedy: bool = False  # temperature 0: the pick is the most probable of the survivors, nothing is drawn

    @property
    def unlikely(self) -> bool:
        """The pick was not the most probable token (sampling or a grammar chose otherwise)."""
        return self.rank > 1

    @property
    def why(self) -> str:
        """How the pick came about: the raw favourite, moved by settings, or a random draw."""
        if self.sampled_top is not None and self.sampled_top != self.token_id:
            return WHY_DRAW
        if self.rank == 1:
            return WHY_TOP
        return WHY_SETTINGS if self.sampled_top is not None else WHY_UNKNOWN

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenChoice:
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
    """Keeps the top-k of the latest step's raw logits; `choice(token)` describes the pick.

    `greedy` says the final pick is the arg-max of what the samplers left (temperature 0),
    not a random draw from it.
    """

    def __init__(self, k: int, piece: Callable[[int], str], greedy: bool = False) -> None:
        self.k = k
        self.piece = piece
        self.greedy = greedy
        self._logits: npt.NDArray[np.float32] | None = None
        self._final: tuple[npt.NDArray[np.intc], npt.NDArray[np.float32], int] | None = None
        self._weights: npt.NDArray[np.float32] | None = None
        self._favourite = -1
        self._moved: tuple[str, str] | None = None

    def __call__(self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        if self._logits is None or self._logits.shape != scores.shape:
            self._logits = np.empty(scores.shape, dtype=np.float32)
        self._logits[:] = scores  # one copy into a buffer kept from step to step
        self._final = None
        self._favourite = int(np.argmax(self._logits))  # the raw favourite (ties: the lowest id, as in `choice`)
        self._moved = None
        return scores

    def observe_stage(self, setting: str, ids: npt.NDArray[np.intc], logits: npt.NDArray[np.single]) -> None:
        """After one sampler: note the first setting that cut the raw favourite or made another token more probable."""
        if self._moved is not None or self._favourite < 0:
            return
        where = np.flatnonzero(ids == self._favourite)
        if where.size == 0 or not np.isfinite(logits[where[0]]):
            self._moved = (setting, "cut")
        elif logits[where[0]] < np.max(logits):
            self._moved = (setting, "lowered")

    def observe_final(self, ids: npt.NDArray[np.intc], logits: npt.NDArray[np.single]) -> None:
        """The token ids and logits just before the final pick (after every other sampler).

        Only what `choice` needs is kept: under greedy decoding the tied best ids and how
        many tokens were left (no copy of a whole vocabulary per token); otherwise the survivors.
        """
        finite = np.isfinite(logits)
        left = int(np.count_nonzero(finite))
        if left == 0:
            self._final = None
        elif self.greedy:
            best = logits[finite].max()
            self._final = (np.array(ids[logits == best], dtype=np.intc), np.zeros(0, dtype=np.float32), left)
        else:
            self._final = (np.array(ids[finite], dtype=np.intc), np.array(logits[finite], dtype=np.float32), left)

    def _sampled(self, token_id: int) -> tuple[dict[int, float], int, int] | None:
        """Probabilities after the samplers (only tokens still in the running), their count, and the top."""
        if self._final is None:
            return None
        ids, logits, left = self._final
        if self.greedy:  # ids holds the tied best tokens; llama.cpp took one of them
            top = token_id if token_id in ids else int(ids.min())
            return {top: 1.0}, left, top
        best = float(logits.max())
        tied = ids[logits == best]
        top = token_id if token_id in tied else int(tied.min())
        weights = np.exp((logits - best).astype(np.float64))
        weights /= weights.sum()
        return dict(zip(ids.tolist(), weights.tolist())), left, top

    def _softmax_weights(self, logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """exp(logit - max) for the whole vocabulary, in a buffer reused from step to step.

        float32 keeps this cheap on 262k-token vocabularies (numpy's float64 exp is ~20x slower
        here); the sum is taken in float64, so the probabilities shown stay exact to display precision.
        """
        if self._weights is None or self._weights.shape != logits.shape:
            self._weights = np.empty_like(logits, dtype=np.float32)
        np.subtract(logits, logits.max(), out=self._weights)
        return np.exp(self._weights, out=self._weights)

    def choice(self, token_id: int) -> TokenChoice | None:
        logits = self._logits
        if logits is None or not 0 <= token_id < logits.shape[0]:
            return None
        size = logits.shape[0]
        k = min(self.k, size)
        top = np.argpartition(logits, size - k)[size - k:]
        top = top[np.lexsort((top, -logits[top]))]  # by logit, ties by id: a stable, checkable order
        weights = self._softmax_weights(logits)
        total = float(weights.sum(dtype=np.float64))
        chosen_logit = float(logits[token_id])
        rank = 1 + int(np.count_nonzero(logits > chosen_logit))
        sampled = self._sampled(token_id)
        after = sampled[0] if sampled else None
        candidates = tuple(
            Candidate(int(i), self.piece(int(i)), float(logits[i]), float(weights[i] / total),
                      after.get(int(i), 0.0) if after is not None else None)
            for i in top
        )
        return TokenChoice(
            token_id, self.piece(token_id), rank, chosen_logit, float(weights[token_id] / total), candidates,
            sampled_probability=after.get(token_id, 0.0) if after is not None else None,
            survivors=sampled[1] if sampled else None,
            sampled_top=sampled[2] if sampled else None,
            moved_by=self._moved[0] if self._moved else None,
            moved_how=self._moved[1] if self._moved else "",
            greedy=self.greedy and sampled is not None,
        )


def why_text(choice: TokenChoice) -> str:
    """In words, why this token was picked (what the samplers did to the raw favourite)."""
    if choice.why == WHY_TOP:
        return "the most probable token"
    if choice.why == WHY_SETTINGS:
        if choice.moved_by == "the grammar" and choice.moved_how == "cut":
            return "the grammar forbids the most probable token"
        if choice.moved_by and choice.moved_how == "cut":
            return f"{choice.moved_by} cut the most probable token"
        if choice.moved_by:
            return f"{choice.moved_by} made another token the most probable"
        return "penalties or a grammar changed the most probable token"
    if choice.why == WHY_DRAW:
        return f"drawn at random among {choice.survivors} tokens left by the samplers"
    return "not the most probable token"


def unlikely_picks(choices: list[TokenChoice]) -> list[tuple[int, TokenChoice]]:
    """(position in the answer, choice) for every pick that was not the most probable token."""
    return [(position, choice) for position, choice in enumerate(choices, start=1) if choice.unlikely]
