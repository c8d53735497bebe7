"""History that tells the truth: failed runs are listed as failed, re-runs of code sessions compare honestly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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
