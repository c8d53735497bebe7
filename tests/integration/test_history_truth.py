"""History and code runs that tell the truth: failed runs listed as failed, honest re-runs of code sessions,
and a code folder under the data folder that does not pile up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from runner_env import runner_environment

SAMANTHA = [sys.executable, "-m", "samantha"]


def samantha(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SAMANTHA, *args], capture_output=True, text=True, timeout=300, check=False)


def stored_id(result: subprocess.CompletedProcess) -> str:
    match = re.search(r"history session #(\d+)", result.stderr)
    assert match, result.stderr
    return match.group(1)


def test_a_run_that_ended_in_an_error_is_listed_as_failed_with_the_error(broken_model: Path) -> None:
    result = samantha("run", "--model", str(broken_model), "--prompt", "hi")
    assert result.returncode == 1
    session = stored_id(result)
    listing = samantha("history", "list", "--limit", "5")
    [line] = [line for line in listing.stdout.splitlines() if line.startswith(f"#{session} ")]
    assert "\u00b7 failed: broken.gguf: " in line and "\u00b7 done" not in line
    shown = samantha("history", "show", session)
    assert ": failed: broken.gguf: " in shown.stdout.splitlines()[0]


@pytest.fixture(scope="module")
def environment():  # type: ignore[no-untyped-def]
    return runner_environment()


def code_session(tiny_model: Path, tmp_path: Path, environment) -> str:  # type: ignore[no-untyped-def]
    """A stored feedback chain whose answers hold code: each next prompt holds the code's output."""
    grammar = tmp_path / "code.gbnf"
    # Fixed code, then free letters that depend on the prompt (so on the output fed back).
    grammar.write_text('root ::= "```python\\nprint(sum(range(10)))\\n```\\n" [a-z]{12}\n')
    result = samantha("run", "--model", str(tiny_model), "--prompt", "go", "--responses", "3", "--feedback",
                      "--run-code", "--runner", str(environment.root), "--grammar-file", str(grammar),
                      "--set", "n_ctx=1024")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("---------- Python output (exit 0") == 3
    return stored_id(result)


def test_rerunning_a_session_that_ran_code_runs_the_code_again(tiny_model: Path, tmp_path: Path,
                                                              environment) -> None:  # type: ignore[no-untyped-def]
    session = code_session(tiny_model, tmp_path, environment)
    rerun = samantha("history", "rerun", session, "--runner", str(environment.root))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "executes it again" in rerun.stdout
    assert [line.split(": ", 1)[1] for line in rerun.stdout.splitlines() if line.startswith("answer ")] == ["same"] * 3
    assert ": 3 of 3 compared answer(s) the same, 0 different" in rerun.stdout


def test_rerunning_without_a_runner_compares_only_what_it_reproduced(tiny_model: Path, tmp_path: Path,
                                                                     environment) -> None:  # type: ignore[no-untyped-def]
    session = code_session(tiny_model, tmp_path, environment)
    rerun = samantha("history", "rerun", session, "--runner", str(tmp_path / "no-such-venv"))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "note: the code is not run again: The code runner environment does not exist yet" in rerun.stdout
    verdicts = [line.split(": ", 1)[1] for line in rerun.stdout.splitlines() if line.startswith("answer ")]
    # The first answer's prompt held no code output, so it is compared; the next two saw the output fed back.
    assert verdicts[0] == "same"
    not_compared = ("not compared: its model saw another prompt: the stored run fed interpreter output back, "
                    "which this re-run did not produce")
    assert verdicts[1:] == [not_compared] * 2
    assert ": 1 of 1 compared answer(s) the same, 0 different; 2 not compared" in rerun.stdout


def test_the_code_folder_is_under_the_data_folder_and_removed_unless_kept(tiny_model: Path, tmp_path: Path,
                                                                         environment) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    grammar = tmp_path / "code.gbnf"
    grammar.write_text('root ::= "```python\\nimport os\\nopen(\\"made.txt\\", \\"w\\").write(os.getcwd())\\n```"\n')
    common = [*SAMANTHA, "run", "--model", str(tiny_model), "--prompt", "go", "--run-code", "--runner",
              str(environment.root), "--grammar-file", str(grammar), "--set", "n_ctx=512", "--no-history"]
    env = {**os.environ, "SAMANTHA_DATA_DIR": str(data)}
    removed = subprocess.run(common, capture_output=True, text=True, timeout=300, check=False, env=env)
    assert removed.returncode == 0, removed.stderr
    assert "exit 0" in removed.stdout and list((data / "code").iterdir()) == []  # the run's folder is gone

    kept = subprocess.run([*common, "--keep-workdir"], capture_output=True, text=True, timeout=300, check=False,
                          env=env)
    assert kept.returncode == 0, kept.stderr
    [folder] = list((data / "code").iterdir())
    assert f"samantha: the code's files are kept in {folder}" in kept.stderr
    assert (folder / "made.txt").read_text() == str(folder)  # the code ran in that folder
