"""Read aloud through the real pyttsx3 engine (eSpeak NG on Linux), in its child process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import wave
from pathlib import Path

import pytest

from samantha.voice.errors import (
    NothingToSayError,
    SpeechEngineError,
    SpeechTimeoutError,
    SynthesisCancelled,
    UnknownVoiceError,
)
from samantha.voice.tts import WORKER, SpeechSynthesizer

pytestmark = pytest.mark.skipif(
    sys.platform.startswith("linux") and shutil.which("espeak-ng") is None,
    reason="eSpeak NG is not installed (Debian: apt-get install espeak-ng libespeak-ng1)",
)

WAIT_S = 120.0
MARKDOWN = (
    "## Results\n\nThe **answer** is _forty two_. See [the docs](https://example.com/a/very/long/path?x=1).\n\n"
    "```python\nprint(42)\n```\n\n- one\n- two\n"
)


@pytest.fixture(scope="module")
def synth() -> SpeechSynthesizer:
    return SpeechSynthesizer()


def _frames(path: Path) -> tuple[tuple[int, int, int], bytes]:
    with wave.open(str(path), "rb") as wav:
        return (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()), wav.readframes(wav.getnframes())


def test_voices_are_listed_with_languages(synth: SpeechSynthesizer) -> None:
    voices = synth.list_voices()
    assert voices, "no voices installed"
    with_language = [v for v in voices if v.languages]
    assert with_language
    assert with_language[0].label.endswith(f"({', '.join(with_language[0].languages)})")
    if sys.platform.startswith("linux"):
        languages = {lang for v in voices for lang in v.languages}
        assert {"pt", "pt-br"} & languages and any(lang.startswith("en") for lang in languages)
        info = synth.engine_info()
        assert info.driver == "espeak" and info.default_rate and info.default_voice


def test_a_sentence_becomes_a_wav_that_grows_with_the_text(synth: SpeechSynthesizer, tmp_path: Path) -> None:
    short = synth.synthesize("Hello there.", tmp_path / "short.wav")
    long = synth.synthesize(
        "Hello there. This sentence is a good deal longer, so reading it aloud takes more time.", tmp_path / "long.wav"
    )
    params, frames = _frames(short.path)
    assert params[0] == 1 and params[1] == 2 and params[2] == short.sample_rate
    assert len(frames) > 0
    assert 0.3 < short.duration_s < 5.0
    assert long.duration_s > 2 * short.duration_s


def test_markdown_speaks_only_the_words(synth: SpeechSynthesizer, tmp_path: Path) -> None:
    spoken = synth.synthesize(MARKDOWN, tmp_path / "markdown.wav")
    assert spoken.spoken_text == "Results. The answer is forty two. See the docs. Code block. one. two."
    plain = synth.synthesize(spoken.spoken_text, tmp_path / "plain.wav", markdown=False)
    # The same words as the plain text: the same length of speech (audio bytes vary with the machine's load).
    assert abs(spoken.duration_s - plain.duration_s) <= 0.05 * plain.duration_s, (spoken.duration_s, plain.duration_s)
    raw = synth.synthesize(MARKDOWN, tmp_path / "raw.wav", markdown=False)
    assert raw.duration_s > 1.5 * spoken.duration_s  # reading the symbols and the URL takes far longer


def test_code_blocks_can_be_skipped(tmp_path: Path) -> None:
    skipping = SpeechSynthesizer(code_blocks="skip")
    result = skipping.synthesize(MARKDOWN, tmp_path / "skip.wav")
    assert result.spoken_text == "Results. The answer is forty two. See the docs. one. two."


def test_voice_and_rate_change_the_audio(synth: SpeechSynthesizer, tmp_path: Path) -> None:
    text = "Olá, como vai você hoje?"
    voice = next(v.id for v in synth.list_voices() if "pt" in v.id.lower() or "portug" in v.name.lower())
    normal = synth.synthesize(text, tmp_path / "normal.wav", voice_id=voice)
    slow = synth.synthesize(text, tmp_path / "slow.wav", voice_id=voice, rate=90)
    assert slow.duration_s > 1.3 * normal.duration_s


def test_long_text_is_spoken_in_full(synth: SpeechSynthesizer, tmp_path: Path) -> None:
    # Long inputs used to crash pyttsx3's eSpeak driver or leave no file at all.
    sentence = "The quick brown fox jumps over the lazy dog. "
    one = synth.synthesize(sentence, tmp_path / "one.wav")
    many = synth.synthesize(sentence * 120, tmp_path / "many.wav")
    assert many.duration_s > 60 * one.duration_s


def test_worker_survives_one_very_long_piece(tmp_path: Path) -> None:
    # pyttsx3 tells eSpeak the text is ten times its size; eSpeak then reads past the end and,
    # with a long text (here mostly spaces, quick to speak), crashes the process. The worker
    # passes the real size.
    target = tmp_path / "piece.wav"
    request = {"op": "save", "pieces": ["Hello there." + " " * 40000 + "Goodbye."], "path": str(target)}
    done = subprocess.run(
        [sys.executable, str(WORKER)],
        input=json.dumps(request).encode(),
        capture_output=True,
        timeout=WAIT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-500:]
    reply = json.loads(done.stdout.decode().splitlines()[-1])
    assert reply["ok"] is True
    params, frames = _frames(target)
    assert len(frames) // 2 / params[2] > 1.0  # both words, not an empty file


def test_unknown_voice_is_named(synth: SpeechSynthesizer, tmp_path: Path) -> None:
    with pytest.raises(UnknownVoiceError, match="no-such-voice"):
        synth.synthesize("Hello.", tmp_path / "x.wav", voice_id="no-such-voice")
    assert not (tmp_path / "x.wav").exists()


def test_nothing_to_say(synth: SpeechSynthesizer, tmp_path: Path) -> None:
    with pytest.raises(NothingToSayError, match="nothing to read aloud"):
        synth.synthesize("https://example.com", tmp_path / "x.wav")
    with pytest.raises(ValueError, match="words per minute"):
        synth.synthesize("Hello.", tmp_path / "x.wav", rate=5)


def test_stop_cancels_the_synthesis_in_progress(tmp_path: Path) -> None:
    synth = SpeechSynthesizer()
    outcome: list[BaseException | None] = []
    target = tmp_path / "endless.wav"

    def read_a_book() -> None:
        try:
            synth.synthesize("This book goes on and on and on. " * 20000, target)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - the test inspects whatever ended the job
            outcome.append(exc)

    worker = threading.Thread(target=read_a_book, daemon=True)
    worker.start()
    started = threading.Event()
    while not started.is_set() and worker.is_alive():
        started.wait(0.01)
        if synth.busy:
            started.set()
    assert started.is_set(), "the synthesis never started"
    assert synth.stop() is True
    worker.join(WAIT_S)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], SynthesisCancelled)
    assert not target.exists()
    assert not synth.busy
    assert synth.stop() is False  # nothing left to stop
    after = synth.synthesize("Next answer.", tmp_path / "next.wav")  # a stopped synthesizer keeps working
    assert after.duration_s > 0


def test_a_stuck_engine_is_timed_out(tmp_path: Path) -> None:
    synth = SpeechSynthesizer(timeout_s=0.5)
    with pytest.raises(SpeechTimeoutError, match="did not finish"):
        synth.synthesize("A very long text to read. " * 20000, tmp_path / "slow.wav")
    assert not synth.busy


def test_a_missing_python_is_a_clear_error(tmp_path: Path) -> None:
    synth = SpeechSynthesizer(python=tmp_path / "no-python-here")
    with pytest.raises(SpeechEngineError, match="Could not start the speech process"):
        synth.list_voices()
