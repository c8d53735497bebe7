"""The working folder of the code a command-line chain runs: under the data folder, removed when the run ends.

The data folder is $SAMANTHA_DATA_DIR or the platform's user data folder, as for the history, so tests and
portable setups keep everything in one place; a folder per run keeps two runs apart, and removing it keeps
runs from piling up. The user keeps it with --keep-workdir, or names their own with --workdir.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from samantha.history.db import data_dir

CODE_FOLDER = "code"


@dataclass(frozen=True)
class CodeWorkdir:
    path: Path
    owned: bool  # made for this run (removed at the end unless kept), not a folder the user named


def code_workdir(chosen: str | None) -> CodeWorkdir:
    """The folder the user named, else a new one under <data folder>/code."""
    if chosen:
        path = Path(chosen).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return CodeWorkdir(path, owned=False)
    base = data_dir() / CODE_FOLDER
    base.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-")
    return CodeWorkdir(Path(tempfile.mkdtemp(prefix=stamp, dir=base)), owned=True)


def finish_code_workdir(workdir: CodeWorkdir, keep: bool) -> str:
    """Remove a folder made for the run unless asked to keep it; returns a line saying where kept files are."""
    if workdir.owned and not keep:
        shutil.rmtree(workdir.path, ignore_errors=True)
        return ""
    if workdir.owned and any(workdir.path.iterdir()):
        return f"the code's files are kept in {workdir.path}"
    if workdir.owned:
        workdir.path.rmdir()
    return ""
