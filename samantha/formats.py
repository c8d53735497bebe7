"""Prompt formats: the model's own chat template or a forced format.

The engine renders the prompt text itself, so the exact string the model saw
can be shown and saved, and every backend sees the same thing. It also says
which parts of that text are content (items, system text, answers, files):
those are tokenized as plain text, so a model's or a person's literal
`<|im_start|>` can never become a real turn marker; only the format's own
markers are control tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import jinja2
import jinja2.sandbox

from samantha.errors import SamanthaError
from samantha.prompts import SystemPart

CHATML_TEMPLATE_NAME = "chatml"
# Where a format's model starts the next turn by itself: the answer ends there (or at end-of-sequence).
CHATML_STOPS = ("<|im_end|>", "<|im_start|>")
GEMMA_STOPS = ("<end_of_turn>", "<start_of_turn>")
TURN_STOPS = ("\nUSER:", "\nASSISTANT:", "\nUser:", "\nAssistant:")
# Stands in for each message's content while a format is rendered, to find where contents land.
_MARK = "\ue000{}\ue001"
_MARK_RE = re.compile("\ue000(\\d+)\ue001")


@dataclass(frozen=True)
class Message:
    """One chat message; `section` names a Samantha-1 system section."""

    role: str  # "system", "user" or "assistant"
    content: str
    section: str = ""


@dataclass(frozen=True)
class TemplateInfo:
    """What a model's GGUF header says about formatting prompts for it."""

    chat_template: str | None = None
    bos_token: str = ""
    eos_token: str = ""
    architecture: str = ""  # general.architecture, e.g. "gemma3"
    chatml_tokens: bool = False  # <|im_start|> is a control token of the vocabulary


@dataclass(frozen=True)
class RenderedPrompt:
    text: str
    notice: str = ""  # something the user should know, e.g. the system text was folded
    # (start, end) character spans of `text` that are content: tokenized as plain text, never as control tokens.
    plain_spans: tuple[tuple[int, int], ...] = ()
    stops: tuple[str, ...] = ()  # where the answer ends because the model starts the next turn


class FormatError(SamanthaError, ValueError):
    """The model's chat template could not render the messages."""


def build_messages(system: Sequence[SystemPart], previous: str, user: str) -> list[Message]:
    """System sections, then (with a previous response) an empty user turn and that response, then the item."""
    messages = [Message("system", part.text, part.section) for part in system]
    if previous:
        messages += [Message("user", ""), Message("assistant", previous)]
    messages.append(Message("user", user))
    return messages


def _joined_system(messages: Sequence[Message]) -> tuple[str, list[Message]]:
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    return system, [m for m in messages if m.role != "system"]


def render_chatml(messages: Sequence[Message]) -> str:
    """ChatML; each system part is its own system turn."""
    turns = [f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages]
    return "".join(turns) + "<|im_start|>assistant\n"


def render_gemma(messages: Sequence[Message]) -> str:
    """Gemma turns; Gemma has no system role, so the system text leads the first user turn."""
    system, turns = _joined_system(messages)
    parts = []
    for index, m in enumerate(turns):
        content = "\n\n".join(part for part in (system, m.content) if part) if index == 0 else m.content
        role = "model" if m.role == "assistant" else "user"
        parts.append(f"<start_of_turn>{role}\n{content}<end_of_turn>\n")
    return "".join(parts) + "<start_of_turn>model\n"


def render_samantha(messages: Sequence[Message], user_name: str = "", assistant_name: str = "") -> str:
    """Samantha-1 context sections (situation / information / thought) and optional named speakers."""
    user_role = f"person ({user_name})" if user_name else "user"
    assistant_role = f"me ({assistant_name})" if assistant_name else "assistant"
    names = {"user": user_role, "assistant": assistant_role}
    turns = []
    for m in messages:
        role = (m.section or "situation") if m.role == "system" else names[m.role]
        turns.append(f"<|im_start|>{role}\n{m.content}<|im_end|>\n")
    return "".join(turns) + f"<|im_start|>{assistant_role}\n"


def render_user_assistant(messages: Sequence[Message]) -> str:
    """`USER:` / `ASSISTANT:` (Capybara, Vicuna); the system text leads, blank-line separated."""
    system, turns = _joined_system(messages)
    lines = [f"{system}\n\n"] if system else []
    for m in turns:
        lines.append(f"{'USER' if m.role == 'user' else 'ASSISTANT'}: {m.content}\n")
    return "".join(lines) + "ASSISTANT:"


def render_raw(messages: Sequence[Message]) -> str:
    """Raw completion: the texts as typed, blank-line separated, with no markup."""
    return "\n\n".join(m.content for m in messages if m.content)


def _template_environment() -> jinja2.Environment:
    def raise_exception(message: str) -> None:
        raise jinja2.TemplateError(message)

    def strftime_now(fmt: str) -> str:
        return datetime.now().strftime(fmt)

    env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals.update(raise_exception=raise_exception, strftime_now=strftime_now)
    return env


