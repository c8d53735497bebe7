"""Samantha's folders in the system's temporary folder: made with an owner note, removed at exit,
and swept at the next start when the app that made them is gone (killed, crashed, power cut).

Exports, speech files and each tab's code folder live there. A folder's owner note
holds the process id and start time of the app that made it, so a folder is only
swept when that very process no longer runs (a process id alone may be reused).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import psutil

OWNER_FILE = ".samantha-owner"
FILES_PREFIX = "samantha-files-"
CODE_PREFIX = "samantha-code-"
PREFIXES = (FILES_PREFIX, CODE_PREFIX)
# Start times read twice may differ by rounding.
START_TIME_SLACK = 1.0


def _this_process() -> str:
    return f"{os.getpid()} {psutil.Process().create_time():.2f}"


def make_owned_folder(prefix: str, base: Path | None = None) -> Path:
    """A new private folder (0700) in the temporary folder, noted as this process's."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base)).resolve()
    (folder / OWNER_FILE).write_text(_this_process(), encoding="ascii")
    return folder


def owner_alive(folder: Path) -> bool | None:
    """Whether the app that made `folder` still runs; None when the folder has no owner note."""
    try:
        pid_text, started_text = (folder / OWNER_FILE).read_text(encoding="ascii").split()
        pid, started = int(pid_text), float(started_text)
    except (OSError, ValueError):
        return None
    try:
        return abs(psutil.Process(pid).create_time() - started) <= START_TIME_SLACK
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def sweep_leftovers(base: Path | None = None, prefixes: Iterable[str] = PREFIXES) -> list[Path]:
    """Remove the folders of apps that are gone; return them. Folders without an owner note (made by
    another program, or an older Samantha) and other users' folders are left alone."""
    root = Path(base) if base is not None else Path(tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(tuple(prefixes)) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            if hasattr(os, "getuid") and entry.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        if owner_alive(entry) is False:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
