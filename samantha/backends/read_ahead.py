"""Read the next model's file into the operating system's cache while the current model answers.

Only one model is in memory, so switching models means reading a file of hundreds of MB to
GBs from disk. Reading it ahead, while the current model generates (which needs the CPU,
not the disk), lets the next load find its pages in memory. The file is read by a background
thread: asking the kernel instead (posix_fadvise WILLNEED) read only its first 8 MB here.
"""

from __future__ import annotations

import threading
from pathlib import Path

from samantha.model_ref import RefKind, kind_of

CHUNK = 8 << 20  # 8 MiB per read


def _read_through(path: Path) -> None:
    try:
        with path.open("rb", buffering=0) as handle:
            while handle.read(CHUNK):
                pass
    except OSError:
        pass  # a file that cannot be read now is reported when it is loaded


def read_ahead(ref: str) -> threading.Thread | None:
    """Start reading `ref` into the page cache if it is a local file; the thread, or None when there is nothing to do."""
    path = Path(ref)
    if kind_of(ref) is not RefKind.FILE or not path.is_file():
        return None
    thread = threading.Thread(target=_read_through, args=(path,), name=f"read-ahead {path.name}", daemon=True)
    thread.start()
    return thread
