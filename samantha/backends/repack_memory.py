"""Model files that crashed llama.cpp with weight repacking on, remembered so they never crash twice.

Repacking (llama.cpp rearranging quantised weights for the CPU's vector units) is on by
default, as in llama-cpp-python, because it decodes faster. On some CPUs it once crashed
quantised models, so a file that kills the worker while loading or in its first answer
with repacking on is loaded again with it off, and its fingerprint goes into a small JSON
file in the data folder: from then on that file always loads with repacking off.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from samantha.history.db import data_dir
from samantha.history.fingerprint import fingerprint

FILE_NAME = "repack-off.json"


class RepackMemory:
    """The fingerprints of files to load without repacking; a missing or damaged file means none."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else data_dir() / FILE_NAME

    def _known(self) -> set[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        return {item for item in data if isinstance(item, str)} if isinstance(data, list) else set()

    def avoids(self, model: Path) -> bool:
        try:
            return fingerprint(model)[1] in self._known()
        except OSError:
            return False

    def remember(self, model: Path) -> None:
        """Add the file; a folder that cannot be written only loses the memory, never the run."""
        try:
            known = self._known() | {fingerprint(model)[1]}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".repack-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(sorted(known), out, indent=1)
            os.replace(temporary, self.path)
        except OSError:
            pass
