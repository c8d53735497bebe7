"""Open tools installed in the runner environment (JupyterLab, ...) on 127.0.0.1 only (SPEC §5)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from samantha.runner.environment import SETUP_COMMAND, RunnerEnvironment
from samantha.runner.errors import ToolNotInstalled
from samantha.runner.processes import LOCAL_HOST, ProcessInfo, ProcessManager, free_port, raise_if_failed_to_listen

READY_SECONDS = 120.0


def launch_module(
    environment: RunnerEnvironment,
    processes: ProcessManager,
    workdir: Path,
    module: str,
    args: Sequence[str],
    *,
    port: int,
    label: str,
    address: str | None = None,
    extra_env: dict[str, str] | None = None,
    ready_timeout: float = READY_SECONDS,
) -> ProcessInfo:
    """Start `python -m module args` from the runner environment, detached, and wait until it listens on `port`.

    Raises ToolNotInstalled when the module is missing there, RunnerError when it
    ends or never listens (with its output).
    """
    if not environment.has_module(module):
        raise ToolNotInstalled(
            f"{label} is not installed in the code runner environment ({environment.python}). "
            f"Install it with `{environment.python} -m pip install {module}`, or run `{SETUP_COMMAND}`."
        )
    info = processes.start(
        [str(environment.python), "-m", module, *args],
        cwd=workdir,
        env=environment.child_env(extra_env),
        label=label,
        port=port,
        address=address,
    )
    raise_if_failed_to_listen(processes, info, port, ready_timeout)
    return processes.get(info.id)


def launch_jupyterlab(
    environment: RunnerEnvironment,
    processes: ProcessManager,
    workdir: Path,
    *,
    port: int | None = None,
    ready_timeout: float = READY_SECONDS,
) -> ProcessInfo:
    """Start JupyterLab on 127.0.0.1 in `workdir`; the returned address holds its login token."""
    port = port or free_port()
    token = secrets.token_urlsafe(24)  # passed by environment variable, so it is not on the command line
    args = ["--ip", LOCAL_HOST, "--port", str(port), "--no-browser", "--ServerApp.port_retries=0"]
    if getattr(os, "geteuid", lambda: -1)() == 0:
        args.append("--allow-root")  # the app already runs as root; Jupyter would refuse to start otherwise
    return launch_module(
        environment,
        processes,
        workdir,
        "jupyterlab",
        args,
        port=port,
        label="JupyterLab",
        address=f"http://{LOCAL_HOST}:{port}/lab?token={token}",
        extra_env={"JUPYTER_TOKEN": token},
        ready_timeout=ready_timeout,
    )
