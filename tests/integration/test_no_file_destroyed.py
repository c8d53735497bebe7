"""A slip on the command line must not destroy a file: real `samantha` subprocesses on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SAMANTHA = [sys.executable, "-m", "samantha"]


def samantha(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*SAMANTHA, *args], check=False, capture_output=True, text=True, timeout=180, env=env)


def test_save_over_the_model_or_the_prompt_file_is_refused_and_both_stay_whole(tiny_model: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(tiny_model.read_bytes())
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("hello", encoding="utf-8")
    before = model.read_bytes()
    for target, what in ((model, "model file"), (prompts, "prompt file")):
        for extra in ((), ("--force",)):  # not even --force lets a run replace its own input
            result = samantha("run", "--model", str(model), "--prompt-file", str(prompts), "--save", str(target),
                              "--set", "max_tokens=2", "--set", "n_ctx=128", *extra)
            assert result.returncode == 2, result.stderr
            assert what in result.stderr and "choose another --save path" in result.stderr
    assert model.read_bytes() == before
    assert prompts.read_text(encoding="utf-8") == "hello"


def test_save_over_another_file_needs_force_but_a_session_file_is_rewritten(tiny_model: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": true}', encoding="utf-8")
    refused = samantha("run", "--model", str(tiny_model), "--prompt", "x", "--save", str(notes),
                       "--set", "max_tokens=2", "--set", "n_ctx=128")
    assert refused.returncode == 2 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert json.loads(notes.read_text()) == {"mine": True}

    session = tmp_path / "session.json"
    for _ in range(2):  # the second run replaces the first run's session file without --force
        done = samantha("run", "--model", str(tiny_model), "--prompt", "x", "--save", str(session),
                        "--set", "max_tokens=2", "--set", "n_ctx=128")
        assert done.returncode == 0, done.stderr
        assert json.loads(session.read_text())["format"] == "samantha-session"

    forced = samantha("run", "--model", str(tiny_model), "--prompt", "x", "--save", str(notes), "--force",
                      "--set", "max_tokens=2", "--set", "n_ctx=128")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(notes.read_text())["format"] == "samantha-session"


def test_history_export_refuses_an_existing_file_and_the_database(tiny_model: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SAMANTHA_DATA_DIR": str(tmp_path / "data")}
    run = samantha("run", "--model", str(tiny_model), "--prompt", "x", "--set", "max_tokens=2", "--set", "n_ctx=128",
                   env=env)
    assert run.returncode == 0, run.stderr
    database = next((tmp_path / "data").glob("*.sqlite*"))
    size = database.stat().st_size
    mine = tmp_path / "report.md"
    mine.write_text("my own notes", encoding="utf-8")
    for command in (("export", "1"), ("compare", "1")):
        over_db = samantha("history", *command, "-o", str(database), "--force", env=env)
        assert over_db.returncode == 2 and "history database" in over_db.stderr
        over_mine = samantha("history", *command, "-o", str(mine), env=env)
        assert over_mine.returncode == 2 and "--force" in over_mine.stderr
    assert mine.read_text(encoding="utf-8") == "my own notes"
    assert database.stat().st_size >= size
    assert samantha("history", "show", "1", env=env).returncode == 0
    forced = samantha("history", "export", "1", "-o", str(mine), "--force", env=env)
    assert forced.returncode == 0 and "my own notes" not in mine.read_text(encoding="utf-8")
