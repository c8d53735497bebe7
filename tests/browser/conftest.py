"""Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against the real app.

The app runs in this process on a free 127.0.0.1 port with real llama.cpp and
tiny generated models; each test opens fresh tabs (fresh sessions).
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ui_pages import CHROMIUM, WAIT_MS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is absent: install Debian's chromium package to run browser tests")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningApp:
    url: str
    models: Path
    prompts: Path
    config_dir: Path
    config: Any  # the ConfigStore the app reads


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
    from samantha.app import build_app, serve
    from samantha.backends.llama_process import LlamaProcessBackend
    from samantha.config import ConfigStore
    from samantha.model_host import ModelHost
    from samantha.prompt_collections import default_prompts_dir

    prompts = tmp_path_factory.mktemp("prompts")
    for item in default_prompts_dir().glob("*.txt"):
        shutil.copy(item, prompts / item.name)
    config_dir = tmp_path_factory.mktemp("config")
    host = ModelHost(LlamaProcessBackend)
    config = ConfigStore(config_dir)
    demo = build_app(host=host, config=config, models_dir=ui_models, prompts_dir=prompts,
                     files_dir=tmp_path_factory.mktemp("files"))
    url = serve(demo, port=free_port(), block=False, quiet=True)
    try:
        yield RunningApp(url, ui_models, prompts, config_dir, config)
    finally:
        demo.close()
        host.close()


@pytest.fixture
def open_tab(browser, running_app: RunningApp) -> Iterator[Callable[[], object]]:  # type: ignore[no-untyped-def]
    """Opens the app in a new tab (its own session) and waits until the page has loaded its settings."""
    contexts = []
    # Every test starts from the same remembered settings, whatever the last one changed.
    running_app.config.update(models_dir=str(running_app.models.resolve()), include_subfolders=False,
                              click_sounds=True)

    def opener():  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=running_app.url.rstrip("/"))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(running_app.url)
        page.wait_for_selector("#start-button")
        page.wait_for_function(
            "() => document.querySelector('#models-dir textarea, #models-dir input')?.value.length > 0"
        )
        return page

    yield opener
    for context in contexts:
        context.close()


@pytest.fixture
def feature_tab(browser, app):  # type: ignore[no-untyped-def]
    """Tabs on the feature app that the requesting test module starts as its own `app` fixture."""
    from feature_app import tab_opener

    contexts: list[object] = []
    yield tab_opener(browser, app, contexts)
    for context in contexts:
        context.close()  # type: ignore[attr-defined]
