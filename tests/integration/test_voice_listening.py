"""The listening loop fed recorded speech: eSpeak NG utterances -> chunks -> recogniser stand-in -> commands.

No Vosk model can be downloaded here, so the recogniser is a stand-in that
implements the same protocol: it finds where each utterance ends in the real
audio (speech followed by half a second of silence) and returns the next
scripted text at that chunk boundary.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from samantha.voice.commands import Command, CommandKind
from samantha.voice.listener import Recognizer, VoiceListener
from samantha.voice.sources import wav_chunks, wav_sample_rate

ESPEAK = shutil.which("espeak-ng")
pytestmark = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")

WAIT_S = 60.0
CHUNK_FRAMES = 1600
UTTERANCES = [
    ("OK, what is the capital of France?", "en-us"),
    ("Samantha close", "en-us"),
    ("OK, this must never be heard", "en-us"),
]


class UtteranceScript:
    """Recogniser stand-in: when an utterance ends in the audio, return the next scripted text."""

    def __init__(self, script: list[str], sample_rate: int, threshold: int = 300, gap_s: float = 0.5) -> None:
        self.script = list(script)
        self.threshold = threshold
        self.gap_frames = int(gap_s * sample_rate)
        self.in_speech = False
        self.silent_frames = 0
        self.frames_fed = 0
        self.ends_at: list[int] = []  # frames fed when each utterance was recognised

    def feed(self, chunk: bytes) -> str | None:
        samples = np.frombuffer(chunk, dtype="<i2")
        self.frames_fed += len(samples)
        if len(samples) and int(np.max(np.abs(samples.astype(np.int32)))) > self.threshold:
            self.in_speech, self.silent_frames = True, 0
            return None
        self.silent_frames += len(samples)
        if self.in_speech and self.silent_frames >= self.gap_frames:
            self.in_speech = False
            self.ends_at.append(self.frames_fed)
            return self.script.pop(0) if self.script else None
        return None

    def flush(self) -> str | None:
        return None


def _speak(text: str, voice: str, path: Path) -> None:
    assert ESPEAK is not None
    subprocess.run([ESPEAK, "-v", voice, "-s", "160", "-w", str(path), text], check=True, timeout=WAIT_S)


def _recording(tmp_path: Path) -> tuple[Path, list[int]]:
    """One WAV: each utterance followed by a second of silence; returns it and each utterance's end frame."""
    parts: list[bytes] = []
    ends: list[int] = []
    rate = 0
    total = 0
    for index, (text, voice) in enumerate(UTTERANCES):
        part = tmp_path / f"utterance-{index}.wav"
        _speak(text, voice, part)
        with wave.open(str(part), "rb") as wav:
            assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
            rate = wav.getframerate()
            frames = wav.readframes(wav.getnframes())
        parts += [frames, bytes(2 * rate)]
        total += len(frames) // 2
        ends.append(total)
        total += rate
    recording = tmp_path / "recording.wav"
    with wave.open(str(recording), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(parts))
    return recording, ends


def test_recorded_speech_submits_then_closes_and_the_loop_stops(tmp_path: Path) -> None:
    recording, speech_ends = _recording(tmp_path)
    rate = wav_sample_rate(recording)
    recognizer = UtteranceScript([text.lower().replace(",", "").replace("?", "") for text, _ in UTTERANCES], rate)
    assert isinstance(recognizer, Recognizer)
    commands: list[Command] = []
    heard: list[str] = []
    listener = VoiceListener(wav_chunks(recording, CHUNK_FRAMES), recognizer, commands.append, on_text=heard.append)
    listener.start()
    assert listener.join(WAIT_S), "the listener did not stop"

    assert commands == [Command(CommandKind.SUBMIT, "what is the capital of france"), Command(CommandKind.CLOSE)]
    assert heard == ["ok what is the capital of france", "samantha close"]
    assert listener.end_reason == "close" and listener.error is None
    # Each text came at the chunk where its utterance ended in the audio, and nothing after the close was fed.
    assert len(recognizer.ends_at) == 2
    for recognised_at, spoken_end in zip(recognizer.ends_at, speech_ends):
        assert spoken_end < recognised_at <= spoken_end + rate + CHUNK_FRAMES
    with wave.open(str(recording), "rb") as wav:
        assert recognizer.frames_fed < wav.getnframes()
    assert recognizer.frames_fed <= speech_ends[1] + rate + CHUNK_FRAMES


def test_stop_ends_listening_to_a_recording(tmp_path: Path) -> None:
    recording, _ = _recording(tmp_path)
    commands: list[Command] = []

    class StopOnFirstUtterance(UtteranceScript):
        def feed(self, chunk: bytes) -> str | None:
            text = super().feed(chunk)
            if text is not None:
                listener.stop()
            return text

    recognizer = StopOnFirstUtterance(["ok one", "samantha close"], wav_sample_rate(recording))
    listener = VoiceListener(wav_chunks(recording, CHUNK_FRAMES), recognizer, commands.append)
    listener.start()
    assert listener.join(WAIT_S)
    assert listener.end_reason == "stop"
    assert commands == [Command(CommandKind.SUBMIT, "one")]  # the chunk in hand is finished, then it stops
    assert len(recognizer.ends_at) == 1


def test_wav_chunks_refuses_stereo(tmp_path: Path) -> None:
    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes(400))
    with pytest.raises(ValueError, match="16-bit mono"):
        next(wav_chunks(stereo))
