"""`samantha voice setup`: fetch the small English and Portuguese Vosk models, with readable progress."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import platformdirs

from samantha.voice.errors import VoiceModelError
from samantha.voice.models import LANGUAGES, VOSK_BASE_URL, download_vosk_models, find_vosk_model

APP_NAME = "samantha"


def default_vosk_dir() -> Path:
    """Where voice-command models live unless the settings name another folder."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "vosk"


def voice_setup(
    out: TextIO,
    err: TextIO,
    model_dir: str | Path | None = None,
    languages: Iterable[str] = LANGUAGES,
    base_url: str = VOSK_BASE_URL,
) -> int:
    """Download the missing models into `model_dir` (default: `default_vosk_dir()`); 0 on success, 1 on failure."""
    root = Path(model_dir) if model_dir is not None else default_vosk_dir()
    wanted = list(languages)
    reported: dict[str, int] = {}

    def progress(name: str, done: int, total: int | None) -> None:
        step = done * 10 // total if total else done >> 22  # every 10 %, or every 4 MB without a size
        if reported.get(name) != step:
            reported[name] = step
            size = f" of {total / 1e6:.0f} MB" if total else ""
            print(f"{name}: {done / 1e6:.1f} MB{size}", file=out, flush=True)

    for language in wanted:
        found = find_vosk_model(root, language) if language in LANGUAGES else None
        if found is not None:
            print(f"{language}: already installed in {found}", file=out)
    try:
        folders = download_vosk_models(root, wanted, base_url=base_url, progress=progress)
    except (VoiceModelError, ValueError) as exc:
        print(f"samantha: {exc}", file=err)
        return 1
    for language, folder in zip(wanted, folders):
        print(f"{language}: ready in {folder}", file=out)
    return 0
