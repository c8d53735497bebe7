"""A fast fingerprint of a model file: its size and a hash of its first and last MiB.

Reading 2 MiB tells two quantisations (or a re-downloaded, changed file) apart
without hashing gigabytes, so every run can record exactly which file answered.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20  # 1 MiB


def fingerprint(path: Path) -> tuple[int, str]:
    """(size in bytes, "size:sha256-of-first-and-last-MiB"); OSError when the file cannot be read."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(CHUNK))
        if size > CHUNK:
            handle.seek(max(CHUNK, size - CHUNK))
            digest.update(handle.read(CHUNK))
    return size, f"{size}:{digest.hexdigest()}"
