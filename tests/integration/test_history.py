"""Session history with real parts: SQLite on disk, the real llama.cpp engine on a tiny model, real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from samantha.backends.base import Control, LoadOptions
from samantha.chain import run_chain
from samantha.history import HistoryDB, Recorder
from samantha.history.db import StoredItem
from samantha.history.export import export_session
from samantha.history.grid import build_grid, export_grid
from samantha.history.migrations import LATEST, migrate, schema_version
from samantha.history.replay import transcript_text
from samantha.history.rerun import rerun_session, same_marks
from samantha.run_spec import RunSpec
from samantha.settings import ChainSettings, Sampling
from samantha.tinymodel import grammar_for_text
from samantha.transcript_writer import TranscriptWriter

ANSWER = "Stored words stay."
PROMPT = "first question\nsecond question"


def record_run(db: HistoryDB, backend, settings: ChainSettings, grammar: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """Run a chain through the real engine, recording it; returns the session id and the page's transcript."""
    info = RunSpec(settings, grammar=grammar, load_options=LoadOptions(n_ctx=256))
    recorder = Recorder(db, info, source="ui")
    writer = TranscriptWriter()
    for event in run_chain(settings, backend, Control(), load_options=info.load_options, grammar=grammar):
        recorder.apply(event)
        writer.apply(event)
    assert not recorder.problem and recorder.session_id is not None
    return recorder.session_id, writer.text


@pytest.fixture
def two_model_settings(tiny_model: Path, tiny_model_b: Path) -> ChainSettings:
    return ChainSettings(models=(str(tiny_model), str(tiny_model_b)), prompt=PROMPT, seed=7,
                         sampling=Sampling(n_ctx=256, max_tokens=40))


def test_a_real_chain_is_stored_reopened_searched_exported_and_compared(
    tmp_path: Path, llama_backend, two_model_settings: ChainSettings  # type: ignore[no-untyped-def]
) -> None:
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        session_id, shown = record_run(db, llama_backend, two_model_settings, grammar_for_text(ANSWER))
    with HistoryDB(tmp_path / "h.sqlite3") as db:  # reopened from disk
        stored = db.session(session_id)
        assert transcript_text(stored) == shown
        assert [a.answer for a in stored.answers] == [ANSWER] * 4
        assert stored.summary.finish_reason == "done" and stored.summary.seed == 7
        first = stored.answers[0]
        assert "first question" in first.prompt and first.settings["seed"] == 7 and first.answer_tokens > 0
        assert first.model_size == Path(two_model_settings.models[0]).stat().st_size
        assert first.model_fingerprint.startswith(f"{first.model_size}:")
        assert stored.answers[2].model_fingerprint != first.model_fingerprint  # the other model file
        assert db.list_sessions(search="stored stay")[0].id == session_id
        assert db.list_sessions(search="second")[0].id == session_id
        assert db.list_sessions(search="nowhere-to-be-found") == []
        for fmt in ("md", "json", "html"):
            text = export_session(stored, fmt)
            assert text.count(ANSWER) >= 4, fmt
        assert len(json.loads(export_session(stored, "json"))["answers"]) == 4
        grid = build_grid(stored, "model")
        assert grid.columns == ["tiny-chatml.gguf", "tiny-other.gguf"]
        assert [row.text for row in grid.rows] == ["first question", "second question"]
        assert all(len(grid.cell(r, c)) == 1 for r in range(2) for c in range(2))
        csv_text = export_grid(grid, "csv")
        assert csv_text.splitlines()[0] == "item,tiny-chatml.gguf,tiny-other.gguf" and csv_text.count(ANSWER) == 4
        assert export_grid(grid, "md").count(ANSWER) == 4 and export_grid(grid, "html").count(ANSWER) == 4
        assert build_grid(stored, "round").columns == ["loop 1, response 1"]


def test_rerun_of_a_deterministic_session_is_the_same_and_a_tampered_answer_differs(
    tmp_path: Path, llama_backend, tiny_model: Path  # type: ignore[no-untyped-def]
) -> None:
    settings = ChainSettings(models=(str(tiny_model),), prompt="one\ntwo", seed=3, random_params=True,
                             sampling=Sampling(n_ctx=256, max_tokens=12))
    db = HistoryDB(tmp_path / "h.sqlite3")
    session_id, _ = record_run(db, llama_backend, settings, "")
    report = rerun_session(db, session_id, llama_backend, Control())
    assert report.rerun is not None and report.rerun != session_id
    assert len(report.comparisons) == 2 and report.differences == 0, report.comparisons
    with sqlite3.connect(tmp_path / "h.sqlite3") as raw:  # someone edits the stored answer
        raw.execute("UPDATE answers SET answer = 'tampered' WHERE session_id = ? AND seq = "
                    "(SELECT MIN(seq) FROM answers WHERE session_id = ?)", (session_id, session_id))
    report = rerun_session(db, session_id, llama_backend, Control())
    assert [c.same for c in report.comparisons] == [False, True]
    assert report.comparisons[0].stored == "tampered"
    rerun = db.session(report.rerun)
    assert rerun.summary.rerun_of == session_id
    grid = build_grid(rerun, "model", same_marks(db.session(session_id), rerun))
    assert "DIFFERS from stored" in export_grid(grid, "md") and "same as stored" in export_grid(grid, "md")
    db.close()


