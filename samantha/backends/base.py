"""The narrow seam between the chain and whatever runs a model.

A backend loads one model at a time, renders nothing itself (the engine gives it
the exact prompt text), streams pieces of text, and stops when asked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from samantha.errors import SamanthaError
from samantha.formats import Message, TemplateInfo
from samantha.learning import TokenChoice
from samantha.settings import Sampling


class Control:
    """Stop requests for one chain run, shared by the chain, the backend and the UI.

    `stop_next` ends the current answer; `stop_all` ends the chain. Both are plain
    thread-safe flags so a UI thread can set them while a worker is busy.
    """

    def __init__(self) -> None:
        self._all = threading.Event()
        self._next = threading.Event()
        self._secrets: dict[str, str] = {}

    def stop_all(self) -> None:
        self._all.set()

    def stop_next(self) -> None:
        self._next.set()

    @property
    def all_stopped(self) -> bool:
        return self._all.is_set()

    @property
    def next_requested(self) -> bool:
        return self._next.is_set()

    def answer_should_stop(self) -> bool:
        return self._all.is_set() or self._next.is_set()

    def clear_next(self) -> None:
        self._next.clear()

    @property
    def stop_all_event(self) -> threading.Event:
        """The Stop-all flag itself, for tools that wait on an Event (the code runner)."""
        return self._all

    @property
    def step_stop(self) -> StepStop:
        """Set by Stop/next or Stop all: what a tool working for the current step (the code runner) polls."""
        return StepStop(self)

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking early on Stop all; True if stopped."""
        return self._all.wait(seconds)

    def give_secret(self, name: str, value: str) -> None:
        """Hand this run a secret (a remote server's API key typed in the page): memory only, never saved."""
        self._secrets[name] = value

    def secret(self, name: str) -> str | None:
        return self._secrets.get(name)


class StepStop:
    """`is_set()` while Stop/next or Stop all is pressed: the current step's tools end as its answer would."""

    def __init__(self, control: Control) -> None:
        self._control = control

    def is_set(self) -> bool:
        return self._control.answer_should_stop()


# More llama.cpp threads than this crash it (it allocates per-thread state); no CPU needs them.
MAX_THREADS = 512


@dataclass(frozen=True)
class LoadOptions:
    """Settings that need a reload when they change."""

    n_ctx: int = 4000
    n_threads: int = 0  # 0 = every core
    n_batch: int = 512
    repack: bool = True  # llama.cpp CPU weight repacking (faster); a file that crashes with it loads without it


@dataclass(frozen=True)
class ModelInfo:
    ref: str
    name: str
    n_ctx: int
    n_ctx_train: int
    n_vocab: int
    template: TemplateInfo
    load_seconds: float
    reused: bool = False
    n_threads: int = 0  # the CPU threads llama.cpp was given (0: not known, e.g. a remote server)


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    sampling: Sampling
    seed: int
    grammar: str | None = None  # GBNF the answer must follow
    reset: bool = False  # clear the model's state (KV cache) first
    candidates: int = 0  # learning mode: how many top candidates to report per token
    lockstep: bool = False  # learning mode: produce each token only when the consumer asks for the next
    # The chat turns behind `prompt`, for a server that applies its own template (a remote chat API);
    # empty when a prompt format is forced, so the rendered `prompt` is what must be sent.
    messages: tuple[Message, ...] = ()
    # Character spans of `prompt` that are content (items, answers, files): tokenized as plain text, so
    # they never become control tokens. Empty: the whole prompt is markup (a hand-made prompt).
    plain_spans: tuple[tuple[int, int], ...] = ()
    format_stops: tuple[str, ...] = ()  # where the prompt format's next turn starts: the answer ends there


@dataclass(frozen=True)
class Piece:
    """A piece of answer text as it is generated."""

    text: str
    token_id: int = -1
    choice: TokenChoice | None = None  # learning mode: the candidates of this step


@dataclass(frozen=True)
class Generated:
    """The end of one answer."""

    text: str
    prompt_tokens: int
    answer_tokens: int
    prompt_seconds: float
    generation_seconds: float
    finish_reason: str  # "eos", "length" (max_tokens), "context" (the window filled up), "stop", "cancelled",
    # "cut" (a remote stream broke off), "crashed" (the worker died: the text is the answer so far)
    extra: dict = field(default_factory=dict)
    notices: tuple[str, ...] = ()  # for the user, e.g. settings a remote server ignored


class BackendError(SamanthaError, RuntimeError):
    """A model could not be loaded or run; the message names the file and says what to do."""


class PromptTooLong(BackendError):
    def __init__(self, prompt_tokens: int, n_ctx: int) -> None:
        super().__init__(
            f"the prompt is {prompt_tokens} tokens but the context window (n_ctx) holds {n_ctx}: "
            "raise n_ctx, shorten the prompt or turn off cumulative response"
        )
        self.prompt_tokens = prompt_tokens
        self.n_ctx = n_ctx


class Cancelled(BackendError):
    """The user stopped the operation."""


class WorkerDied(BackendError):
    """The process that ran the model ended in the middle of a step (killed, or llama.cpp crashed).

    Not known to be the file's fault, so the model is not skipped: the next step starts a new worker.
    `partial` is the answer's text up to that moment, kept for the transcript and the history.
    """

    fatal = False

    def __init__(self, message: str, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


class BadGrammar(BackendError):
    """The GBNF grammar does not parse: no model can use it, so the chain ends (it is not the model's fault)."""

    def __init__(self, reason: str = "") -> None:
        said = f" ({reason})" if reason else ""
        super().__init__(
            f"the grammar does not parse{said}: llama.cpp rejected it. Check that it defines a `root` rule, that "
            "every rule it uses is defined, and that its brackets, parentheses and quotes are closed"
        )


class Backend(Protocol):
    def load(self, ref: str, options: LoadOptions, control: Control) -> ModelInfo:
        """Make `ref` the model in memory (no-op when it already is, with the same options)."""
        ...

    def count_tokens(self, text: str) -> int:
        ...

    def generate(self, request: GenerationRequest, control: Control) -> Iterator[Piece | Generated]:
        """Stream pieces, then one Generated; raise PromptTooLong before generating if it cannot fit."""
        ...

    def unload(self) -> None:
        """Free the model's memory now."""
        ...

    def close(self) -> None:
        ...


class GrammarCrashed(BadGrammar):
    """llama.cpp died while reading the grammar: no model could use it, so the chain ends without blaming one."""

    def __init__(self, message: str) -> None:
        BackendError.__init__(self, message)
