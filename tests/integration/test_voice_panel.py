"""The voice panel in the real app (real llama.cpp on the tiny model, real eSpeak NG through pyttsx3), driven
through its API: read aloud with Markdown stripped, each answer read aloud, voice commands heard from recorded
speech by a recogniser stand-in that start a real chain, and what the panel says when a model or microphone
is missing."""

from __future__ import annotations

import shutil
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_client import Client, handle_file

from samantha.backends.base import Control
from samantha.events import AnswerFinished, AnswerRecord, AnswerStarted
from samantha.tinymodel import grammar_for_text, write_tiny_gguf
from samantha.ui.voice_panel import VoicePlugin, VoiceRunWatcher
from samantha.voice.session import ListenProblem, VoiceTab, open_server_microphone, vosk_recognizer
from samantha.voice.speech_text import speakable_text
from samantha.voice.tts import SpeechSynthesizer
from tests.support.app_server import serve_app
from tests.support.voice_standins import ScriptedVoice, fake_vosk_model, speak_to_wav

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="eSpeak NG is not installed (Debian: apt-get install espeak-ng)")

ANSWER = "**Paris** is the _capital_ of France. See [the atlas](https://example.com/atlas?page=7)."
SPOKEN = "Paris is the capital of France. See the atlas."
HEARD_PROMPT = "what is the capital of france"
MAX_POLLS = 200


@pytest.fixture(scope="module")
def voice_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("voice-app")
    models = work / "models"
    models.mkdir()
    write_tiny_gguf(models / "tiny.gguf", seed=1, name="tiny")
    recording = speak_to_wav(work / "commands.wav", [f"OK, {HEARD_PROMPT}?", "Samantha close"])
    scripted = ScriptedVoice(recording, [f"ok {HEARD_PROMPT}", "samantha close"])
    plugin = VoicePlugin(recognizers=scripted.recognizer, microphone=scripted.microphone)
    with serve_app(models, work, [plugin]) as running:
        yield {"url": running.url, "models": models, "work": work, "recording": recording, "scripted": scripted}


def start_values(app: dict[str, Any], prompt: str, **extra: Any) -> dict[str, Any]:
    return {"models_dir": str(app["models"]), "model_list": "tiny.gguf", "prompt": prompt, "max_tokens": 200,
            "grammar": grammar_for_text(ANSWER), "seed": "", "stop": "", "links": "", "system": "",
            "previous": "", "user_name": "", "assistant_name": "", "transcript": "", "read_aloud": False,
            "sound_cues": False, **extra}


def audio_path(value: Any) -> str:
    """The player's file, whether the API gives it as a path or as an update carrying it."""
    return str(value["value"] if isinstance(value, dict) else value)


def frames(path: Any) -> tuple[tuple[int, int], bytes]:
    with wave.open(audio_path(path), "rb") as wav:
        return (wav.getnchannels(), wav.getsampwidth()), wav.readframes(wav.getnframes())


