"""Which link each downloaded file in a model folder came from.

`MODEL_FOR_TESTING.gguf` says nothing about its origin, so a small JSON file in
the folder's download area remembers it; that is what lets a link downloaded
before be used again without touching the network.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from filelock import FileLock

RECORDS_FILE: Final = "downloads.json"


@dataclass(frozen=True)
class DownloadRecord:
    """Where one finished file came from and how big it was when it was written."""

    link: str  # ModelLink.key
    size: int
    sha256: str | None = None


class DownloadRecords:
    """The records of one model folder, kept in `<download area>/downloads.json`.

    Every read-modify-write holds a file lock, so two sessions (or two app
    processes) finishing downloads into the same folder do not lose entries.
    """

    def __init__(self, area: Path) -> None:
        self._path = area / RECORDS_FILE
        self._lock = FileLock(str(area / (RECORDS_FILE + ".lock")))

    @property
    def lock(self) -> FileLock:
        """Held around "replace the file, then record it" so readers never see a stale record."""
        return self._lock

    def _read(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # a damaged record only costs a re-download
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, dict[str, object]]) -> None:
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self._path)

    def get(self, file_name: str) -> DownloadRecord | None:
        """The record for a file in the model folder, if there is a readable one."""
        with self._lock:
            entry = self._read().get(file_name)
        if not isinstance(entry, dict):
            return None
        try:
            return DownloadRecord(
                link=str(entry["link"]),
                size=int(entry["size"]),  # type: ignore[call-overload]
                sha256=str(entry["sha256"]) if entry.get("sha256") else None,
            )
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, file_name: str, record: DownloadRecord) -> None:
        with self._lock:
            data = self._read()
            data[file_name] = asdict(record)
            self._write(data)

    def names_for(self, link_key: str) -> list[str]:
        """The files recorded as downloads of this link (a kept download may have had to take a free name)."""
        with self._lock:
            data = self._read()
        return sorted(name for name, entry in data.items() if isinstance(entry, dict) and entry.get("link") == link_key)

    def forget(self, file_name: str) -> None:
        with self._lock:
            data = self._read()
            if data.pop(file_name, None) is not None:
                self._write(data)
