"""The speech worker's job, with a stand-in for pyttsx3's engine: what it sets before each text."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest

from samantha.voice import tts_worker


class FakeEngine:
    """Records the properties set and writes a short silent WAV for each text, as pyttsx3's eSpeak driver does."""

    driver_name = "espeak"

    def __init__(self) -> None:
        self.set: list[tuple[str, object]] = []
        self.callbacks: dict[str, Any] = {}
        self._file: str | None = None

    def setProperty(self, name: str, value: object) -> None:  # noqa: N802 (pyttsx3's name)
        self.set.append((name, value))

    def connect(self, topic: str, callback: Any) -> None:
        self.callbacks[topic] = callback

    def save_to_file(self, text: str, filename: str) -> None:
        self._file = filename

    def runAndWait(self) -> None:  # noqa: N802 (pyttsx3's name)
        assert self._file is not None
        with wave.open(self._file, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(22050)
            out.writeframes(b"\0\0" * 2205)
        self.callbacks["finished-utterance"]("utterance", True)


@pytest.mark.parametrize(("asked", "spoken_at"), [(None, tts_worker.ESPEAK_RATE), (120, 120)])
def test_every_espeak_job_sets_its_rate(asked: int | None, spoken_at: int, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Even the default: eSpeak sometimes lost the rate pyttsx3 sets as it starts, and read at its own 175."""
    engine = FakeEngine()
    monkeypatch.setattr(tts_worker, "_init_engine", lambda: engine)
    reply = tts_worker.handle({"op": "save", "pieces": ["one.", "two."], "path": str(tmp_path / "out.wav"),
                               "voice": None, "rate": asked, "volume": None})
    assert reply["ok"] and reply["frames"] == 2 * 2205
    assert engine.set == [("rate", spoken_at)]
