"""Voice commands: what a recognised utterance asks the app to do.

An utterance must start with a wake word, matched as a whole word with case
and accents ignored: "ok"/"okay" submits the rest as the user prompt;
"Samantha" followed by exactly one of the control phrases below runs that
command, and followed by anything else submits it. "book", "look" or "token"
never wake it (the original matched "ok" anywhere inside a word).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum


class CommandKind(str, Enum):
    """What the app should do."""

    SUBMIT = "submit"
    CLOSE = "close"
    STOP = "stop"
    NEXT = "next"
    STOP_ALL = "stop_all"
    READ = "read"
    CLEAR = "clear"


@dataclass(frozen=True)
class Command:
    """One parsed voice command; `text` is the prompt for SUBMIT and empty otherwise."""

    kind: CommandKind
    text: str = ""


SUBMIT_WAKE_WORDS = ("ok", "okay", "oquei")
NAME_WAKE_WORDS = ("samantha",)
_GREETINGS = (*SUBMIT_WAKE_WORDS, "hey", "ei", "oi")

# Control phrases, English and Portuguese, written without accents (matching ignores them).
CONTROL_PHRASES: dict[CommandKind, tuple[str, ...]] = {
    CommandKind.CLOSE: ("close", "fechar", "feche"),
    CommandKind.STOP: ("stop", "parar", "pare"),
    CommandKind.NEXT: ("next", "proximo", "proxima", "seguinte"),
    CommandKind.STOP_ALL: ("stop all", "stop everything", "parar tudo", "pare tudo"),
    CommandKind.READ: ("read", "read aloud", "read the last answer", "ler", "leia", "ler em voz alta"),
    CommandKind.CLEAR: ("clear", "limpar", "limpe"),
}
_POLITE = ("please", "por favor")

# A word may hold inner hyphens or apostrophes, so "okay-ish" is one word, not "okay".
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents, so "Próximo" and "proximo" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _phrase_table() -> dict[tuple[str, ...], CommandKind]:
    table: dict[tuple[str, ...], CommandKind] = {}
    for kind, phrases in CONTROL_PHRASES.items():
        for phrase in phrases:
            table[tuple(phrase.split())] = kind
    return table


_PHRASES = _phrase_table()
_POLITE_WORDS = tuple(tuple(p.split()) for p in _POLITE)


def _control_kind(words: list[str]) -> CommandKind | None:
    for polite in _POLITE_WORDS:
        if len(words) > len(polite) and tuple(words[-len(polite) :]) == polite:
            words = words[: -len(polite)]
            break
    return _PHRASES.get(tuple(words))


def parse_command(text: str) -> Command | None:
    """Parse one recognised utterance; None when it is not addressed to the app.

    >>> parse_command("OK, what is the capital of France?")
    Command(kind=<CommandKind.SUBMIT: 'submit'>, text='what is the capital of France?')
    >>> parse_command("Samantha próximo").kind
    <CommandKind.NEXT: 'next'>
    >>> parse_command("look at this book") is None
    True
    """
    matches = list(_WORD.finditer(text))
    if len(matches) > 1 and fold(matches[0].group()) in _GREETINGS and fold(matches[1].group()) in NAME_WAKE_WORDS:
        matches = matches[1:]  # "OK Samantha, stop" / "Hey Samantha ..." address her by name
    if not matches:
        return None
    wake = fold(matches[0].group())
    if wake not in SUBMIT_WAKE_WORDS and wake not in NAME_WAKE_WORDS:
        return None
    rest_words = [fold(m.group()) for m in matches[1:]]
    if not rest_words:
        return None
    if wake in NAME_WAKE_WORDS:
        kind = _control_kind(rest_words)
        if kind is not None:
            return Command(kind)
    prompt = text[matches[0].end() :].lstrip(" \t\r\n,.;:!?-–—")
    return Command(CommandKind.SUBMIT, prompt.strip())
