"""Stand-ins for the voice panel's recogniser and microphone, fed real speech recorded with eSpeak NG.

No Vosk model can be downloaded here. The recogniser stand-in finds where each
utterance ends in the real audio (speech, then half a second of silence) and
returns the next scripted text there; the microphone stand-in plays a WAV file.
It refuses a model folder without a model, like the real one.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from samantha.voice.errors import VoiceModelError
from samantha.voice.models import find_vosk_model, missing_model_message
from samantha.voice.sources import wav_chunks, wav_sample_rate

ESPEAK = shutil.which("espeak-ng")
CHUNK_FRAMES = 1600


class UtteranceScript:
    """Recogniser stand-in: when an utterance ends in the audio, return the next scripted text."""

    def __init__(self, script: list[str], sample_rate: int, threshold: int = 300, gap_s: float = 0.5) -> None:
        self.script = list(script)
        self.threshold = threshold
        self.gap_frames = int(gap_s * sample_rate)
        self.in_speech = False
        self.silent_frames = 0
        self.frames_fed = 0

    def feed(self, chunk: bytes) -> str | None:
        samples = np.frombuffer(chunk, dtype="<i2")
        self.frames_fed += len(samples)
        if len(samples) and int(np.max(np.abs(samples.astype(np.int32)))) > self.threshold:
            self.in_speech, self.silent_frames = True, 0
            return None
        self.silent_frames += len(samples)
        if self.in_speech and self.silent_frames >= self.gap_frames:
            self.in_speech = False
            return self.script.pop(0) if self.script else None
        return None

    def flush(self) -> str | None:
        return self.script.pop(0) if self.in_speech and self.script else None


def speak_to_wav(path: Path, utterances: list[str], voice: str = "en-us") -> Path:
    """One 16-bit mono WAV: each utterance spoken by eSpeak NG, then a second of silence."""
    assert ESPEAK is not None, "espeak-ng is not installed"
    frames: list[bytes] = []
    rate = 0
    for index, text in enumerate(utterances):
        part = path.with_name(f"{path.stem}-{index}.wav")
        subprocess.run([ESPEAK, "-v", voice, "-s", "160", "-w", str(part), text], check=True, timeout=60)
        with wave.open(str(part), "rb") as wav:
            rate = wav.getframerate()
            frames += [wav.readframes(wav.getnframes()), bytes(2 * rate)]
        part.unlink()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(frames))
    return path


class ScriptedVoice:
    """The factories a VoicePlugin takes: the recording as the microphone, the script as the recogniser."""

    def __init__(self, recording: Path, script: list[str]) -> None:
        self.recording = recording
        self.script = script
        self.recognisers: list[UtteranceScript] = []

    def microphone(self) -> tuple[Iterable[bytes], int]:
        return wav_chunks(self.recording, CHUNK_FRAMES), wav_sample_rate(self.recording)

    def recognizer(self, language: str, model_dir: Path, sample_rate: int) -> UtteranceScript:
        if find_vosk_model(model_dir, language) is None:
            raise VoiceModelError(missing_model_message(model_dir, language))
        recogniser = UtteranceScript(self.script, sample_rate)
        self.recognisers.append(recogniser)
        return recogniser


def fake_vosk_model(folder: Path, language: str = "en") -> Path:
    """A folder that looks like an unzipped model (what find_vosk_model checks), for the stand-in."""
    name = {"en": "vosk-model-small-en-us-0.15", "pt": "vosk-model-small-pt-0.3"}[language]
    (folder / name / "am").mkdir(parents=True, exist_ok=True)
    (folder / name / "conf").mkdir(exist_ok=True)
    return folder
