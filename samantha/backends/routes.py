"""The route table: which backend runs which kind of chain entry.

A chain entry's route is "file" for a model file, or the API style a remote entry is written with
(`openai` in `openai+http://HOST/v1#MODEL`). A new backend is one entry here: the router makes it
for its entries, and samantha.model_ref accepts `<api>+http(s)://` entries for every API listed.
Hub links have no route: the chain downloads them into files before they load.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

from samantha.backends.base import Backend
from samantha.backends.openai_refs import API as OPENAI_API

BackendFactory = Callable[[], Backend]
FILE_ROUTE: Final = "file"


def _local_backend() -> Backend:
    from samantha.backends.llama_process import LlamaProcessBackend

    return LlamaProcessBackend()


def _remote_backend() -> Backend:
    from samantha.backends.openai_remote import OpenAIRemoteBackend

    return OpenAIRemoteBackend()


ROUTES: Final[Mapping[str, BackendFactory]] = MappingProxyType({
    FILE_ROUTE: _local_backend,
    OPENAI_API: _remote_backend,
})


def remote_apis(routes: Mapping[str, BackendFactory]) -> frozenset[str]:
    """The API styles of remote entries that `routes` has a backend for."""
    return frozenset(routes) - {FILE_ROUTE}
