"""What the app and the llama.cpp worker process say to each other over their pipe, one type per message.

Both ends are Samantha's own code, so the messages are pickled dataclasses: each side matches them by
type (`isinstance`), never by position in a tuple. The shared stop flag is not a message: llama.cpp
reads it while it works, when the worker cannot read the pipe.
"""

from __future__ import annotations

from dataclasses import dataclass

from samantha.backends.base import BackendError, Generated, LoadOptions
from samantha.errors import SamanthaError

# -- app -> worker ------------------------------------------------------------


@dataclass(frozen=True)
class LoadModel:
    """Load the GGUF file at `path` (the worker holds one model at a time)."""

    path: str
    options: LoadOptions


@dataclass(frozen=True)
class Generate:
    """Answer `prompt` (the exact text, format applied); `sampling` is Sampling.to_dict()."""

    prompt: str
    sampling: dict
    seed: int
    grammar: str | None = None
    reset: bool = False
    candidates: int = 0
    lockstep: bool = False
    plain_spans: tuple[tuple[int, int], ...] = ()
    format_stops: tuple[str, ...] = ()


@dataclass(frozen=True)
class NextToken:
    """Learning mode's pacing: the consumer wants the next token now."""


@dataclass(frozen=True)
class CountTokens:
    text: str


@dataclass(frozen=True)
class Tokenize:
    """The token ids for `text`, with `plain_spans` read as plain text (as Generate reads them)."""

    text: str
    plain_spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class SaveState:
    """Send back what the context holds (tokens and llama.cpp's state), before the worker ends."""


@dataclass(frozen=True)
class RestoreState:
    tokens: tuple[int, ...]
    data: bytes


@dataclass(frozen=True)
class Quit:
    """Free the model and end."""


Request = LoadModel | Generate | NextToken | CountTokens | Tokenize | SaveState | RestoreState | Quit

# -- worker -> app ------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """What the loaded file says of itself, and what loading it took."""

    n_ctx: int
    n_ctx_train: int
    n_vocab: int
    chat_template: str | None
    bos_token: str
    eos_token: str
    architecture: str
    chatml_tokens: bool
    load_seconds: float
    n_threads: int


@dataclass(frozen=True)
class Phase:
    """The answer moved on to another part of the work, named if the worker dies in it."""

    what: str


@dataclass(frozen=True)
class TokenPiece:
    """Text to show (may be empty while a stop string may be starting); `token` -1 for the held-back tail;
    `choice` is learning mode's TokenChoice.to_dict() for this token."""

    text: str
    token: int
    choice: dict | None = None


@dataclass(frozen=True)
class Finished:
    result: Generated


@dataclass(frozen=True)
class TokenCount:
    count: int


@dataclass(frozen=True)
class TokenIds:
    ids: tuple[int, ...]


@dataclass(frozen=True)
class StateSaved:
    """The context's tokens and llama.cpp's state for them; None when the context is empty."""

    tokens: tuple[int, ...] | None
    data: bytes = b""


@dataclass(frozen=True)
class Restored:
    """How many tokens the context holds now (0: llama.cpp refused the state)."""

    count: int


@dataclass(frozen=True)
class Failed:
    """The request failed with one of Samantha's errors, sent as itself (it pickles with its type and message)."""

    error: SamanthaError


@dataclass(frozen=True)
class WorkerBug:
    """The request failed with an exception that is neither Samantha's nor llama.cpp's: a bug, not a user error."""

    kind: str
    message: str
    traceback: str


Reply = Loaded | Phase | TokenPiece | Finished | TokenCount | TokenIds | StateSaved | Restored | Failed | WorkerBug


class LlamaFailed(BackendError):
    """llama-cpp-python raised (it could not load the file, or decode); `reason` is its own words.

    The worker sends it instead of llama-cpp-python's ValueError or RuntimeError; the app adds
    what it knows (which file, what to do) where it receives it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

