"""Audio sources for the listening loop: the microphone (sounddevice) and WAV files.

Both yield chunks of 16-bit little-endian mono PCM, which is what Vosk takes.
"""

from __future__ import annotations

import queue
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from samantha.voice.audio_device import default_device, import_sounddevice
from samantha.voice.errors import AudioDeviceError

VOSK_SAMPLE_RATE = 16000


def wav_chunks(path: str | Path, chunk_frames: int = 4000) -> Iterator[bytes]:
    """Yield a 16-bit mono WAV file's audio in chunks of `chunk_frames` frames."""
    if chunk_frames <= 0:
        raise ValueError(f"chunk_frames must be positive, not {chunk_frames}")
    with wave.open(str(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(
                f"{path} is {wav.getnchannels()}-channel {8 * wav.getsampwidth()}-bit audio; "
                "voice commands need 16-bit mono WAV (convert it, e.g. with: ffmpeg -i in.wav -ac 1 -sample_fmt s16 out.wav)."
            )
        while chunk := wav.readframes(chunk_frames):
            yield chunk


def wav_sample_rate(path: str | Path) -> int:
    """The sample rate of a WAV file, to build a recogniser that matches it."""
    with wave.open(str(path), "rb") as wav:
        return wav.getframerate()


class MicrophoneSource:
    """The default (or a chosen) microphone as an iterable of PCM chunks.

    Opening fails with AudioDeviceError when sounddevice, PortAudio or an
    input device is missing. Iterating yields chunks until `close()` or
    `interrupt()` (both safe from any thread). Asks for 16 kHz and falls
    back to the device's own rate; read `sample_rate` after `open()`.
    """

    def __init__(
        self,
        sample_rate: int = VOSK_SAMPLE_RATE,
        block_ms: int = 100,
        device: int | str | None = None,
        max_queued_chunks: int = 100,
    ) -> None:
        if sample_rate <= 0 or block_ms <= 0 or max_queued_chunks <= 0:
            raise ValueError("sample_rate, block_ms and max_queued_chunks must be positive")
        self.sample_rate = sample_rate
        self.block_ms = block_ms
        self.device = device
        self.dropped_chunks = 0
        self._queue: queue.Queue[bytes] = queue.Queue(maxsize=max_queued_chunks)
        self._closed = threading.Event()
        self._stream: Any = None
        self._lock = threading.Lock()

    def open(self) -> None:
        """Start recording (idempotent)."""
        with self._lock:
            if self._stream is not None:
                return
            if self._closed.is_set():
                raise RuntimeError("This microphone source was closed; create a new one.")
            sounddevice = import_sounddevice()
            if self.device is None:
                info = default_device("input")
            else:
                try:
                    info = dict(sounddevice.query_devices(self.device, kind="input"))
                except Exception as exc:
                    raise AudioDeviceError(
                        f"The microphone {self.device!r} is not available ({exc}). Pick another input device."
                    ) from exc
            try:
                stream = self._new_stream(sounddevice, self.sample_rate)
            except Exception:
                fallback = int(info.get("default_samplerate") or 0)
                if not fallback or fallback == self.sample_rate:
                    raise
                stream = self._new_stream(sounddevice, fallback)
                self.sample_rate = fallback
            stream.start()
            self._stream = stream

    def _new_stream(self, sounddevice: Any, rate: int) -> Any:
        try:
            return sounddevice.RawInputStream(
                samplerate=rate,
                blocksize=max(1, rate * self.block_ms // 1000),
                device=self.device,
                channels=1,
                dtype="int16",
                callback=self._on_audio,
            )
        except Exception as exc:
            raise AudioDeviceError(f"The microphone could not be opened at {rate} Hz ({exc}).") from exc

    def _on_audio(self, data: Any, frames: int, time: Any, status: Any) -> None:
        try:
            self._queue.put_nowait(bytes(data))
        except queue.Full:
            self.dropped_chunks += 1  # the recogniser is behind; losing audio beats blocking PortAudio

    def __iter__(self) -> Iterator[bytes]:
        self.open()
        while not self._closed.is_set():
            try:
                yield self._queue.get(timeout=0.25)
            except queue.Empty:
                stream = self._stream
                if stream is not None and not stream.active and not self._closed.is_set():
                    raise AudioDeviceError("The microphone stopped delivering audio (was it unplugged?).") from None

    def interrupt(self) -> None:
        """Make a waiting iteration end soon."""
        self._closed.set()

    def close(self) -> None:
        """Stop recording and end the iteration."""
        self._closed.set()
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()

    def __enter__(self) -> MicrophoneSource:  # noqa: PYI034 - typing.Self needs Python 3.11
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


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
