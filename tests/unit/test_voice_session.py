"""The voice panel's plain rules: commands to page actions, clips to PCM, the prompt as read, voice choices,
and the per-tab command queue (stand-in recogniser and microphone: no devices, no models)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest

from samantha.prompts import parse_prompt_list
from samantha.ui.voice_view import (
    ACTION_BUTTONS,
    BROWSER_MIC_ABSENT,
    BROWSER_MIC_PRESENT,
    listen_controls,
    pick_voice,
    voice_choices,
)
from samantha.voice.commands import Command, CommandKind, parse_command
from samantha.voice.errors import AudioDeviceError, VoiceModelError
from samantha.voice.session import ListenProblem, VoiceTab, missing_parts_message, page_action
from samantha.voice.sources import clip_pcm, pcm_chunks
from samantha.voice.speech_text import prompt_speech_text
from samantha.voice.tts import Voice


@pytest.mark.parametrize(("said", "action"), [
    ("OK tell me a joke", "start"),
    ("Samantha stop", "stop_next"),
    ("Samantha próximo", "stop_next"),
    ("Samantha parar tudo", "stop_all"),
    ("Samantha read the last answer", "read_last"),
    ("Samantha limpar", "clear"),
    ("Samantha fechar", ""),
])
def test_each_command_presses_its_button(said: str, action: str) -> None:
    command = parse_command(said)
    assert command is not None and page_action(command) == action
    assert action == "" or action in ACTION_BUTTONS


def test_clips_become_16_bit_mono_pcm() -> None:
    stereo = np.array([[0.5, -0.5], [1.0, 1.0], [-1.0, -1.0]], dtype=np.float32)
    assert np.frombuffer(clip_pcm(stereo), "<i2").tolist() == [0, 32767, -32767]
    ints = np.array([1, -2, 300], dtype=np.int16)
    assert clip_pcm(ints) == ints.astype("<i2").tobytes()
    assert np.frombuffer(clip_pcm(np.array([65536 * 5], dtype=np.int32)), "<i2").tolist() == [5]
    assert [len(c) for c in pcm_chunks(bytes(10), chunk_frames=2)] == [4, 4, 2]
    with pytest.raises(ValueError, match="channels"):
        clip_pcm(np.zeros((2, 2, 2)))


def test_the_prompt_is_read_without_its_list_syntax() -> None:
    assert prompt_speech_text("{temperature=0.5} First item\n--- skipped\n\nSecond item") == "First item\n\nSecond item"
    assert prompt_speech_text("one $$$ --- two $$$ three") == "one\n\nthree"
    assert prompt_speech_text("   ") == ""


def test_the_prompt_is_read_the_way_the_chain_splits_it() -> None:
    """A `[...]` prefix over two lines is one block for the chain: read once, first, without its brackets
    (split by lines, it was read as two items, "[Answer in one word." and "Be polite.]")."""
    prompt = "[Answer in one word.\nBe polite.]\nCapital of France?\nCapital of Spain?"
    items = parse_prompt_list(prompt)
    assert [item.body for item in items] == ["Capital of France?", "Capital of Spain?"]
    assert prompt_speech_text(prompt) == "Answer in one word.\nBe polite.\n\nCapital of France?\n\nCapital of Spain?"


def test_voices_are_offered_by_label_and_the_remembered_one_wins() -> None:
    voices = [Voice("b", "Zulu", ("zu",)), Voice("a", "english", ("en-us",)), Voice("c", "Brazil", ("pt-br",))]
    choices = voice_choices(voices)
    assert choices == [("Brazil (pt-br)", "c"), ("english (en-us)", "a"), ("Zulu (zu)", "b")]
    assert pick_voice(choices, "b", "a") == "b"
    assert pick_voice(choices, "gone", "a") == "a"
    assert pick_voice(choices, "", None) == "c"
    assert pick_voice([], "x", "y") is None


def test_the_missing_message_lists_every_gap() -> None:
    text = missing_parts_message(["No model. Run `samantha voice setup`", "No microphone"], microphone_missing=True)
    assert text.splitlines()[1:3] == ["- No model. Run `samantha voice setup`", "- No microphone"]
    assert "page's microphone" in text


class Script:
    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def feed(self, chunk: bytes) -> str | None:
        return self.texts.pop(0) if self.texts else None

    def flush(self) -> str | None:
        return None


def test_heard_commands_come_out_one_step_at_a_time_then_listening_ends(tmp_path: Path) -> None:
    def microphone() -> tuple[Iterable[bytes], int]:
        return [bytes(4)] * 3, 16000

    tab = VoiceTab(tmp_path, lambda lang, folder, rate: Script(["ok hello there", "samantha stop", "samantha close"]),
                   microphone)
    assert tab.start_listening(tmp_path, "en").startswith("Listening")
    assert tab._listener is not None and tab._listener.join(10)
    first, second, third = tab.next_step(), tab.next_step(), tab.next_step()
    assert (first.prompt, first.action, first.listening) == ("hello there", "start", True)
    assert (second.prompt, second.action) == (None, "stop_next")
    assert third.action == "" and "close" in third.message and not third.listening
    assert tab.next_step().message == ""


def test_listening_names_both_missing_pieces(tmp_path: Path) -> None:
    def no_microphone() -> tuple[Iterable[bytes], int]:
        raise AudioDeviceError("No microphone (audio input device) was found.")

    def no_model(lang: str, folder: Path, rate: int) -> Script:
        raise VoiceModelError(f"No '{lang}' voice-command model in {folder}.")

    tab = VoiceTab(tmp_path, no_model, no_microphone)
    with pytest.raises(ListenProblem) as problem:
        tab.start_listening(tmp_path, "pt")
    assert f"No 'pt' voice-command model in {tmp_path}." in str(problem.value)
    assert "No microphone" in str(problem.value) and not tab.listening


def test_a_submit_without_words_does_not_start(tmp_path: Path) -> None:
    tab = VoiceTab(tmp_path, lambda lang, folder, rate: Script([]), lambda: ([], 16000))
    tab._commands.put(Command(CommandKind.SUBMIT, ""))
    step = tab.next_step()
    assert step.action == "" and step.prompt is None


def test_each_way_of_listening_is_off_when_it_cannot_work_and_the_status_says_why() -> None:
    missing_model = "No English voice-command model in /models. Run `samantha voice setup`."
    no_mic = "No microphone (audio input device) was found on this computer."
    off = listen_controls([missing_model], None, BROWSER_MIC_PRESENT)
    assert (off.listen, off.page_mic) == (False, False)
    assert "cannot listen yet" in off.message and missing_model in off.message

    server = listen_controls([], no_mic, BROWSER_MIC_PRESENT)  # a server without a microphone, a browser with one
    assert (server.listen, server.page_mic) == (False, True)
    assert f"**Start listening** is off: {no_mic}" in server.message

    browser = listen_controls([], None, BROWSER_MIC_ABSENT)
    assert (browser.listen, browser.page_mic) == (True, False)
    assert "this browser reports no microphone" in browser.message

    ready = listen_controls([], None, "")  # the browser has not answered yet: its recorder stays on
    assert (ready.listen, ready.page_mic) == (True, True) and "ready" in ready.message


def test_device_messages_are_sentences_without_portaudios_words() -> None:
    from samantha.voice.audio_device import _no_device_message

    for kind in ("input", "output"):
        message = _no_device_message(kind, "Error querying device -1")
        assert "Error querying device" not in message and message.endswith(".")
