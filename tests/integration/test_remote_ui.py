"""The Remote servers tab in the real app: List models, Add to chain, and Start with the key typed in the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client

from samantha.backends.router import RouterBackend
from samantha.tinymodel import grammar_for_text
from samantha.ui.remote_panel import RemotePlugin
from tests.support.app_server import serve_app
from tests.support.llama_server import API_KEY, LlamaServer, start_server


@pytest.fixture(scope="module")
def remote_app(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, LlamaServer]]:
    server = start_server(tiny_model, tmp_path_factory.mktemp("server") / "server.log")
    try:
        with serve_app(tiny_model.parent, tmp_path_factory.mktemp("remote-app"), [RemotePlugin()],
                       backend=RouterBackend) as running:
            yield running.url, server
    finally:
        server.stop()


def test_list_add_and_run_with_the_page_key(remote_app: tuple[str, LlamaServer], tiny_model: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    url, server = remote_app
    monkeypatch.delenv("SAMANTHA_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = Client(url, verbose=False)
    picked, note = client.predict(server.base_url, "wrong", api_name="/remote_models")
    assert "refused the API key" in note
    picked, note = client.predict(server.base_url + "/", API_KEY, api_name="/remote_models")
    assert picked["value"] == "tiny" and "1 model(s)" in note and "llama-cpp-python server" in note
    chain = client.predict(server.base_url, "tiny", tiny_model.name, api_name="/remote_add")
    assert chain.splitlines() == [tiny_model.name, server.ref()]
    base = {"models_dir": str(tiny_model.parent), "model_list": chain, "prompt": "hi", "max_tokens": 40,
            "grammar": grammar_for_text("both answered"), "seed": "", "stop": "", "links": "", "system": "",
            "previous": "", "user_name": "", "assistant_name": "", "transcript": "", "remote_url": server.base_url}
    transcript, status, *_ = client.predict(**base, remote_api_key=API_KEY, api_name="/start")
    assert transcript.count("both answered") == 2 and "2) tiny" in transcript and "error" not in status.lower()
    assert API_KEY not in transcript
    transcript, status, *_ = client.predict(**base, remote_api_key="", api_name="/start")
    assert "refused the API key (401" in transcript  # no key in the page or the environment this time
