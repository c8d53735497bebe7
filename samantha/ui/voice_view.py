"""What the voice panel shows, without Gradio: the buttons a command presses, voice choices, status lines.

The voice logic itself (a tab's speech, listening and command queue) lives in
samantha/voice; this module only words and arranges it for the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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


# What the page's JavaScript found about the browser's microphone (the one the page records with).
BROWSER_MIC_PRESENT, BROWSER_MIC_ABSENT = "present", "absent"


@dataclass(frozen=True)
class ListenControls:
    """Which listening controls can work, and the status text that says why the others are off."""

    listen: bool  # Start listening: this computer's microphone and a model
    page_mic: bool  # the page's recorder: the browser's microphone and a model
    message: str


def listen_controls(model_problems: Sequence[str], server_microphone: str | None, browser_microphone: str
                    ) -> ListenControls:
    """Turn off each way of listening that cannot work, naming what it lacks.

    `server_microphone` is why this computer's microphone is unusable (None: usable);
    `browser_microphone` is what the browser reported ("" while it is not known yet).
    """
    listen = not model_problems and server_microphone is None
    page_mic = not model_problems and browser_microphone != BROWSER_MIC_ABSENT
    if listen and page_mic:
        return ListenControls(True, True, "\u2705 Voice commands are ready: press **Start listening** to use this "
                                          "computer's microphone, or record with the page's microphone below.")
    head = "**Voice commands cannot listen yet:**" if not (listen or page_mic) else "**Some voice controls are off:**"
    lines = [head, *(f"- {problem}" for problem in model_problems)]
    if server_microphone is not None:
        lines.append(f"- **Start listening** is off: {server_microphone}")
    if browser_microphone == BROWSER_MIC_ABSENT:
        lines.append("- **The page's microphone** is off: this browser reports no microphone. Connect one, "
                     "allow the browser to use it, and press **Check again**.")
    return ListenControls(listen, page_mic, "\n".join(lines))
