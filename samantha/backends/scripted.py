"""A scripted backend for chain-logic tests and demos: queued answers, every prompt recorded.

It follows the same contract as the real backends (one model loaded at a time,
no reload for the same model and options, Stop honoured between pieces).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from samantha.backends.base import (
    BackendError,
    Control,
    Generated,
    GenerationRequest,
    LoadOptions,
    ModelInfo,
    Piece,
    PromptTooLong,
)
from samantha.formats import TemplateInfo


@dataclass
class ScriptedBackend:
    """Answers from `answers` in order (or from `respond(model, prompt)`), word by word."""

    answers: list[str] = field(default_factory=list)
    respond: Callable[[str, str], str] | None = None
    broken: set[str] = field(default_factory=set)  # model refs that fail to load
    template: TemplateInfo = field(default_factory=lambda: TemplateInfo(chatml_tokens=True))  # a ChatML model
    n_ctx_train: int = 4096
    prompts: list[tuple[str, str]] = field(default_factory=list)  # (model, prompt) as sent
    requests: list[GenerationRequest] = field(default_factory=list)
    loads: list[tuple[str, LoadOptions]] = field(default_factory=list)
    _loaded: tuple[str, LoadOptions] | None = None

    def load(self, ref: str, options: LoadOptions, control: Control) -> ModelInfo:
        if ref in self.broken:
            raise BackendError(f"cannot load {PurePath(ref).name}: not a valid GGUF file")
        reused = self._loaded == (ref, options)
        if not reused:
            self.loads.append((ref, options))
            self._loaded = (ref, options)
        n_ctx = options.n_ctx or self.n_ctx_train
        return ModelInfo(ref, PurePath(ref).name, n_ctx, self.n_ctx_train, 256, self.template, 0.0, reused)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, request: GenerationRequest, control: Control) -> Iterator[Piece | Generated]:
        assert self._loaded is not None, "generate before load"
        model = self._loaded[0]
        n_ctx = self._loaded[1].n_ctx or self.n_ctx_train
        prompt_tokens = self.count_tokens(request.prompt)
        if prompt_tokens >= n_ctx:
            raise PromptTooLong(prompt_tokens, n_ctx)
        self.prompts.append((model, request.prompt))
        self.requests.append(request)
        if self.respond is not None:
            answer = self.respond(model, request.prompt)
        else:
            answer = self.answers.pop(0) if self.answers else "ok"
        words = answer.split(" ")
        text = ""
        finish = "eos"
        for index, word in enumerate(words):
            if control.answer_should_stop():
                finish = "cancelled"
                break
            piece = word if index == 0 else " " + word
            text += piece
            yield Piece(piece)
        yield Generated(text, prompt_tokens, len(text.split()), 0.0, 0.0, finish)

    def unload(self) -> None:
        self._loaded = None

    def close(self) -> None:
        self._loaded = None
