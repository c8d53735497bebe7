"""Errors of the voice package: each message says what is wrong and what to do."""

from __future__ import annotations

from samantha.errors import SamanthaError


class VoiceError(SamanthaError):
    """Base class: something in read-aloud, voice commands or audio cues cannot work."""


class SpeechEngineError(VoiceError):
    """The text-to-speech engine is missing, failed, or returned no audio."""


class UnknownVoiceError(SpeechEngineError, ValueError):
    """The voice id is not one of the installed voices."""


class SpeechTimeoutError(SpeechEngineError):
    """The speech engine did not finish in time (some drivers hang); the job was killed."""


class SynthesisCancelled(VoiceError):
    """`stop()` was called while this text was being synthesised."""


class NothingToSayError(VoiceError, ValueError):
    """The text has no words left once Markdown, code and URLs are removed."""


class AudioDeviceError(VoiceError):
    """sounddevice, PortAudio or a suitable audio device is not available."""


class VoiceModelError(VoiceError):
    """A Vosk model folder is missing, incomplete, or could not be downloaded."""


class VoskUnavailableError(VoiceError):
    """The `vosk` package is not installed."""
