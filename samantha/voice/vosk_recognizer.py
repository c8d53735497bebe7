"""The offline recogniser: Vosk's KaldiRecognizer over a model folder from the settings."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

from samantha.voice.errors import VoiceModelError, VoskUnavailableError
from samantha.voice.models import find_vosk_model, is_vosk_model, missing_model_message
from samantha.voice.sources import VOSK_SAMPLE_RATE


def import_vosk() -> ModuleType:
    """Import vosk or raise VoskUnavailableError saying how to install it."""
    try:
        import vosk
    except ImportError as exc:
        raise VoskUnavailableError(f"The vosk package is not installed ({exc}). Run: pip install vosk") from exc
    except OSError as exc:  # its native library failed to load
        raise VoskUnavailableError(f"The vosk library could not be loaded ({exc}). Reinstall it: pip install --force-reinstall vosk") from exc
    module: ModuleType = vosk
    return module


class VoskRecognizer:
    """Implements the listener's Recognizer protocol with a Vosk model (one language per model)."""

    def __init__(self, model_path: str | Path, sample_rate: float = VOSK_SAMPLE_RATE) -> None:
        path = Path(model_path)
        if not is_vosk_model(path):
            raise VoiceModelError(
                f"{path} is not a Vosk model folder (it needs the 'am' and 'conf' folders of an unzipped model)."
            )
        vosk = import_vosk()
        vosk.SetLogLevel(-1)
        try:
            self._model: Any = vosk.Model(str(path))
        except Exception as exc:
            raise VoiceModelError(f"Vosk could not load the model in {path} ({exc}); download it again.") from exc
        self._recognizer: Any = vosk.KaldiRecognizer(self._model, float(sample_rate))
        self.model_path = path
        self.sample_rate = sample_rate

    @classmethod
    def for_language(
        cls, model_dir: str | Path, language: str, sample_rate: float = VOSK_SAMPLE_RATE
    ) -> VoskRecognizer:
        """The recogniser for `language` ("en" or "pt") from the model folder setting."""
        path = find_vosk_model(model_dir, language)
        if path is None:
            raise VoiceModelError(missing_model_message(model_dir, language))
        return cls(path, sample_rate)

    def feed(self, chunk: bytes) -> str | None:
        """Take a PCM chunk; the utterance's text when Vosk decides it has ended."""
        if self._recognizer.AcceptWaveform(chunk):
            return _text(self._recognizer.Result())
        return None

    def flush(self) -> str | None:
        """The text of whatever was still being heard."""
        return _text(self._recognizer.FinalResult())


def _text(result_json: str) -> str | None:
    text = str(json.loads(result_json).get("text", "")).strip()
    return text or None
