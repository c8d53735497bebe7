"""What panels share while the page is built: the named controls, the per-tab state, app-wide services.

Later features (code execution, voice, learning mode) plug in as UIPlugin
objects: each renders its own panel, may add controls that every Start reads,
and may hand the chain AnswerHooks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

import gradio as gr

from samantha.chain import AnswerHook
from samantha.config import ConfigStore
from samantha.gguf_info import VocabularyReader
from samantha.ui.host import ModelHost
from samantha.ui.session import TabSession

VOCABULARY_READERS_KEPT = 2


class Controls:
    """Input components by name; a Start handler receives their values as one dict."""

    def __init__(self) -> None:
        self._items: dict[str, gr.components.Component] = {}

    def add(self, name: str, component: gr.components.Component) -> gr.components.Component:
        if name in self._items:
            raise ValueError(f"a control named {name!r} is already registered")
        self._items[name] = component
        return component

    def __getitem__(self, name: str) -> gr.components.Component:
        return self._items[name]

    def __contains__(self, name: str) -> bool:
        return name in self._items

    @property
    def names(self) -> list[str]:
        return list(self._items)

    @property
    def components(self) -> list[gr.components.Component]:
        return list(self._items.values())

    def named(self, values: Sequence[Any]) -> dict[str, Any]:
        """Pair handler arguments (in registration order) with their names."""
        return dict(zip(self._items, values))


class VocabularyCache:
    """Keeps the token lists of the last few models read, so paging a 150k vocabulary stays quick."""

    def __init__(self, size: int = VOCABULARY_READERS_KEPT) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._readers: OrderedDict[tuple[str, int], VocabularyReader] = OrderedDict()

    def get(self, path: Path) -> VocabularyReader:
        key = (str(path.resolve()), path.stat().st_mtime_ns)
        with self._lock:
            reader = self._readers.get(key)
            if reader is not None:
                self._readers.move_to_end(key)
                return reader
        reader = VocabularyReader(path)
        with self._lock:
            self._readers[key] = reader
            while len(self._readers) > self._size:
                self._readers.popitem(last=False)
        return reader


@dataclass
class PanelContext:
    """Handed to every panel function while the Blocks are built."""

    host: ModelHost
    config: ConfigStore
    prompts_dir: Path
    files_dir: Path  # where generated downloads (saved prompts) are written
    session: gr.State
    controls: Controls = field(default_factory=Controls)
    vocabulary: VocabularyCache = field(default_factory=VocabularyCache)


class UIPlugin(Protocol):
    """A feature panel that plugs into the page and the chain (code runner, voice, learning mode)."""

    title: str

    def render(self, ctx: PanelContext) -> None:
        """Create the panel's components (inside a tab the layout opens); register Start inputs on ctx.controls."""
        ...

    def chain_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """ChainSettings fields this feature sets from the controls' values (e.g. run_code)."""
        ...

    def hooks(self, session: TabSession, values: Mapping[str, Any]) -> list[AnswerHook]:
        """AnswerHooks for this run of this tab."""
        ...
