"""A stored session as chain events again, so the page's own transcript writer shows it as it was."""

from __future__ import annotations

from typing import Any

from samantha.events import (
    AnswerFinished,
    AnswerRecord,
    AnswerStarted,
    Banner,
    ChainFailed,
    ChainFinished,
    ChainStarted,
    CodeRan,
    Event,
    Notice,
)
from samantha.history.db import StoredAnswer, StoredEvent, StoredSession
from samantha.sampling import format_settings
from samantha.template_probe import TEMPLATE_ADDED_KEY


def _code_event(data: dict[str, Any]) -> CodeRan:
    return CodeRan(
        code=str(data.get("code", "")), stdout=str(data.get("stdout", "")), stderr=str(data.get("stderr", "")),
        exit_code=data.get("exit_code"), ended_by=str(data.get("ended_by", "exit")),
        seconds=float(data.get("seconds", 0.0)), is_error=bool(data.get("is_error", False)),
        images=tuple(data.get("images") or ()), notes=tuple(data.get("notes") or ()),
    )


def _stored_event(event: StoredEvent) -> Event | None:
    data = event.data
    if event.kind == "banner":
        return Banner(str(data.get("model", "")), str(data.get("model_name", event.message)),
                      int(data.get("model_position", 1)), int(data.get("round", 1)), int(data.get("loop", 1)))
    if event.kind == "notice":
        return Notice(event.message)
    if event.kind == "error":
        return ChainFailed(event.message, str(data.get("model", "")), int(data.get("item_number", 0)))
    if event.kind == "code":
        return _code_event(data)
    return None


def answer_started(record: AnswerRecord) -> AnswerStarted:
    """The AnswerStarted the chain yielded for `record`: its heading, and its random settings with its seed."""
    header = ""
    if record.random_values:
        seed = record.settings.get("seed")
        header = format_settings({**record.random_values, **({"seed": seed} if seed is not None else {})})
    return AnswerStarted(record.item_number, record.item_text, header, record.model_name, record.model_position,
                         record.loop, record.round, record.item_label, record.prompt,
                         str(record.extra.get(TEMPLATE_ADDED_KEY, "")))


def session_events(session: StoredSession) -> list[Event]:
    """ChainStarted, then banners, answers, interpreter runs, notices and errors in their order, then the end."""
    events: list[Event] = [ChainStarted(seed=session.summary.seed or 0, steps=session.summary.steps)]
    entries: list[tuple[int, StoredAnswer | StoredEvent]] = [(a.seq, a) for a in session.answers]
    entries += [(e.seq, e) for e in session.events]
    for _, entry in sorted(entries, key=lambda pair: pair[0]):
        if isinstance(entry, StoredAnswer):
            events.append(answer_started(entry.record()))
            events.append(AnswerFinished(entry.record()))
        else:
            event = _stored_event(entry)
            if event is not None:
                events.append(event)
    if session.summary.finish_reason:
        events.append(ChainFinished(session.summary.finish_reason, len(session.answers)))
    return events


def transcript_text(session: StoredSession, *, prompts: bool = False) -> str:
    """The transcript as the page showed it (banners, answers, stats lines, code output, notices, errors);
    `prompts` adds the exact prompt each model saw before its answer."""
    from samantha.transcript_writer import TranscriptWriter  # pure text, no Gradio

    writer = TranscriptWriter(fast=True, show_prompts=prompts)
    for event in session_events(session):
        writer.apply(event)
    return writer.text