def test_an_older_database_is_upgraded_and_keeps_its_answers(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=1)  # what the first release created
    conn.execute("INSERT INTO sessions (id, source, started_at, seed, settings) VALUES "
                 "(1, 'cli', '2026-01-01T00:00:00+00:00', 5, ?)", (json.dumps({"models": ["/m/old.gguf"], "prompt": "hi"}),))
    conn.execute("INSERT INTO answers (session_id, seq, model_ref, model_name, model_position, item_number, item_text,"
                 " round, loop, settings, prompt, answer, prompt_tokens, answer_tokens, load_seconds, prompt_seconds,"
                 " generation_seconds, finish_reason, finished_at) VALUES (1, 1, '/m/old.gguf', 'old.gguf', 1, 1, 'hi',"
                 " 1, 1, '{}', 'hi', 'an answer from long ago', 3, 5, 0, 0.1, 0.5, 'eos', '2026-01-01T00:00:01+00:00')")
    assert schema_version(conn) == 1
    conn.close()
    with HistoryDB(path) as db:
        with sqlite3.connect(path) as check:
            assert schema_version(check) == LATEST
        assert [s.id for s in db.list_sessions(search="long ago")] == [1]
        stored = db.session(1)
        assert stored.answers[0].answer == "an answer from long ago" and stored.summary.rerun_of is None
        assert stored.chain_settings().models == ("/m/old.gguf",) and stored.chain_settings().seed == 5


