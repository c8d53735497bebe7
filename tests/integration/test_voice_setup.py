"""`samantha voice setup`: Vosk models downloaded from a real HTTP server on 127.0.0.1 and unpacked."""

from __future__ import annotations

import functools
import io
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from samantha.runner import free_port
from samantha.voice.errors import VoiceModelError
from samantha.voice.models import VOSK_MODELS, download_vosk_models, find_vosk_model
from samantha.voice.status import voice_status
from samantha.voice.voice_setup import default_vosk_dir, voice_setup


def _model_zip(path: Path, folder: str, with_model: bool = True) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        if with_model:
            archive.writestr(f"{folder}/am/final.mdl", b"acoustic model bytes" * 1000)
            archive.writestr(f"{folder}/conf/mfcc.conf", "--use-energy=false\n")
            archive.writestr(f"{folder}/graph/HCLr.fst", b"graph")
        else:
            archive.writestr(f"{folder}/README", "no model here")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def model_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static file server on 127.0.0.1 standing in for alphacephei.com/vosk/models/."""
    served = tmp_path / "served"
    served.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/vosk/models/", served
    finally:
        server.shutdown()
        server.server_close()


def _publish(served: Path, language: str, with_model: bool = True) -> None:
    name = VOSK_MODELS[language].name
    (served / "vosk" / "models").mkdir(parents=True, exist_ok=True)
    _model_zip(served / "vosk" / "models" / f"{name}.zip", name, with_model)


def test_setup_downloads_and_unpacks_both_languages(model_server: tuple[str, Path], tmp_path: Path) -> None:
    base_url, served = model_server
    _publish(served, "en")
    _publish(served, "pt")
    target = tmp_path / "vosk"
    progress: list[tuple[str, int, int | None]] = []
    folders = download_vosk_models(target, base_url=base_url, progress=lambda *a: progress.append(a))
    assert folders == [target / VOSK_MODELS["en"].name, target / VOSK_MODELS["pt"].name]
    assert (folders[0] / "am" / "final.mdl").read_bytes() == b"acoustic model bytes" * 1000
    assert find_vosk_model(target, "en") == folders[0] and find_vosk_model(target, "pt") == folders[1]
    assert sorted(p.name for p in target.iterdir()) == sorted(f.name for f in folders)  # no zip or temp left
    done = [p for p in progress if p[0] == VOSK_MODELS["en"].name]
    assert done and done[-1][1] == done[-1][2]  # progress reaches the full size

    status = voice_status(target)
    assert status.vosk_installed
    assert dict(status.models) == {"en": folders[0], "pt": folders[1]}
    assert not any("voice-command model" in problem for problem in status.problems)


def test_models_already_there_are_not_downloaded_again(model_server: tuple[str, Path], tmp_path: Path) -> None:
    base_url, served = model_server
    _publish(served, "en")
    target = tmp_path / "vosk"
    first = download_vosk_models(target, ["en"], base_url=base_url)
    (served / "vosk" / "models" / f"{VOSK_MODELS['en'].name}.zip").unlink()  # a second fetch would now fail
    assert download_vosk_models(target, ["en"], base_url=base_url) == first


def test_offline_gives_a_clear_error(tmp_path: Path) -> None:
    port = free_port()  # nothing listens on it: like having no internet
    target = tmp_path / "vosk"
    with pytest.raises(VoiceModelError) as caught:
        download_vosk_models(target, ["pt"], base_url=f"http://127.0.0.1:{port}/", timeout_s=10)
    message = str(caught.value)
    assert "check the internet connection" in message
    assert "https://alphacephei.com/vosk/models/vosk-model-small-pt-0.3.zip" in message
    assert str(target) in message
    assert find_vosk_model(target, "pt") is None


def test_missing_file_on_the_server(model_server: tuple[str, Path], tmp_path: Path) -> None:
    base_url, _ = model_server
    with pytest.raises(VoiceModelError, match="HTTP 404"):
        download_vosk_models(tmp_path / "vosk", ["en"], base_url=base_url)


def test_download_that_is_not_a_zip(model_server: tuple[str, Path], tmp_path: Path) -> None:
    base_url, served = model_server
    (served / "vosk" / "models").mkdir(parents=True)
    (served / "vosk" / "models" / f"{VOSK_MODELS['en'].name}.zip").write_text("<html>captive portal</html>")
    with pytest.raises(VoiceModelError, match="not a zip archive"):
        download_vosk_models(tmp_path / "vosk", ["en"], base_url=base_url)
    assert find_vosk_model(tmp_path / "vosk", "en") is None


def test_zip_without_a_model_is_refused(model_server: tuple[str, Path], tmp_path: Path) -> None:
    base_url, served = model_server
    _publish(served, "en", with_model=False)
    with pytest.raises(VoiceModelError, match="holds no Vosk model folder"):
        download_vosk_models(tmp_path / "vosk", ["en"], base_url=base_url)
    assert list((tmp_path / "vosk").iterdir()) == []


def test_unknown_language_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="en, pt"):
        download_vosk_models(tmp_path, ["fr"])


def test_setup_command_reports_progress_and_result(model_server: tuple[str, Path], tmp_path: Path) -> None:
    base_url, served = model_server
    _publish(served, "en")
    _publish(served, "pt")
    out, err = io.StringIO(), io.StringIO()
    assert voice_setup(out, err, tmp_path / "vosk", base_url=base_url) == 0
    text = out.getvalue()
    assert f"en: ready in {tmp_path / 'vosk' / VOSK_MODELS['en'].name}" in text
    assert f"{VOSK_MODELS['pt'].name}: " in text and " MB" in text
    assert err.getvalue() == ""
    out = io.StringIO()
    assert voice_setup(out, err, tmp_path / "vosk", base_url=base_url) == 0
    assert "en: already installed" in out.getvalue()


def test_setup_command_offline_fails_with_a_message(tmp_path: Path) -> None:
    port = free_port()
    out, err = io.StringIO(), io.StringIO()
    assert voice_setup(out, err, tmp_path / "vosk", ["en"], base_url=f"http://127.0.0.1:{port}/") == 1
    assert err.getvalue().startswith("samantha: Could not download the en voice model")


def test_default_model_folder_is_per_user() -> None:
    folder = default_vosk_dir()
    assert folder.name == "vosk" and "samantha" in str(folder).lower()
