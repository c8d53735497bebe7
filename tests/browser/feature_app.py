"""The real app with feature panels (downloads, code, learning) on a free 127.0.0.1 port, and tabs on it.

Each browser test module starts one app with the plugins it needs and opens a
fresh browser tab (a fresh session) per test, like conftest's `open_tab`.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ui_pages import WAIT_MS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FeatureApp:
    url: str
    models: Path
    config: Any  # the ConfigStore the app reads
    plugins: Sequence[Any]


@contextlib.contextmanager
def serve_app(models: Path, work: Path, plugins: Sequence[Any]) -> Iterator[FeatureApp]:
    """Start the app with `plugins` and real llama.cpp; `work` holds its config, prompts and files."""
    from samantha.app import build_app, serve
    from samantha.backends.llama_process import LlamaProcessBackend
    from samantha.config import ConfigStore
    from samantha.model_host import ModelHost
    from samantha.prompt_collections import default_prompts_dir

    prompts = work / "prompts"
    prompts.mkdir(parents=True, exist_ok=True)
    for item in default_prompts_dir().glob("*.txt"):
        shutil.copy(item, prompts / item.name)
    config = ConfigStore(work / "config")
    host = ModelHost(LlamaProcessBackend)
    demo = build_app(host=host, config=config, models_dir=models, prompts_dir=prompts, files_dir=work / "files",
                     plugins=plugins)
    url = serve(demo, port=free_port(), block=False, quiet=True)
    try:
        yield FeatureApp(url, models, config, plugins)
    finally:
        demo.close()
        host.close()


def tab_opener(browser: Any, app: FeatureApp, contexts: list[Any]) -> Callable[..., Any]:
    """A function that opens the app in a new browser context (its own session) once the page has loaded.

    `models_dir` (default: the app's model folder) is what the page remembers when it opens.
    """

    def opener(models_dir: Path | None = None) -> Any:
        app.config.update(models_dir=str((models_dir or app.models).resolve()), include_subfolders=False,
                          click_sounds=False)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url.rstrip("/"))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(app.url)
        page.wait_for_selector("#start-button")
        page.wait_for_function(
            "() => document.querySelector('#models-dir textarea, #models-dir input')?.value.length > 0"
        )
        return page

    return opener


def open_feature_tab(page: Any, title: str) -> None:
    """Select a plugin's tab (they carry their title as the tab's name)."""
    page.get_by_role("tab", name=title, exact=True).click()
