"""What one browser tab keeps for voice: its speech engine, cue player, listener and the commands it heard.

The listener hears commands in its own thread; the page cannot be pushed to, so
commands wait in a queue until the panel's timer (or a page-microphone clip)
asks for the next one (`next_step`) and the page acts on it like a button press.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from samantha.errors import SamanthaError
from samantha.ui.voice_helpers import clip_pcm, describe, missing_parts_message, page_action, pcm_chunks
from samantha.voice.commands import Command, CommandKind, parse_command
from samantha.voice.cues import CuePlayer
from samantha.voice.errors import AudioDeviceError, VoiceError
from samantha.voice.listener import Recognizer, VoiceListener
from samantha.voice.sources import VOSK_SAMPLE_RATE, MicrophoneSource
from samantha.voice.tts import SpeechResult, SpeechSynthesizer
from samantha.voice.vosk_recognizer import VoskRecognizer

SPEECH_FILES_KEPT = 6  # older speech files of a tab are deleted (the page has copies of what it plays)

# (language, model folder, sample rate) -> a recogniser; raises VoiceError saying what is missing.
RecognizerFactory = Callable[[str, Path, int], Recognizer]
# Opens the server's microphone: the audio chunks and their sample rate; raises AudioDeviceError.
MicrophoneOpener = Callable[[], tuple[Iterable[bytes], int]]


def vosk_recognizer(language: str, model_dir: Path, sample_rate: int) -> Recognizer:
    """The real recogniser: the Vosk model for `language` in the model folder."""
    return VoskRecognizer.for_language(model_dir, language, sample_rate)


def open_server_microphone() -> tuple[Iterable[bytes], int]:
    """The default input device through sounddevice, recording from now on."""
    source = MicrophoneSource()
    try:
        source.open()
    except AudioDeviceError:
        raise
    except Exception as exc:  # PortAudioError while starting the stream
        source.close()
        raise AudioDeviceError(f"The microphone could not be opened ({exc}).") from exc
    return source, source.sample_rate


class ListenProblem(SamanthaError, ValueError):
    """Listening cannot start; the message (Markdown) names each missing piece and how to add it."""


@dataclass(frozen=True)
class CommandStep:
    """What the page does now: fill the prompt (None = leave it), press a button, show a line, keep polling."""

    prompt: str | None = None
    action: str = ""
    message: str = ""
    listening: bool = False


class VoiceTab:
    """One tab's voice state; closed with the tab (stops listening and speech, deletes its speech files)."""

    def __init__(self, speech_dir: Path, recognizers: RecognizerFactory, microphone: MicrophoneOpener) -> None:
        self.synth = SpeechSynthesizer()
        self.cues = CuePlayer()
        self._speech_dir = speech_dir
        self._recognizers = recognizers
        self._microphone = microphone
        self._lock = threading.Lock()
        self._files: deque[Path] = deque()
        self._silenced = 0
        self._commands: queue.Queue[Command] = queue.Queue()
        self._listener: VoiceListener | None = None
        self._errors: queue.Queue[str] = queue.Queue()

    # -- reading aloud -------------------------------------------------------
    def speak(self, text: str, voice_id: str | None, rate: int | None) -> SpeechResult:
        """Synthesise `text` (Markdown stripped) to a new WAV file of this tab; raises VoiceError subclasses."""
        self._speech_dir.mkdir(parents=True, exist_ok=True)
        path = self._speech_dir / f"speech-{uuid.uuid4().hex[:12]}.wav"
        result = self.synth.synthesize(text, path, voice_id=voice_id or None, rate=rate or None)
        with self._lock:
            self._files.append(result.path)
            while len(self._files) > SPEECH_FILES_KEPT:
                self._files.popleft().unlink(missing_ok=True)
        return result

    @property
    def silenced(self) -> int:
        """How many times Stop / next or Stop all silenced this tab (speech made before then is not played)."""
        with self._lock:
            return self._silenced

    def silence(self) -> None:
        """Stop / next, Stop all: cancel speech being made, and drop speech made for earlier answers."""
        with self._lock:
            self._silenced += 1
        self.synth.stop()

    # -- listening ------------------------------------------------------------
    @property
    def listening(self) -> bool:
        listener = self._listener
        return listener is not None and listener.running

    def start_listening(self, model_dir: Path, language: str) -> str:
        """Listen on the server's microphone; raises ListenProblem naming everything that is missing."""
        if self.listening:
            return "Already listening."
        problems: list[str] = []
        source: Iterable[bytes] | None = None
        rate = VOSK_SAMPLE_RATE
        microphone_missing = False
        try:
            source, rate = self._microphone()
        except AudioDeviceError as exc:
            problems.append(str(exc))
            microphone_missing = True
        recognizer: Recognizer | None = None
        try:
            recognizer = self._recognizers(language, model_dir, rate)
        except VoiceError as exc:
            problems.append(str(exc))
        if problems or source is None or recognizer is None:
            _close(source)
            raise ListenProblem(missing_parts_message(problems, microphone_missing=microphone_missing))
        listener = VoiceListener(source, recognizer, self._commands.put, on_error=self._on_error)
        self._listener = listener
        listener.start()
        return "Listening… say “OK …” or “Samantha …” followed by your prompt; “Samantha close” stops listening."

    def stop_listening(self) -> None:
        listener = self._listener
        if listener is not None:
            listener.stop()

    def _on_error(self, exc: BaseException) -> None:
        self._errors.put(str(exc) or type(exc).__name__)

    def recognise_clip(self, sample_rate: int, data: npt.NDArray[np.generic], model_dir: Path, language: str) -> str:
        """Recognise a clip from the page's microphone and queue its commands; returns what was heard."""
        try:
            recognizer = self._recognizers(language, model_dir, int(sample_rate))
        except VoiceError as exc:
            raise ListenProblem(missing_parts_message([str(exc)])) from exc
        texts = [text for chunk in pcm_chunks(clip_pcm(data)) if (text := recognizer.feed(chunk))]
        last = recognizer.flush()
        if last:
            texts.append(last)
        for text in texts:
            command = parse_command(text)
            if command is None:
                continue
            if command.kind is CommandKind.CLOSE:
                self.stop_listening()
            self._commands.put(command)
        return " / ".join(texts)

    def next_step(self) -> CommandStep:
        """The next heard command as a page step, or how listening ended; called by the panel's timer."""
        try:
            command: Command | None = self._commands.get_nowait()
        except queue.Empty:
            command = None
        if command is not None:
            return self._step(command)
        try:
            error = self._errors.get_nowait()
        except queue.Empty:
            error = ""
        listener = self._listener
        if listener is None or listener.running:
            message = f"\u26a0\ufe0f {error}" if error else ""
            return CommandStep(message=message, listening=listener is not None)
        self._listener = None
        return CommandStep(message=_end_message(listener, error), listening=not self._commands.empty())

    def _step(self, command: Command) -> CommandStep:
        if command.kind is CommandKind.CLOSE and not self.listening:
            self._listener = None  # ended by this very command: say so once
        more = self.listening or not self._commands.empty()
        if command.kind is CommandKind.SUBMIT and not command.text:
            return CommandStep(message=describe(command), listening=more)
        prompt = command.text if command.kind is CommandKind.SUBMIT else None
        return CommandStep(prompt=prompt, action=page_action(command), message=describe(command), listening=more)

    def close(self) -> None:
        self.stop_listening()
        self.synth.stop()
        with self._lock:
            files, self._files = list(self._files), deque()
        for path in files:
            path.unlink(missing_ok=True)


def _end_message(listener: VoiceListener, error: str) -> str:
    reason = listener.end_reason
    if reason == "close":
        return "Stopped listening (you said the close command)."
    if reason == "error" or error:
        return f"\u26a0\ufe0f Listening stopped: {listener.error or error}"
    if reason == "source_ended":
        return "Stopped listening: the microphone closed."
    return "Stopped listening."


def _close(source: object) -> None:
    closer = getattr(source, "close", None)
    if callable(closer):
        closer()
