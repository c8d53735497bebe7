"""The history database's schema as numbered migrations; `PRAGMA user_version` says how many have run.

Never edit a migration that has shipped: add the next one. Each entry is applied
in its own transaction, so a database is always at one exact version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

V1_TABLES = """
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,               -- 'ui', 'cli' or 'rerun'
    started_at TEXT NOT NULL,           -- ISO 8601, UTC
    finished_at TEXT,
    finish_reason TEXT,                 -- ChainFinished.reason; NULL while running or after a crash
    seed INTEGER,                       -- the session seed the chain used
    steps INTEGER NOT NULL DEFAULT 0,   -- answers planned
    settings TEXT NOT NULL,             -- ChainSettings.to_dict() as JSON
    run_info TEXT NOT NULL DEFAULT '{}' -- grammar, load options, links: what else the run needs to repeat
);
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    size INTEGER,                       -- bytes; NULL for a remote model
    fingerprint TEXT NOT NULL,          -- size + hash of the first and last MiB; '' for a remote model
    path TEXT NOT NULL,                 -- where it was last seen
    UNIQUE (file_name, fingerprint)
);
CREATE TABLE items (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,            -- the item's position as typed (1-based)
    text TEXT NOT NULL,                 -- after the prompt grammar (settings removed; from v4 without
                                        -- sessions.item_prefix, which applies to every item)
    is_final INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, number)
);
CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,               -- order among the session's answers and events
    model_id INTEGER REFERENCES models(id),
    model_ref TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_position INTEGER NOT NULL,
    item_number INTEGER NOT NULL,
    item_text TEXT NOT NULL,
    round INTEGER NOT NULL,
    loop INTEGER NOT NULL,
    settings TEXT NOT NULL,             -- the effective sampling settings (JSON), seed included
    random_values TEXT,                 -- JSON, when random hyperparameters were on
    seed INTEGER,
    prompt TEXT NOT NULL,               -- the exact text the model saw
    answer TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    answer_tokens INTEGER NOT NULL,
    load_seconds REAL NOT NULL,
    prompt_seconds REAL NOT NULL,
    generation_seconds REAL NOT NULL,
    finish_reason TEXT NOT NULL,
    code_output TEXT NOT NULL DEFAULT '',
    extra TEXT NOT NULL DEFAULT '{}',
    finished_at TEXT NOT NULL
);
CREATE INDEX answers_by_session ON answers (session_id, seq);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,                 -- 'banner', 'notice', 'error', 'code'
    message TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'     -- the event's fields as JSON
);
CREATE INDEX events_by_session ON events (session_id, seq);
"""

V2_RERUNS = """
ALTER TABLE sessions ADD COLUMN rerun_of INTEGER REFERENCES sessions(id) ON DELETE SET NULL;
"""

FTS_TABLE = """
CREATE VIRTUAL TABLE answers_fts USING fts5(
    item_text, answer, code_output, content='answers', content_rowid='id', tokenize='unicode61'
);
CREATE TRIGGER answers_fts_insert AFTER INSERT ON answers BEGIN
    INSERT INTO answers_fts (rowid, item_text, answer, code_output)
    VALUES (new.id, new.item_text, new.answer, new.code_output);
END;
CREATE TRIGGER answers_fts_delete AFTER DELETE ON answers BEGIN
    INSERT INTO answers_fts (answers_fts, rowid, item_text, answer, code_output)
    VALUES ('delete', old.id, old.item_text, old.answer, old.code_output);
END;
CREATE TRIGGER answers_fts_update AFTER UPDATE ON answers BEGIN
    INSERT INTO answers_fts (answers_fts, rowid, item_text, answer, code_output)
    VALUES ('delete', old.id, old.item_text, old.answer, old.code_output);
    INSERT INTO answers_fts (rowid, item_text, answer, code_output)
    VALUES (new.id, new.item_text, new.answer, new.code_output);
END;
INSERT INTO answers_fts (answers_fts) VALUES ('rebuild');
"""


def has_fts5(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite build has FTS5 (almost all do; search falls back to LIKE otherwise)."""
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
        conn.execute("DROP TABLE temp.fts5_probe")
        return True
    except sqlite3.OperationalError:
        return False


def _full_text(conn: sqlite3.Connection) -> None:
    """v3: full-text search over items, answers and interpreter output, filled from what is stored."""
    if has_fts5(conn):
        for statement in _statements(FTS_TABLE):
            conn.execute(statement)


V4_PREFIX_AND_OWNER = """
ALTER TABLE sessions ADD COLUMN item_prefix TEXT NOT NULL DEFAULT '';  -- the [prefix] of every item, stored once
ALTER TABLE sessions ADD COLUMN owner_pid INTEGER;  -- the process recording the run, to tell running from killed
ALTER TABLE sessions ADD COLUMN owner_started REAL;  -- that process's start time (a pid is reused)
"""

Migration = str | Callable[[sqlite3.Connection], None]

# Index i holds the step from version i to version i + 1.
MIGRATIONS: tuple[Migration, ...] = (V1_TABLES, V2_RERUNS, _full_text, V4_PREFIX_AND_OWNER)
LATEST = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Bring the database up to `target`; returns the version it started from.

    A database newer than this program is refused rather than damaged.
    """
    from samantha.history.db import HistoryError  # db imports this module: by the time it migrates, it is loaded

    start = schema_version(conn)
    if start > LATEST:
        raise HistoryError(
            f"the history database is at version {start}, newer than this Samantha understands ({LATEST}): "
            "update Samantha, or point SAMANTHA_DATA_DIR at another folder"
        )
    for version in range(start, target):
        step = MIGRATIONS[version]
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) != version:  # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            if isinstance(step, str):
                for statement in _statements(step):
                    conn.execute(statement)
            else:
                step(conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return start


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit our transaction)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
