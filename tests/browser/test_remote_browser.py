"""The Remote servers tab in headless Chromium: list a real server's models, add one to the chain, run it
next to a local file with the key typed in the page, and Stop all during a remote answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from feature_app import open_feature_tab, tab_opener
from ui_pages import ENDLESS_GRAMMAR, field, set_grammar, status, transcript, wait_until

from samantha.backends.router import RouterBackend
from samantha.tinymodel import grammar_for_text
from samantha.ui.remote_panel import RemotePlugin
from tests.support.app_server import RunningApp, serve_app
from tests.support.llama_server import API_KEY, LlamaServer, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def remote(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningApp, LlamaServer]]:
    work = tmp_path_factory.mktemp("remote-app")
    server = start_server(ui_models / "tiny-other.gguf", work / "server.log", alias="big-one")
    try:
        with serve_app(ui_models, work, [RemotePlugin()], backend=RouterBackend) as running:
            yield running, server
    finally:
        server.stop()


@pytest.fixture
def page(browser: Any, remote: tuple[RunningApp, LlamaServer], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("SAMANTHA_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    contexts: list[Any] = []
    yield tab_opener(browser, remote[0], contexts)()
    for context in contexts:
        context.close()


def add_remote_model(page: Any, server: LlamaServer) -> None:
    open_feature_tab(page, "Remote servers")
    field(page, "remote-url").fill(server.base_url)
    field(page, "remote-api-key").fill(API_KEY)
    page.click("#remote-list")
    wait_until(lambda: "1 model(s)" in page.locator("#remote-note").inner_text(), "the server's model list")
    page.click("#remote-add")
    wait_until(lambda: server.ref() in field(page, "model-list").input_value(), "the entry in the chain list")


def test_list_add_and_chain_a_remote_model_with_a_local_one(page: Any, remote: tuple[RunningApp, LlamaServer]) -> None:
    _, server = remote
    field(page, "model-list").fill("tiny-chatml.gguf")
    add_remote_model(page, server)
    assert field(page, "model-list").input_value().splitlines() == ["tiny-chatml.gguf", server.ref()]
    set_grammar(page, grammar_for_text("Passed along."))
    prompt = field(page, "user-prompt")
    prompt.fill("Say it")
    prompt.press("Enter")
    wait_until(lambda: transcript(page).count("Passed along.") == 2 and "2) big-one" in transcript(page),
               "both answers, the second from the server")
    wait_until(lambda: "error" not in status(page).lower() and "running" not in status(page).lower(), "the end")
    assert API_KEY not in page.content()  # a password box: the key is never shown back in the page


def test_stop_all_ends_a_remote_answer(page: Any, remote: tuple[RunningApp, LlamaServer]) -> None:
    _, server = remote
    field(page, "model-list").fill("")
    add_remote_model(page, server)
    set_grammar(page, ENDLESS_GRAMMAR)
    prompt = field(page, "user-prompt")
    prompt.fill("Sing")
    prompt.press("Enter")
    wait_until(lambda: transcript(page).count("la ") > 5, "the remote answer to stream")
    page.click("#stop-all-button")
    wait_until(lambda: ", stopped" in transcript(page), "the answer to end as stopped")
    shown = transcript(page)
    page.wait_for_timeout(500)
    assert transcript(page) == shown  # nothing arrives after Stop all
