"""Reach sounddevice and PortAudio, turning every way they can be missing into one clear error.

sounddevice raises ImportError when the package is absent, OSError when the
PortAudio library is (Linux without libportaudio2), and PortAudioError when
there is no device of the asked kind (servers, containers, CI).
"""

from __future__ import annotations

import logging
import sys
from types import ModuleType
from typing import Any, Literal

DeviceKind = Literal["input", "output"]
LOG = logging.getLogger(__name__)


def portaudio_hint() -> str:
    """How to install PortAudio on this platform."""
    if sys.platform.startswith("linux"):
        return "Install PortAudio (Debian/Ubuntu: sudo apt-get install libportaudio2)."
    return "Reinstall sounddevice (pip install --force-reinstall sounddevice); its wheel bundles PortAudio."


def import_sounddevice() -> ModuleType:
    """Import sounddevice or raise AudioDeviceError saying what to install."""
    from samantha.voice.errors import AudioDeviceError

    try:
        import sounddevice
    except ImportError as exc:
        raise AudioDeviceError(f"The sounddevice package is not installed ({exc}). Run: pip install sounddevice") from exc
    except OSError as exc:
        raise AudioDeviceError(f"The PortAudio library was not found ({exc}). {portaudio_hint()}") from exc
    module: ModuleType = sounddevice
    return module


def default_device(kind: DeviceKind) -> dict[str, Any]:
    """The default input or output device, or AudioDeviceError saying none is there."""
    from samantha.voice.errors import AudioDeviceError

    sounddevice = import_sounddevice()
    try:
        info = sounddevice.query_devices(kind=kind)
    except Exception as exc:  # PortAudioError, or ValueError when the default is unusable
        raise AudioDeviceError(_no_device_message(kind, exc)) from exc
    channels = info.get("max_input_channels" if kind == "input" else "max_output_channels", 0)
    if not channels:
        raise AudioDeviceError(_no_device_message(kind, f"{info.get('name')!r} has no {kind} channels"))
    return dict(info)


def _no_device_message(kind: DeviceKind, detail: object) -> str:
    """A sentence a user can act on; PortAudio's own words ("Error querying device -1") go to the log only."""
    LOG.info("no default audio %s device: %s", kind, detail)
    if kind == "input":
        return (
            "No microphone (audio input device) was found on this computer. "
            "Connect a microphone, allow this program to use it in the system's privacy settings, and try again."
        )
    return (
        "No speakers or headphones (audio output device) were found on this computer. "
        "Connect an output device to hear the tones."
    )
