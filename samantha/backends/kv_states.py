"""What each model had read, kept while another model holds the memory.

Only one model is in memory at a time, so when a chain goes A -> B -> A, llama.cpp
would read A's whole prompt again (a document in the system prompt: minutes on a
laptop). Before A's worker ends, its KV cache (llama.cpp's state) and the tokens it
holds are saved here; when A is loaded again with the same load settings, they are
put back and only the new tail of the prompt is read. The store keeps the newest
states under a memory cap and drops the oldest first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

import psutil

# The share of the memory available when the app starts that saved states may use.
DEFAULT_SHARE_OF_FREE_MEMORY = 0.25


@dataclass(frozen=True)
class SavedState:
    """llama.cpp's context state (`llama_state_get_data`) and the tokens it covers."""

    tokens: tuple[int, ...]
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data) + 4 * len(self.tokens)


def default_cap_bytes() -> int:
    """A quarter of the memory free now: room for states without pushing the next model out."""
    return int(psutil.virtual_memory().available * DEFAULT_SHARE_OF_FREE_MEMORY)


class StateStore:
    """Saved states by load key (file, its identity, load options), newest last; bounded in bytes."""

    def __init__(self, cap_bytes: int | None = None) -> None:
        self.cap_bytes = default_cap_bytes() if cap_bytes is None else max(0, cap_bytes)
        self._states: OrderedDict[Hashable, SavedState] = OrderedDict()

    def put(self, key: Hashable, state: SavedState) -> None:
        """Keep `state` for `key`, dropping the oldest states until all fit; a state larger than the cap is not kept."""
        self._states.pop(key, None)
        if state.size > self.cap_bytes or not state.tokens:
            return
        self._states[key] = state
        while self.used_bytes > self.cap_bytes:
            self._states.popitem(last=False)

    def take(self, key: Hashable) -> SavedState | None:
        """The state saved for `key`, removed from the store (the worker holds it again from now on)."""
        return self._states.pop(key, None)

    def clear(self) -> None:
        self._states.clear()

    @property
    def used_bytes(self) -> int:
        return sum(state.size for state in self._states.values())

    def __len__(self) -> int:
        return len(self._states)
