"""What one browser tab keeps for code execution: its working folder and every process it started.

One CodeTab per TabSession (`TabSession.part`): Run code, the chain's auto-run,
detached programs and JupyterLab all use its working folder and its
ProcessManager, so Close Python ends all of them, and closing the tab (or
stopping the app) ends them and deletes the folder.
"""

from __future__ import annotations

import shutil
import weakref
from pathlib import Path

from samantha.runner import (
    CodeRunner,
    ProcessManager,
    RunLimits,
    RunnerEnvironment,
    RunnerError,
    default_environment_dir,
    find_environment,
)
from samantha.runner.environment import RunnerMissing
from samantha.temp_folders import CODE_PREFIX, make_owned_folder
from samantha.ui.code_view import environment_problem, environment_ready
from samantha.ui.i18n import tr

PART_KEY = "code"
FOLDER_PREFIX = CODE_PREFIX


def _clean_up(processes: ProcessManager, workdir: Path) -> None:
    """End what the tab started and delete its folder (runs once: on close, or when the app exits)."""
    processes.close_all()
    shutil.rmtree(workdir, ignore_errors=True)


class CodeTab:
    """A tab's working folder (in the system's temporary folder) and its ProcessManager."""

    def __init__(self, base: Path | None = None) -> None:
        self.workdir = make_owned_folder(FOLDER_PREFIX, base)
        self.processes = ProcessManager()
        # Also at interpreter exit: detached servers live in their own sessions and would outlive the app.
        self._finalizer = weakref.finalize(self, _clean_up, self.processes, self.workdir)

    def runner(self, environment: RunnerEnvironment, timeout: float) -> CodeRunner:
        """A runner for one run (limits may change between runs); it shares the tab's folder and processes."""
        return CodeRunner(environment, self.workdir, limits=RunLimits(timeout=timeout), processes=self.processes)

    def close_python(self) -> int:
        """Close Python: end every process this tab started (running code and detached programs)."""
        return self.processes.close_all()

    def close_programs(self) -> int:
        """The tab closed: end its programs now (the folder goes with the tab's state, or at exit)."""
        return self.processes.close_all()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """The tab went away: end its processes and delete its working folder."""
        self._finalizer()


def locate_environment(location: str) -> RunnerEnvironment:
    """The runner environment at `location` (venv folder or interpreter; "" = the default folder).

    Only looks at files; raises RunnerNotFound (a RunnerError) with the runner's own words.
    """
    return find_environment(location.strip() or None)


def check_environment(location: str) -> tuple[RunnerEnvironment | None, str]:
    """The environment at `location` if its interpreter starts, and the status line saying so or what to do."""
    try:
        environment = locate_environment(location)
        version = environment.version()
    except RunnerError as exc:
        missing = isinstance(exc, RunnerMissing)
        return None, tr(environment_problem(str(exc), location, default_environment_dir(), missing=missing))
    return environment, environment_ready(environment, version)
