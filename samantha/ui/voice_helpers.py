"""Plain helpers of the voice panel: what a command makes the page do, clips as PCM, texts for speech.

No Gradio and no devices here, so each rule is tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from samantha.prompts import PromptSyntaxError, parse_item_settings
from samantha.voice.commands import Command, CommandKind
from samantha.voice.tts import Voice

SKIP_MARK = "---"
ITEM_SEPARATOR = "$$$"

# What the page does for a command: the elem_id of the button it presses (the voice panel's JS clicks it).
ACTION_BUTTONS: dict[str, str] = {
    "start": "start-button",
    "stop_next": "stop-next-button",
    "stop_all": "stop-all-button",
    "read_last": "voice-read-last",
    "clear": "clear-history-button",
}
_KIND_ACTIONS: dict[CommandKind, str] = {
    CommandKind.SUBMIT: "start",
    CommandKind.STOP: "stop_next",
    CommandKind.NEXT: "stop_next",
    CommandKind.STOP_ALL: "stop_all",
    CommandKind.READ: "read_last",
    CommandKind.CLEAR: "clear",
}
LANGUAGES: dict[str, str] = {"English": "en", "Português": "pt"}


def page_action(command: Command) -> str:
    """The page action for a command ("" for close, which only ends listening)."""
    return _KIND_ACTIONS.get(command.kind, "")


def describe(command: Command) -> str:
    """A short line for the page saying what a heard command did."""
    if command.kind is CommandKind.SUBMIT:
        return f"Prompt submitted: {command.text!r}" if command.text else "Heard the wake word without a prompt."
    return {
        CommandKind.CLOSE: "Stopped listening (close command).",
        CommandKind.STOP: "Stop / next.",
        CommandKind.NEXT: "Stop / next.",
        CommandKind.STOP_ALL: "Stop all.",
        CommandKind.READ: "Reading the last answer aloud.",
        CommandKind.CLEAR: "History cleared.",
    }[command.kind]


def prompt_speech_text(prompt: str) -> str:
    """The user prompt as it should be read: its active items in order, without `$$$`, `---` items or `{...}`."""
    text = prompt or ""
    raw_items = text.split(ITEM_SEPARATOR) if ITEM_SEPARATOR in text else text.splitlines()
    spoken: list[str] = []
    for number, raw in enumerate(raw_items, start=1):
        item = raw.strip()
        if not item or item.startswith(SKIP_MARK):
            continue
        try:
            _, item = parse_item_settings(item, number)
        except PromptSyntaxError:
            pass  # a malformed settings block is read as typed; Start reports it
        if item:
            spoken.append(item)
    return "\n\n".join(spoken)


def clip_pcm(data: npt.NDArray[np.generic]) -> bytes:
    """A recorded clip (int or float samples, mono or several channels) as 16-bit mono little-endian PCM."""
    samples = np.asarray(data)
    if samples.ndim == 2:
        samples = samples.astype(np.float64).mean(axis=1)
    elif samples.ndim != 1:
        raise ValueError(f"a clip must hold one or more channels of samples, not an array of shape {samples.shape}")
    if np.issubdtype(samples.dtype, np.floating):
        peak = float(np.max(np.abs(samples))) if samples.size else 0.0
        scale = 32767.0 if peak <= 1.0 else 1.0  # floats in [-1, 1], or already on the 16-bit scale
        samples = np.clip(np.round(samples * scale), -32768, 32767)
    elif samples.dtype.itemsize > 2 and np.issubdtype(samples.dtype, np.signedinteger):
        samples = samples >> (8 * samples.dtype.itemsize - 16)  # 32-bit PCM keeps its top 16 bits
    return np.asarray(samples).astype("<i2").tobytes()


def pcm_chunks(pcm: bytes, chunk_frames: int = 4000) -> list[bytes]:
    """16-bit PCM cut into chunks of `chunk_frames` frames, as the listening loop takes them."""
    size = 2 * chunk_frames
    return [pcm[start:start + size] for start in range(0, len(pcm), size)]


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


def missing_parts_message(problems: Sequence[str], *, microphone_missing: bool = False) -> str:
    """Markdown for the page: each missing piece with how to add it (the messages of the voice package)."""
    lines = ["**Voice commands cannot listen yet:**", *(f"- {problem}" for problem in problems)]
    if microphone_missing:
        lines.append("- Without a microphone on this computer, record with the page's microphone below "
                     "(the browser asks for permission); it needs the model too.")
    return "\n".join(lines)
