"""Vosk speech models: which folder holds which language, and fetching them (`samantha voice setup`).

A model is a folder such as ``vosk-model-small-en-us-0.15`` inside the model
folder setting. Downloads are zip files from alphacephei.com, unpacked into
a temporary folder and moved into place only when complete, so a broken
download never looks like a model.
"""

from __future__ import annotations

import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from samantha.voice.errors import VoiceModelError

VOSK_BASE_URL = "https://alphacephei.com/vosk/models/"
DOWNLOAD_TIMEOUT_S = 60.0
SETUP_COMMAND = "samantha voice setup"


@dataclass(frozen=True)
class VoskModelInfo:
    """A downloadable small model for one language."""

    language: str
    name: str
    size_mb: int

    def url(self, base_url: str = VOSK_BASE_URL) -> str:
        return f"{base_url.rstrip('/')}/{self.name}.zip"


VOSK_MODELS: dict[str, VoskModelInfo] = {
    "en": VoskModelInfo("en", "vosk-model-small-en-us-0.15", 40),
    "pt": VoskModelInfo("pt", "vosk-model-small-pt-0.3", 31),
}
LANGUAGES = tuple(VOSK_MODELS)

# Folder name prefixes that count as a model for a language (any size or version).
_PREFIXES: dict[str, tuple[str, ...]] = {
    "en": ("vosk-model-small-en", "vosk-model-en"),
    "pt": ("vosk-model-small-pt", "vosk-model-pt"),
}


def _check_language(language: str) -> VoskModelInfo:
    try:
        return VOSK_MODELS[language]
    except KeyError:
        raise ValueError(f"No voice-command model for language {language!r}; choose one of {', '.join(LANGUAGES)}.") from None


def is_vosk_model(folder: Path) -> bool:
    """True if `folder` looks like an unpacked Vosk model (acoustic model and configuration present)."""
    return (folder / "am").is_dir() and (folder / "conf").is_dir()


def find_vosk_model(model_dir: str | Path, language: str) -> Path | None:
    """The model folder for `language` inside `model_dir` (the known name first), or None."""
    info = _check_language(language)
    root = Path(model_dir)
    if not root.is_dir():
        return None
    preferred = root / info.name
    if is_vosk_model(preferred):
        return preferred
    candidates = sorted(
        child for child in root.iterdir() if child.name.startswith(_PREFIXES[language]) and is_vosk_model(child)
    )
    return candidates[0] if candidates else None


LANGUAGE_NAMES = {"en": "English", "pt": "Portuguese"}


def missing_model_message(model_dir: str | Path, language: str) -> str:
    """The one sentence for a language without its model: what is missing and how to add it."""
    name = LANGUAGE_NAMES.get(language, language)
    return f"No {name} voice-command model in {Path(model_dir)}. {manual_install_hint(model_dir, language)}"


def manual_install_hint(model_dir: str | Path, language: str) -> str:
    """What to run or download so `language` has a model in `model_dir`."""
    info = _check_language(language)
    return (
        f"Run `{SETUP_COMMAND}` (needs internet), or download {info.url()} "
        f"(about {info.size_mb} MB) and unzip it into {Path(model_dir)}."
    )


ProgressCallback = Callable[[str, int, int | None], None]


def download_vosk_models(
    model_dir: str | Path,
    languages: Iterable[str] = LANGUAGES,
    base_url: str = VOSK_BASE_URL,
    timeout_s: float = DOWNLOAD_TIMEOUT_S,
    progress: ProgressCallback | None = None,
    force: bool = False,
) -> list[Path]:
    """Make sure `model_dir` holds a model for each language, downloading what is missing.

    Returns the model folders. `progress(name, bytes_done, bytes_total)` is
    called while downloading. Raises VoiceModelError with what went wrong
    (offline, HTTP error, not a model zip) and how to install by hand.
    """
    root = Path(model_dir)
    wanted = [_check_language(lang) for lang in languages]
    root.mkdir(parents=True, exist_ok=True)
    folders: list[Path] = []
    for info in wanted:
        existing = None if force else find_vosk_model(root, info.language)
        folders.append(existing if existing is not None else _download_one(root, info, base_url, timeout_s, progress))
    return folders


def _download_one(
    root: Path,
    info: VoskModelInfo,
    base_url: str,
    timeout_s: float,
    progress: ProgressCallback | None,
) -> Path:
    url = info.url(base_url)

    def report(done: int, total: int | None) -> None:
        if progress is not None:
            progress(info.name, done, total)

    with tempfile.TemporaryDirectory(prefix=".download-", dir=root) as tmp:
        archive = Path(tmp) / f"{info.name}.zip"
        try:
            _fetch(url, archive, timeout_s, report)
        except urllib.error.HTTPError as exc:
            raise VoiceModelError(
                f"Could not download the {info.language} voice model: {url} answered HTTP {exc.code} {exc.reason}. "
                f"{_by_hand(info, root)}"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise VoiceModelError(
                f"Could not download the {info.language} voice model from {url} ({reason}): "
                f"check the internet connection. {_by_hand(info, root)}"
            ) from exc
        unpacked = Path(tmp) / "unpacked"
        try:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(unpacked)
        except zipfile.BadZipFile as exc:
            raise VoiceModelError(f"The file downloaded from {url} is not a zip archive. {_by_hand(info, root)}") from exc
        source = unpacked / info.name
        if not is_vosk_model(source):
            found = [p for p in unpacked.iterdir() if is_vosk_model(p)] if unpacked.is_dir() else []
            if not found:
                raise VoiceModelError(f"The archive from {url} holds no Vosk model folder. {_by_hand(info, root)}")
            source = found[0]
        target = root / source.name
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(source), str(target))
    return target


def _by_hand(info: VoskModelInfo, root: Path) -> str:
    return f"To install it by hand, download {info.url()} and unzip it into {root}."


def _fetch(url: str, target: Path, timeout_s: float, progress: Callable[[int, int | None], None]) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "samantha-voice-setup"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response, target.open("wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        while chunk := response.read(1 << 16):
            out.write(chunk)
            done += len(chunk)
            progress(done, total)
