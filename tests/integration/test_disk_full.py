"""A full disk mid-run: real `samantha run` subprocesses writing to a real, tiny file system.

The tiny disk is a tmpfs mounted in a private mount namespace (`unshare`), so no privileges are needed
where unprivileged user namespaces are allowed, and nothing outside the test sees it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from samantha.tinymodel import grammar_for_text

ANSWER = "x" * 3000


def _can_mount_tmpfs(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                           f'mount -t tmpfs -o size=16k tmpfs "{probe}"'], check=False, capture_output=True)
    return done.returncode == 0


def run_on_tiny_disk(disk: Path, size: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    disk.mkdir(exist_ok=True)
    script = 'mount -t tmpfs -o size="$1" tmpfs "$2" && shift 2 && exec "$@"'
    return subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", size,
                           str(disk), sys.executable, "-m", "samantha", "run", *args],
                          check=False, capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Path:
    if not _can_mount_tmpfs(tmp_path):
        pytest.skip("needs unshare and a tmpfs mount in a user namespace")
    return tmp_path / "tiny-disk"


def run_args(tiny_model: Path, grammar: Path) -> list[str]:
    # One thread: on a busy machine llama.cpp's threads wait for each other, and these 15,000 forced tokens
    # took 6-8 times longer with two (measured under two busy loops); the test is about the disk, not speed.
    return ["--model", str(tiny_model), "--prompt", "one\ntwo\nthree\nfour\nfive", "--grammar-file", str(grammar),
            "--set", "n_ctx=4096", "--set", "max_tokens=3100", "--threads", "1"]


def test_a_full_disk_during_save_ends_the_file_not_the_run(tiny_model: Path, tiny_disk: Path, tmp_path: Path) -> None:
    grammar = tmp_path / "long.gbnf"
    grammar.write_text(grammar_for_text(ANSWER))
    data = tmp_path / "data"
    env = {**os.environ, "SAMANTHA_DATA_DIR": str(data)}
    result = run_on_tiny_disk(tiny_disk, "16k", [*run_args(tiny_model, grammar), "--save",
                                                 str(tiny_disk / "session.json")], env)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout.count("---------- (") == 5  # every answer, after the file was given up
    assert "cannot write the session file" in result.stderr and "No space left on device" in result.stderr
    assert "the run goes on without it" in result.stderr
    assert result.returncode == 1  # the file asked for is not there
    with sqlite3.connect(data / "history.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM answers WHERE answer = ?", (ANSWER,)).fetchone()[0] == 5


def test_a_full_history_disk_gives_advice_about_space(tiny_model: Path, tiny_disk: Path, tmp_path: Path) -> None:
    grammar = tmp_path / "long.gbnf"
    grammar.write_text(grammar_for_text(ANSWER))
    env = {**os.environ, "SAMANTHA_DATA_DIR": str(tiny_disk)}
    result = run_on_tiny_disk(tiny_disk, "160k", run_args(tiny_model, grammar), env)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout.count("---------- (") == 5
    assert "is full: free some space" in result.stderr, result.stderr
    assert "damaged" not in result.stderr and "Move it aside" not in result.stderr
