"""Errors the code runner raises; each message says what is wrong and what to do."""

from __future__ import annotations

from samantha.errors import SamanthaError


class RunnerError(SamanthaError, RuntimeError):
    """Something about running code went wrong (base class for the runner's errors)."""


class RunnerNotFound(RunnerError):
    """The runner environment (or the interpreter chosen instead) does not exist or does not start."""


class RunnerSetupError(RunnerError):
    """Creating the runner environment or installing its packages failed."""


class NoCodeError(RunnerError, ValueError):
    """There is no Python code to run (no ```python block in the answer, or empty code)."""


class ToolNotInstalled(RunnerError):
    """A launcher's tool (e.g. JupyterLab) is not installed in the runner environment."""


class UnknownProcess(RunnerError, KeyError):
    """A process id that this manager never started (or already forgot)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
