"""A real worker whose tokenizer fails on purpose for some texts: with a Samantha error, llama.cpp's kind of
exception, or a bug."""

from __future__ import annotations

from typing import Any

from samantha.backends.base import PromptTooLong
from samantha.backends.llama_worker import Worker


class _Faulty(Worker):
    def tokenize(self, text: str, plain_spans: Any = ()) -> list[int]:
        if text == "too long":
            raise PromptTooLong(900, 512)
        if text == "llama says no":
            raise ValueError("llama says no")
        if text == "bug":
            raise KeyError("n_ctx")
        return super().tokenize(text, plain_spans)


def faulty_tokenizer(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _Faulty(conn, stop_flag).serve()