def test_killing_samantha_run_mid_chain_keeps_every_finished_answer(tiny_model: Path, tmp_path: Path) -> None:
    grammar = tmp_path / "long.gbnf"
    grammar.write_text("root ::= [a-z]{300}\n")
    data = tmp_path / "data"
    env = {**os.environ, "SAMANTHA_DATA_DIR": str(data)}
    process = subprocess.Popen(
        [sys.executable, "-m", "samantha", "run", "--model", str(tiny_model), "--prompt", "x", "--responses", "50",
         "--set", "n_ctx=512", "--grammar-file", str(grammar)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True,
    )
    database = data / "history.sqlite3"
    try:
        deadline = time.monotonic() + 120
        stored = 0
        while time.monotonic() < deadline and stored < 2:
            time.sleep(0.2)
            if database.exists():
                with sqlite3.connect(database) as peek:
                    try:
                        stored = peek.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
                    except sqlite3.OperationalError:
                        stored = 0  # tables not created yet
        assert stored >= 2, "two answers were never stored"
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the app and its llama.cpp worker, without any clean-up
        out, _ = process.communicate(timeout=30)
    finished_on_screen = out.count("---------- (")
    with sqlite3.connect(database) as peek:  # as the kill left it
        assert peek.execute("SELECT finished_at FROM sessions").fetchall() == [(None,)]
    with HistoryDB(database) as db:  # the next start sees its process is gone
        session = db.session(db.latest_id() or 0)
        assert session.summary.finished_at is not None and session.summary.state == "interrupted"
        assert "interrupted" in session.summary.label()
        assert len(session.answers) >= max(2, finished_on_screen)
        assert len(session.answers) < 50
        assert all(len(a.answer) == 300 and a.finish_reason for a in session.answers)


def test_a_session_whose_process_still_runs_is_not_marked_interrupted(tmp_path: Path) -> None:
    database = tmp_path / "history.sqlite3"
    with HistoryDB(database) as first:
        running = first.start_session(source="cli", settings={}, run_info={}, seed=1, steps=3, items=[])
    with HistoryDB(database) as second:  # another start while this process still records that session
        assert second.session(running).summary.state == "running"


def test_a_prefix_is_stored_once_not_in_every_item(tmp_path: Path) -> None:
    from samantha.events import ChainStarted
    from samantha.prompts import parse_prompt_list

    prefix = "context " * 6_500  # about 52 KB, as in a long shared instruction
    prompt = f"[{prefix}]\n" + "\n".join(f"question {n}" for n in range(2_000))
    items = parse_prompt_list(prompt)
    assert len(items) == 2_000 and items[5].text == f"{prefix.strip()}\nquestion 5"
    settings = ChainSettings(models=("m.gguf",), prompt=prompt)
    database = tmp_path / "history.sqlite3"
    with HistoryDB(database) as db:
        recorder = Recorder(db, RunSpec(settings), source="cli")
        recorder.apply(ChainStarted(seed=1, steps=2_000))
        assert recorder.session_id is not None
        stored = db.session(recorder.session_id)
        assert len(stored.items) == 2_000 and stored.items[7].text == items[7].text
    # Copied into every item this was over 100 MB; once, it is the prompt itself (twice: settings and prefix).
    assert database.stat().st_size < 1_000_000
    assert items[0].prefix is items[1_999].prefix  # one string in memory, shared by every item


def test_history_command_line_lists_shows_exports_and_compares(tiny_model: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SAMANTHA_DATA_DIR": str(tmp_path / "data")}

    def samantha(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "samantha", *args], check=False, capture_output=True, text=True, env=env,
                              timeout=180)

    grammar = tmp_path / "g.gbnf"
    grammar.write_text(grammar_for_text(ANSWER))
    run = samantha("run", "--model", str(tiny_model), "--prompt", "alpha\nbeta", "--set", "n_ctx=256",
                   "--seed", "4", "--grammar-file", str(grammar))
    assert run.returncode == 0, run.stderr
    assert "stored as history session #1" in run.stderr
    assert samantha("run", "--model", str(tiny_model), "--prompt", "gamma", "--set", "n_ctx=256", "--no-history",
                    "--grammar-file", str(grammar)).returncode == 0
    listing = samantha("history", "list")
    assert listing.stdout.count("#") == 1 and "tiny-chatml.gguf" in listing.stdout and "2 answer(s)" in listing.stdout
    assert "#1" in samantha("history", "list", "--search", "beta").stdout
    assert "no stored sessions match" in samantha("history", "list", "--search", "gamma").stdout
    show = samantha("history", "show", "1")
    assert show.returncode == 0 and show.stdout.count(ANSWER) == 2 and "1) tiny-chatml.gguf" in show.stdout
    out_file = tmp_path / "s.html"
    assert samantha("history", "export", "1", "--format", "html", "-o", str(out_file)).returncode == 0
    assert out_file.read_text().count(ANSWER) >= 2
    compare = samantha("history", "compare", "1", "--by", "model", "--format", "csv")
    assert compare.stdout.splitlines()[0] == "item,tiny-chatml.gguf"
    rerun = samantha("history", "rerun", "1")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "2 of 2 compared answer(s) the same, 0 different" in rerun.stdout
    missing = samantha("history", "show", "99")
    assert missing.returncode == 2 and "no stored session #99" in missing.stderr
    nowhere = samantha("history", "export", "1", "-o", str(out_file / "inside-a-file.md"))
    assert nowhere.returncode == 2 and f"cannot write {out_file / 'inside-a-file.md'}" in nowhere.stderr
    assert "choose another -o path" in nowhere.stderr


def test_interpreter_output_is_stored_searchable_and_replayed(tmp_path: Path, llama_backend, tiny_model: Path) -> None:  # type: ignore[no-untyped-def]
    from runner_env import runner_environment

    from samantha.runner import CodeRunner
    from samantha.runner.chain_hook import CodeRunHook

    answer = "Here:\n```python\nprint('interpreter says', 6 * 7)\n```"
    settings = ChainSettings(models=(str(tiny_model),), prompt="compute", seed=1, run_code=True,
                             sampling=Sampling(n_ctx=512, max_tokens=100))
    hook = CodeRunHook(CodeRunner(runner_environment(), tmp_path / "work"))
    writer = TranscriptWriter()
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        recorder = Recorder(db, RunSpec(settings, grammar=grammar_for_text(answer)), source="cli")
        try:
            for event in run_chain(settings, llama_backend, Control(), hooks=[hook], grammar=grammar_for_text(answer)):
                recorder.apply(event)
                writer.apply(event)
        finally:
            hook.runner.close()
        stored = db.session(recorder.session_id or 0)
        assert "interpreter says 42" in stored.answers[0].code_output
        assert [e.kind for e in stored.events].count("code") == 1
        assert transcript_text(stored) == writer.text and "interpreter says 42" in writer.text
        assert [s.id for s in db.list_sessions(search="interpreter says")] == [stored.id]
        assert "interpreter says 42" in export_session(stored, "md")


def test_a_damaged_database_is_named_with_what_to_do(tmp_path: Path) -> None:
    from samantha.history import HistoryError

    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database, " * 200)
    with pytest.raises(HistoryError) as caught:
        HistoryDB(path)
    message = str(caught.value)
    assert str(path) in message and "Move it aside" in message


def _raw_bytes(database: Path) -> bytes:
    """Everything on disk for the database: the file and its write-ahead log, as another program would read it."""
    return b"".join(path.read_bytes() for path in (database, Path(f"{database}-wal")) if path.exists())


def test_a_deleted_session_leaves_no_text_in_the_database_file(tmp_path: Path, llama_backend,  # type: ignore[no-untyped-def]
                                                                tiny_model: Path) -> None:
    database = tmp_path / "h.sqlite3"
    secret, kept = "Zanzibarquartz confidential.", "Harmless kept words."
    with HistoryDB(database) as db:
        settings = ChainSettings(models=(str(tiny_model),), prompt="Quokkaprompt private question", seed=1,
                                 sampling=Sampling(n_ctx=256, max_tokens=40))
        doomed, _ = record_run(db, llama_backend, settings, grammar_for_text(secret))
        survivor, _ = record_run(db, llama_backend, replace(settings, prompt="ordinary question"),
                                 grammar_for_text(kept))
        assert b"Zanzibarquartz" in _raw_bytes(database)
        assert db.delete_session(doomed)
        raw = _raw_bytes(database)
        assert b"Zanzibarquartz" not in raw and b"Quokkaprompt" not in raw
        assert b"Harmless kept words" in raw  # the reading sees text that is still stored
        assert db.list_sessions(search="Zanzibarquartz") == []
        assert [a.answer for a in db.session(survivor).answers] == [kept]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_the_data_folder_and_database_are_private_to_the_user(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "samantha"
    with HistoryDB(folder / "history.sqlite3") as db:
        db.start_session(source="cli", settings={}, run_info={}, seed=None, steps=0, items=())
        assert folder.stat().st_mode & 0o777 == 0o700
        for path in folder.iterdir():  # the database, its write-ahead log and shared-memory file
            assert path.stat().st_mode & 0o777 == 0o600, path
    old = tmp_path / "old.sqlite3"
    sqlite3.connect(old).close()
    old.chmod(0o644)  # made by an older version, readable by everyone
    HistoryDB(old).close()
    assert old.stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(os.name == "nt", reason="POSIX advisory locks")
def test_opening_the_database_twice_in_one_process_keeps_the_first_connections_lock(tmp_path: Path) -> None:
    """Page, recorder and rerun each open the database; a second opening must not drop the first one's lock.

    POSIX drops all of a process's locks on a file when any of its descriptors is closed. If opening
    the database opened and closed the file, another process could then take it exclusively and
    delete the write-ahead log under the first connection: "database disk image is malformed".
    """
    path = tmp_path / "history.sqlite3"
    first = HistoryDB(path)
    try:
        first.start_session(source="cli", settings={}, run_info={}, seed=None, steps=0, items=())
        HistoryDB(path).close()
        other = subprocess.run(
            [sys.executable, "-c",
             "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=0); "
             "print(c.execute('PRAGMA journal_mode = DELETE').fetchone()[0])", str(path)],
            capture_output=True, text=True, timeout=60)
        # Still open here, so another process cannot switch the log off (which needs the file alone).
        assert other.stdout.strip() != "delete", other.stdout + other.stderr
        assert first.list_sessions()
    finally:
        first.close()


def test_search_pages_over_every_matching_session_with_a_snippet_each(tmp_path: Path) -> None:
    """Matches are found as session ids first; snippets are made only for the page shown."""
    from samantha.events import AnswerRecord

    with HistoryDB(tmp_path / "history.sqlite3") as db:
        for number in range(1, 131):
            session = db.start_session(source="cli", settings={"models": ["m.gguf"]}, run_info={}, seed=number,
                                       steps=2, items=[StoredItem(1, "q", False)])
            for seq, text in enumerate((f"plain words {number}", f"the harbour light number {number}")):
                if number % 2 or seq == 0:  # every odd session mentions the harbour in its second answer
                    db.add_answer(session, seq, AnswerRecord(
                        model="m.gguf", model_name="m.gguf", model_position=1, item_number=1, item_text="q",
                        round=1, loop=1, settings={}, random_values=None, prompt="p", answer=text,
                        prompt_tokens=1, answer_tokens=1, load_seconds=0, prompt_seconds=0, generation_seconds=0,
                        finish_reason="eos", extra={}), None)
        assert db.count_sessions("harbour") == 65 and db.count_sessions() == 130
        first = db.list_sessions(limit=50, search="harbour")
        last = db.list_sessions(limit=50, search="harbour", offset=50)
        assert [s.id for s in first] == list(range(129, 29, -2)) and [s.id for s in last] == list(range(29, 0, -2))
        assert all(s.snippet == f"the [harbour] light number {s.id}" for s in first + last)
        assert [s.id for s in db.list_sessions(limit=3, offset=127)] == [3, 2, 1]
