"""The session history database: SQLite in the user's data folder, WAL, numbered migrations.

One HistoryDB is shared by every browser tab (or one `samantha run`); a lock
serialises its connection, and every write is its own committed transaction, so
a crash or a killed process loses at most the answer still being generated.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import platformdirs

from samantha.chain import model_name
from samantha.errors import SamanthaError
from samantha.events import AnswerRecord
from samantha.history.migrations import migrate
from samantha.prompts import join_prefix
from samantha.run_spec import RunSpec, settings_from_dict
from samantha.settings import ChainSettings

DATA_DIR_ENV = "SAMANTHA_DATA_DIR"
ITEM_LABEL_KEY = "item_label"  # an answer's item words, stored among its extra data
DB_FILE_NAME = "history.sqlite3"
APP_NAME = "samantha"
BUSY_TIMEOUT_MS = 10_000
SNIPPET_TOKENS = 12


class HistoryError(SamanthaError, ValueError):
    """A history request cannot be met (unknown session, bad search); the message says why."""


SQLITE_FULL = 13  # sqlite's own error code for a full disk (sqlite3.SQLITE_FULL, missing from some typings)

def out_of_space(exc: BaseException) -> bool:
    """Whether a database or file error means the disk (or the user's quota, or a file-size limit) is full."""
    import errno

    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL or "disk is full" in str(exc)
    return False


def space_advice(path: Path) -> str:
    """What to do when the disk holding the history is full: free space, not move the database aside
    (which would hide the user's whole history)."""
    return (f"the disk that holds the history ({path.parent}) is full: free some space there; every answer "
            "stored so far is safe, and Samantha records again once there is room")


def data_dir() -> Path:
    """$SAMANTHA_DATA_DIR, else the platform's user data folder (e.g. ~/.local/share/samantha)."""
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / DB_FILE_NAME


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class SessionSummary:
    """One line of the session list."""

    id: int
    source: str
    started_at: str
    finished_at: str | None
    finish_reason: str | None
    seed: int | None
    answers: int
    models: tuple[str, ...]  # display names, in chain order, without repeats
    first_item: str
    rerun_of: int | None = None
    steps: int = 0  # answers the chain planned
    snippet: str = ""  # search hit, when the list came from a search

    @property
    def state(self) -> str:
        """The finish reason ('interrupted' for a run whose process was killed), or 'running'."""
        return self.finish_reason or ("running" if self.finished_at is None else "?")

    def label(self) -> str:
        item = " ".join(self.first_item.split())
        item = item if len(item) <= 50 else item[:49] + "\u2026"
        models = ", ".join(self.models) or "no model"
        text = f"#{self.id} \u00b7 {self.started_at.replace('T', ' ')[:16]} \u00b7 {models} \u00b7 " \
               f"{self.answers} answer(s) \u00b7 {self.state}"
        if item:
            text += f" \u00b7 \u201c{item}\u201d"
        if self.snippet:
            text += f" \u00b7 \u2026{self.snippet}\u2026"
        return text


@dataclass(frozen=True)
class StoredAnswer:
    """An answer as stored: the AnswerRecord fields plus where it sits and which model file it was."""

    id: int
    seq: int
    model_ref: str
    model_name: str
    model_position: int
    item_number: int
    item_text: str
    round: int
    loop: int
    settings: dict[str, Any]
    random_values: dict[str, float] | None
    seed: int | None
    prompt: str
    answer: str
    prompt_tokens: int
    answer_tokens: int
    load_seconds: float
    prompt_seconds: float
    generation_seconds: float
    finish_reason: str
    code_output: str
    extra: dict[str, Any]
    finished_at: str
    model_size: int | None = None
    model_fingerprint: str = ""

    def record(self) -> AnswerRecord:
        return AnswerRecord(
            model=self.model_ref, model_name=self.model_name, model_position=self.model_position,
            item_number=self.item_number, item_text=self.item_text, round=self.round, loop=self.loop,
            settings=dict(self.settings), random_values=self.random_values, prompt=self.prompt, answer=self.answer,
            prompt_tokens=self.prompt_tokens, answer_tokens=self.answer_tokens, load_seconds=self.load_seconds,
            prompt_seconds=self.prompt_seconds, generation_seconds=self.generation_seconds,
            finish_reason=self.finish_reason,
            extra={k: v for k, v in self.extra.items() if k != ITEM_LABEL_KEY},
            item_label=str(self.extra.get(ITEM_LABEL_KEY, "")),
        )

    @property
    def title(self) -> str:
        # Loop and response are always named, loop 1 too, so a title read alone says where the answer sits.
        return f"{self.model_position}) {self.model_name}, item {self.item_number} (loop {self.loop}, response {self.round})"


@dataclass(frozen=True)
class StoredEvent:
    """A banner, notice, error or interpreter run, in its place among the answers."""

    seq: int
    kind: str
    message: str
    data: dict[str, Any]


@dataclass(frozen=True)
class StoredItem:
    number: int
    text: str
    is_final: bool


@dataclass(frozen=True)
class StoredSession:
    summary: SessionSummary
    settings: dict[str, Any]
    run_info: dict[str, Any]
    items: tuple[StoredItem, ...]
    answers: tuple[StoredAnswer, ...]
    events: tuple[StoredEvent, ...]

    @property
    def id(self) -> int:
        return self.summary.id

    def run_spec(self) -> RunSpec:
        """The stored run, ready to run again: its settings with the seed it used, and its run information in
        whichever form this session was stored (older sessions hold less)."""
        return RunSpec.from_stored(self.chain_settings(), self.run_info)

    def chain_settings(self) -> ChainSettings:
        """The run's settings as a ChainSettings, with the seed it actually used (so it can run again)."""
        settings = settings_from_dict(self.settings)
        if self.summary.seed is not None:
            settings = replace(settings, seed=self.summary.seed)
        return settings


def fts_query(text: str) -> str:
    """User text as a safe FTS5 query: every word must appear (as a word or a word's start)."""
    words = text.split()
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def create_private(path: Path) -> None:
    """Make the database's folder (0700 when new) and file (0600) readable by this user only.

    Transcripts are private: other accounts on the computer must not read them. SQLite
    gives its -wal and -shm files the database file's permissions, so those follow.
    An existing database made world-readable by an older version is tightened too.
    """
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    if os.name == "nt":
        return  # the user's profile folder is private already
    try:
        # O_EXCL: an existing file is never opened here. Closing any descriptor of a file drops every
        # POSIX lock this process holds on it, so opening and closing the database while another
        # connection of this process has it open would let a third process checkpoint and delete the
        # write-ahead log under that connection, which corrupts the database.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass  # sqlite3.connect then says what is wrong with the path


def _own_process() -> tuple[int, float]:
    import psutil

    return os.getpid(), psutil.Process().create_time()


def _process_alive(pid: int | None, started: float | None) -> bool:
    """Whether the process that recorded a session still runs (the same one: pids are reused)."""
    if pid is None or started is None:
        return False
    import psutil

    try:
        return abs(psutil.Process(int(pid)).create_time() - float(started)) < 1.0
    except (psutil.Error, ValueError, OverflowError):
        return False


class HistoryDB:
    """The database of stored sessions; thread-safe, one connection."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_db_path()
        create_private(self.path)
        self._lock = threading.RLock()
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open the history database {self.path}: {exc}") from None
        self._conn = conn
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            # Deleted text is overwritten with zeros, so a deleted session cannot be read back from the file.
            conn.execute("PRAGMA secure_delete = ON")
            migrate(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if out_of_space(exc):
                raise HistoryError(f"the history database {self.path} cannot be used ({exc}): "
                                   f"{space_advice(self.path)}") from None
            raise HistoryError(
                f"the history database {self.path} cannot be used ({exc}): it may be damaged. Move it aside "
                "(Samantha then starts a new one) or put a backup in its place"
            ) from None
        self.full_text = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'answers_fts'").fetchone() is not None
        self.mark_interrupted()

    def mark_interrupted(self) -> list[int]:
        """Close the sessions whose recording process is gone (killed, crashed, machine off) as 'interrupted'.

        Runs at every start; a session whose process still runs (another tab's app, a `samantha run` in
        another terminal) is left alone. Returns the ids it closed.
        """
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, owner_pid, owner_started FROM sessions WHERE finished_at IS NULL").fetchall()
        gone = [int(row["id"]) for row in rows if not _process_alive(row["owner_pid"], row["owner_started"])]
        if gone:
            marks = ",".join("?" * len(gone))
            with self._transaction() as conn:
                conn.execute(f"UPDATE sessions SET finished_at = ?, finish_reason = 'interrupted' "
                             f"WHERE finished_at IS NULL AND id IN ({marks})", (now_iso(), *gone))
        return gone

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> HistoryDB:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- writing -------------------------------------------------------------
    def start_session(
        self,
        *,
        source: str,
        settings: dict[str, Any],
        run_info: dict[str, Any],
        seed: int | None,
        steps: int,
        items: Sequence[StoredItem],
        rerun_of: int | None = None,
        started_at: str | None = None,
        item_prefix: str = "",
    ) -> int:
        """A new running session; `items` hold their own text, `item_prefix` (stored once) comes before each."""
        pid, process_started = _own_process()
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO sessions (source, started_at, seed, steps, settings, run_info, rerun_of, item_prefix,"
                " owner_pid, owner_started) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (source, started_at or now_iso(), seed, steps, json.dumps(settings, ensure_ascii=False),
                 json.dumps(run_info, ensure_ascii=False), rerun_of, item_prefix, pid, process_started),
            )
            session_id = int(cursor.lastrowid or 0)
            conn.executemany(
                "INSERT OR IGNORE INTO items (session_id, number, text, is_final) VALUES (?, ?, ?, ?)",
                [(session_id, item.number, item.text, int(item.is_final)) for item in items],
            )
        return session_id

    def model_id(self, file_name: str, size: int | None, fingerprint: str, path: str) -> int:
        """The row of this model file (same name and fingerprint = same model), created on first sight."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO models (file_name, size, fingerprint, path) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (file_name, fingerprint) DO UPDATE SET path = excluded.path",
                (file_name, size, fingerprint, path),
            )
            row = conn.execute("SELECT id FROM models WHERE file_name = ? AND fingerprint = ?",
                               (file_name, fingerprint)).fetchone()
        return int(row["id"])

    def add_answer(self, session_id: int, seq: int, record: AnswerRecord, model_id: int | None) -> int:
        """Store one finished answer, committed at once."""
        extra = dict(record.extra)
        if record.item_label:  # kept in the extra data, so the answers table needs no new column
            extra[ITEM_LABEL_KEY] = record.item_label
        code_output = str(extra.get("code_output") or "")
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO items (session_id, number, text, is_final) VALUES (?, ?, ?, 0)",
                (session_id, record.item_number, record.item_text),
            )
            cursor = conn.execute(
                "INSERT INTO answers (session_id, seq, model_id, model_ref, model_name, model_position, item_number,"
                " item_text, round, loop, settings, random_values, seed, prompt, answer, prompt_tokens, answer_tokens,"
                " load_seconds, prompt_seconds, generation_seconds, finish_reason, code_output, extra, finished_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, seq, model_id, record.model, record.model_name, record.model_position, record.item_number,
                 record.item_text, record.round, record.loop, json.dumps(record.settings, ensure_ascii=False),
                 json.dumps(record.random_values) if record.random_values is not None else None,
                 record.settings.get("seed"), record.prompt, record.answer, record.prompt_tokens,
                 record.answer_tokens, record.load_seconds, record.prompt_seconds, record.generation_seconds,
                 record.finish_reason, code_output, json.dumps(extra, ensure_ascii=False, default=str), now_iso()),
            )
        return int(cursor.lastrowid or 0)

    def set_code_output(self, answer_id: int, text: str) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE answers SET code_output = ? WHERE id = ?", (text, answer_id))

    def add_event(self, session_id: int, seq: int, kind: str, message: str = "",
                  data: dict[str, Any] | None = None) -> None:
        with self._transaction() as conn:
            conn.execute("INSERT INTO events (session_id, seq, kind, message, data) VALUES (?, ?, ?, ?, ?)",
                         (session_id, seq, kind, message, json.dumps(data or {}, ensure_ascii=False, default=str)))

    def finish_session(self, session_id: int, reason: str) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE sessions SET finished_at = ?, finish_reason = ? WHERE id = ?",
                         (now_iso(), reason, session_id))

    def delete_session(self, session_id: int) -> bool:
        """Remove a session with its items, answers and events; False when there was none.

        The text is gone from the file afterwards, not only from the lists: secure_delete zeroes
        the freed space, the search index is merged so it drops the session's words, and the
        write-ahead log (which still holds the old pages) is written back and emptied.
        """
        with self._transaction() as conn:
            cursor = conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            if cursor.rowcount > 0 and self.full_text:
                conn.execute("INSERT INTO answers_fts (answers_fts) VALUES ('optimize')")
        if cursor.rowcount > 0:
            with self._lock:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cursor.rowcount > 0

    # -- reading -------------------------------------------------------------
    def _summaries(self, where: str, params: Sequence[Any], limit: int,
                   snippets: dict[int, str] | None = None, offset: int = 0) -> list[SessionSummary]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT s.*, (SELECT COUNT(*) FROM answers a WHERE a.session_id = s.id) AS answer_count,"
                " (SELECT text FROM items i WHERE i.session_id = s.id ORDER BY number LIMIT 1) AS first_item"
                f" FROM sessions s {where} ORDER BY s.id DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [self._summary(row, (snippets or {}).get(int(row["id"]), "")) for row in rows]

    @staticmethod
    def _summary(row: sqlite3.Row, snippet: str = "") -> SessionSummary:
        try:
            refs = json.loads(row["settings"]).get("models") or []
        except (ValueError, AttributeError):
            refs = []
        names = tuple(dict.fromkeys(model_name(str(ref)) for ref in refs))
        return SessionSummary(
            id=int(row["id"]), source=row["source"], started_at=row["started_at"], finished_at=row["finished_at"],
            finish_reason=row["finish_reason"], seed=row["seed"], answers=int(row["answer_count"]), models=names,
            first_item=row["first_item"] or "", rerun_of=row["rerun_of"], steps=int(row["steps"]),
            snippet=snippet,
        )

    def list_sessions(self, limit: int = 50, search: str = "", offset: int = 0) -> list[SessionSummary]:
        """Sessions newest first, `limit` of them after skipping `offset` (a page of the list); with `search`,
        only those whose items, answers or code output hold every word, each with a snippet of a hit."""
        if not search.strip():
            return self._summaries("", (), limit, offset=offset)
        page = self.matching_sessions(search)[offset:offset + limit]
        if not page:
            return []
        snippets = self._snippets(page, search)
        marks = ",".join("?" * len(page))
        return self._summaries(f"WHERE s.id IN ({marks})", page, limit, snippets)

    def count_sessions(self, search: str = "") -> int:
        """How many sessions the (searched) list holds, for paging."""
        if search.strip():
            return len(self.matching_sessions(search))
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    def matching_sessions(self, text: str) -> list[int]:
        """Ids of the sessions with an answer holding every word of `text`, newest first.

        Only ids: a snippet costs far more than a match, so snippets are made for the page shown.
        """
        if not text.strip():
            return []
        with self._lock:
            try:
                if self.full_text:
                    rows = self._conn.execute(
                        "SELECT DISTINCT a.session_id FROM answers_fts JOIN answers a ON a.id = answers_fts.rowid"
                        " WHERE answers_fts MATCH ? ORDER BY a.session_id DESC", (fts_query(text),)).fetchall()
                else:
                    words = text.split()
                    clause = " AND ".join("(item_text || ' ' || answer || ' ' || code_output) LIKE ?" for _ in words)
                    rows = self._conn.execute(
                        f"SELECT DISTINCT session_id FROM answers WHERE {clause} ORDER BY session_id DESC",
                        [f"%{w}%" for w in words]).fetchall()
            except sqlite3.OperationalError as exc:
                raise HistoryError(f"cannot search for {text!r}: {exc}") from None
        return [int(row[0]) for row in rows]

    def _snippets(self, sessions: Sequence[int], text: str) -> dict[int, str]:
        """A few words around the first hit in each of these sessions' answers.

        One query over the range of the sessions' answer ids: FTS5 reads the matches once, and snippets
        are made only for answers in that range (a page of the list), not for every match.
        """
        if not sessions:
            return {}
        marks = ",".join("?" * len(sessions))
        with self._lock:
            low, high = self._conn.execute(
                f"SELECT MIN(id), MAX(id) FROM answers WHERE session_id IN ({marks})", list(sessions)).fetchone()
            if low is None:
                return {}
            if self.full_text:
                rows = self._conn.execute(
                    "SELECT a.session_id, snippet(answers_fts, -1, '[', ']', '', ?) FROM answers_fts"
                    " JOIN answers a ON a.id = answers_fts.rowid"
                    " WHERE answers_fts MATCH ? AND answers_fts.rowid BETWEEN ? AND ? ORDER BY answers_fts.rowid",
                    (SNIPPET_TOKENS, fts_query(text), low, high)).fetchall()
            else:
                rows = []
        if not self.full_text:
            rows = [hit for session in sessions for hit in self.search(text, limit=1, session_id=session)]
        found: dict[int, str] = {}
        wanted = set(sessions)
        for session, snippet in rows:
            if int(session) in wanted:
                found.setdefault(int(session), " ".join(str(snippet).split()))
        return found

    def search(self, text: str, limit: int = 100, session_id: int | None = None) -> list[tuple[int, str]]:
        """(session id, snippet) of the answers matching every word of `text`, newest first."""
        if not text.strip():
            return []
        only = " AND a.session_id = ?" if session_id is not None else ""
        extra = (session_id,) if session_id is not None else ()
        with self._lock:
            if self.full_text:
                try:
                    rows = self._conn.execute(
                        "SELECT a.session_id, snippet(answers_fts, -1, '[', ']', '', ?) AS snip"
                        " FROM answers_fts JOIN answers a ON a.id = answers_fts.rowid"
                        f" WHERE answers_fts MATCH ?{only} ORDER BY a.session_id DESC, a.seq LIMIT ?",
                        (SNIPPET_TOKENS, fts_query(text), *extra, limit),
                    ).fetchall()
                except sqlite3.OperationalError as exc:
                    raise HistoryError(f"cannot search for {text!r}: {exc}") from None
                return [(int(row[0]), " ".join(str(row[1]).split())) for row in rows]
            words = text.split()
            clause = " AND ".join("(item_text || ' ' || answer || ' ' || code_output) LIKE ?" for _ in words)
            rows = self._conn.execute(
                f"SELECT a.session_id, a.answer FROM answers a WHERE {clause}{only} ORDER BY a.session_id DESC, a.seq"
                " LIMIT ?", (*[f"%{w}%" for w in words], *extra, limit),
            ).fetchall()
        return [(int(row[0]), " ".join(str(row[1]).split())[:80]) for row in rows]

    def latest_id(self) -> int | None:
        with self._lock:
            row = self._conn.execute("SELECT MAX(id) FROM sessions").fetchone()
        return int(row[0]) if row[0] is not None else None

    def session(self, session_id: int) -> StoredSession:
        """The whole stored session; HistoryError when there is none with this id."""
        with self._lock:
            found = self._summaries("WHERE s.id = ?", (session_id,), 1)
            if not found:
                raise HistoryError(f"there is no stored session #{session_id}: `samantha history list` shows them")
            row = self._conn.execute("SELECT settings, run_info, item_prefix FROM sessions WHERE id = ?",
                                     (session_id,)).fetchone()
            prefix = row["item_prefix"] or ""
            items = self._conn.execute(
                "SELECT number, text, is_final FROM items WHERE session_id = ? ORDER BY number", (session_id,)
            ).fetchall()
            answers = self._conn.execute(
                "SELECT a.*, m.size AS model_size, m.fingerprint AS model_fingerprint FROM answers a"
                " LEFT JOIN models m ON m.id = a.model_id WHERE a.session_id = ? ORDER BY a.seq", (session_id,)
            ).fetchall()
            events = self._conn.execute(
                "SELECT seq, kind, message, data FROM events WHERE session_id = ? ORDER BY seq", (session_id,)
            ).fetchall()
        return StoredSession(
            summary=found[0],
            settings=json.loads(row["settings"]),
            run_info=json.loads(row["run_info"] or "{}"),
            items=tuple(StoredItem(int(i["number"]), join_prefix(prefix, i["text"]), bool(i["is_final"]))
                        for i in items),
            answers=tuple(_answer(a) for a in answers),
            events=tuple(StoredEvent(int(e["seq"]), e["kind"], e["message"], json.loads(e["data"] or "{}"))
                         for e in events),
        )


def _answer(row: sqlite3.Row) -> StoredAnswer:
    random_values = json.loads(row["random_values"]) if row["random_values"] else None
    return StoredAnswer(
        id=int(row["id"]), seq=int(row["seq"]), model_ref=row["model_ref"], model_name=row["model_name"],
        model_position=int(row["model_position"]), item_number=int(row["item_number"]), item_text=row["item_text"],
        round=int(row["round"]), loop=int(row["loop"]), settings=json.loads(row["settings"]),
        random_values=random_values, seed=row["seed"], prompt=row["prompt"], answer=row["answer"],
        prompt_tokens=int(row["prompt_tokens"]), answer_tokens=int(row["answer_tokens"]),
        load_seconds=float(row["load_seconds"]), prompt_seconds=float(row["prompt_seconds"]),
        generation_seconds=float(row["generation_seconds"]), finish_reason=row["finish_reason"],
        code_output=row["code_output"], extra=json.loads(row["extra"] or "{}"), finished_at=row["finished_at"],
        model_size=row["model_size"], model_fingerprint=row["model_fingerprint"] or "",
    )
