"""Reading an OpenAI-compatible stream: server-sent events, then each chunk's text, end reason and logprobs.

Pure functions over lines and dicts, so the parsing is tested without a server.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from samantha.learning import Candidate, TokenChoice

DONE = "[DONE]"


def sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The `data` of each event: `data:` lines joined with newlines, sent at each blank line.

    Comments (`:` lines) and other fields (`event:`, `id:`, `retry:`) are skipped; an event
    the stream cuts off before its blank line is not sent (the server-sent events rule).
    """
    buffer: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if buffer:
                yield "\n".join(buffer)
                buffer = []
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if name != "data":
            continue
        buffer.append(value[1:] if colon and value.startswith(" ") else value)


@dataclass
class ChunkPart:
    """What one streamed chunk adds to the answer."""

    text: str = ""
    finish_reason: str | None = None
    choices: list[TokenChoice] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    error: str = ""  # the server reported an error inside the stream


def _probability(logprob: float) -> float:
    return math.exp(logprob) if logprob > -745 else 0.0


def token_choice(text: str, logprob: float, top: list[tuple[str, float]]) -> TokenChoice:
    """A learning-mode step from a server's logprobs.

    Servers give token texts, not ids, so candidates are numbered -1, -2, ... by rank within the
    step and the pick shares the number of its candidate; `logit` holds the log-probability
    (the logit shifted by a constant per step, so ranks and differences are the same).
    """
    ranked = sorted(top, key=lambda pair: -pair[1])
    candidates = tuple(Candidate(-1 - i, t, float(lp), _probability(lp)) for i, (t, lp) in enumerate(ranked))
    match = next((c for c in candidates if c.text == text), None)
    token_id = match.token_id if match is not None else -1 - len(candidates)
    rank = 1 + sum(1 for c in candidates if c.logit > logprob and c is not match)
    return TokenChoice(token_id, text, rank, float(logprob), _probability(logprob), candidates)


def _chat_choices(logprobs: Any) -> list[TokenChoice]:
    out = []
    for entry in (logprobs or {}).get("content") or []:
        if not isinstance(entry, dict) or entry.get("logprob") is None:
            continue
        top = [(str(t.get("token", "")), float(t["logprob"])) for t in entry.get("top_logprobs") or []
               if isinstance(t, dict) and t.get("logprob") is not None]
        out.append(token_choice(str(entry.get("token", "")), float(entry["logprob"]), top))
    return out


def _completion_choices(logprobs: Any) -> list[TokenChoice]:
    if not isinstance(logprobs, dict):
        return []
    tokens = logprobs.get("tokens") or []
    values = logprobs.get("token_logprobs") or []
    tops = logprobs.get("top_logprobs") or []
    out = []
    for i, token in enumerate(tokens):
        if i >= len(values) or values[i] is None:
            continue
        top = tops[i] if i < len(tops) and isinstance(tops[i], dict) else {}
        out.append(token_choice(str(token), float(values[i]), [(str(t), float(lp)) for t, lp in top.items()]))
    return out


def parse_chunk(data: str, chat: bool) -> ChunkPart:
    """One event's data as a ChunkPart; a body that is not JSON is an error the stream reports."""
    try:
        body = json.loads(data)
    except ValueError:
        return ChunkPart(error=f"the server sent something that is not JSON: {data[:120]!r}")
    if not isinstance(body, dict):
        return ChunkPart(error=f"the server sent an unexpected event: {data[:120]!r}")
    if "error" in body:
        error = body["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        return ChunkPart(error=str(message)[:300] or "the server reported an error")
    part = ChunkPart(usage=body.get("usage") if isinstance(body.get("usage"), dict) else None)
    for choice in body.get("choices") or []:
        if not isinstance(choice, dict) or choice.get("index", 0) != 0:
            continue
        if chat:
            delta = choice.get("delta") or choice.get("message") or {}  # a server that would not stream
            part.text += str(delta.get("content") or "")
            part.choices += _chat_choices(choice.get("logprobs"))
        else:
            part.text += str(choice.get("text") or "")
            part.choices += _completion_choices(choice.get("logprobs"))
        if choice.get("finish_reason"):
            part.finish_reason = str(choice["finish_reason"])
    return part


def finish_reason(server_reason: str | None) -> str:
    """The server's end reason in Samantha's words: "length" or "eos".

    OpenAI's "stop" covers both the end of the turn and a stop string, so both read as "eos".
    """
    return "length" if server_reason == "length" else "eos"
