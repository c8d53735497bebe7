"""Samantha's temporary folders: none left by a refused launch or a stopped app, and those of a
killed app swept at the next start -- real `samantha ui` processes with their own temporary folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from samantha.runner import free_port
from samantha.temp_folders import CODE_PREFIX, FILES_PREFIX, OWNER_FILE, make_owned_folder
from tests.support.app_server import launch_ui, wait_for_http

WAIT = 120.0


def environment(tmp_path: Path, temp: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "SAMANTHA_PASSWORD"}
    env.update(SAMANTHA_CONFIG_DIR=str(tmp_path / "config"), GRADIO_ANALYTICS_ENABLED="False", TMPDIR=str(temp))
    return env


def ours(temp: Path) -> list[str]:
    return sorted(entry.name for entry in temp.iterdir() if entry.name.startswith((FILES_PREFIX, CODE_PREFIX)))


def start_app(tmp_path: Path, temp: Path, model_dir: Path) -> subprocess.Popen[bytes]:
    process, url = launch_ui("--models-dir", str(model_dir), env=environment(tmp_path, temp), stdout=subprocess.DEVNULL)
    wait_for_http(url, process)
    return process


def test_a_refused_launch_leaves_no_folder(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "samantha.cli", "ui", "--no-browser", "--host", "0.0.0.0", "--port", str(free_port())],
        env=environment(tmp_path, temp), capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 2 and "--password" in result.stderr
    assert ours(temp) == []


def test_a_stopped_app_removes_its_folder_and_a_killed_ones_is_swept_at_the_next_start(
        tmp_path: Path, model_dir: Path, tiny_model: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    app = start_app(tmp_path, temp, model_dir)
    (files,) = ours(temp)
    assert files.startswith(FILES_PREFIX) and (temp / files / OWNER_FILE).is_file()
    app.terminate()  # a plain kill ends like Ctrl+C
    assert app.wait(WAIT) == 0
    assert ours(temp) == []

    killed = start_app(tmp_path, temp, model_dir)
    (left,) = ours(temp)
    (temp / left / "export.md").write_text("an export")
    killed.send_signal(signal.SIGKILL)  # nothing of the app's own clean-up runs
    killed.wait(WAIT)
    assert ours(temp) == [left]
    living = make_owned_folder(CODE_PREFIX, temp)  # this test process still runs: its folder stays
    foreign = temp / f"{CODE_PREFIX}no-owner-note"  # made by something else: not ours to judge
    foreign.mkdir()
    app = start_app(tmp_path, temp, model_dir)
    try:
        now = ours(temp)
        assert left not in now and living.name in now and foreign.name in now and len(now) == 3
    finally:
        app.terminate()
        app.wait(WAIT)
