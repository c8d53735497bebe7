"""Can voice commands work here? What is missing, and how to add it."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from samantha.voice.audio_device import default_device
from samantha.voice.errors import AudioDeviceError
from samantha.voice.models import LANGUAGE_NAMES, LANGUAGES, find_vosk_model, missing_model_message


@dataclass(frozen=True)
class VoiceStatus:
    """What voice commands need and what is there; `problems` says what to do about each gap."""

    vosk_installed: bool
    models: Mapping[str, Path | None]
    microphone: str | None
    problems: tuple[str, ...] = field(default=())

    @property
    def ready(self) -> bool:
        """True when nothing is missing for the languages asked about."""
        return not self.problems

    def ready_for(self, language: str) -> bool:
        """True when `language` can be listened to now."""
        return self.vosk_installed and self.microphone is not None and self.models.get(language) is not None

    @property
    def message(self) -> str:
        """One text for the page: ready, or each missing piece with how to add it."""
        if self.ready:
            langs = ", ".join(LANGUAGE_NAMES.get(lang, lang) for lang, path in self.models.items() if path)
            return f"Voice commands are ready ({langs}; microphone: {self.microphone})."
        return "Voice commands are not available:\n" + "\n".join(f"- {problem}" for problem in self.problems)


def model_problems(model_dir: str | Path, languages: Iterable[str] = LANGUAGES) -> list[str]:
    """What recognition lacks for `languages`, besides a microphone: the vosk package and each model."""
    problems: list[str] = []
    if importlib.util.find_spec("vosk") is None:
        problems.append("The vosk package is not installed. Run: pip install vosk")
    problems.extend(missing_model_message(model_dir, language) for language in languages
                    if find_vosk_model(model_dir, language) is None)
    return problems


def microphone_problem() -> str | None:
    """Why this computer's default microphone cannot be used (None when there is one)."""
    try:
        default_device("input")
    except AudioDeviceError as exc:
        return str(exc)
    return None


def voice_status(model_dir: str | Path, languages: Iterable[str] = LANGUAGES) -> VoiceStatus:
    """Check the vosk package, the model for each language in `model_dir`, and a microphone."""
    languages = tuple(languages)
    problems = model_problems(model_dir, languages)
    models: dict[str, Path | None] = {language: find_vosk_model(model_dir, language) for language in languages}
    microphone: str | None = None
    try:
        microphone = str(default_device("input").get("name") or "default input")
    except AudioDeviceError as exc:
        problems.append(str(exc))
    return VoiceStatus(
        vosk_installed=importlib.util.find_spec("vosk") is not None,
        models=MappingProxyType(models),
        microphone=microphone,
        problems=tuple(problems),
    )
