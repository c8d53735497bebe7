"""The runner's environment variables, its location and local-address detection."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from samantha.runner import SETUP_COMMAND, RunnerNotFound, find_environment, find_local_url, minimal_environment
from samantha.runner.environment import create_environment, interpreter_in
from samantha.runner.errors import RunnerSetupError


def test_only_allow_listed_variables_reach_the_code() -> None:
    source = {
        "PATH": os.pathsep.join(["/usr/bin", "/bin"]),
        "HOME": "/home/me",
        "LANG": "pt_BR.UTF-8",
        "LC_NUMERIC": "C",
        "Temp": "C:\\Temp",  # Windows names are case-insensitive
        "HF_TOKEN": "hf_secret",
        "OPENAI_API_KEY": "sk-secret",
        "SAMANTHA_SECRET": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "PYTHONPATH": "/app/src",
        "VIRTUAL_ENV": "/app/.venv",
    }
    env = minimal_environment(source=source)
    assert env["HOME"] == "/home/me" and env["LANG"] == "pt_BR.UTF-8" and env["LC_NUMERIC"] == "C"
    assert env["Temp"] == "C:\\Temp"
    for secret in (
        "HF_TOKEN",
        "OPENAI_API_KEY",
        "SAMANTHA_SECRET",
        "AWS_SECRET_ACCESS_KEY",
        "PYTHONPATH",
        "VIRTUAL_ENV",
    ):
        assert secret not in env
    assert env["MPLBACKEND"] == "Agg" and env["PYTHONUNBUFFERED"] == "1"


def test_the_runner_scripts_folder_comes_first_and_the_apps_venv_is_taken_off_path(tmp_path: Path) -> None:
    app_bin = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin")
    source = {"PATH": os.pathsep.join([str(app_bin), "/usr/bin"])}
    runner_bin = tmp_path / "bin"
    entries = minimal_environment(runner_bin, {"PORT": "8501"}, source=source)["PATH"].split(os.pathsep)
    assert entries[0] == str(runner_bin)
    assert "/usr/bin" in entries
    if sys.prefix != sys.base_prefix:
        assert str(app_bin) not in entries
    assert minimal_environment(runner_bin, {"PORT": "8501"}, source=source)["PORT"] == "8501"


def test_a_missing_environment_names_the_command_that_creates_it(tmp_path: Path) -> None:
    with pytest.raises(RunnerNotFound) as caught:
        find_environment(tmp_path / "nowhere")
    assert SETUP_COMMAND in str(caught.value)
    assert str(tmp_path / "nowhere") in str(caught.value)


def test_an_empty_folder_is_not_an_environment(tmp_path: Path) -> None:
    with pytest.raises(RunnerNotFound, match="does not exist yet"):
        find_environment(tmp_path)


def test_any_existing_interpreter_can_be_chosen() -> None:
    environment = find_environment(sys.executable)
    assert environment.python == Path(sys.executable)
    assert environment.version().startswith(f"{sys.version_info.major}.{sys.version_info.minor}")


def test_a_venv_folder_resolves_to_its_interpreter(tmp_path: Path) -> None:
    python = interpreter_in(tmp_path)
    python.parent.mkdir(parents=True)
    python.write_text("")
    environment = find_environment(tmp_path)
    assert environment.python == python and environment.root == tmp_path


def test_setup_refuses_a_file_as_the_target(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("not a folder")
    with pytest.raises(RunnerSetupError, match="is a file"):
        create_environment(target, packages=())


@pytest.mark.parametrize(
    ("printed", "url"),
    [
        ("Serving HTTP on 127.0.0.1 port 8000 (http://127.0.0.1:8000/) ...", "http://127.0.0.1:8000/"),
        ("  Local URL: http://localhost:8501\n  Network URL: http://10.0.0.2:8501", "http://localhost:8501"),
        ("Dash is running on http://127.0.0.1:8050/\n", "http://127.0.0.1:8050/"),
        ("    http://127.0.0.1:8888/lab?token=abc123\n", "http://127.0.0.1:8888/lab?token=abc123"),
        ("Running on http://0.0.0.0:5000 and http://192.168.1.2:5000", None),
    ],
)
def test_local_addresses_are_found_in_printed_output(printed: str, url: str | None) -> None:
    assert find_local_url(printed) == url
