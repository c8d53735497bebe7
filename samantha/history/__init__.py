"""Session history: every run stored in SQLite as it goes, searchable, exportable, comparable, repeatable.

    db.py          the database (user data folder or $SAMANTHA_DATA_DIR), reads and writes
    migrations.py  the schema as numbered migrations (PRAGMA user_version)
    recorder.py    chain events -> rows, each answer committed when it finishes
    replay.py      a stored session -> chain events -> the transcript the page showed
    export.py      a session as Markdown, JSON or HTML
    grid.py        the comparison grid (models, rounds or draws x prompt items) and its exports
    rerun.py       run a stored session again and mark the answers that differ
    cli.py         `samantha history ...` and the recorder of `samantha run`
"""

from samantha.history.db import (
    DATA_DIR_ENV,
    HistoryDB,
    HistoryError,
    SessionSummary,
    StoredAnswer,
    StoredSession,
    default_db_path,
    settings_from_dict,
)
from samantha.history.recorder import Recorder

__all__ = [
    "DATA_DIR_ENV",
    "HistoryDB",
    "HistoryError",
    "Recorder",
    "SessionSummary",
    "StoredAnswer",
    "StoredSession",
    "default_db_path",
    "settings_from_dict",
]
