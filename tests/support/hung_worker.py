"""A worker whose answer to one prompt never ends and never looks at Stop: the way llama.cpp's threads could
deadlock when Stop's abort landed at an unlucky moment (ggml before 17 January 2025, so llama-cpp-python 0.3.2,
the version Windows users without a compiler get). Only the app's stop net can end it."""

from __future__ import annotations

import threading
from typing import Any

from samantha.backends.llama_worker import Worker
from samantha.backends.worker_messages import TokenPiece

HANGS_ON = "hang here"


class _HangsOnOnePrompt(Worker):
    def generate(self, request: dict[str, Any]) -> None:
        if HANGS_ON in request["prompt"]:
            self.conn.send(TokenPiece("partial ", -1))  # something is shown before the hang
            threading.Event().wait()  # deaf to the stop flag, like threads stuck at a barrier
        super().generate(request)


def hangs_on_one_prompt(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _HangsOnOnePrompt(conn, stop_flag).serve()
