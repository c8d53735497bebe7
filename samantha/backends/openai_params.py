"""Samantha's sampling settings as an OpenAI-compatible request body, and what a server leaves out.

The OpenAI API has temperature, top_p, penalties, seed, stop and max_tokens; the
llama.cpp-family servers take top_k, min_p, typical_p, repeat_penalty and a GBNF
grammar as extra fields; OpenAI itself rejects unknown fields. Which server it is
comes from `owned_by` in its /v1/models answer. Decoding is greedy exactly when it
is greedy in the local llama.cpp sampler chain, so a remote model given the same
settings decodes the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from samantha.sampling import tfs_is_active
from samantha.settings import Sampling

# OpenAI caps top_logprobs at 20 (chat) and logprobs at 5 (completions); vLLM's default cap is 20 too.
MAX_TOP_LOGPROBS = 20


@dataclass(frozen=True)
class ServerKind:
    """What one family of servers takes beyond the OpenAI fields."""

    name: str
    extras: frozenset[str]  # Samantha setting names it honours beyond the OpenAI API
    grammar: bool  # takes a GBNF `grammar` field
    renames: tuple[tuple[str, str], ...] = ()  # (Samantha name, the server's field name)
    max_completion_logprobs: int = MAX_TOP_LOGPROBS

    def field(self, key: str) -> str:
        return dict(self.renames).get(key, key)


_LLAMA_EXTRAS = frozenset({"top_k", "min_p", "typical_p", "repeat_penalty"})
LLAMA_SERVER = ServerKind("llama.cpp server", _LLAMA_EXTRAS, grammar=True)
LLAMA_CPP_PYTHON = ServerKind("llama-cpp-python server", _LLAMA_EXTRAS - {"typical_p"}, grammar=True)
VLLM = ServerKind("vLLM", frozenset({"top_k", "min_p", "repeat_penalty"}), grammar=False,
                  renames=(("repeat_penalty", "repetition_penalty"),))
OLLAMA = ServerKind("Ollama", frozenset(), grammar=False)
OPENAI = ServerKind("OpenAI", frozenset(), grammar=False, max_completion_logprobs=5)
# An unknown server gets the llama.cpp names: the local servers ignore fields they do not know.
UNKNOWN = ServerKind("OpenAI-compatible server", _LLAMA_EXTRAS, grammar=True)

_BY_OWNER = {
    "llamacpp": LLAMA_SERVER,
    "me": LLAMA_CPP_PYTHON,
    "vllm": VLLM,
    "library": OLLAMA,
    "ollama": OLLAMA,
    "openai": OPENAI,
    "system": OPENAI,
    "openai-internal": OPENAI,
}


def server_kind(owners: Iterable[str]) -> ServerKind:
    """The server family from the `owned_by` values of its /v1/models entries."""
    for owner in owners:
        kind = _BY_OWNER.get(str(owner).strip().lower())
        if kind is not None:
            return kind
    return UNKNOWN


def is_greedy(s: Sampling) -> bool:
    """Greedy under the local sampler chain: any of these leaves only the most likely token."""
    return s.temperature <= 0 or s.top_p <= 0 or s.min_p >= 1 or s.typical_p <= 0 or s.top_k == 1


def _active_extras(s: Sampling, greedy: bool) -> dict[str, Any]:
    """Non-OpenAI settings that change the answer with these values."""
    active: dict[str, Any] = {}
    if not greedy:
        if s.top_k > 1:
            active["top_k"] = s.top_k
        if 0 < s.min_p < 1:
            active["min_p"] = s.min_p
        if 0 < s.typical_p < 1:
            active["typical_p"] = s.typical_p
    if s.repeat_penalty != 1.0:
        active["repeat_penalty"] = s.repeat_penalty
    return active


@dataclass(frozen=True)
class MappedSampling:
    """The request fields for one answer, and the settings the server will not honour."""

    fields: dict[str, Any]
    ignored: tuple[str, ...]  # e.g. ("tfs_z=0.9", "grammar")


def map_sampling(
    s: Sampling,
    seed: int,
    kind: ServerKind,
    *,
    chat: bool,
    grammar: str | None = None,
    candidates: int = 0,
) -> MappedSampling:
    """Request fields for `s` on a server of `kind`, for /chat/completions (`chat`) or /completions."""
    greedy = is_greedy(s)
    fields: dict[str, Any] = {"temperature": 0.0 if greedy else s.temperature, "seed": seed}
    if not greedy and s.top_p < 1:
        fields["top_p"] = s.top_p
    if s.presence_penalty:
        fields["presence_penalty"] = s.presence_penalty
    if s.frequency_penalty:
        fields["frequency_penalty"] = s.frequency_penalty
    if s.stop:
        fields["stop"] = list(s.stop)
    if s.max_tokens > 0:
        fields["max_tokens"] = s.max_tokens
    elif not chat:
        fields["max_tokens"] = None  # /completions stops after 16 tokens unless told "no limit"
    ignored: list[str] = []
    if tfs_is_active(s) and not greedy:
        ignored.append(f"tfs_z={s.tfs_z:g}")  # no server takes tail-free sampling any more
    # Extras a server takes are always sent: its defaults (min_p 0.05, repeat_penalty 1.1, ...) are not Samantha's.
    sent = {"repeat_penalty": s.repeat_penalty}
    if not greedy:
        sent.update(top_k=s.top_k, min_p=s.min_p, typical_p=s.typical_p)
    for key, value in sent.items():
        if key in kind.extras:
            fields[kind.field(key)] = value
    for key, value in _active_extras(s, greedy).items():
        if key not in kind.extras:
            ignored.append(f"{key}={value:g}")
    if greedy and "top_k" in kind.extras:
        fields["top_k"] = 1  # the same single candidate the local sampler keeps
    if grammar:
        if kind.grammar:
            fields["grammar"] = grammar
        else:
            ignored.append("grammar")
    if candidates > 0:
        if chat:
            fields["logprobs"] = True
            fields["top_logprobs"] = min(candidates, MAX_TOP_LOGPROBS)
        else:
            fields["logprobs"] = min(candidates, kind.max_completion_logprobs)
    return MappedSampling(fields, tuple(ignored))
