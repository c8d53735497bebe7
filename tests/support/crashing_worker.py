"""Worker entry points that crash llama.cpp's process on purpose, the way a bad repacking kernel would."""

from __future__ import annotations

import os
import signal
from typing import Any

from samantha.backends.llama_worker import Worker


class _CrashOnRepackLoad(Worker):
    def load(self, path: str, options: dict[str, Any]) -> dict[str, Any]:
        if options["repack"]:
            os.abort()
        return super().load(path, options)


class _CrashOnRepackDecode(Worker):
    def load(self, path: str, options: dict[str, Any]) -> dict[str, Any]:
        self.repacked = bool(options["repack"])
        return super().load(path, options)

    def generate(self, request: dict[str, Any]) -> None:
        if self.repacked:
            os.abort()
        super().generate(request)


class _KilledOnRepackLoad(Worker):
    """Killed from outside while loading with repacking on: what the system does when memory runs out."""

    def load(self, path: str, options: dict[str, Any]) -> dict[str, Any]:
        if options["repack"]:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().load(path, options)


class _ExitsOnRepackDecode(Worker):
    """Ends with an exit code in its first answer with repacking on, as a Python-level failure would."""

    def load(self, path: str, options: dict[str, Any]) -> dict[str, Any]:
        self.repacked = bool(options["repack"])
        return super().load(path, options)

    def generate(self, request: dict[str, Any]) -> None:
        if self.repacked:
            os._exit(1)
        super().generate(request)


class _CrashOnEveryLoad(Worker):
    def load(self, path: str, options: dict[str, Any]) -> dict[str, Any]:
        os.abort()


def crash_on_every_load(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _CrashOnEveryLoad(conn, stop_flag).serve()


def crash_when_loading_with_repack(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _CrashOnRepackLoad(conn, stop_flag).serve()


def crash_when_decoding_with_repack(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _CrashOnRepackDecode(conn, stop_flag).serve()


def killed_when_loading_with_repack(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _KilledOnRepackLoad(conn, stop_flag).serve()


def exits_when_decoding_with_repack(conn: Any, stop_flag: Any, log_path: str | None = None) -> None:
    _ExitsOnRepackDecode(conn, stop_flag).serve()
