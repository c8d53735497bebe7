"""The JSON session file `samantha run --save` writes as the chain runs (format in the README).

It is rewritten atomically after every answer, so a crash loses at most the
answer in progress and the file on disk is always valid JSON.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from samantha.events import AnswerFinished, ChainError, ChainFinished, ChainStarted, Event, Notice
from samantha.settings import ChainSettings

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


class SessionFile:
    """Collects a run's events into the session document and keeps it saved."""

    def __init__(self, path: Path, settings: ChainSettings) -> None:
        self.path = path
        self.failed = False
        self.document: dict[str, Any] = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seed": settings.seed,
            "settings": settings.to_dict(),
            "answers": [],
            "errors": [],
            "notices": [],
            "finished": None,
        }

    def handle(self, event: Event) -> str:
        """Take one event; save when something worth keeping happened.

        A save that fails mid-run (a full disk) does not end the run: the file is given up, and the
        returned message (once, else "") says so; the answers stay in the transcript and the history.
        """
        if self.failed:
            return ""
        doc = self.document
        if isinstance(event, ChainStarted):
            doc["seed"] = event.seed
        elif isinstance(event, AnswerFinished):
            doc["answers"].append(event.record.to_dict())
        elif isinstance(event, ChainError):
            doc["errors"].append({"message": event.message, "model": event.model, "item_number": event.item_number})
        elif isinstance(event, Notice):
            doc["notices"].append(event.message)
        elif isinstance(event, ChainFinished):
            doc["finished"] = {"reason": event.reason, "answers": event.answers}
        else:
            return ""
        try:
            self.save()
        except OSError as exc:
            self.failed = True
            return (f"cannot write the session file {self.path} ({exc.strerror or exc}): the run goes on without "
                    "it; its answers are in the transcript and the history (samantha history export)")
        return ""

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
