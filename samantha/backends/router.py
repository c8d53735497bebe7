"""One Backend for chains that mix local files and remote servers.

`openai+http(s)://...` entries go to the remote backend, everything else to the
llama.cpp worker. The local model stays loaded while a remote model answers (it
costs no memory here), so a chain that alternates the two does not reload; only
one local model is ever in memory, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from samantha.backends.base import (
    Backend,
    BackendError,
    Control,
    Generated,
    GenerationRequest,
    LoadOptions,
    ModelInfo,
    Piece,
)
from samantha.backends.openai_refs import is_remote_ref


def _local_backend() -> Backend:
    from samantha.backends.llama_process import LlamaProcessBackend

    return LlamaProcessBackend()


def _remote_backend() -> Backend:
    from samantha.backends.openai_remote import OpenAIRemoteBackend

    return OpenAIRemoteBackend()


class RouterBackend:
    """Sends each chain entry to the backend that can run it; each backend is made on first use."""

    def __init__(
        self,
        local: Callable[[], Backend] = _local_backend,
        remote: Callable[[], Backend] = _remote_backend,
    ) -> None:
        self._factories = {"local": local, "remote": remote}
        self._backends: dict[str, Backend] = {}
        self._current: Backend | None = None

    def backend(self, which: str) -> Backend:
        """The "local" or "remote" backend, made now if needed."""
        if which not in self._backends:
            self._backends[which] = self._factories[which]()
        return self._backends[which]

    def load(self, ref: str, options: LoadOptions, control: Control) -> ModelInfo:
        self._current = None
        target = self.backend("remote" if is_remote_ref(ref) else "local")
        info = target.load(ref, options, control)
        self._current = target
        return info

    def _active(self) -> Backend:
        if self._current is None:
            raise BackendError("no model is loaded")
        return self._current

    def count_tokens(self, text: str) -> int:
        return self._active().count_tokens(text)

    def generate(self, request: GenerationRequest, control: Control) -> Iterator[Piece | Generated]:
        return self._active().generate(request, control)

    def unload(self) -> None:
        """Free the local model's memory (Unload model); remote servers keep theirs."""
        for backend in self._backends.values():
            backend.unload()
        self._current = None

    def close(self) -> None:
        for backend in self._backends.values():
            backend.close()
        self._backends.clear()
        self._current = None
