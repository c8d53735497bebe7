"""The one way a run is set up and run: the page's Start, `samantha run` and `samantha history rerun` all come here.

`prepare_run` builds what a RunSpec needs (the backend: local files and remote servers through the router; the
downloader for hub links; the code runner's hook; learning mode's pacer) and `PreparedRun.events` runs the chain,
handing every event to the observers in order. A caller that already holds one of the parts (the page lends the
shared model host's backend and its tab's code runner) passes it in, and the rest is built here the same way for
everyone: three copies of this setup had drifted apart (a rerun could not reach a remote model).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from samantha.backends.base import Backend, Control
from samantha.chain import AnswerHook, ModelPreparer, Pacer, run_chain
from samantha.code_workdir import CodeWorkdir, code_workdir, finish_code_workdir
from samantha.events import Event, RunObserver
from samantha.run_spec import RunSpec

if TYPE_CHECKING:  # imported when used: the runner and the hub are not needed by every run
    from samantha.hub.chain_models import HubModels
    from samantha.runner.chain_hook import CodeRunHook


@dataclass(frozen=True)
class RunAccess:
    """What a run may use but never stores: keys for remote servers, the hub token."""

    environ: Mapping[str, str] | None = None  # where remote servers' keys are read (the secrets taken at start)
    api_key: str | None = None  # a key given for this run (`samantha run --api-key-env`)
    hf_token: str | None = None


def build_backend(access: RunAccess = RunAccess()) -> Backend:
    """Local GGUF files in a llama.cpp worker and remote models over HTTP, behind one router."""
    from samantha.backends.openai_remote import OpenAIRemoteBackend
    from samantha.backends.router import RouterBackend

    return RouterBackend(remote=lambda: OpenAIRemoteBackend(access.api_key, environ=access.environ))


def models_folder(chosen: str | None) -> Path:
    """Where hub links download: the folder given, else the app's remembered model folder (Downloads until one is
    chosen), so the command line, a rerun and the page share their downloads."""
    if chosen:
        return Path(chosen).expanduser()
    from samantha.config import ConfigStore

    return ConfigStore().load().resolved_models_dir()


def build_downloader(spec: RunSpec, access: RunAccess = RunAccess()) -> HubModels:
    from samantha.hub.chain_models import HubModels

    return HubModels(models_folder(spec.downloads.models_dir), keep_files=spec.downloads.keep_files,
                     token=access.hf_token)


def build_code_hook(spec: RunSpec, workdir: Path) -> CodeRunHook:
    """The code runner's hook for `spec.code`; RunnerError (RunnerNotFound: no environment) or ValueError when its
    options cannot work, which each caller words its own way."""
    from samantha.config import ConfigStore
    from samantha.runner import CodeRunner, RunLimits, find_environment
    from samantha.runner.chain_hook import CodeRunHook

    # The runner named wins; otherwise the environment the app remembers (Code tab), else the default folder.
    environment = find_environment(spec.code.runner or ConfigStore().load().runner_python or None)
    runner = CodeRunner(environment, workdir, limits=RunLimits(timeout=spec.code.timeout))
    return CodeRunHook(runner, stop_condition=spec.settings.stop_condition,
                       output_only=spec.settings.feedback_output_only, hide_view=spec.code.hide_view)


def build_pacer(spec: RunSpec) -> Pacer | None:
    """Learning mode's fixed wait after each token, when one is asked for. The page's pacing choice (which can be
    "next token", waiting for clicks) is its own pacer: a run without the page must never wait for a click."""
    from samantha.pacing import DelayPacer

    if not spec.settings.learning or spec.learning.pace <= 0:
        return None
    return DelayPacer(spec.learning.pace)


@dataclass
class PreparedRun:
    """A RunSpec with its parts built; `events` runs it, `close` gives back what was built for it."""

    spec: RunSpec
    backend: Backend
    hooks: list[AnswerHook]
    prepare: ModelPreparer | None
    pacer: Pacer | None
    workdir: CodeWorkdir | None = None
    owns_backend: bool = True
    owned_hooks: list[CodeRunHook] = field(default_factory=list)

    def events(self, control: Control, observers: Sequence[RunObserver] = ()) -> Iterator[Event]:
        """Run the chain; each event goes to every observer, in order, before the caller sees it."""
        spec = self.spec
        for event in run_chain(spec.settings, self.backend, control, load_options=spec.load_options,
                               hooks=self.hooks, grammar=spec.grammar,
                               pacer=self.pacer, prepare=self.prepare):
            for observer in observers:
                observer.apply(event)
            yield event

    def close(self) -> str:
        """End the backend and code runner made for this run; returns where kept code files are, or ""."""
        try:
            if self.owns_backend:
                self.backend.close()
        finally:
            for hook in self.owned_hooks:
                hook.runner.close()
            kept = finish_code_workdir(self.workdir, self.spec.code.keep_workdir) if self.workdir else ""
        return kept


def prepare_run(
    spec: RunSpec,
    *,
    access: RunAccess = RunAccess(),
    backend: Backend | None = None,
    hooks: Iterable[AnswerHook] | None = None,
    prepare: ModelPreparer | None = None,
    pacer: Pacer | None = None,
) -> PreparedRun:
    """Build every part of the run `spec` describes that the caller did not bring.

    The code runner is built only when the spec runs code and no hooks were given; its errors (RunnerError,
    ValueError) are raised before anything else is made, so a refused run leaves nothing behind.
    """
    workdir: CodeWorkdir | None = None
    owned: list[CodeRunHook] = []
    if hooks is None and spec.settings.run_code:
        workdir = code_workdir(spec.code.workdir)
        try:
            owned = [build_code_hook(spec, workdir.path)]
        except BaseException:
            finish_code_workdir(workdir, keep=False)  # nothing ran: leave nothing behind
            raise
    return PreparedRun(
        spec=spec,
        backend=backend if backend is not None else build_backend(access),
        hooks=list(hooks) if hooks is not None else list(owned),
        prepare=prepare if prepare is not None else build_downloader(spec, access),
        pacer=pacer if pacer is not None else build_pacer(spec),
        workdir=workdir,
        owns_backend=backend is None,
        owned_hooks=owned,
    )
