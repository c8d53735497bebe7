"""Creating the runner environment with the real venv module and pip (`samantha runner setup`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from runner_env import runner_environment, runner_venv_dir

from samantha.runner import (
    CodeRunner,
    ProcessManager,
    RunnerNotFound,
    RunnerSetupError,
    create_environment,
    find_environment,
    use_interpreter,
)


def test_a_new_environment_is_a_separate_interpreter(tmp_path: Path) -> None:
    lines: list[str] = []
    environment = create_environment(tmp_path / "runner", packages=(), on_output=lines.append)
    assert environment.root == tmp_path / "runner"
    assert environment.python.is_file()
    assert environment.python.parent != Path(sys.executable).parent
    assert environment.has_module("json")
    assert not environment.has_module("pytest")  # the app's packages are not there
    assert find_environment(tmp_path / "runner") == environment
    assert any("Creating the code runner environment" in line for line in lines)


def test_setup_again_keeps_the_environment_and_installs_only_what_is_missing() -> None:
    runner_environment()
    lines: list[str] = []
    environment = create_environment(
        runner_venv_dir(), packages=("numpy",), pip_args=("--no-index",), on_output=lines.append
    )
    assert environment.has_module("numpy") and environment.has_module("matplotlib")
    assert any("already satisfied" in line for line in lines)


def test_a_package_that_cannot_be_installed_is_reported_with_pips_words() -> None:
    runner_environment()
    with pytest.raises(RunnerSetupError) as caught:
        create_environment(runner_venv_dir(), packages=("no-such-package-samantha-xyz",), pip_args=("--no-index",))
    message = str(caught.value)
    assert "no-such-package-samantha-xyz" in message
    assert "No matching distribution" in message or "Could not find a version" in message


def test_an_interpreter_that_does_not_start_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("this is not a program")
    with pytest.raises(RunnerNotFound, match="does not start"):
        use_interpreter(fake)


def test_an_existing_interpreter_can_run_code_instead_of_the_venv(tmp_path: Path) -> None:
    with ProcessManager() as manager:
        runner = CodeRunner(use_interpreter(sys.executable), tmp_path, processes=manager)
        result = runner.run("import sys\nprint(sys.version_info[0])")
    assert result.stdout == "3\n"


def test_setup_records_the_profile_it_installed(tmp_path: Path) -> None:
    from samantha.runner import installed_profiles

    create_environment(tmp_path / "runner", packages=(), profile="light")
    create_environment(tmp_path / "runner", packages=(), profile="full")  # a later profile adds to the first
    assert installed_profiles(tmp_path / "runner") == ["light", "full"]


def test_runner_setup_refuses_an_unknown_profile_before_creating_anything(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "samantha", "runner", "setup", "--profile", "huge", "--path",
                           str(tmp_path / "venv")], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "no runner profile 'huge'" in done.stderr and "light, full, launchers" in done.stderr
    assert not (tmp_path / "venv").exists()
