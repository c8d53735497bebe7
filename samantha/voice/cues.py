"""Audio cues: a short tone when an answer starts, another when it ends, a click for buttons.

Tones are numpy sines with a fade in and out (no clicks at the edges). The
app process plays them through sounddevice without blocking; with no
PortAudio or no output device the player goes silent, remembers why once, and
never raises. The same tones come as WAV bytes so a browser can play them.
"""

from __future__ import annotations

import io
import logging
import threading
import wave
from dataclasses import dataclass
from enum import Enum

import numpy as np
import numpy.typing as npt

from samantha.voice.audio_device import default_device, import_sounddevice
from samantha.voice.errors import AudioDeviceError

SAMPLE_RATE = 44100
LOG = logging.getLogger(__name__)


class Cue(str, Enum):
    """The sounds the app makes."""

    START = "start"
    END = "end"
    CLICK = "click"


@dataclass(frozen=True)
class Note:
    """One tone of a cue."""

    freq_hz: float
    duration_s: float


# Rising for "started", falling for "done", one short tick for a click.
CUE_NOTES: dict[Cue, tuple[Note, ...]] = {
    Cue.START: (Note(660.0, 0.07), Note(880.0, 0.09)),
    Cue.END: (Note(880.0, 0.07), Note(587.33, 0.12)),
    Cue.CLICK: (Note(1200.0, 0.015),),
}


def tone(
    freq_hz: float,
    duration_s: float,
    sample_rate: int = SAMPLE_RATE,
    volume: float = 0.3,
    fade_s: float = 0.01,
) -> npt.NDArray[np.float32]:
    """A sine tone as float32 samples in [-volume, volume], faded in and out over `fade_s`."""
    if freq_hz <= 0 or duration_s <= 0 or sample_rate <= 0:
        raise ValueError("freq_hz, duration_s and sample_rate must be positive")
    if not 0.0 <= volume <= 1.0:
        raise ValueError(f"volume must be between 0.0 and 1.0, not {volume}")
    count = max(1, round(duration_s * sample_rate))
    t = np.arange(count, dtype=np.float64) / sample_rate
    samples = volume * np.sin(2.0 * np.pi * freq_hz * t)
    fade = min(int(fade_s * sample_rate), count // 2)
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade, endpoint=False)
        samples[:fade] *= ramp
        samples[count - fade :] *= ramp[::-1]
    return samples.astype(np.float32)


def cue_samples(cue: Cue, sample_rate: int = SAMPLE_RATE, volume: float = 0.3) -> npt.NDArray[np.float32]:
    """All notes of `cue`, one after the other."""
    return np.concatenate([tone(n.freq_hz, n.duration_s, sample_rate, volume) for n in CUE_NOTES[Cue(cue)]])


def wav_bytes(samples: npt.NDArray[np.float32], sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono WAV file bytes for float samples in [-1, 1]."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())
    return buffer.getvalue()


def cue_wav_bytes(cue: Cue, sample_rate: int = SAMPLE_RATE, volume: float = 0.3) -> bytes:
    """The cue as a WAV file, for the browser to play."""
    return wav_bytes(cue_samples(cue, sample_rate, volume), sample_rate)


class CuePlayer:
    """Plays cues on the local output device without blocking; silent and harmless without one.

    The first failure (no sounddevice, no PortAudio, no output device) is
    logged once and kept in `status()`; later cues are skipped until `reset()`.
    """

    def __init__(self, enabled: bool = True, volume: float = 0.3, sample_rate: int = SAMPLE_RATE) -> None:
        if not 0.0 <= volume <= 1.0:
            raise ValueError(f"volume must be between 0.0 and 1.0, not {volume}")
        self.enabled = enabled
        self.volume = volume
        self.sample_rate = sample_rate
        self._lock = threading.Lock()
        self._problem: str | None = None

    def status(self) -> str | None:
        """Why cues are silent (None when they play, or have not been tried yet)."""
        with self._lock:
            return self._problem

    def reset(self) -> None:
        """Forget the last failure, so the next cue tries the device again (e.g. after plugging one in)."""
        with self._lock:
            self._problem = None

    def start(self) -> bool:
        """The "answer started" cue."""
        return self.play(Cue.START)

    def end(self) -> bool:
        """The "answer finished" cue."""
        return self.play(Cue.END)

    def click(self) -> bool:
        """A button click."""
        return self.play(Cue.CLICK)

    def play(self, cue: Cue) -> bool:
        """Start playing `cue` and return at once; True if it went to the device."""
        if not self.enabled:
            return False
        with self._lock:
            if self._problem is not None:
                return False
        samples = cue_samples(cue, self.sample_rate, self.volume)
        try:
            sounddevice = import_sounddevice()
            default_device("output")
            sounddevice.play(samples, self.sample_rate, blocking=False)
        except AudioDeviceError as exc:
            self._fail(f"Audio cues are silent: {exc}")
            return False
        except Exception as exc:  # noqa: BLE001 - PortAudioError and friends while opening the stream
            LOG.info("the output device could not play a cue: %s", exc)  # PortAudio's words, for the log only
            self._fail("Audio cues are silent: the speakers or headphones could not play a tone.")
            return False
        return True

    def _fail(self, message: str) -> None:
        with self._lock:
            first = self._problem is None
            self._problem = message
        if first:
            LOG.warning("%s", message)
