"""Moving one file's bytes from the hub into a partial file that survives interruptions.

huggingface_hub 2.x resolves metadata well (HEAD with hub redirects, X-Linked-Etag,
X-Linked-Size, its error types) and we use it for that. Its own `hf_hub_download`
does not fit a desktop app, though: it writes to a process-unique temporary file
and deletes it on any failure (no resume across calls), it does not verify the
sha256 it is given, reads 10 MB chunks (a cancel waits for the next one) and
takes its read timeout from an import-time constant. So the GET is done here, on
huggingface_hub's own HTTP client and error mapping, with:

- a partial file that is appended to and resumed with a Range request,
- retries within a call after a broken or stalled connection,
- a sha256 computed while the bytes arrive,
- a watcher thread that shuts the socket when the cancel event is set, so a read
  blocked on a silent server returns at once.
"""

from __future__ import annotations

import hashlib
import re
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx2
from huggingface_hub import get_hf_file_metadata, get_session, hf_hub_url, hf_raise_for_status
from huggingface_hub.errors import FileMetadataError, HfHubHTTPError
from huggingface_hub.utils import build_hf_headers

from samantha.hub.errors import DownloadCancelled
from samantha.hub.links import ModelLink

SHA256_PATTERN: Final = re.compile(r"[0-9a-f]{64}")
RETRY_STATUS: Final = frozenset({408, 429, 500, 502, 503, 504})
HASH_BLOCK: Final = 1 << 20
WATCH_INTERVAL: Final = 0.05


@dataclass(frozen=True)
class RemoteFile:
    """What the hub says about one file before we fetch it."""

    url: str  # the resolve URL pinned to the commit, so every retry gets the same bytes
    size: int | None
    etag: str
    commit: str
    sha256: str | None  # given for LFS files (all real GGUF models)


def fetch_metadata(link: ModelLink, *, endpoint: str, token: str | None, timeout: float) -> RemoteFile:
    """HEAD the file through huggingface_hub; raises its errors (translated by the caller)."""
    url = hf_hub_url(link.repo, link.filename, revision=link.revision, endpoint=endpoint)
    metadata = get_hf_file_metadata(url, token=token, timeout=timeout, endpoint=endpoint)
    if metadata.commit_hash is None or metadata.etag is None:
        raise FileMetadataError(f"{url} answered without X-Repo-Commit or ETag headers")
    etag = metadata.etag
    return RemoteFile(
        url=hf_hub_url(link.repo, link.filename, revision=metadata.commit_hash, endpoint=endpoint),
        size=metadata.size,
        etag=etag,
        commit=metadata.commit_hash,
        sha256=etag if SHA256_PATTERN.fullmatch(etag) else None,
    )


class CancelWatch:
    """Interrupts the current response's socket once `cancel` is set, and ticks while a read blocks.

    A read on a server that has gone silent blocks until the read timeout; shutting
    the socket down from another thread makes it return immediately on Windows,
    macOS and Linux alike. `on_tick` runs every few tens of milliseconds so progress
    (a falling rate) still reaches the user while no bytes arrive.
    """

    def __init__(self, cancel: threading.Event, on_tick: Callable[[], None] | None = None) -> None:
        self._cancel = cancel
        self._on_tick = on_tick
        self._lock = threading.Lock()
        self._response: httpx2.Response | None = None
        self._interrupted: httpx2.Response | None = None
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hub-cancel-watch", daemon=True)

    def __enter__(self) -> CancelWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._finished.set()
        self._thread.join(timeout=5)

    def attach(self, response: httpx2.Response | None) -> None:
        with self._lock:
            self._response = response
        if response is not None and self._cancel.is_set():
            self._interrupt()

    def _run(self) -> None:
        while not self._finished.is_set():
            if self._cancel.wait(WATCH_INTERVAL):
                self._interrupt()
                self._finished.wait(WATCH_INTERVAL)
            elif self._on_tick is not None:
                try:
                    self._on_tick()
                except Exception:  # noqa: BLE001 - a failing progress display must not stop cancelling
                    self._on_tick = None

    def _interrupt(self) -> None:
        with self._lock:
            response = self._response
            if response is None or response is self._interrupted:
                return
            self._interrupted = response
        stream: Any = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
                if sys.platform == "win32":
                    sock.close()  # Winsock wakes a blocked recv on close, not reliably on shutdown
            except OSError:
                pass  # already closed: the reader has returned anyway
        else:
            try:
                response.close()
            except Exception:  # noqa: BLE001, S110 - best effort from a foreign thread; the read timeout still applies
                pass


