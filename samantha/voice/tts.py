"""Read aloud: list the installed voices and write speech to a WAV file the page can play.

pyttsx3 drives SAPI5 (Windows), NSSpeechSynthesizer (macOS) and eSpeak NG
(Linux). Every job runs in a fresh child process (`tts_worker.py`): the
engines are not thread-safe, eSpeak initialises once per process, and some
drivers hang in `runAndWait` — a child can be timed out, and `stop()` kills it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samantha.voice.errors import (
    NothingToSayError,
    SpeechEngineError,
    SpeechTimeoutError,
    SynthesisCancelled,
    UnknownVoiceError,
)
from samantha.voice.speech_text import CodeBlocks, speakable_text, split_for_speech

WORKER = Path(__file__).with_name("tts_worker.py")
DEFAULT_TIMEOUT_S = 600.0
INFO_TIMEOUT_S = 60.0
PIECE_CHARS = 1000


@dataclass(frozen=True)
class Voice:
    """One installed voice as the engine names it."""

    id: str
    name: str
    languages: tuple[str, ...] = ()
    gender: str | None = None

    @property
    def label(self) -> str:
        """What a voice picker shows: the name and its languages."""
        if self.languages:
            return f"{self.name} ({', '.join(self.languages)})"
        return self.name


@dataclass(frozen=True)
class SpeechEngineInfo:
    """The engine's driver, its defaults and its voices."""

    driver: str
    default_voice: str | None
    default_rate: int | None
    voices: tuple[Voice, ...]


@dataclass(frozen=True)
class SpeechResult:
    """A finished synthesis: where the WAV is, how long it plays, and the words it says."""

    path: Path
    duration_s: float
    sample_rate: int
    spoken_text: str


class SpeechSynthesizer:
    """Synthesises text to WAV files, one child process per job; `stop()` cancels jobs in progress.

    Safe to share between threads: each call starts its own process, and
    `stop()` from any thread kills whatever is running at that moment.
    """

    def __init__(
        self,
        python: str | Path | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        code_blocks: CodeBlocks = "announce",
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, not {timeout_s}")
        self._python = str(python or sys.executable)
        self._timeout_s = timeout_s
        self._code_blocks: CodeBlocks = code_blocks
        self._lock = threading.Lock()
        self._jobs: set[subprocess.Popen[bytes]] = set()
        self._stops = 0
        self._info: SpeechEngineInfo | None = None

    @property
    def busy(self) -> bool:
        """True while a synthesis (or voice listing) process is running."""
        with self._lock:
            return bool(self._jobs)

    def engine_info(self, refresh: bool = False) -> SpeechEngineInfo:
        """The driver, default voice and rate, and the installed voices (asked once, then kept)."""
        if self._info is None or refresh:
            reply = self._run({"op": "info"}, INFO_TIMEOUT_S)
            voices = tuple(
                Voice(
                    id=v["id"],
                    name=v["name"],
                    languages=tuple(v.get("languages") or ()),
                    gender=v.get("gender"),
                )
                for v in reply.get("voices", [])
            )
            self._info = SpeechEngineInfo(
                driver=str(reply.get("driver")),
                default_voice=reply.get("default_voice"),
                default_rate=reply.get("default_rate"),
                voices=voices,
            )
        return self._info

    def list_voices(self, refresh: bool = False) -> list[Voice]:
        """The installed voices, for a voice picker."""
        return list(self.engine_info(refresh).voices)

    def synthesize(
        self,
        text: str,
        out_path: str | Path | None = None,
        voice_id: str | None = None,
        rate: int | None = None,
        volume: float | None = None,
        markdown: bool = True,
    ) -> SpeechResult:
        """Write `text` as speech to a WAV file and return where it is and how long it plays.

        With `markdown` (the default) only the words are spoken: no Markdown
        symbols, no URLs, code blocks as "Code block." (or skipped, per the
        synthesizer's `code_blocks`). `rate` is in words per minute. Without
        `out_path` a new file is made in the temp folder; the caller owns it.
        Raises NothingToSayError, UnknownVoiceError, SynthesisCancelled (after
        `stop()`), SpeechTimeoutError or SpeechEngineError.
        """
        spoken = speakable_text(text, self._code_blocks) if markdown else " ".join(text.split())
        if not spoken:
            raise NothingToSayError(
                "There is nothing to read aloud: the text has no words once Markdown, code and links are removed."
            )
        if rate is not None and not 20 <= rate <= 1000:
            raise ValueError(f"rate is in words per minute and must be between 20 and 1000, not {rate}")
        if volume is not None and not 0.0 <= volume <= 1.0:
            raise ValueError(f"volume must be between 0.0 and 1.0, not {volume}")
        path = Path(out_path) if out_path is not None else _new_wav_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        request = {
            "op": "save",
            "pieces": split_for_speech(spoken, PIECE_CHARS),
            "path": str(path.resolve()),
            "voice": voice_id,
            "rate": rate,
            "volume": volume,
        }
        try:
            self._run(request, self._timeout_s)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        with wave.open(str(path), "rb") as wav:
            duration = wav.getnframes() / wav.getframerate()
            sample_rate = wav.getframerate()
        return SpeechResult(path=path, duration_s=duration, sample_rate=sample_rate, spoken_text=spoken)

    def stop(self) -> bool:
        """Cancel every synthesis in progress ("Stop" / "next"); True if something was stopped.

        The cancelled `synthesize` calls raise SynthesisCancelled. Jobs started
        after this call run normally.
        """
        with self._lock:
            self._stops += 1
            jobs = list(self._jobs)
        for job in jobs:
            _kill(job)
        return bool(jobs)

    def _run(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Run one worker process and return its reply, mapping failures to clear errors."""
        payload = json.dumps(request).encode("utf-8")
        with self._lock:
            stops_before = self._stops
            try:
                job = subprocess.Popen(
                    [self._python, str(WORKER)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
                )
            except OSError as exc:
                raise SpeechEngineError(f"Could not start the speech process with {self._python!r}: {exc}") from exc
            self._jobs.add(job)
        try:
            try:
                out, err = job.communicate(payload, timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _kill(job)
                job.communicate()
                raise SpeechTimeoutError(
                    f"The speech engine did not finish within {timeout_s:.0f} s and was stopped; "
                    "try a shorter text or another voice."
                ) from None
        finally:
            with self._lock:
                self._jobs.discard(job)
                cancelled = self._stops != stops_before
        if cancelled:
            raise SynthesisCancelled("Reading aloud was stopped.")
        return _parse_reply(out, err, job.returncode)


def _parse_reply(out: bytes, err: bytes, returncode: int | None) -> dict[str, Any]:
    lines = out.decode("utf-8", errors="replace").strip().splitlines()
    try:
        reply: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        reply = {}
    if not reply:
        tail = err.decode("utf-8", errors="replace").strip()[-500:]
        raise SpeechEngineError(
            f"The speech process ended without an answer (exit code {returncode}). {tail}".strip()
        )
    if not reply.get("ok"):
        message = str(reply.get("message") or "unknown error")
        if reply.get("kind") == "bad-voice":
            raise UnknownVoiceError(message)
        if reply.get("kind") == "timeout":
            raise SpeechTimeoutError(message)
        raise SpeechEngineError(message)
    return reply


def _kill(job: subprocess.Popen[bytes]) -> None:
    try:
        job.kill()
    except OSError:
        pass  # already gone


def _new_wav_path() -> Path:
    folder = Path(tempfile.gettempdir()) / "samantha-speech"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(suffix=".wav", prefix="speech-", dir=folder)
    os.close(handle)
    return Path(name)
