"""One Backend for chains that mix local files and remote servers, routed by a table.

Each chain entry is parsed once (samantha.model_ref) and its route ("file", or a remote entry's API
style such as "openai" in `openai+http://...`) picks the backend from the table (backends/routes.py),
the way httpx mounts transports by URL pattern: a new backend is one more entry. The local model stays loaded while a remote
model answers (it costs no memory here), so a chain that alternates the two does not reload; only one
local model is ever in memory, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

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
from samantha.backends.openai_refs import API as OPENAI_API
from samantha.backends.routes import FILE_ROUTE, ROUTES, BackendFactory, remote_apis
from samantha.model_ref import ModelRefError, parse_model_ref


class RouterBackend:
    """Sends each chain entry to the backend that can run it; each backend is made on first use."""

    def __init__(
        self,
        local: BackendFactory = ROUTES[FILE_ROUTE],
        remote: BackendFactory = ROUTES[OPENAI_API],
        *,
        routes: Mapping[str, BackendFactory] | None = None,
    ) -> None:
        """`local` and `remote` replace the table's file and openai entries; `routes` adds or replaces any."""
        self._routes = {**ROUTES, FILE_ROUTE: local, OPENAI_API: remote, **(routes or {})}
        self._backends: dict[str, Backend] = {}
        self._current: Backend | None = None

    def backend(self, route: str) -> Backend:
        """The backend of one route ("file", "openai", ...), made now if needed."""
        if route not in self._backends:
            self._backends[route] = self._routes[route]()
        return self._backends[route]

    def load(self, ref: str, options: LoadOptions, control: Control) -> ModelInfo:
        self._current = None
        try:
            parsed = parse_model_ref(ref, apis=remote_apis(self._routes))
        except ModelRefError as exc:
            raise BackendError(str(exc)) from None
        if parsed.route not in self._routes:
            raise BackendError(f"{ref} is a Hugging Face link: it is downloaded before it loads, and this run "
                               "has no downloader; download the file and name it instead")
        target = self.backend(parsed.route)
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
