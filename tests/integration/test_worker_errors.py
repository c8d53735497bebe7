"""The app receives the worker's errors as what they are: Samantha's own by type, llama.cpp's translated,
a bug as a bug; and the worker keeps serving after each."""

from __future__ import annotations

from pathlib import Path

import pytest

from samantha.backends.base import BackendError, Control, LoadOptions, PromptTooLong
from samantha.backends.llama_process import LlamaProcessBackend, WorkerBugError
from samantha.errors import SamanthaError
from tests.support.faulty_worker import faulty_tokenizer


def test_worker_errors_arrive_as_their_own_types_and_the_worker_goes_on(tiny_model: Path) -> None:
    backend = LlamaProcessBackend(worker=faulty_tokenizer)
    try:
        backend.load(str(tiny_model), LoadOptions(n_ctx=512), Control())
        pid = backend.worker_pid
        with pytest.raises(PromptTooLong) as too_long:
            backend.count_tokens("too long")
        assert (too_long.value.prompt_tokens, too_long.value.n_ctx) == (900, 512)
        assert str(too_long.value) == str(PromptTooLong(900, 512))
        with pytest.raises(BackendError, match="^llama says no$"):
            backend.count_tokens("llama says no")
        with pytest.raises(WorkerBugError) as bug:
            backend.count_tokens("bug")
        assert not isinstance(bug.value, SamanthaError)
        assert "KeyError: 'n_ctx'" in str(bug.value) and "Traceback" in str(bug.value)
        assert backend.count_tokens("Hello") > 0 and backend.worker_pid == pid
    finally:
        backend.close()
