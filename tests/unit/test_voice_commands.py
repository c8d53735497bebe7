"""Voice-command parsing: wake words as whole words, both languages, accents and case ignored."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samantha.voice.commands import Command, CommandKind, fold, parse_command


@pytest.mark.parametrize(
    ("heard", "prompt"),
    [
        ("ok what is the capital of France", "what is the capital of France"),
        ("OK, what is the capital of France?", "what is the capital of France?"),
        ("Okay. Tell me a joke", "Tell me a joke"),
        ("ok: explain top-p sampling", "explain top-p sampling"),
        ("Samantha write a poem about the sea", "write a poem about the sea"),
        ("samantha, qual é a capital do Brasil?", "qual é a capital do Brasil?"),
        ("oquei me conte uma piada", "me conte uma piada"),
        ("samantha read me a story", "read me a story"),
        ("hey Samantha what time is it", "what time is it"),
    ],
)
def test_wake_word_submits_the_rest_as_prompt(heard: str, prompt: str) -> None:
    assert parse_command(heard) == Command(CommandKind.SUBMIT, prompt)


@pytest.mark.parametrize(
    ("heard", "kind"),
    [
        ("samantha close", CommandKind.CLOSE),
        ("Samantha fechar", CommandKind.CLOSE),
        ("samantha stop", CommandKind.STOP),
        ("samantha parar", CommandKind.STOP),
        ("Samantha, pare!", CommandKind.STOP),
        ("samantha next", CommandKind.NEXT),
        ("samantha próximo", CommandKind.NEXT),
        ("samantha proximo", CommandKind.NEXT),
        ("SAMANTHA PRÓXIMO", CommandKind.NEXT),
        ("samantha stop all", CommandKind.STOP_ALL),
        ("samantha parar tudo", CommandKind.STOP_ALL),
        ("samantha read", CommandKind.READ),
        ("samantha ler", CommandKind.READ),
        ("samantha clear", CommandKind.CLEAR),
        ("samantha limpar", CommandKind.CLEAR),
        ("samantha stop please", CommandKind.STOP),
        ("samantha limpar por favor", CommandKind.CLEAR),
        ("ok samantha stop", CommandKind.STOP),
    ],
)
def test_control_commands_in_both_languages(heard: str, kind: CommandKind) -> None:
    assert parse_command(heard) == Command(kind)


@pytest.mark.parametrize(
    "heard",
    [
        "book",
        "look",
        "look at this book",
        "okay-ish words are fine",
        "token ok",
        "broken ok samantha stop",
        "Samantha",
        "samantha!",
        "ok",
        "OK.",
        "samanthas stop",
        "oklahoma is a state",
        "",
        "   ",
        "...",
    ],
)
def test_not_addressed_to_the_app(heard: str) -> None:
    assert parse_command(heard) is None


def test_ok_does_not_run_control_commands() -> None:
    # "ok ..." always submits; only the name runs commands, so a prompt can be "stop".
    assert parse_command("ok stop") == Command(CommandKind.SUBMIT, "stop")


def test_fold_ignores_case_and_accents() -> None:
    assert fold("PRÓXIMO") == fold("proximo") == "proximo"
    assert fold("Ação") == "acao"


_WAKE = {"ok", "okay", "oquei", "samantha", "hey", "ei", "oi"}


@given(st.text(max_size=80))
def test_any_text_parses_without_error(text: str) -> None:
    command = parse_command(text)
    assert command is None or isinstance(command.kind, CommandKind)


@given(st.from_regex(r"[a-z]{1,12}", fullmatch=True), st.text(max_size=40))
def test_only_a_wake_word_first_can_fire(first: str, rest: str) -> None:
    if fold(first) in _WAKE:
        return
    assert parse_command(f"{first} {rest}") is None