def render_template(template: str, messages: Sequence[Message], info: TemplateInfo) -> RenderedPrompt:
    """Render a GGUF chat template; fold the system text into the first user turn if it rejects a system role."""
    env = _template_environment()
    # A chat template is code that comes with the file: whatever it raises is the file's fault, not the app's.
    try:
        compiled = env.from_string(template)
    except Exception as exc:  # noqa: BLE001
        raise FormatError(f"the model's chat template does not compile ({exc}); choose a prompt format instead") from exc

    def run(msgs: Sequence[Message]) -> str:
        return compiled.render(
            messages=[{"role": m.role, "content": m.content} for m in msgs],
            add_generation_prompt=True,
            bos_token=info.bos_token,
            eos_token=info.eos_token,
        )

    system, rest = _joined_system(messages)
    merged = ([Message("system", system)] if system else []) + rest
    try:
        text, spans = content_spans(run, merged)
        return RenderedPrompt(text, plain_spans=spans)
    except Exception as first_error:  # noqa: BLE001
        if not system:
            raise FormatError(f"the model's chat template failed: {first_error}; choose a prompt format instead") from first_error
    folded = list(rest)
    first = folded[0]
    folded[0] = Message("user", f"{system}\n\n{first.content}" if first.content else system)
    try:
        text, spans = content_spans(run, folded)
    except Exception as exc:  # noqa: BLE001
        raise FormatError(f"the model's chat template failed: {exc}; choose a prompt format instead") from exc
    return RenderedPrompt(text, notice="this model's template has no system role: the system text was put in the first user turn",
                          plain_spans=spans)


def _filled(skeleton: str, messages: Sequence[Message]) -> tuple[str, list[tuple[int, int]]]:
    """The skeleton with each content mark replaced by that content, and where the contents landed."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    size = 0
    last = 0
    for match in _MARK_RE.finditer(skeleton):
        out.append(skeleton[last:match.start()])
        size += match.start() - last
        content = messages[int(match.group(1))].content
        if content:
            spans.append((size, size + len(content)))
        out.append(content)
        size += len(content)
        last = match.end()
    out.append(skeleton[last:])
    return "".join(out), spans


def _searched(text: str, messages: Sequence[Message]) -> list[tuple[int, int]]:
    """Content spans found in order in `text` (for a template that changes contents, e.g. trims them)."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for m in messages:
        for content in dict.fromkeys((m.content, m.content.strip())):
            at = text.find(content, cursor) if content else -1
            if at >= 0:
                spans.append((at, at + len(content)))
                cursor = at + len(content)
                break
    return spans


def content_spans(render_text: Callable[[Sequence[Message]], str], messages: Sequence[Message]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The rendered text and the spans of it that are content.

    The format is rendered once with a mark in place of each content, so the spans are exact
    whatever the contents hold; a template that changes contents falls back to finding them.
    """
    text = render_text(messages)
    marked = [Message(m.role, _MARK.format(index), m.section) for index, m in enumerate(messages)]
    try:
        filled, spans = _filled(render_text(marked), messages)
    except Exception:  # noqa: BLE001 - a template may reject the marks; the search below still works
        filled, spans = "", []
    if filled != text:
        spans = _searched(text, messages)
    return text, tuple(spans)


def fallback_format(info: TemplateInfo) -> tuple[str, str]:
    """The forced format for a file without a chat template, chosen from what the file is, and why."""
    if info.architecture.startswith("gemma"):
        return "gemma", f"its architecture is {info.architecture}: using Gemma turns (<start_of_turn>user \u2026 <end_of_turn>)"
    if info.chatml_tokens:
        return "chatml", "its vocabulary has <|im_start|>: using ChatML"
    return "user-assistant", "using USER: / ASSISTANT: turns"


_FORCED: dict[str, tuple[Callable[..., str], tuple[str, ...]]] = {
    "chatml": (render_chatml, CHATML_STOPS),
    "gemma": (render_gemma, GEMMA_STOPS),
    "samantha": (render_samantha, CHATML_STOPS),
    "user-assistant": (render_user_assistant, TURN_STOPS),
    "raw": (render_raw, TURN_STOPS),
}


def render(
    messages: Sequence[Message],
    prompt_format: str,
    info: TemplateInfo,
    *,
    user_name: str = "",
    assistant_name: str = "",
) -> RenderedPrompt:
    """The prompt text for `messages` in `prompt_format` ("auto" uses the model's template)."""
    notice = ""
    if prompt_format == "auto":
        if info.chat_template:
            return render_template(info.chat_template, messages, info)
        prompt_format, why = fallback_format(info)
        notice = f"this model has no chat template ({why})"
    if prompt_format not in _FORCED:
        raise FormatError(f"unknown prompt format {prompt_format!r}")
    render_text, stops = _FORCED[prompt_format]
    if prompt_format == "samantha":
        def render_text(msgs: Sequence[Message]) -> str:
            return render_samantha(msgs, user_name, assistant_name)
    text, spans = content_spans(render_text, messages)
    return RenderedPrompt(text, notice=notice, plain_spans=spans, stops=stops)
