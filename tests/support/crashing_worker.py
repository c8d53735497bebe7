"""Worker entry points that end llama.cpp's process on purpose: the way a bad repacking kernel would crash it
(abort), the way the system kills it when memory runs out (SIGKILL), or with a plain exit code."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from samantha.backends.llama_worker import Worker


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _exit_code() -> None:
    os._exit(1)


class _EndsOnRepackLoad(Worker):
    """Ends the process by `end` when asked to load with repacking on."""

    def __init__(self, conn: Any, stop_flag: Any, end: Callable[[], None]) -> None:
        super().__init__(conn, stop_flag)
        self.end = end

    def load(self, path: str, options: dict[str, Any]) -> dict[str, Any]:
        if options["repack"]:
            self.end()
        return super().load(path, options)


class _EndsOnRepackDecode(Worker):
    """Ends the process by `end` in its first answer when the model was loaded with repacking on."""

    def __init__(self, conn: Any, stop_flag: Any, end: Callable[[], None]) -> None:
        super().__init__(conn, stop_flag)
        self.end = end
        self.repacked = False

    def load(self, path: str, options: dict[str, Any]) -> dict[str, Any]:
        self.repacked = bool(options["repack"])
        return super().load(path, options)

    def generate(self, request: dict[str, Any]) -> None:
        if self.repacked:
            self.end()
        super().generate(request)


class _CrashOnEveryLoad(Worker):
    def load(self, path: str, options: dict[str, Any]) -> dict[str, Any]:
        os.abort()


def crash_on_every_load(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _CrashOnEveryLoad(conn, stop_flag).serve()


def crash_when_loading_with_repack(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _EndsOnRepackLoad(conn, stop_flag, os.abort).serve()


def crash_when_decoding_with_repack(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _EndsOnRepackDecode(conn, stop_flag, os.abort).serve()


def killed_when_loading_with_repack(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _EndsOnRepackLoad(conn, stop_flag, _killed).serve()


def exits_when_decoding_with_repack(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _EndsOnRepackDecode(conn, stop_flag, _exit_code).serve()
