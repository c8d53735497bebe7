"""The listening loop: chunks in, commands out, in a background thread that ends cleanly."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from samantha.voice.commands import Command, CommandKind
from samantha.voice.listener import Recognizer, VoiceListener

WAIT_S = 30.0
SILENCE = bytes(320)


class ChunkScript:
    """A recogniser stand-in: the text scripted for the n-th chunk fed, else None."""

    def __init__(self, script: dict[int, str], final: str | None = None) -> None:
        self.script = script
        self.final = final
        self.fed = 0
        self.first_chunk = threading.Event()

    def feed(self, chunk: bytes) -> str | None:
        index = self.fed
        self.fed += 1
        self.first_chunk.set()
        return self.script.get(index)

    def flush(self) -> str | None:
        return self.final


def _run(listener: VoiceListener) -> None:
    listener.start()
    assert listener.join(WAIT_S), "the listener did not end"


def test_stand_in_satisfies_the_protocol() -> None:
    assert isinstance(ChunkScript({}), Recognizer)


def test_commands_reach_the_callback_and_close_ends_the_loop() -> None:
    recognizer = ChunkScript({1: "ok what is two plus two", 3: "the weather is nice", 4: "samantha fechar", 6: "ok never"})
    commands: list[Command] = []
    heard: list[str] = []
    listener = VoiceListener([SILENCE] * 10, recognizer, commands.append, on_text=heard.append)
    _run(listener)
    assert commands == [Command(CommandKind.SUBMIT, "what is two plus two"), Command(CommandKind.CLOSE)]
    assert heard == ["ok what is two plus two", "the weather is nice", "samantha fechar"]
    assert listener.end_reason == "close"
    assert recognizer.fed == 5  # nothing is fed after the close command
    assert not listener.running


def test_pending_text_is_flushed_when_the_source_ends() -> None:
    commands: list[Command] = []
    listener = VoiceListener([SILENCE] * 3, ChunkScript({}, final="samantha next"), commands.append)
    _run(listener)
    assert commands == [Command(CommandKind.NEXT)]
    assert listener.end_reason == "source_ended"


def test_stop_ends_an_endless_source() -> None:
    def endless() -> Iterator[bytes]:
        while True:
            yield SILENCE

    recognizer = ChunkScript({})
    listener = VoiceListener(endless(), recognizer, lambda command: None)
    listener.start()
    assert recognizer.first_chunk.wait(WAIT_S)
    listener.stop()
    assert listener.join(WAIT_S)
    assert listener.end_reason == "stop"
    assert listener.error is None


class BlockingSource:
    """Waits for audio that never comes until interrupted, like a silent microphone."""

    def __init__(self) -> None:
        self.waiting = threading.Event()
        self.interrupted = threading.Event()
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        self.waiting.set()
        self.interrupted.wait(WAIT_S)
        return iter(())

    def interrupt(self) -> None:
        self.interrupted.set()

    def close(self) -> None:
        self.closed = True


def test_stop_wakes_a_waiting_source_and_closes_it() -> None:
    source = BlockingSource()
    listener = VoiceListener(source, ChunkScript({}), lambda command: None)
    listener.start()
    assert source.waiting.wait(WAIT_S)
    listener.stop()
    assert listener.join(WAIT_S)
    assert source.interrupted.is_set() and source.closed
    assert listener.end_reason == "stop"


def test_a_failing_callback_is_reported_and_listening_goes_on() -> None:
    errors: list[BaseException] = []
    seen: list[Command] = []

    def on_command(command: Command) -> None:
        seen.append(command)
        if command.kind is CommandKind.SUBMIT:
            raise RuntimeError("the page is gone")

    script = ChunkScript({0: "ok first", 1: "samantha close"})
    _run(VoiceListener([SILENCE] * 3, script, on_command, on_error=errors.append))
    assert [c.kind for c in seen] == [CommandKind.SUBMIT, CommandKind.CLOSE]
    assert [str(e) for e in errors] == ["the page is gone"]


def test_a_failing_source_ends_the_loop_with_the_error() -> None:
    def broken() -> Iterator[bytes]:
        yield SILENCE
        raise OSError("device unplugged")

    errors: list[BaseException] = []
    listener = VoiceListener(broken(), ChunkScript({}), lambda command: None, on_error=errors.append)
    _run(listener)
    assert listener.end_reason == "error"
    assert isinstance(listener.error, OSError) and errors == [listener.error]


def test_a_listener_starts_once() -> None:
    listener = VoiceListener([], ChunkScript({}), lambda command: None)
    _run(listener)
    with pytest.raises(RuntimeError, match="new VoiceListener"):
        listener.start()
