"""Remote models against a real OpenAI-compatible server: llama-cpp-python's own, on 127.0.0.1, with a tiny model.

The server and the local backend run the same GGUF file with the same llama.cpp,
so under greedy decoding a remote answer must equal the local answer to the same
prompt: that is how the tests see what text reached the server.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from samantha.backends.base import Control
from samantha.backends.router import RouterBackend
from samantha.chain import run_chain
from samantha.cli import main
from samantha.events import AnswerFinished, ChainFailed, ChainFinished, Notice, Token
from samantha.runner import free_port
from samantha.settings import ChainSettings, Sampling
from samantha.tinymodel import grammar_for_text
from tests.support.llama_server import API_KEY, LlamaServer, start_server

SMALL = Sampling(n_ctx=1024, max_tokens=10)
LONG_TEXT = "ab" * 1500  # a forced answer long enough to still be streaming when the test acts


@pytest.fixture(scope="module")
def server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    running = start_server(tiny_model, tmp_path_factory.mktemp("server") / "server.log")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's key from the environment, as a user would set it."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("SAMANTHA_API_KEY", API_KEY)


@pytest.fixture
def router() -> Iterator[RouterBackend]:
    backend = RouterBackend()
    try:
        yield backend
    finally:
        backend.close()


def run(settings: ChainSettings, backend: RouterBackend, control: Control | None = None, **kwargs) -> list:
    return list(run_chain(settings, backend, control or Control(), **kwargs))


def answers(events: list) -> list:
    return [e.record for e in events if isinstance(e, AnswerFinished)]


@pytest.mark.parametrize("prompt_format", ["auto", "chatml"])
def test_local_and_remote_alternate_with_feedback(prompt_format: str, tiny_model: Path, server: LlamaServer,
                                                  router: RouterBackend, keyed: None) -> None:
    """Each model is forced (GBNF, honoured by the server too) to say a line; the next model gets it as its previous answer."""
    local, remote = str(tiny_model), server.ref()
    base = dict(prompt="Tell me more", previous="It began at sea.", feedback=True, learning=True,
                sampling=SMALL.with_values({"max_tokens": 30, "top_k": 3}), prompt_format=prompt_format, seed=7)
    line = grammar_for_text("The sea was calm.")
    mixed = answers(run(ChainSettings(models=(local, remote, local, remote), **base), router, grammar=line))
    only_local = answers(run(ChainSettings(models=(local,) * 4, **base), router, grammar=line))
    assert [r.model for r in mixed] == [local, remote, local, remote]
    assert [r.answer for r in mixed] == ["The sea was calm."] * 4
    for position in (1, 3):
        there = [(step["text"], step["probability"]) for step in mixed[position].extra["learning"]]
        here = [(step["text"], step["probability"]) for step in only_local[position].extra["learning"]]
        assert [t for t, _ in there] == [t for t, _ in here]
        if prompt_format == "chatml":
            # /completions gets the rendered text: the server scores each forced token exactly as the local
            # engine does for the same prompt, so the fed-back text reached it unchanged. (With "auto" the
            # server renders the turns with its own template, which need not match byte for byte.)
            assert [p for _, p in there] == pytest.approx([p for _, p in here], rel=1e-4)
    api = "chat/completions" if prompt_format == "auto" else "completions"
    assert mixed[1].extra["remote"]["api"] == api and mixed[1].model_name == "tiny"
    assert "It began at sea." in mixed[0].prompt and "It began at sea." not in mixed[1].prompt
    assert "The sea was calm." in mixed[1].prompt
    assert API_KEY not in repr(mixed)  # the key never reaches the records


def test_grammar_and_learning_mode_through_the_server(server: LlamaServer, router: RouterBackend, keyed: None) -> None:
    text = "Olá, remote!"
    settings = ChainSettings(models=(server.ref(),), prompt="x", learning=True,
                             sampling=SMALL.with_values({"max_tokens": 40, "top_k": 5}))
    events = run(settings, router, grammar=grammar_for_text(text))
    [record] = answers(events)
    assert record.answer == text and record.finish_reason == "eos"
    steps = record.extra["learning"]
    assert "".join(step["text"] for step in steps) == text
    assert all(1 <= len(step["candidates"]) <= 6 and step["rank"] >= 1 for step in steps)
    assert any(step["rank"] > 1 for step in steps)  # the grammar forced picks the model did not prefer
    assert [e.choice.text for e in events if isinstance(e, Token)] == [step["text"] for step in steps]


def test_stop_all_ends_a_remote_stream_at_once(server: LlamaServer, router: RouterBackend, keyed: None) -> None:
    control = Control()
    settings = ChainSettings(models=(server.ref(), server.ref()), prompt="go",
                             sampling=SMALL.with_values({"max_tokens": 3000}))
    events = []
    for event in run_chain(settings, router, control, grammar=grammar_for_text(LONG_TEXT)):
        events.append(event)
        if isinstance(event, Token) and len(events) > 5:
            control.stop_all()
    [record] = answers(events)
    assert record.finish_reason == "cancelled" and 0 < len(record.answer) < len(LONG_TEXT)
    assert LONG_TEXT.startswith(record.answer)
    assert events[-1] == ChainFinished("stopped", 1)
    # The server is free again at once: the next request is answered in full.
    follow = answers(run(ChainSettings(models=(server.ref(),), prompt="x", sampling=SMALL), router,
                         grammar=grammar_for_text("again")))
    assert follow[0].answer == "again"


def test_stop_next_ends_only_the_remote_answer(server: LlamaServer, tiny_model: Path, router: RouterBackend,
                                               keyed: None) -> None:
    control = Control()
    settings = ChainSettings(models=(server.ref(), str(tiny_model)), prompt="go",
                             sampling=SMALL.with_values({"max_tokens": 3000}))
    events = []
    for event in run_chain(settings, router, control, grammar=grammar_for_text(LONG_TEXT)):
        events.append(event)
        if isinstance(event, Token) and len(events) == 6:
            control.stop_next()
    first, second = answers(events)
    assert first.finish_reason == "cancelled" and len(first.answer) < len(LONG_TEXT)
    # max_tokens 3000 is more than the context holds: the local answer ends when the window is full.
    assert second.model == str(tiny_model) and second.finish_reason == "context" and LONG_TEXT.startswith(second.answer)


def error_messages(events: list) -> list[str]:
    return [e.message for e in events if isinstance(e, ChainFailed)]


def test_server_down_is_a_clear_error_and_the_chain_goes_on(tiny_model: Path, router: RouterBackend, keyed: None) -> None:
    down = f"openai+http://127.0.0.1:{free_port()}/v1#tiny"
    events = run(ChainSettings(models=(down, str(tiny_model)), prompt="hi", sampling=SMALL), router)
    [message] = error_messages(events)
    assert "cannot reach the server at http://127.0.0.1:" in message and "connection refused" in message
    assert [r.model for r in answers(events)] == [str(tiny_model)]


def test_wrong_url_unknown_model_and_wrong_key(server: LlamaServer, router: RouterBackend,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMANTHA_API_KEY", "not-the-key")
    events = run(ChainSettings(models=(server.ref(),), prompt="hi", sampling=SMALL), router)
    assert "refused the API key (401" in error_messages(events)[0]
    monkeypatch.setenv("SAMANTHA_API_KEY", API_KEY)
    wrong_path = f"openai+http://127.0.0.1:{server.port}/api#tiny"
    unknown = server.ref("no-such-model")
    events = run(ChainSettings(models=(wrong_path, unknown), prompt="hi", sampling=SMALL), router)
    wrong, missing = error_messages(events)
    assert "/api/models answered 404: this address has no OpenAI-compatible API" in wrong and "/v1" in wrong
    assert "does not serve the model 'no-such-model'; it serves: tiny" in missing
    assert not answers(events)


def test_killing_the_server_mid_stream_keeps_the_partial_answer(tiny_model: Path, tmp_path: Path,
                                                                router: RouterBackend) -> None:
    doomed = start_server(tiny_model, tmp_path / "doomed.log", api_key="")
    try:
        settings = ChainSettings(models=(doomed.ref(), str(tiny_model)), prompt="go", feedback=True,
                                 sampling=SMALL.with_values({"max_tokens": 3000}))
        events = []
        for event in run_chain(settings, router, Control(), grammar=grammar_for_text(LONG_TEXT)):
            events.append(event)
            if isinstance(event, Token) and doomed.process.poll() is None:
                os.kill(doomed.process.pid, signal.SIGKILL)
    finally:
        doomed.stop()
    cut, after = answers(events)
    assert cut.finish_reason == "cut" and cut.answer and LONG_TEXT.startswith(cut.answer)
    assert len(cut.answer) < len(LONG_TEXT)
    assert any("broke off after" in e.message and "partial answer is kept" in e.message
               for e in events if isinstance(e, Notice))
    assert cut.answer in after.prompt  # the partial answer was fed to the next model
    assert events[-1].reason == "done"


def test_cli_runs_a_remote_model_and_lists_the_server(server: LlamaServer, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAMANTHA_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("MY_SERVER_KEY", API_KEY)
    assert main(["models", "list-remote", server.base_url, "--api-key-env", "MY_SERVER_KEY"]) == 0
    listed = capsys.readouterr()
    assert listed.out.splitlines() == [server.ref()] and "llama-cpp-python server" in listed.err
    grammar = tmp_path / "g.gbnf"
    grammar.write_text(grammar_for_text("from the server"))
    code = main(["run", "--model", server.ref(), "--prompt", "hi", "--api-key-env", "MY_SERVER_KEY",
                 "--grammar-file", str(grammar), "--set", "max_tokens=30", "--set", "tfs_z=0.5",
                 "--set", "temperature=0.8", "--set", "top_p=0.9", "--set", "min_p=0.05", "--set", "typical_p=0.5"])
    shown = capsys.readouterr()
    assert code == 0 and "from the server" in shown.out and "1) tiny" in shown.out
    assert "does not take tfs_z=0.5, typical_p=0.5" in shown.err  # llama-cpp-python's server has no typical_p
    assert main(["models", "list-remote", server.base_url]) == 1
    assert "refused the API key" in capsys.readouterr().err
