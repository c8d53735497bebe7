"""Typed events the chain yields; the UI, the CLI, session files and tests all read these."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from samantha.learning import TokenChoice


@dataclass(frozen=True)
class AnswerRecord:
    """Everything about one answer that a session file keeps (README: session file format)."""

    model: str  # the chain entry as given (path or remote reference)
    model_name: str  # file name, for display
    model_position: int  # 1-based position in the chain order of this loop
    item_number: int  # the prompt item's position as typed (1-based)
    item_text: str  # the item after the grammar (prefix applied, settings removed)
    round: int  # 1-based response round for this model
    loop: int  # 1-based loop
    settings: dict[str, Any]  # effective sampling settings, seed included
    random_values: dict[str, float] | None  # drawn by "random hyperparameters", if on
    prompt: str  # the exact text the model saw, after the template
    answer: str
    prompt_tokens: int
    answer_tokens: int
    load_seconds: float
    prompt_seconds: float
    generation_seconds: float
    finish_reason: str  # "eos", "length" (max_tokens), "context" (the window filled up), "stop", "cancelled", "error"
    extra: dict[str, Any] = field(default_factory=dict)  # plug-ins (code output, learning data)
    item_label: str = ""  # the item's own words (no prefix), so a heading can name the item

    @property
    def tokens_per_second(self) -> float:
        return self.answer_tokens / self.generation_seconds if self.generation_seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ChainStarted:
    """A run begins; `seed` reproduces every random choice in it."""

    seed: int
    steps: int
    previous: str = ""  # the previous response the first step sees (the engine's reading of the field)


@dataclass(frozen=True)
class Banner:
    """A model starts a response round."""

    model: str
    model_name: str
    model_position: int
    round: int
    loop: int


@dataclass(frozen=True)
class AnswerStarted:
    item_number: int
    item_text: str
    header: str = ""  # e.g. the drawn random hyperparameters and seed, shown at the head of the answer
    # What produces this answer, for its heading (an empty model_name: no heading is shown).
    model_name: str = ""
    model_position: int = 0
    loop: int = 0
    round: int = 0
    item_label: str = ""
    prompt: str = ""  # the exact text the model reads, after its template, system text and previous response
    template_added: str = ""  # text the model's own template put in the prompt that no input held


@dataclass(frozen=True)
class Token:
    text: str
    choice: TokenChoice | None = None  # learning mode: the candidates of this step


@dataclass(frozen=True)
class AnswerFinished:
    record: AnswerRecord
    # The previous response the next step sees, by the chain's feedback rule (the page shows this, so the rule
    # lives in one place: chain.py).
    previous: str = ""


@dataclass(frozen=True)
class Downloading:
    """A chain member that is a hub link is being downloaded."""

    model: str  # the link as given
    filename: str
    done: int
    total: int | None
    rate: float  # bytes per second
    seconds_left: float | None


@dataclass(frozen=True)
class ModelLoaded:
    model: str
    seconds: float
    reused: bool


@dataclass(frozen=True)
class Notice:
    """Something the user should know that does not stop anything."""

    message: str


@dataclass(frozen=True)
class ChainFailed:
    """A step failed (bad model file, prompt too long, ...); the chain goes on when it can."""

    message: str
    model: str = ""
    item_number: int = 0


@dataclass(frozen=True)
class CodeRan:
    """The Python of an answer ran (code execution); `view_html` is a sandboxed frame or ""."""

    code: str
    stdout: str
    stderr: str
    exit_code: int | None
    ended_by: str  # "exit", "timeout", "stop", "close"
    seconds: float
    is_error: bool
    view_html: str = ""
    images: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChainFinished:
    reason: str  # "done", "stopped", "STOP_SAMANTHA", "stop condition", "error", "worker crashed"
    answers: int


Event = (
    ChainStarted | Banner | AnswerStarted | Token | AnswerFinished | Downloading | ModelLoaded | Notice | ChainFailed
    | CodeRan | ChainFinished
)


class RunObserver:
    """Sees every event of one run, in order: the transcript, the history recorder, the session file, voice, the
    code panel. Override the handlers you need; the others do nothing, so callers never probe for methods."""

    def apply(self, event: Event) -> None:
        """Hand `event` to its handler."""
        match event:
            case ChainStarted():
                self.on_started(event)
            case Banner():
                self.on_banner(event)
            case AnswerStarted():
                self.on_answer_started(event)
            case Token():
                self.on_token(event)
            case AnswerFinished():
                self.on_answer_finished(event)
            case Downloading():
                self.on_downloading(event)
            case ModelLoaded():
                self.on_model_loaded(event)
            case Notice():
                self.on_notice(event)
            case ChainFailed():
                self.on_failed(event)
            case CodeRan():
                self.on_code_ran(event)
            case ChainFinished():
                self.on_finished(event)

    def on_started(self, event: ChainStarted) -> None:
        """The run began."""

    def on_banner(self, event: Banner) -> None:
        """A model starts a response round."""

    def on_answer_started(self, event: AnswerStarted) -> None:
        """An answer begins."""

    def on_token(self, event: Token) -> None:
        """A piece of the answer arrived."""

    def on_answer_finished(self, event: AnswerFinished) -> None:
        """An answer is complete."""

    def on_downloading(self, event: Downloading) -> None:
        """A linked model is downloading."""

    def on_model_loaded(self, event: ModelLoaded) -> None:
        """A model was loaded."""

    def on_notice(self, event: Notice) -> None:
        """Something to tell the user."""

    def on_failed(self, event: ChainFailed) -> None:
        """A step failed."""

    def on_code_ran(self, event: CodeRan) -> None:
        """An answer's Python ran."""

    def on_finished(self, event: ChainFinished) -> None:
        """The run ended."""
