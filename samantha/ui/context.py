"""What panels share while the page is built: the named controls, the per-tab state, app-wide services.

Later features (code execution, voice, learning mode) plug in as UIPlugin
objects: each renders its own panel, may add controls that every Start reads,
and may hand the chain AnswerHooks. A plugin that also shows things while the
chain runs (download progress, code output, token candidates) has the optional
members of LivePlugin; `plugin_outputs` and `plugin_run_parts` read them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import gradio as gr

from samantha.chain import AnswerHook, ModelPreparer, Pacer
from samantha.config import ConfigStore
from samantha.events import RunObserver
from samantha.gguf_info import VocabularyReader
from samantha.model_host import ModelHost
from samantha.ui.session import TabSession

VOCABULARY_READERS_KEPT = 2


C = TypeVar("C", bound=gr.components.Component)

class Controls:
    """Input components by name; a Start handler receives their values as one dict."""

    def __init__(self) -> None:
        self._items: dict[str, gr.components.Component] = {}

    def add(self, name: str, component: C) -> C:
        """Register `component` under `name`; returns it with its own type (a Textbox stays a Textbox)."""
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
    # Components other panels may update but that are not Start inputs (e.g. "picker", "note" of the models panel).
    parts: dict[str, Any] = field(default_factory=dict)
    starter: Path | None = None  # the bundled starter model, when installed


class UIPlugin(Protocol):
    """A feature panel that plugs into the page and the chain (code runner, voice, learning mode)."""

    title: str

    def render(self, ctx: PanelContext) -> None:
        """Create the panel's components (inside a tab the layout opens); register Start inputs on ctx.controls."""
        ...

    def chain_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """ChainSettings fields this feature sets from the controls' values (e.g. run_code)."""
        ...

    def hooks(self, session: TabSession, values: Mapping[str, Any]) -> Sequence[AnswerHook]:
        """AnswerHooks for this run of this tab."""
        ...


class RunWatcher(RunObserver):
    """Follows one run for a panel: an observer of its events that also says what the panel shows now."""

    def view(self, finished: bool) -> Sequence[Any]:
        """One value per component in the plugin's `outputs` (gr.skip() leaves one as it is); none: unchanged."""
        return ()


@dataclass
class RunParts:
    """What a plugin adds to one run besides hooks: a model preparer, a pacer, a watcher for its outputs."""

    prepare: ModelPreparer | None = None
    pacer: Pacer | None = None
    watcher: RunWatcher | None = None


class LivePlugin(UIPlugin, Protocol):
    """Optional members of a UIPlugin that shows things while the chain runs; each may be left out."""

    outputs: Sequence[gr.components.Component]  # set by render(); Start updates them from the watcher

    def render_live(self, ctx: PanelContext) -> None:
        """Components shown next to the transcript rather than in the plugin's tab (e.g. a progress bar)."""
        ...

    def run_parts(self, session: TabSession, values: Mapping[str, Any]) -> RunParts:
        """Called once the tab's run has begun; raise ValueError (InputProblem) to refuse with a message."""
        ...


def plugin_outputs(plugin: UIPlugin) -> list[gr.components.Component]:
    return list(getattr(plugin, "outputs", ()))


def plugin_run_parts(plugin: UIPlugin, session: TabSession, values: Mapping[str, Any]) -> RunParts:
    parts = getattr(plugin, "run_parts", None)
    return parts(session, values) if parts is not None else RunParts()


def render_live(plugins: Sequence[UIPlugin], ctx: PanelContext) -> None:
    for plugin in plugins:
        live = getattr(plugin, "render_live", None)
        if live is not None:
            live(ctx)
