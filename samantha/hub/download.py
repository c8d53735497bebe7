"""Downloading a model into the model folder: reuse, free-space check, verification, replacement.

Layout inside the model folder:

    MODEL_FOR_TESTING.gguf           the newest download (unless files are kept)
    <original name>.gguf             kept downloads and every part of split models
    .samantha-downloads/             partial files, locks, and downloads.json
                                     (which link each file came from)

A partial file lives only in `.samantha-downloads/` and ends in `.part`, so the
model list never shows half a model, and a later call resumes it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx2
from filelock import FileLock, Timeout
from huggingface_hub.errors import FileMetadataError, HfHubHTTPError, OfflineModeIsEnabled

from samantha.hub.errors import DownloadCancelled, HubError, human_size, translate
from samantha.hub.links import ModelLink, hub_endpoint, parse_link
from samantha.hub.records import DownloadRecord, DownloadRecords
from samantha.hub.transfer import RemoteFile, Transfer, fetch_metadata

MODEL_FOR_TESTING: Final = "MODEL_FOR_TESTING.gguf"
DOWNLOAD_AREA: Final = ".samantha-downloads"
GGUF_MAGIC: Final = b"GGUF"
PROGRESS_INTERVAL: Final = 0.25  # seconds between progress callbacks
IDLE_INTERVAL: Final = 1.0  # while no bytes arrive, repeat the last state this often
RATE_WINDOW: Final = 5.0  # seconds of history behind the transfer rate
LOCK_POLL: Final = 0.2
HASH_BLOCK: Final = 1 << 20

_LIBRARY_ERRORS: Final = (HfHubHTTPError, httpx2.TransportError, FileMetadataError, OfflineModeIsEnabled, OSError)


@dataclass(frozen=True)
class DownloadProgress:
    """A snapshot of one file's transfer, for a progress bar."""

    filename: str
    done: int  # bytes on disk so far, resumed bytes included
    total: int | None  # None when the hub did not say
    rate: float  # bytes per second over the last few seconds
    seconds_left: float | None

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None


class RateMeter:
    """Bytes per second over a sliding window, so a stall shows up as a falling rate quickly."""

    def __init__(self, window: float = RATE_WINDOW) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, now: float, done: int) -> float:
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self._window:
            self._samples.popleft()
        first_time, first_done = self._samples[0]
        elapsed = now - first_time
        return (done - first_done) / elapsed if elapsed > 0 else 0.0


