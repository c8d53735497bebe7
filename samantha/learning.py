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
from dataclasses import dataclass
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
        """What `asdict` gives, built directly: learning mode sends one per token, and `asdict`'s deep copy
        of fifty candidates cost about a millisecond each time."""
        data = dict(self.__dict__)
        data["candidates"] = tuple(dict(candidate.__dict__) for candidate in self.candidates)
        return data

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


# Vocabularies at least this large find their top-k through a sample of the row (see `_top_ids`).
SAMPLED_TOP_K_FROM = 4096
TOP_K_SAMPLE_STRIDE = 16


class CandidateRecorder:
    """Keeps the top-k of the latest step's raw logits; `choice(token)` describes the pick.

    `greedy` says the final pick is the arg-max of what the samplers left (temperature 0),
    not a random draw from it. Every step costs a few passes over the vocabulary, never a
    full sort: on a 262k vocabulary a sort or an extra copy per sampler shows as a slower answer.
    """

    def __init__(self, k: int, piece: Callable[[int], str], greedy: bool = False) -> None:
        self.k = k
        self.piece = piece
        self.greedy = greedy
        self._logits: npt.NDArray[np.float32] | None = None
        self._final: tuple[npt.NDArray[np.intc], npt.NDArray[np.float32], int] | None = None
        self._weights: npt.NDArray[np.float32] | None = None
        self._values: npt.NDArray[np.float32] | None = None  # the final view's logits, made contiguous
        self._favourite = -1
        self._position = -1  # where the favourite was in the sampler's token list last time it was seen
        self._moved: tuple[str, str] | None = None
        self._texts: dict[int, str] = {}  # token texts already asked for: the same candidates recur step after step

    def __call__(self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        if self._logits is None or self._logits.shape != scores.shape:
            self._logits = np.empty(scores.shape, dtype=np.float32)
        self._logits[:] = scores  # one copy into a buffer kept from step to step
        self._final = None
        self._favourite = int(np.argmax(self._logits))  # the raw favourite (ties: the lowest id, as in `choice`)
        self._position = self._favourite  # llama.cpp hands the first sampler the vocabulary in id order
        self._moved = None
        return scores

    def observe_stage(self, setting: str, ids: npt.NDArray[np.intc], logits: npt.NDArray[np.single]) -> None:
        """After one sampler: note the first setting that cut the raw favourite or made another token more probable."""
        if self._moved is not None or self._favourite < 0:
            return
        position = self._position
        if not (0 <= position < ids.shape[0] and ids[position] == self._favourite):  # a sampler reordered the list
            where = np.flatnonzero(ids == self._favourite)
            if where.size == 0:
                self._moved = (setting, "cut")
                return
            position = self._position = int(where[0])
        value = logits[position]
        if not np.isfinite(value):
            self._moved = (setting, "cut")
        elif value < np.max(logits):
            self._moved = (setting, "lowered")

    def observe_final(self, ids: npt.NDArray[np.intc], logits: npt.NDArray[np.single]) -> None:
        """The token ids and logits just before the final pick (after every other sampler).

        Only what `choice` needs is kept: under greedy decoding the tied best ids and how
        many tokens were left (no copy of a whole vocabulary per token); otherwise the survivors.
        """
        size = logits.shape[0]
        if self._values is None or self._values.shape[0] < size:
            self._values = np.empty(size, dtype=np.float32)
        values = self._values[:size]
        np.copyto(values, logits)  # llama.cpp's records interleave ids and logits: contiguous passes are faster
        best = values.max() if size else np.float32(-np.inf)
        if np.isfinite(best) and np.isfinite(values.min()):  # no sampler cut anything (the usual case)
            left, finite = size, None
        else:
            finite = np.isfinite(values)
            left = int(np.count_nonzero(finite))
            if left:
                best = values[finite].max()
        if left == 0:
            self._final = None
        elif self.greedy:
            self._final = (np.array(ids[np.flatnonzero(values == best)], dtype=np.intc), np.zeros(0, dtype=np.float32), left)
        elif finite is None:
            self._final = (np.array(ids, dtype=np.intc), values.copy(), left)
        else:
            self._final = (np.array(ids[finite], dtype=np.intc), values[finite], left)

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
        np.subtract(logits, logits[self._favourite], out=self._weights)
        return np.exp(self._weights, out=self._weights)

    def _text(self, token_id: int) -> str:
        text = self._texts.get(token_id)
        if text is None:
            text = self._texts[token_id] = self.piece(token_id)
        return text

    def choice(self, token_id: int) -> TokenChoice | None:
        logits = self._logits
        if logits is None or not 0 <= token_id < logits.shape[0]:
            return None
        top = _top_ids(logits, min(self.k, logits.shape[0]))
        weights = self._softmax_weights(logits)
        total = float(weights.sum(dtype=np.float64))
        chosen_logit = float(logits[token_id])
        rank = 1 + int(np.count_nonzero(logits > chosen_logit))
        sampled = self._sampled(token_id)
        after = sampled[0] if sampled else None
        candidates = tuple(
            Candidate(i, self._text(i), float(logits[i]), float(weights[i] / total),
                      after.get(i, 0.0) if after is not None else None)
            for i in top.tolist()
        )
        return TokenChoice(
            token_id, self._text(token_id), rank, chosen_logit, float(weights[token_id] / total), candidates,
            sampled_probability=after.get(token_id, 0.0) if after is not None else None,
            survivors=sampled[1] if sampled else None,
            sampled_top=sampled[2] if sampled else None,
            moved_by=self._moved[0] if self._moved else None,
            moved_how=self._moved[1] if self._moved else "",
            greedy=self.greedy and sampled is not None,
        )


def _top_ids(logits: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
    """The k highest logits' ids, by logit then id (a stable, checkable order), without sorting the row.

    On a large vocabulary the k-th highest logit of every 16th token is a floor that at least k
    tokens of the whole row reach, and only a few hundred pass it: they are sorted instead of the row.
    """
    size = logits.shape[0]
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    if size >= SAMPLED_TOP_K_FROM and size >= TOP_K_SAMPLE_STRIDE * k:
        sample = logits[::TOP_K_SAMPLE_STRIDE]
        floor = np.partition(sample, sample.size - k)[sample.size - k]
    else:
        floor = np.partition(logits, size - k)[size - k]
    pool = np.flatnonzero(logits >= floor)  # every token tied with the k-th too, so ties go by id
    return pool[np.lexsort((pool, -logits[pool]))[:k]]


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