def duration(path: Any) -> float:
    with wave.open(audio_path(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


SPEECH_BAND = 0.05  # the share of its length a reading may differ by (the same words at 200 wpm are 12% shorter)


def same_speech(heard: Any, reference: Path) -> bool:
    """Whether `heard` says what `reference` says at the same rate: a duration band, not bytes."""
    expected = duration(reference)
    if abs(duration(heard) - expected) <= SPEECH_BAND * expected:
        return True
    raise AssertionError(f"{duration(heard):.2f} s of speech, {expected:.2f} s expected (within {SPEECH_BAND:.0%})")


def test_read_aloud_speaks_the_answer_without_markdown_and_each_answer_when_ticked(
    voice_app: dict[str, Any], tmp_path: Path
) -> None:
    assert speakable_text(ANSWER) == SPOKEN
    client = Client(voice_app["url"], verbose=False)
    _, note = client.predict(prompt="", voice=None, rate=175, api_name="/voice_read_last")
    assert "no answer yet" in note  # nothing to read before the first answer, and the page says so

    transcript, *_ = client.predict(**start_values(voice_app, "Where is Paris?"), api_name="/start")
    assert ANSWER in transcript
    speech, note = client.predict(prompt="", voice=None, rate=175, api_name="/voice_read_last")
    assert note.startswith("\U0001f50a Reading the last answer:") and "(9 words)" in note
    plain = SpeechSynthesizer().synthesize(SPOKEN, tmp_path / "plain.wav", rate=175, markdown=False)
    # What matters is the words at the asked rate: the same 9 words (the note) in about the time the reference
    # takes to say them (no symbols or URL read, nothing cut off, not faster or slower), not identical bytes.
    assert frames(speech)[0] == (1, 2)
    assert same_speech(speech, plain.path)

    # Read each answer aloud (and sound cues, silent here without an audio device): the run's last outputs
    # are the player with this answer's speech and the status line.
    outputs = client.predict(**start_values(voice_app, "Again?", read_aloud=True, sound_cues=True),
                             api_name="/start")
    spoken, note = outputs[-2], outputs[-1]
    assert "Reading answer 1) tiny.gguf, item 1" in note and "(9 words)" in note, note
    assert same_speech(spoken, plain.path), note

    speech, note = client.predict(prompt="[Be brief]\nOne **bold** line\n--- skipped line", voice=None, rate=175,
                                  api_name="/voice_read_prompt")
    assert "Reading the user prompt" in note


def test_a_spoken_command_fills_the_prompt_starts_a_real_chain_then_close_ends_listening(
    voice_app: dict[str, Any],
) -> None:
    client = Client(voice_app["url"], verbose=False)
    vosk = fake_vosk_model(voice_app["work"] / "vosk")
    message, _ = client.predict(text=str(vosk), lang="English", api_name="/voice_listen")
    assert message.startswith("Listening")

    steps = [client.predict(api_name="/voice_poll") for _ in range(3)]
    prompt, action, status, _ = steps[0]
    assert (prompt, action) == (HEARD_PROMPT, "start")
    assert status == f"Prompt submitted: {HEARD_PROMPT!r}"
    # The page presses Start (the voice panel's script clicks the button): a real chain answers the prompt.
    transcript, *_ = client.predict(**start_values(voice_app, prompt), api_name="/start")
    assert ANSWER in transcript
    _, action, status, _ = steps[1]
    assert action == "" and status == "Stopped listening (close command)."
    assert voice_app["scripted"].recognisers[-1].script == []  # both utterances were heard, nothing after


def test_a_clip_from_the_page_microphone_is_heard_as_commands(voice_app: dict[str, Any]) -> None:
    client = Client(voice_app["url"], verbose=False)
    vosk = fake_vosk_model(voice_app["work"] / "vosk")
    prompt, action, status, *_ = client.predict(
        clip=handle_file(str(voice_app["recording"])), text=str(vosk), lang="English",
        api_name="/voice_clip",
    )
    assert (prompt, action) == (HEARD_PROMPT, "start")
    assert status.startswith(f"Heard “ok {HEARD_PROMPT} / samantha close”.")


def test_without_a_model_or_microphone_the_panel_says_what_is_missing_and_how_to_add_it(
    voice_app: dict[str, Any], tmp_path: Path
) -> None:
    client = Client(voice_app["url"], verbose=False)
    empty = tmp_path / "no-models"
    message, _ = client.predict(text=str(empty), lang="English", api_name="/voice_listen")
    assert "cannot listen yet" in message
    assert f"No English voice-command model in {empty}" in message and "samantha voice setup" in message
    status = client.predict(text=str(empty), lang="Português", api_name="/voice_check")
    assert f"No Portuguese voice-command model in {empty}" in status and "vosk-model-small-pt-0.3.zip" in status

    # The real recogniser and microphone: on a machine without a microphone both gaps are named at once.
    tab = VoiceTab(tmp_path / "speech", vosk_recognizer, open_server_microphone)
    with pytest.raises(ListenProblem) as problem:
        tab.start_listening(empty, "en")
    assert "samantha voice setup" in str(problem.value)
    try:
        source, _ = open_server_microphone()
    except Exception:  # noqa: BLE001 - no microphone here (as on CI): the message must say so
        assert "No microphone" in str(problem.value) and "page's microphone" in str(problem.value)
    else:
        source.close()
    tab.close()


def _finished(answer: str, finish_reason: str = "eos") -> AnswerFinished:
    return AnswerFinished(AnswerRecord(
        model="tiny.gguf", model_name="tiny.gguf", model_position=1, item_number=1, item_text="go", round=1,
        loop=1, settings={}, random_values=None, prompt="", answer=answer, prompt_tokens=1, answer_tokens=1,
        load_seconds=0.0, prompt_seconds=0.0, generation_seconds=0.0, finish_reason=finish_reason,
    ))


def test_stop_silences_each_answer_read_aloud_and_cues_stay_harmless(tmp_path: Path) -> None:
    tab = VoiceTab(tmp_path / "speech", vosk_recognizer, open_server_microphone)
    control = Control()
    watcher = VoiceRunWatcher(tab, control, read_aloud=True, cues=True, voice_id=None, rate=175)
    watcher.apply(AnswerStarted(1, "go"))
    watcher.apply(_finished("First **answer**."))
    tab.silence()  # Stop / next while the first answer is being read: it is not played
    watcher.apply(_finished("cut short", finish_reason="cancelled"))  # a stopped answer is not read
    watcher.apply(_finished("Second answer."))
    _, player, note = watcher.view(finished=True)
    assert "Reading answer" in note and note.count("Reading answer") == 1
    second = SpeechSynthesizer().synthesize("Second answer.", tmp_path / "second.wav", rate=175)
    assert frames(player) == frames(second.path)
    # No audio device here: the cues say why in a passing notice (a toast), not in the note under the transcript.
    assert "Audio cues are silent" not in note

    stopped = Control()
    watcher = VoiceRunWatcher(tab, stopped, read_aloud=True, cues=False, voice_id=None, rate=175)
    watcher.apply(_finished("Never heard."))
    stopped.stop_all()
    _, player, _ = watcher.view(finished=True)
    assert player == gr.skip()  # Stop all: nothing more is read in this run
    tab.close()
