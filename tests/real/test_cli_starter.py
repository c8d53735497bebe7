"""`samantha run` with no --model: the bundled starter model answers (a real subprocess, as a user runs it)."""

from __future__ import annotations

import subprocess
import sys

SAMANTHA = [sys.executable, "-m", "samantha"]


def samantha(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SAMANTHA, *args], capture_output=True, text=True, timeout=300)


def test_run_without_a_model_uses_the_starter_model(smollm2) -> None:  # type: ignore[no-untyped-def]
    result = samantha("run", "--prompt", "What is the capital of France?", "--system", "You are a helpful assistant.",
                      "--set", "n_ctx=1024", "--set", "max_tokens=30", "--no-history")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == f"1) {smollm2.name}  (loop 1, response 1)"
    assert "Paris" in result.stdout
    assert "no --model given: using the bundled starter model" in result.stderr


def test_the_stochastic_preset_and_its_notice_on_the_command_line(smollm2) -> None:  # type: ignore[no-untyped-def]
    planned = samantha("run", "--prompt", "Hi", "--preset", "stochastic", "--set", "temperature=0.7", "--dry-run")
    assert planned.returncode == 0, planned.stderr
    for shown in ("temperature=0.7", "tfs_z=1.0", "top_p=1.0", "min_p=0.0", "typical_p=1.0"):
        assert shown in planned.stdout
    silenced = samantha("run", "--prompt", "Hi", "--set", "temperature=0.7", "--set", "tfs_z=1", "--responses", "2",
                        "--set", "max_tokens=3", "--set", "n_ctx=512", "--seed", "3", "--no-history")
    assert silenced.returncode == 0, silenced.stderr
    assert silenced.stderr.count("temperature 0.7 has no effect: typical_p 0 keeps a single token") == 1
