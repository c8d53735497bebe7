"""Hub links as chain members: download when the chain reaches them, with progress and Stop.

Plugged into `run_chain(prepare=...)`; the chain yields the progress events and
loads the downloaded file like any other.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from samantha.backends.base import BackendError, Cancelled, Control
from samantha.events import Downloading, Event, Notice
from samantha.hub.download import DownloadProgress, download_model
from samantha.hub.errors import DownloadCancelled, HubError
from samantha.hub.links import parse_link
from samantha.model_ref import RefKind, kind_of

POLL_SECONDS = 0.1
# After Stop, how long the chain waits for the download thread to notice before it moves on without it.
STOP_GRACE_SECONDS = 0.5


def is_hub_link(ref: str) -> bool:
    """A chain entry that names a GGUF file on the hub rather than a file on disk or a server's model."""
    return kind_of(ref) is RefKind.HUB


def comes_back_after_another(links: Sequence[str]) -> list[str]:
    """The links a chain needs again after a different link in between (A, B, A): with one shared
    MODEL_FOR_TESTING.gguf, each of those would be downloaded again every time."""
    seen: set[str] = set()
    again: list[str] = []
    last: str | None = None
    for link in links:
        if link in seen and link != last and link not in again:
            again.append(link)
        seen.add(link)
        last = link
    return again


@dataclass
class HubModels:
    """Downloads hub links into the model folder (MODEL_FOR_TESTING.gguf unless files are kept)."""

    model_dir: Path
    keep_files: bool = False
    token: str | None = None
    keep_for_this_run: bool = field(default=False, init=False)  # the chain comes back to a link: keep names
    _notice: str = field(default="", init=False)

    def handles(self, ref: str) -> bool:
        return is_hub_link(ref)

    def plan(self, models: Sequence[str]) -> None:
        """Keep each download under its own name for this run when the chain needs a link again later."""
        again = comes_back_after_another([ref for ref in models if self.handles(ref)])
        self.keep_for_this_run = bool(again) and not self.keep_files
        self._notice = (
            f"the chain comes back to {len(again)} downloaded model(s) after another one, so this run keeps each "
            f"download under its own name in {self.model_dir} instead of replacing MODEL_FOR_TESTING.gguf "
            "(which would download them again every time); delete them when you are done"
        ) if self.keep_for_this_run else ""

    def prepare(self, ref: str, control: Control) -> Generator[Event, None, str]:
        """Yield Downloading events while the file arrives; return its local path."""
        link = parse_link(ref)
        if self._notice:
            yield Notice(self._notice)
            self._notice = ""
        keep = self.keep_files or self.keep_for_this_run
        updates: queue.Queue[DownloadProgress] = queue.Queue()
        cancel = threading.Event()
        outcome: dict[str, object] = {}

        def work() -> None:
            try:
                outcome["path"] = download_model(link, self.model_dir, keep_files=keep,
                                                 progress=updates.put, cancel=cancel, token=self.token)
            except BaseException as exc:  # noqa: BLE001 - handed to the chain's thread below
                outcome["error"] = exc

        worker = threading.Thread(target=work, name=f"download {link.name}", daemon=True)
        worker.start()
        stopped_at: float | None = None
        while worker.is_alive() or not updates.empty():
            if control.answer_should_stop() and stopped_at is None:
                cancel.set()
                stopped_at = time.monotonic()
            if stopped_at is not None and time.monotonic() - stopped_at > STOP_GRACE_SECONDS:
                # A request the hub does not answer cannot see the cancel flag; leave it to time out
                # on its own (the worker only cleans up after itself) and stop now.
                raise Cancelled(f"download of {link.name} stopped")
            try:
                update = updates.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            yield Downloading(ref, update.filename, update.done, update.total, update.rate, update.seconds_left)
        worker.join()
        error = outcome.get("error")
        if isinstance(error, DownloadCancelled):
            raise Cancelled(f"download of {link.name} stopped")
        if isinstance(error, HubError):
            raise BackendError(str(error))
        if error is not None:
            raise BackendError(f"downloading {link.name} failed: {error}")
        path = Path(str(outcome["path"]))
        if keep and link.split is None and path.name != link.name:
            yield Notice(f"{self.model_dir} already has a {link.name} that Samantha did not download, so this "
                         f"download is saved as {path.name}; your file is untouched")
        return str(path)
