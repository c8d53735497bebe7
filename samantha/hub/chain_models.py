"""Hub links as chain members: download when the chain reaches them, with progress and Stop.

Plugged into `run_chain(prepare=...)`; the chain yields the progress events and
loads the downloaded file like any other.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Generator

from samantha.backends.base import BackendError, Cancelled, Control
from samantha.events import Downloading, Event
from samantha.hub.download import DownloadProgress, download_model
from samantha.hub.errors import DownloadCancelled, HubError
from samantha.hub.links import parse_link

POLL_SECONDS = 0.1


def is_hub_link(ref: str) -> bool:
    """A chain entry that names a GGUF file on the hub rather than a file on disk."""
    if "://" in ref and not ref.startswith(("http://", "https://")):
        return False  # e.g. openai+http:// remote models
    if Path(ref).exists():
        return False
    try:
        parse_link(ref)
    except HubError:
        return False
    return True


@dataclass
class HubModels:
    """Downloads hub links into the model folder (MODEL_FOR_TESTING.gguf unless files are kept)."""

    model_dir: Path
    keep_files: bool = False
    token: str | None = None

    def handles(self, ref: str) -> bool:
        return is_hub_link(ref)

    def prepare(self, ref: str, control: Control) -> Generator[Event, None, str]:
        """Yield Downloading events while the file arrives; return its local path."""
        link = parse_link(ref)
        updates: queue.Queue[DownloadProgress] = queue.Queue()
        cancel = threading.Event()
        outcome: dict[str, object] = {}

        def work() -> None:
            try:
                outcome["path"] = download_model(link, self.model_dir, keep_files=self.keep_files,
                                                 progress=updates.put, cancel=cancel, token=self.token)
            except BaseException as exc:  # noqa: BLE001 - handed to the chain's thread below
                outcome["error"] = exc

        worker = threading.Thread(target=work, name=f"download {link.name}", daemon=True)
        worker.start()
        while worker.is_alive() or not updates.empty():
            if control.answer_should_stop():
                cancel.set()
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
        return str(outcome["path"])
