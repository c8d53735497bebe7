"""The worker's pipe protocol: typed messages both ways, and errors that arrive as what they are."""

from __future__ import annotations

import dataclasses
import multiprocessing
import pickle
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from samantha.backends import worker_messages as messages
from samantha.backends.base import BadGrammar, Generated, LoadOptions, PromptTooLong
from samantha.backends.llama_worker import Worker
from samantha.backends.worker_messages import (
    CountTokens,
    Failed,
    Generate,
    LlamaFailed,
    Loaded,
    LoadModel,
    Quit,
    WorkerBug,
)


def test_every_message_is_a_frozen_dataclass_that_pickles_as_itself() -> None:
    examples = [
        LoadModel("m.gguf", LoadOptions(n_ctx=256)),
        Generate(prompt="hi", sampling={"temperature": 0.0}, seed=1, plain_spans=((0, 2),), format_stops=("</s>",)),
        messages.NextToken(), CountTokens("hi"), messages.Tokenize("hi", ((0, 1),)), messages.SaveState(),
        messages.RestoreState((1, 2), b"kv"), Quit(),
        Loaded(256, 2048, 300, None, "<s>", "</s>", "llama", False, 0.1, 2),
        messages.Phase("reading the grammar"), messages.TokenPiece("a", 5, {"candidates": []}),
        messages.Finished(Generated("a", 3, 1, 0.1, 0.1, "eos")), messages.TokenCount(3),
        messages.TokenIds((1, 2)), messages.StateSaved((1,), b"kv"), messages.Restored(1),
        Failed(PromptTooLong(9, 4)), WorkerBug("KeyError", "'x'", "Traceback ..."),
    ]
    kinds = {type(example) for example in examples}
    assert kinds == set(messages.Request.__args__) | set(messages.Reply.__args__)  # type: ignore[attr-defined]
    for example in examples:
        assert dataclasses.is_dataclass(example) and type(example).__dataclass_params__.frozen  # type: ignore[attr-defined]
        again = pickle.loads(pickle.dumps(example))
        assert type(again) is type(example)
        if not isinstance(example, Failed):  # an exception compares by identity; test_error_tree checks those
            assert again == example


class _Faulty(Worker):
    """A real worker whose load fails the way the test asks, without a model."""

    failure: BaseException

    def load(self, path: str, options: dict[str, Any]) -> dict[str, Any]:
        raise self.failure


@pytest.fixture
def faulty() -> Iterator[tuple[Any, _Faulty]]:
    conn, child = multiprocessing.Pipe()
    worker = _Faulty(child, multiprocessing.Value("i", 0))
    thread = threading.Thread(target=worker.serve, daemon=True)
    thread.start()
    yield conn, worker
    conn.send(Quit())
    thread.join(30)


def _reply(conn: Any, request: Any) -> Any:
    conn.send(request)
    assert conn.poll(60), "the worker did not answer"
    return conn.recv()


@pytest.mark.parametrize("error", [PromptTooLong(900, 512), BadGrammar("expecting name")], ids=repr)
def test_a_samantha_error_in_the_worker_arrives_as_its_own_type_with_its_message(faulty, error) -> None:
    conn, worker = faulty
    worker.failure = error
    reply = _reply(conn, LoadModel("m.gguf", LoadOptions()))
    assert isinstance(reply, Failed) and type(reply.error) is type(error)
    assert str(reply.error) == str(error)


def test_llama_cpp_s_own_exception_is_translated_in_the_worker(faulty) -> None:
    conn, worker = faulty
    worker.failure = ValueError("Failed to load model from file: m.gguf")
    reply = _reply(conn, LoadModel("m.gguf", LoadOptions()))
    assert isinstance(reply, Failed) and isinstance(reply.error, LlamaFailed)
    assert reply.error.reason == "Failed to load model from file: m.gguf"


def test_a_bug_in_the_worker_is_reported_as_a_bug_with_its_traceback(faulty) -> None:
    conn, _ = faulty
    reply = _reply(conn, CountTokens("hello"))  # no model loaded: the worker's own code fails
    assert isinstance(reply, WorkerBug) and reply.kind == "AttributeError"
    assert "Traceback" in reply.traceback and "tokenize" in reply.traceback