class ProgressReporter:
    """Turns (done, total) updates into throttled DownloadProgress callbacks.

    Updates come from the downloading thread; `tick()` comes from the transfer's
    watcher thread while a read blocks, so a stalled transfer still shows a falling
    rate. A lock keeps the callback from ever running twice at once.
    """

    def __init__(
        self,
        callback: Callable[[DownloadProgress], None] | None,
        filename: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._callback = callback
        self._filename = filename
        self._clock = clock
        self._meter = RateMeter()
        self._lock = threading.Lock()
        self._last_sent: float | None = None
        self._done = 0
        self._total: int | None = None
        self._pending = False

    def __call__(self, done: int, total: int | None) -> None:
        with self._lock:
            self._done, self._total, self._pending = done, total, True
            finished = total is not None and done >= total
            self._send_if_due(PROGRESS_INTERVAL, force=finished)

    def tick(self) -> None:
        """Deliver a held-back update, or repeat the last one now and then so the rate can fall to zero."""
        with self._lock:
            if self._last_sent is not None:
                self._send_if_due(PROGRESS_INTERVAL if self._pending else IDLE_INTERVAL)

    def _send_if_due(self, interval: float, force: bool = False) -> None:
        now = self._clock()
        if not force and self._last_sent is not None and now - self._last_sent < interval:
            return
        self._last_sent, self._pending = now, False
        rate = self._meter.add(now, self._done)
        if self._callback is None:
            return
        total, done = self._total, self._done
        finished = total is not None and done >= total
        left = (total - done) / rate if total is not None and rate > 0 else (0.0 if finished else None)
        self._callback(DownloadProgress(self._filename, done, total, rate, left))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def _sha256_of(path: Path, cancel: threading.Event) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(HASH_BLOCK):
            if cancel.is_set():
                raise DownloadCancelled("download cancelled")
            hasher.update(block)
    return hasher.hexdigest()


def _default_free_space(folder: Path) -> int:
    return shutil.disk_usage(folder).free


class Downloader:
    """Downloads links into one model folder with one set of options (what `download_model` builds per call)."""

    def __init__(
        self,
        folder: Path,
        *,
        progress: Callable[[DownloadProgress], None] | None = None,
        cancel: threading.Event | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        free_space: Callable[[Path], int] | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.folder = folder
        self.area = folder / DOWNLOAD_AREA
        try:
            self.area.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise HubError(
                f"Cannot use {folder} as the model folder ({error.strerror or error}). Choose a folder you can write to.",
                kind="folder",
            ) from None
        self.records = DownloadRecords(self.area)
        self.progress = progress
        self.cancel = cancel or threading.Event()
        self.token = token or None
        self.timeout = timeout
        self.retries = retries
        self.free_space = free_space or _default_free_space
        self.endpoint = hub_endpoint(endpoint)

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise DownloadCancelled("download cancelled")

    def _translate(self, error: BaseException, link: ModelLink) -> HubError:
        return translate(
            error,
            repo=link.repo,
            revision=link.revision,
            filename=link.filename,
            endpoint=self.endpoint,
            token_given=bool(self.token or os.environ.get("HF_TOKEN")),
            timeout=self.timeout,
        )

    def _acquire(self, lock: FileLock) -> None:
        """Wait for another session fetching the same link, still answering the cancel event."""
        while True:
            self._check_cancel()
            try:
                lock.acquire(timeout=LOCK_POLL)
                return
            except Timeout:
                continue

    def fetch(self, link: ModelLink, target: Path, spare_theirs: bool = False) -> Path:
        """Make `target` hold the file `link` names, fetching only what is not already on disk; returns where
        it is. With `spare_theirs`, a different file Samantha did not download under that name is left alone
        and the download takes a free name (see free_target)."""
        lock = FileLock(str(self.area / f"{_digest(link.key)}.lock"))
        self._acquire(lock)
        try:
            return self._fetch_locked(link, target, spare_theirs)
        finally:
            lock.release()

    def _fetch_locked(self, link: ModelLink, target: Path, spare_theirs: bool) -> Path:
        report = ProgressReporter(self.progress, link.name)
        if spare_theirs and target.exists() and self.records.get(target.name) is None:
            target = self._earlier_free_name(link) or target
        record = self.records.get(target.name)
        size = _size(target)
        if record is not None and record.link == link.key and size == record.size:
            report(size, size)
            return target
        self._check_cancel()
        try:
            remote = fetch_metadata(link, endpoint=self.endpoint, token=self.token, timeout=self.timeout)
        except _LIBRARY_ERRORS as error:
            raise self._translate(error, link) from error
        if self._already_there(link, target, remote):
            report(remote.size or 0, remote.size)
            return target
        if spare_theirs:
            target = self.free_target(target)
        part = (
            self.area / f"{re.sub(r'[^A-Za-z0-9._-]', '_', link.name)}.{_digest(link.key)}.{_digest(remote.etag)}.part"
        )
        self._check_free_space(link, remote, part)
        transfer = Transfer(
            remote,
            part,
            token=self.token,
            timeout=self.timeout,
            retries=self.retries,
            cancel=self.cancel,
            report=report,
            tick=report.tick,
        )
        try:
            sha256 = transfer.run()
        except (DownloadCancelled, HubError):
            raise
        except _LIBRARY_ERRORS as error:
            raise self._translate(error, link) from error
        self._verify(link, remote, part, transfer.done, sha256)
        self._install(link, remote, part, target)
        return target

    def _earlier_free_name(self, link: ModelLink) -> Path | None:
        """The free name an earlier download of this link took, when that file is still there."""
        for name in self.records.names_for(link.key):
            if (self.folder / name).exists():
                return self.folder / name
        return None

    def free_target(self, wanted: Path) -> Path:
        """Where a kept download goes: its own name, unless a file Samantha did not download has that name.

        The user's file is never replaced: the download takes `name-2.gguf` (the first free number), and a
        later download of the same link finds that name again through the records.
        """
        if not wanted.exists() or self.records.get(wanted.name) is not None:
            return wanted
        number = 2
        while (free := wanted.with_name(f"{wanted.stem}-{number}{wanted.suffix}")).exists():
            number += 1
        return free

    def _check_not_theirs(self, target: Path) -> None:
        """Parts of a split model must keep their names (llama.cpp finds them by name), so they cannot move
        aside: a user's file in the way is an error, not something to overwrite."""
        if target.exists() and self.records.get(target.name) is None:
            raise HubError(
                f"{self.folder} already has a file named {target.name} that Samantha did not download; it was "
                "left untouched. Move or rename it, or choose another model folder, and download again.",
                kind="name_taken",
            )

    def _already_there(self, link: ModelLink, target: Path, remote: RemoteFile) -> bool:
        """A kept file of the right size (and checksum, when known) is reused even without a record."""
        if target.name == MODEL_FOR_TESTING or remote.size is None or _size(target) != remote.size:
            return False
        if remote.sha256 is not None and _sha256_of(target, self.cancel) != remote.sha256:
            return False
        self.records.put(target.name, DownloadRecord(link.key, remote.size, remote.sha256))
        return True

    def _check_free_space(self, link: ModelLink, remote: RemoteFile, part: Path) -> None:
        if remote.size is None:
            return
        needed = remote.size - (_size(part) or 0)
        try:
            free = self.free_space(self.folder)
        except OSError:
            return  # the file system will not say; the write itself reports a full disk
        if free < needed:
            raise HubError(
                f"Not enough free disk space for {link.name}: it needs {human_size(needed)} more, but "
                f"{self.folder} has only {human_size(free)} free. Free some space or choose a model folder "
                "on another disk.",
                kind="disk_space",
            )

    def _verify(self, link: ModelLink, remote: RemoteFile, part: Path, done: int, sha256: str | None) -> None:
        """Never install bytes that are not the file the hub describes, or not a GGUF model at all."""
        if remote.size is not None and done != remote.size:
            part.unlink(missing_ok=True)
            raise HubError(
                f"{link.name} arrived with {done} bytes instead of {remote.size}; the damaged copy was deleted. "
                "Try again.",
                kind="checksum",
            )
        if remote.sha256 is not None and sha256 != remote.sha256:
            part.unlink(missing_ok=True)
            raise HubError(
                f"{link.name} does not match the hub's checksum (sha256 {remote.sha256[:12]}..., got "
                f"{(sha256 or '')[:12]}...): the copy was damaged on the way and has been deleted. Try again.",
                kind="checksum",
            )
        with part.open("rb") as source:
            magic = source.read(len(GGUF_MAGIC))
        if magic != GGUF_MAGIC:
            part.unlink(missing_ok=True)
            raise HubError(
                f"{link.name} is not a GGUF model file (it does not start with the GGUF signature), so it was "
                "not saved. Check that the link points to a .gguf model.",
                kind="not_gguf",
            )

    def _install(self, link: ModelLink, remote: RemoteFile, part: Path, target: Path) -> None:
        """Move the verified file into place and record where it came from, as one step for readers."""
        size = part.stat().st_size
        with self.records.lock:
            self.records.forget(target.name)
            try:
                os.replace(part, target)
            except PermissionError:
                raise HubError(
                    f"{target.name} is in use (perhaps a loaded model), so it cannot be replaced. Unload the "
                    "model and download again: the finished copy is kept and used at once.",
                    kind="in_use",
                ) from None
            except OSError as error:
                raise self._translate(error, link) from error
            self.records.put(target.name, DownloadRecord(link.key, size, remote.sha256))
        for stale in self.area.glob(f"*.{_digest(link.key)}.*.part"):
            stale.unlink(missing_ok=True)  # partials of older versions of the same link


def download_model(
    link: ModelLink | str,
    model_dir: Path | str,
    *,
    keep_files: bool = False,
    progress: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
    token: str | None = None,
    timeout: float = 30.0,
    retries: int = 3,
    free_space: Callable[[Path], int] | None = None,
    endpoint: str | None = None,
) -> Path:
    """Download one GGUF model into `model_dir` and return its path.

    The file is saved as MODEL_FOR_TESTING.gguf (replacing the previous one, to
    save disk) unless `keep_files`, which keeps the original name (or, when a file Samantha did not
    download already has it, the first free `name-N.gguf`: the caller sees it in the path). Split models
    (`-00001-of-0000N`) always keep their names, because llama.cpp finds the other
    parts by name; the path of part 1 is returned.

    A link downloaded before is not fetched again. An interrupted download resumes
    on the next call. `cancel` stops the transfer promptly (DownloadCancelled);
    `timeout` is how long a silent connection may last before it counts as stalled;
    `retries` is how many times a broken or stalled connection is resumed within
    this call. `token` defaults to HF_TOKEN / the saved login; `endpoint` to
    HF_ENDPOINT read at call time. Every failure is a HubError with a message for
    the user.

    `progress` is called from the calling thread while bytes arrive, and from a
    helper thread while the connection is silent (never two calls at once), so a
    stalled transfer still shows its rate falling.
    """
    chosen = parse_link(link, endpoint=endpoint) if isinstance(link, str) else link
    folder = Path(model_dir).expanduser()
    downloader = Downloader(
        folder,
        progress=progress,
        cancel=cancel,
        token=token,
        timeout=timeout,
        retries=retries,
        free_space=free_space,
        endpoint=endpoint,
    )
    if chosen.split is not None:
        _, count = chosen.split
        parts = [(chosen.part(index), folder / chosen.part(index).name) for index in range(1, count + 1)]
        for _, target in parts:
            downloader._check_not_theirs(target)
        paths = [downloader.fetch(part, target) for part, target in parts]
        return paths[0]
    if keep_files:
        return downloader.fetch(chosen, folder / chosen.name, spare_theirs=True)
    return downloader.fetch(chosen, folder / MODEL_FOR_TESTING)
