"""Prompt formats (SPEC §7): the model's own chat template or a forced format.

The engine renders the prompt text itself, so the exact string the model saw
can be shown and saved, and every backend sees the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

import jinja2
import jinja2.sandbox

from samantha.prompts import SystemPart

CHATML_TEMPLATE_NAME = "chatml"


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


@dataclass(frozen=True)
class RenderedPrompt:
    text: str
    notice: str = ""  # something the user should know, e.g. the system text was folded


class FormatError(ValueError):
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
        return RenderedPrompt(run(merged))
    except Exception as first_error:  # noqa: BLE001
        if not system:
            raise FormatError(f"the model's chat template failed: {first_error}; choose a prompt format instead") from first_error
    folded = list(rest)
    first = folded[0]
    folded[0] = Message("user", f"{system}\n\n{first.content}" if first.content else system)
    try:
        text = run(folded)
    except Exception as exc:  # noqa: BLE001
        raise FormatError(f"the model's chat template failed: {exc}; choose a prompt format instead") from exc
    return RenderedPrompt(text, notice="this model's template has no system role: the system text was put in the first user turn")


def render(
    messages: Sequence[Message],
    prompt_format: str,
    info: TemplateInfo,
    *,
    user_name: str = "",
    assistant_name: str = "",
) -> RenderedPrompt:
    """The prompt text for `messages` in `prompt_format` ("auto" uses the model's template)."""
    if prompt_format == "auto":
        if info.chat_template:
            return render_template(info.chat_template, messages, info)
        return RenderedPrompt(render_chatml(messages), notice="this model has no chat template: using ChatML")
    if prompt_format == "chatml":
        return RenderedPrompt(render_chatml(messages))
    if prompt_format == "samantha":
        return RenderedPrompt(render_samantha(messages, user_name, assistant_name))
    if prompt_format == "user-assistant":
        return RenderedPrompt(render_user_assistant(messages))
    if prompt_format == "raw":
        return RenderedPrompt(render_raw(messages))
    raise FormatError(f"unknown prompt format {prompt_format!r}")
