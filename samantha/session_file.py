"""The JSON session file `samantha run --save` writes as the chain runs (format in the README).

It is rewritten atomically after every answer, so a crash loses at most the
answer in progress and the file on disk is always valid JSON.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from samantha.events import AnswerFinished, ChainFailed, ChainFinished, ChainStarted, Notice, RunObserver
from samantha.run_spec import RunSpec

FORMAT_NAME = "samantha-session"
FORMAT_VERSION = 1


def is_session_file(path: Path) -> bool:
    """Whether `path` holds a session file (so a new run may rewrite it): it starts like one Samantha writes."""
    try:
        with path.open("rb") as handle:
            head = handle.read(200)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and f'"format": "{FORMAT_NAME}"'.encode() in head


class SessionFile(RunObserver):
    """Collects a run's events into the session document and keeps it saved.

    A save that fails mid-run (a full disk) does not end the run: the file is given up, and `warn` hears why
    once; the answers stay in the transcript and the history.
    """

    def __init__(self, path: Path, spec: RunSpec, warn: Callable[[str], None] = lambda message: None) -> None:
        self.path = path
        self.failed = False
        self._warn = warn
        self.document: dict[str, Any] = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seed": spec.settings.seed,
            "settings": spec.settings.to_dict(),
            "answers": [],
            "errors": [],
            "notices": [],
            "finished": None,
        }

    def on_started(self, event: ChainStarted) -> None:
        self.document["seed"] = event.seed
        self._keep()

    def on_answer_finished(self, event: AnswerFinished) -> None:
        self.document["answers"].append(event.record.to_dict())
        self._keep()

    def on_failed(self, event: ChainFailed) -> None:
        self.document["errors"].append({"message": event.message, "model": event.model,
                                        "item_number": event.item_number})
        self._keep()

    def on_notice(self, event: Notice) -> None:
        self.document["notices"].append(event.message)
        self._keep()

    def on_finished(self, event: ChainFinished) -> None:
        self.document["finished"] = {"reason": event.reason, "answers": event.answers}
        self._keep()

    def _keep(self) -> None:
        """Save now, unless an earlier save failed."""
        if self.failed:
            return
        try:
            self.save()
        except OSError as exc:
            self.failed = True
            self._warn(f"cannot write the session file {self.path} ({exc.strerror or exc}): the run goes on without "
                       "it; its answers are in the transcript and the history (samantha history export)")

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".session-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(self.document, out, ensure_ascii=False, indent=2)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
