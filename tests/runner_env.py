"""A real code-runner environment for tests: a venv with only numpy and matplotlib.

Made once with the runner's own `create_environment` and kept under
`.test-artifacts/runner-venv` (or `$SAMANTHA_TEST_RUNNER_VENV`), so later test
runs start at once.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil

from samantha.runner import RunnerEnvironment, create_environment, find_environment
from samantha.runner.environment import interpreter_in

ROOT = Path(__file__).resolve().parents[1]
TEST_PACKAGES = ("numpy", "matplotlib")


def runner_venv_dir() -> Path:
    configured = os.environ.get("SAMANTHA_TEST_RUNNER_VENV", "").strip()
    return Path(configured) if configured else ROOT / ".test-artifacts" / "runner-venv"


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Keep two test processes from building the same venv at once (POSIX; elsewhere, no lock)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            import fcntl
        except ImportError:
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _complete(path: Path) -> bool:
    python = interpreter_in(path)
    if not python.is_file():
        return False
    probe = subprocess.run(
        [str(python), "-c", "import " + ", ".join(TEST_PACKAGES)], check=False, capture_output=True, timeout=300
    )
    return probe.returncode == 0


def runner_environment() -> RunnerEnvironment:
    """The cached test runner environment, created on first use (needs the package index once)."""
    path = runner_venv_dir()
    with _exclusive(path.with_name(path.name + ".lock")):
        if _complete(path):
            return find_environment(path)
        return create_environment(path, packages=TEST_PACKAGES)


def processes_tagged(tag: str) -> list[psutil.Process]:
    """Live processes anywhere on this computer whose command line holds `tag`.

    Code under bubblewrap sees its own PID numbers, not this computer's, so tests find
    the processes model code started by a word on their command line instead.
    """
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if tag in (process.info.get("cmdline") or []) and process.info.get("status") != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


def containment_modes() -> list[object]:
    """The ways this computer can hold model code, as pytest params: bubblewrap's PID namespace and the
    plain reaper on Linux (bubblewrap only where it works), the process group elsewhere."""
    import shutil
    import sys

    import pytest

    from samantha.runner.containment import Containment, bwrap_works

    if not sys.platform.startswith("linux"):
        return [pytest.param(Containment(), id="process-group")]
    bwrap = shutil.which("bwrap")
    modes = [pytest.param(Containment(reaper=True), id="reaper")]
    if bwrap and bwrap_works(bwrap):
        modes.insert(0, pytest.param(Containment(reaper=True, bwrap=bwrap), id="bwrap"))
    return modes
