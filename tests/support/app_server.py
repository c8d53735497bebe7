"""The real app for a test, on a free 127.0.0.1 port: served in the test process (`serve_app`), or started
as a real `samantha ui` process (`launch_ui`, `ui_process`) -- started, waited for and stopped in one place.

Every test module that needs a running app takes it from here, so a new build option or a change in how
the app is stopped is made once. Ports come from the runner's `free_port`, the one such helper.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from samantha.app import build_app, serve
from samantha.backends.base import Backend
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.config import ConfigStore
from samantha.model_host import ModelHost
from samantha.prompt_collections import default_prompts_dir
from samantha.runner import free_port
from samantha.tinymodel import write_tiny_gguf
from samantha.ui.context import UIPlugin

# How long a started `samantha ui` process may take to answer: a bound for a stuck start, not a speed test.
START_SECONDS = 120.0
# `python -m samantha.cli ui`; `("samantha",)` is what start.sh runs (options without a command).
UI_COMMAND = ("samantha.cli", "ui")


@dataclass
class RunningApp:
    """An app served by `serve_app`; `work` holds its config, prompts and files."""

    url: str
    models: Path
    work: Path
    config: ConfigStore  # the store the app reads: a test sets what a new tab finds remembered
    plugins: Sequence[UIPlugin]

    @property
    def prompts(self) -> Path:
        return self.work / "prompts"

    @property
    def config_dir(self) -> Path:
        return self.work / "config"


@contextlib.contextmanager
def serve_app(models: Path, work: Path, plugins: Sequence[UIPlugin] = (), *,
              backend: Callable[[], Backend] = LlamaProcessBackend, password: str | None = None,
              starter: Path | None = None) -> Iterator[RunningApp]:
    """Serve the app with `plugins` in this process; closed (its model worker too) on leaving.

    The prompt collections are copies, so a test that edits one leaves the repository's alone.
    """
    prompts = work / "prompts"
    prompts.mkdir(parents=True, exist_ok=True)
    for item in default_prompts_dir().glob("*.txt"):
        shutil.copy(item, prompts / item.name)
    config = ConfigStore(work / "config")
    host = ModelHost(backend)
    demo = build_app(host=host, config=config, models_dir=models, prompts_dir=prompts, files_dir=work / "files",
                     plugins=plugins, starter=starter)
    url = serve(demo, port=free_port(), block=False, quiet=True, password=password)
    try:
        yield RunningApp(url, models, work, config, plugins)
    finally:
        demo.close()
        host.close()


@contextlib.contextmanager
def serve_tiny_app(tmp_path_factory: pytest.TempPathFactory,
                   plugins: Sequence[UIPlugin] = ()) -> Iterator[RunningApp]:
    """`serve_app` on a model folder holding one tiny model, `tiny.gguf`: enough to run a chain."""
    models = tmp_path_factory.mktemp("tiny-models")
    write_tiny_gguf(models / "tiny.gguf", seed=1, name="tiny")
    with serve_app(models, tmp_path_factory.mktemp("tiny-app"), plugins) as running:
        yield running


def launch_ui(*options: str, env: Mapping[str, str], command: Sequence[str] = UI_COMMAND,
              stdout: int = subprocess.PIPE) -> tuple[subprocess.Popen[bytes], str]:
    """Start `python -m <command> --no-browser --port <free port> <options>`; returns the process and the
    address it will serve (wait for it with `wait_for_http`). Its stderr is kept for the failure message."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", *command, "--no-browser", "--port", str(port), *options],
                               env=dict(env), stdout=stdout, stderr=subprocess.PIPE)
    return process, f"http://127.0.0.1:{port}"


def wait_for_http(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    """The first answer at `url`, whatever its status; fails with the app's stderr if it exits first."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read() if process.stderr else b""
            raise AssertionError(f"samantha ui exited early with {process.returncode}: {stderr!r}")
        try:
            return httpx.get(url, timeout=5)
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url} in {START_SECONDS:.0f} s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Ask the app to end (like Ctrl+C); kill it if it does not."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


@contextlib.contextmanager
def ui_process(*options: str, env: Mapping[str, str],
               wait: bool = True) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`samantha ui` as a real process (answering, unless `wait` is off); stopped on leaving."""
    process, url = launch_ui(*options, env=env)
    try:
        if wait:
            wait_for_http(url, process)
        yield process, url
    finally:
        stop_process(process)
