"""Audio cues: real tones as samples and WAV bytes; silent and harmless without a device."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import numpy as np
import pytest

from samantha.voice.cues import CUE_NOTES, SAMPLE_RATE, Cue, CuePlayer, cue_samples, cue_wav_bytes, tone

ROOT = Path(__file__).resolve().parents[2]


def _has_output_device() -> bool:
    try:
        import sounddevice

        sounddevice.query_devices(kind="output")
    except Exception:  # noqa: BLE001 - any failure means no usable device
        return False
    return True


def test_tone_is_a_faded_sine_at_the_asked_pitch() -> None:
    samples = tone(440.0, 0.5, sample_rate=8000, volume=0.5, fade_s=0.01)
    assert samples.dtype == np.float32
    assert len(samples) == 4000
    assert abs(samples[0]) < 1e-6 and abs(samples[-1]) < 0.01  # faded in and out: no click
    assert np.max(np.abs(samples)) == pytest.approx(0.5, abs=0.01)
    spectrum = np.abs(np.fft.rfft(samples))
    peak_hz = np.argmax(spectrum) * 8000 / len(samples)
    assert peak_hz == pytest.approx(440.0, abs=2.0)


def test_start_rises_and_end_falls() -> None:
    start = [note.freq_hz for note in CUE_NOTES[Cue.START]]
    end = [note.freq_hz for note in CUE_NOTES[Cue.END]]
    assert start == sorted(start) and end == sorted(end, reverse=True)


@pytest.mark.parametrize("cue", list(Cue))
def test_cue_as_wav_bytes_for_the_browser(cue: Cue) -> None:
    data = cue_wav_bytes(cue)
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
        expected = sum(round(note.duration_s * SAMPLE_RATE) for note in CUE_NOTES[cue])
        assert wav.getnframes() == expected
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert np.max(np.abs(pcm)) > 5000  # audible, not silence
    assert len(pcm) == len(cue_samples(cue))


def test_bad_tone_arguments_are_rejected() -> None:
    with pytest.raises(ValueError):
        tone(0, 0.1)
    with pytest.raises(ValueError, match="volume"):
        tone(440, 0.1, volume=2.0)
    with pytest.raises(ValueError, match="volume"):
        CuePlayer(volume=-1)


def test_disabled_player_stays_quiet_and_does_not_touch_the_device() -> None:
    player = CuePlayer(enabled=False)
    assert player.start() is False
    assert player.status() is None


@pytest.mark.skipif(_has_output_device(), reason="this machine has an audio output device")
def test_no_output_device_is_silent_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    player = CuePlayer()
    with caplog.at_level(logging.WARNING, logger="samantha.voice.cues"):
        assert player.start() is False
        assert player.end() is False
        assert player.click() is False
    status = player.status()
    assert status is not None and "No speakers or headphones" in status
    assert len([r for r in caplog.records if "Audio cues are silent" in r.getMessage()]) == 1
    player.reset()
    assert player.status() is None
    assert player.end() is False and player.status() is not None


def _run_with_fake_sounddevice(tmp_path: Path, module_body: str) -> str:
    """Run a CuePlayer in a child process where `import sounddevice` behaves as `module_body` says."""
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sounddevice.py").write_text(module_body, encoding="utf-8")
    script = textwrap.dedent(
        """
        from samantha.voice.cues import CuePlayer
        player = CuePlayer()
        assert player.start() is False
        print(player.status())
        """
    )
    env_path = f"{fake}{os.pathsep}{ROOT}"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": env_path},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_missing_portaudio_library_is_explained(tmp_path: Path) -> None:
    out = _run_with_fake_sounddevice(tmp_path, "raise OSError('PortAudio library not found')\n")
    assert "PortAudio library was not found" in out


def test_missing_sounddevice_package_is_explained(tmp_path: Path) -> None:
    out = _run_with_fake_sounddevice(tmp_path, "raise ImportError('No module named sounddevice')\n")
    assert "pip install sounddevice" in out