class _Restart(Exception):
    """The server ignored or misread our Range request: start the file over."""


class Transfer:
    """Fetches `remote` into `part`, continuing from whatever `part` already holds."""

    def __init__(
        self,
        remote: RemoteFile,
        part: Path,
        *,
        token: str | None,
        timeout: float,
        retries: int,
        cancel: threading.Event,
        report: Callable[[int, int | None], None],
        tick: Callable[[], None] | None = None,
        retry_wait: float = 1.0,
    ) -> None:
        self.remote = remote
        self.part = part
        self.total = remote.size
        self._token = token
        self._timeout = timeout
        self._retries = retries
        self._cancel = cancel
        self._report = report
        self._tick = tick
        self._retry_wait = retry_wait
        self._hasher = hashlib.sha256()
        self.done = 0

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise DownloadCancelled("download cancelled")

    def _load_partial(self) -> None:
        """Count (and hash) the bytes a previous attempt left, dropping them if they cannot be right."""
        size = self.part.stat().st_size if self.part.exists() else 0
        if self.total is not None and size > self.total:
            self.part.unlink()
            size = 0
        self._hasher = hashlib.sha256()
        if size and self.remote.sha256:
            with self.part.open("rb") as source:
                while block := source.read(HASH_BLOCK):
                    self._check_cancel()
                    self._hasher.update(block)
        self.done = size

    def _restart(self) -> None:
        self.part.write_bytes(b"")
        self._hasher = hashlib.sha256()
        self.done = 0

    def run(self) -> str | None:
        """Fetch until the file is complete; returns the sha256 of its bytes when the hub gave one to check."""
        self._check_cancel()
        self._load_partial()
        self._report(self.done, self.total)
        failures = 0
        with CancelWatch(self._cancel, self._tick) as watch:
            while self.total is None or self.done < self.total:
                self._check_cancel()
                before = self.done
                try:
                    if self._attempt(watch):
                        break
                except _Restart:
                    self._restart()
                    continue
                except (httpx2.TransportError, HfHubHTTPError) as error:
                    self._check_cancel()
                    if isinstance(error, HfHubHTTPError) and error.response.status_code not in RETRY_STATUS:
                        raise
                    failures = 0 if self.done > before else failures + 1
                    if failures > self._retries:
                        raise
                    if self._cancel.wait(self._retry_wait):
                        self._check_cancel()
                finally:
                    watch.attach(None)
        return self._hasher.hexdigest() if self.remote.sha256 else None

    def _attempt(self, watch: CancelWatch) -> bool:
        """One GET from `self.done` on; True when the server says the file is complete."""
        headers = build_hf_headers(token=self._token)
        headers["Accept-Encoding"] = "identity"  # byte offsets must be offsets in the file
        if self.done:
            headers["Range"] = f"bytes={self.done}-"
        with get_session().stream(
            "GET", self.remote.url, headers=headers, timeout=httpx2.Timeout(self._timeout), follow_redirects=True
        ) as response:
            watch.attach(response)
            if response.status_code >= 400:
                response.read()
                hf_raise_for_status(response)
            if self.done and response.status_code == 200:
                self._restart()  # the server ignored Range: take the whole body from the start
            elif self.done and response.status_code == 206:
                content_range = response.headers.get("Content-Range", "")
                if not content_range.startswith(f"bytes {self.done}-"):
                    raise _Restart()
            if self.total is None:
                length = response.headers.get("Content-Length")
                self.total = self.done + int(length) if length and length.isdigit() else None
            with self.part.open("ab") as out:
                for chunk in response.iter_bytes():
                    self._check_cancel()
                    out.write(chunk)
                    if self.remote.sha256:
                        self._hasher.update(chunk)
                    self.done += len(chunk)
                    self._report(self.done, self.total)
        if self.total is not None and self.done < self.total:
            raise httpx2.RemoteProtocolError(f"the connection closed after {self.done} of {self.total} bytes")
        return True
