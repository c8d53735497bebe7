"""Shared fixtures: real GGUF files written at test time, and the real llama.cpp backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def history_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every run the tests make (UI and `samantha run` subprocesses) is recorded here, never in the user's folder."""
    import os

    folder = tmp_path_factory.mktemp("samantha-data")
    previous = os.environ.get("SAMANTHA_DATA_DIR")
    os.environ["SAMANTHA_DATA_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("SAMANTHA_DATA_DIR", None)
    else:
        os.environ["SAMANTHA_DATA_DIR"] = previous


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def tiny_model(model_dir: Path) -> Path:
    """A 2-layer llama model with a ChatML template; loads in real llama.cpp in well under a second."""
    from samantha.tinymodel import write_tiny_gguf

    return write_tiny_gguf(model_dir / "tiny-chatml.gguf", seed=1, name="tiny-chatml")


@pytest.fixture(scope="session")
def tiny_model_b(model_dir: Path) -> Path:
    """A second tiny model with other weights, for chains of two models."""
    from samantha.tinymodel import write_tiny_gguf

    return write_tiny_gguf(model_dir / "tiny-other.gguf", seed=2, name="tiny-other")


@pytest.fixture(scope="session")
def gemma_like_model(model_dir: Path) -> Path:
    """A tiny model whose chat template rejects a system role, like Gemma's."""
    from samantha.tinymodel import GEMMA_LIKE_TEMPLATE, write_tiny_gguf

    return write_tiny_gguf(model_dir / "tiny-gemma-like.gguf", seed=3, chat_template=GEMMA_LIKE_TEMPLATE,
                           eos_token="<end_of_turn>", name="gemma-like")


@pytest.fixture(scope="session")
def broken_model(model_dir: Path, tiny_model: Path) -> Path:
    """Starts like a GGUF file but is cut short: llama.cpp must refuse it, not take the app down."""
    path = model_dir / "broken.gguf"
    data = tiny_model.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


@pytest.fixture
def llama_backend() -> Iterator[LlamaProcessBackend]:  # noqa: F821
    from samantha.backends.llama_process import LlamaProcessBackend

    backend = LlamaProcessBackend()
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for every browser test of the run (browser/ and real/): Playwright's sync API
    cannot be started twice in one process."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "browser"))
    from ui_pages import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
