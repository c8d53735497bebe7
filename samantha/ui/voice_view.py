"""What the voice panel shows, without Gradio: the buttons a command presses, voice choices, status lines.

The voice logic itself (a tab's speech, listening and command queue) lives in
samantha/voice; this module only words and arranges it for the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from samantha.voice.tts import SpeechResult, Voice

# The elem_id of the button each page action presses (the voice panel's JS clicks it).
ACTION_BUTTONS: dict[str, str] = {
    "start": "start-button",
    "stop_next": "stop-next-button",
    "stop_all": "stop-all-button",
    "read_last": "voice-read-last",
    "clear": "clear-history-button",
}
LANGUAGES: dict[str, str] = {"English": "en", "Português": "pt"}







def voice_choices(voices: Iterable[Voice]) -> list[tuple[str, str]]:
    """Dropdown choices (label with languages, voice id), sorted by label."""
    return sorted(((voice.label, voice.id) for voice in voices), key=lambda choice: choice[0].casefold())


def pick_voice(choices: Sequence[tuple[str, str]], wanted: str, default: str | None) -> str | None:
    """The remembered voice if it is still installed, else the engine's default, else the first one."""
    ids = [voice_id for _, voice_id in choices]
    for candidate in (wanted, default):
        if candidate and candidate in ids:
            return candidate
    return ids[0] if ids else None


def speech_note(what: str, result: SpeechResult) -> str:
    """The line under the transcript about speech being played."""
    words = len(result.spoken_text.split())
    return f"\U0001f50a {what}: {result.duration_s:.1f} s of speech ({words} words)."
