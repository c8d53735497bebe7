"""Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against the real app.

The app runs in this process on a free 127.0.0.1 port with real llama.cpp and
tiny generated models; each test opens fresh tabs (fresh sessions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from feature_app import tab_opener
from ui_pages import CHROMIUM

from tests.support.app_server import RunningApp, serve_app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is absent: install Debian's chromium package to run browser tests")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def ui_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from samantha.tinymodel import write_tiny_gguf

    folder = tmp_path_factory.mktemp("browser-models")
    tiny = write_tiny_gguf(folder / "tiny-chatml.gguf", seed=1, name="tiny-chatml")
    write_tiny_gguf(folder / "tiny-other.gguf", seed=2, name="tiny-other")
    write_tiny_gguf(folder / "long-context.gguf", seed=1, name="long", context_length=65536)
    data = tiny.read_bytes()
    (folder / "broken.gguf").write_bytes(data[: len(data) // 3])
    return folder


@pytest.fixture(scope="session")
def running_app(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app with no feature tabs, shared by the tests that use `open_tab`."""
    with serve_app(ui_models, tmp_path_factory.mktemp("running-app")) as running:
        yield running


@pytest.fixture
def open_tab(browser, running_app: RunningApp) -> Iterator[Callable[[], object]]:  # type: ignore[no-untyped-def]
    """Opens the app in a new tab (its own session) and waits until the page has loaded its settings."""
    contexts: list[object] = []
    yield tab_opener(browser, running_app, contexts, click_sounds=True)
    for context in contexts:
        context.close()  # type: ignore[attr-defined]


@pytest.fixture
def feature_tab(browser, app):  # type: ignore[no-untyped-def]
    """Tabs on the feature app that the requesting test module starts as its own `app` fixture."""
    contexts: list[object] = []
    yield tab_opener(browser, app, contexts)
    for context in contexts:
        context.close()  # type: ignore[attr-defined]
