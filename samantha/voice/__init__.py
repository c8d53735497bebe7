"""Voice and sound: read aloud (pyttsx3), offline voice commands (Vosk), audio cues (numpy + sounddevice).

Nothing here knows about the UI: the page calls these functions and objects,
all of which it owns (no module-level state).
"""

from __future__ import annotations

from samantha.voice.commands import Command, CommandKind, fold, parse_command
from samantha.voice.cues import Cue, CuePlayer, cue_samples, cue_wav_bytes, tone, wav_bytes
from samantha.voice.errors import (
    AudioDeviceError,
    NothingToSayError,
    SpeechEngineError,
    SpeechTimeoutError,
    SynthesisCancelled,
    UnknownVoiceError,
    VoiceError,
    VoiceModelError,
    VoskUnavailableError,
)
from samantha.voice.listener import Recognizer, VoiceListener
from samantha.voice.models import VOSK_MODELS, download_vosk_models, find_vosk_model, manual_install_hint
from samantha.voice.sources import MicrophoneSource, wav_chunks, wav_sample_rate
from samantha.voice.speech_text import speakable_text, split_for_speech
from samantha.voice.status import VoiceStatus, voice_status
from samantha.voice.tts import SpeechEngineInfo, SpeechResult, SpeechSynthesizer, Voice
from samantha.voice.voice_setup import default_vosk_dir, voice_setup
from samantha.voice.vosk_recognizer import VoskRecognizer

__all__ = [
    "VOSK_MODELS",
    "AudioDeviceError",
    "Command",
    "CommandKind",
    "Cue",
    "CuePlayer",
    "MicrophoneSource",
    "NothingToSayError",
    "Recognizer",
    "SpeechEngineError",
    "SpeechEngineInfo",
    "SpeechResult",
    "SpeechSynthesizer",
    "SpeechTimeoutError",
    "SynthesisCancelled",
    "UnknownVoiceError",
    "Voice",
    "VoiceError",
    "VoiceListener",
    "VoiceModelError",
    "VoiceStatus",
    "VoskRecognizer",
    "VoskUnavailableError",
    "cue_samples",
    "cue_wav_bytes",
    "default_vosk_dir",
    "download_vosk_models",
    "find_vosk_model",
    "fold",
    "manual_install_hint",
    "parse_command",
    "speakable_text",
    "split_for_speech",
    "tone",
    "voice_setup",
    "voice_status",
    "wav_bytes",
    "wav_chunks",
    "wav_sample_rate",
]
