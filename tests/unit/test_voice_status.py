"""Without a model or a microphone, the app says exactly what is missing and how to add it."""

from __future__ import annotations

from pathlib import Path

import pytest

from samantha.voice.errors import AudioDeviceError, VoiceModelError
from samantha.voice.listener import VoiceListener
from samantha.voice.models import find_vosk_model
from samantha.voice.sources import MicrophoneSource
from samantha.voice.status import voice_status
from samantha.voice.vosk_recognizer import VoskRecognizer


def _has_input_device() -> bool:
    try:
        import sounddevice

        sounddevice.query_devices(kind="input")
    except Exception:  # noqa: BLE001 - any failure means no usable device
        return False
    return True


no_microphone = pytest.mark.skipif(_has_input_device(), reason="this machine has a microphone")


def _fake_model(folder: Path) -> Path:
    (folder / "am").mkdir(parents=True)
    (folder / "conf").mkdir()
    return folder


def test_missing_models_are_named_with_path_and_download_command(tmp_path: Path) -> None:
    status = voice_status(tmp_path / "vosk")
    assert not status.ready and not status.ready_for("en")
    assert status.vosk_installed
    assert dict(status.models) == {"en": None, "pt": None}
    english = next(p for p in status.problems if "English" in p)
    assert "samantha voice setup" in english
    assert "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip" in english
    assert str(tmp_path / "vosk") in english
    assert any("vosk-model-small-pt-0.3.zip" in p for p in status.problems)
    assert status.message.startswith("Voice commands are not available:")


def test_only_the_asked_language_is_checked(tmp_path: Path) -> None:
    _fake_model(tmp_path / "vosk-model-small-pt-0.3")
    status = voice_status(tmp_path, languages=["pt"])
    assert dict(status.models) == {"pt": tmp_path / "vosk-model-small-pt-0.3"}
    assert not any("voice-command model" in p for p in status.problems)


def test_other_model_versions_are_found(tmp_path: Path) -> None:
    _fake_model(tmp_path / "vosk-model-en-us-0.22")
    (tmp_path / "vosk-model-small-pt-broken").mkdir()  # not unpacked completely: no am/conf
    assert find_vosk_model(tmp_path, "en") == tmp_path / "vosk-model-en-us-0.22"
    assert find_vosk_model(tmp_path, "pt") is None


@no_microphone
def test_no_microphone_is_reported(tmp_path: Path) -> None:
    status = voice_status(tmp_path)
    assert status.microphone is None
    assert any("No microphone" in p for p in status.problems)


@no_microphone
def test_microphone_source_explains_the_missing_device() -> None:
    with pytest.raises(AudioDeviceError, match="No microphone"):
        MicrophoneSource().open()


@no_microphone
def test_listening_on_a_missing_microphone_ends_with_a_clear_error() -> None:
    errors: list[BaseException] = []

    class NeverCalled:
        def feed(self, chunk: bytes) -> str | None:
            raise AssertionError("no audio can arrive without a microphone")

        def flush(self) -> str | None:
            return None

    listener = VoiceListener(MicrophoneSource(), NeverCalled(), lambda command: None, on_error=errors.append)
    listener.start()
    assert listener.join(30)
    assert listener.end_reason == "error"
    assert isinstance(listener.error, AudioDeviceError) and errors == [listener.error]
    assert "No microphone" in str(listener.error)


def test_vosk_recognizer_without_a_model_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(VoiceModelError) as caught:
        VoskRecognizer.for_language(tmp_path, "en")
    assert "samantha voice setup" in str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_vosk_refuses_a_broken_model_folder(tmp_path: Path) -> None:
    folder = _fake_model(tmp_path / "vosk-model-small-en-us-0.15")
    (folder / "am" / "final.mdl").write_bytes(b"not a model")
    with pytest.raises(VoiceModelError, match="could not load"):
        VoskRecognizer(folder)
    with pytest.raises(VoiceModelError, match="not a Vosk model folder"):
        VoskRecognizer(tmp_path)
