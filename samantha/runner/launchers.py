"""Open tools installed in the runner environment on 127.0.0.1 only: JupyterLab, D-Tale, a SQLite browser,
and PyInstaller for packaging the editor's code as a stand-alone program.

Each server is a detached program of the tab's ProcessManager, so the Code tab
lists it with its address and Stop program or Close Python ends it. The tools
run from the runner environment (never the app's), so they see the same
packages as the code the models write.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
import sqlite3
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from samantha.runner.environment import SETUP_COMMAND, RunnerEnvironment
from samantha.runner.errors import RunnerError, ToolNotInstalled
from samantha.runner.processes import (
    LOCAL_HOST,
    ProcessInfo,
    ProcessManager,
    ProcessTree,
    free_port,
    new_group_options,
    raise_if_failed_to_listen,
)

READY_SECONDS = 120.0
PACKAGE_SECONDS = 900.0
# The small data set that ships with the app, for D-Tale, the SQLite browser and the EDA recipe.
SAMPLE_CSV = Path(__file__).resolve().parents[2] / "prompts" / "data" / "public_spending.csv"
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db3")


def _not_installed(environment: RunnerEnvironment, label: str, package: str) -> ToolNotInstalled:
    return ToolNotInstalled(
        f"{label} is not installed in the code runner environment ({environment.python}). "
        f"Install it with `{environment.python} -m pip install {package}`, "
        f"or press \"Install full profile\" in the Code tab (`{SETUP_COMMAND} --profile full`)."
    )


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
    package: str | None = None,
    check_module: str | None = None,
) -> ProcessInfo:
    """Start `python -m module args` from the runner environment, detached, and wait until it listens on `port`.

    Raises ToolNotInstalled when `check_module` (default `module`) is missing
    there, RunnerError when it ends or never listens (with its output).
    """
    if not environment.has_module(check_module or module):
        raise _not_installed(environment, label, package or module)
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


def _existing_file(path: Path | str, what: str, suffixes: Sequence[str]) -> Path:
    """`path` as an absolute file of one of `suffixes`, or RunnerError saying what to choose instead."""
    chosen = Path(path).expanduser().absolute()
    if not chosen.is_file():
        raise RunnerError(f"There is no {what} at {chosen}: choose an existing {'/'.join(suffixes)} file.")
    if chosen.suffix.lower() not in suffixes:
        raise RunnerError(f"{chosen.name} is not a {what} (expected {'/'.join(suffixes)}): choose another file.")
    return chosen


def launch_dtale(
    environment: RunnerEnvironment,
    processes: ProcessManager,
    workdir: Path,
    csv_path: Path | str,
    *,
    port: int | None = None,
    ready_timeout: float = READY_SECONDS,
) -> ProcessInfo:
    """Start D-Tale on 127.0.0.1 with the CSV file `csv_path` loaded (it never opens a browser by itself)."""
    data = _existing_file(csv_path, "CSV file", (".csv", ".tsv", ".txt"))
    port = port or free_port()
    name = re.sub(r"[^A-Za-z0-9 ]+", " ", data.stem).strip() or "data"  # D-Tale refuses other characters
    args = ["--host", LOCAL_HOST, "--port", str(port), "--csv-path", str(data), "--name", name]
    if data.suffix.lower() == ".tsv":
        args += ["--csv-delimiter", "\t"]
    return launch_module(
        environment,
        processes,
        workdir,
        "dtale.cli.script",
        args,
        port=port,
        label=f"D-Tale: {data.name}",
        address=f"http://{LOCAL_HOST}:{port}/dtale/main/1",
        ready_timeout=ready_timeout,
        package="dtale",
        check_module="dtale",
    )


def launch_sqlite_browser(
    environment: RunnerEnvironment,
    processes: ProcessManager,
    workdir: Path,
    database: Path | str,
    *,
    port: int | None = None,
    ready_timeout: float = READY_SECONDS,
) -> ProcessInfo:
    """Start sqlite-web (a web SQLite browser) on 127.0.0.1 for the database file `database`."""
    data = _existing_file(database, "SQLite database", SQLITE_SUFFIXES)
    port = port or free_port()
    return launch_module(
        environment,
        processes,
        workdir,
        "sqlite_web.sqlite_web",  # the package's own __main__ is broken in current releases
        ["--host", LOCAL_HOST, "--port", str(port), "--no-browser", str(data)],
        port=port,
        label=f"SQLite browser: {data.name}",
        address=f"http://{LOCAL_HOST}:{port}/",
        ready_timeout=ready_timeout,
        package="sqlite-web",
        check_module="sqlite_web",
    )


def csv_to_sqlite(csv_path: Path | str, database: Path | str, table: str | None = None) -> Path:
    """Copy a CSV file into a new SQLite table (all columns as text), so the SQLite browser has data to show.

    Uses only the standard library, so it works without the full profile. The
    table is replaced when it exists; its name is the file's stem unless given.
    """
    source = _existing_file(csv_path, "CSV file", (".csv",))
    name = re.sub(r"\W+", "_", table or source.stem).strip("_") or "data"
    target = Path(database)
    with open(source, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise RunnerError(f"{source.name} is empty: there is nothing to put into a database.")
    header = [column.strip() or f"column_{index + 1}" for index, column in enumerate(rows[0])]
    columns = ", ".join('"' + column.replace('"', '""') + '"' for column in header)
    marks = ", ".join("?" for _ in header)
    with sqlite3.connect(target) as connection:
        connection.execute(f'DROP TABLE IF EXISTS "{name}"')
        connection.execute(f'CREATE TABLE "{name}" ({columns})')
        connection.executemany(f'INSERT INTO "{name}" VALUES ({marks})',
                               [(row + [""] * len(header))[: len(header)] for row in rows[1:]])
    connection.close()
    return target


def package_script(
    environment: RunnerEnvironment,
    code: str,
    workdir: Path,
    *,
    name: str = "program",
    on_output: Callable[[str], None] | None = None,
    timeout: float = PACKAGE_SECONDS,
    processes: ProcessManager | None = None,
) -> Path:
    """Package `code` as a one-file stand-alone program with PyInstaller; returns the executable's path.

    The script, PyInstaller's build folder and the program all stay in `workdir`
    (the tab's folder): the program is `workdir/dist/NAME` (NAME.exe on Windows),
    a native executable for this system.
    """
    if not code.strip():
        raise RunnerError("There is no code to package: write or paste a script into the editor first.")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise RunnerError(f"{name!r} cannot name a program: use letters, digits, - and _ only.")
    if not environment.has_module("PyInstaller"):
        raise _not_installed(environment, "PyInstaller", "pyinstaller")
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / f"{name}.py"
    script.write_text(code, encoding="utf-8")
    command = [str(environment.python), "-m", "PyInstaller", "--onefile", "--noconfirm", "--clean",
               "--name", name, "--distpath", str(workdir / "dist"), "--workpath", str(workdir / "build"),
               "--specpath", str(workdir / "build"), str(script)]
    _run_tool(command, environment, workdir, on_output, timeout, "PyInstaller", processes)
    program = workdir / "dist" / (f"{name}.exe" if os.name == "nt" else name)
    if not program.is_file():
        raise RunnerError(f"PyInstaller finished but left no {program}.")
    return program


def _run_tool(command: Sequence[str], environment: RunnerEnvironment, workdir: Path,
              on_output: Callable[[str], None] | None, timeout: float, label: str,
              processes: ProcessManager | None) -> None:
    """Run a one-off tool of the runner environment in its own process group, passing its output on line by line.

    Waits at most `timeout` seconds, then ends the tool's whole process tree; while
    it runs, `processes` knows it, so Close Python ends it too.
    """
    tail: deque[str] = deque(maxlen=40)
    try:
        popen = subprocess.Popen(list(command), cwd=workdir, env=environment.child_env(), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
                                 errors="replace", **new_group_options())
    except OSError as error:
        raise RunnerError(f"{label} could not start: {error}") from error
    tree = ProcessTree(popen)
    handle = processes.track(tree) if processes is not None else None
    timer = threading.Timer(timeout, tree.kill)
    timer.start()
    try:
        assert popen.stdout is not None
        for line in popen.stdout:
            tail.append(line.rstrip("\n"))
            if on_output is not None:
                on_output(line.rstrip("\n"))
        popen.wait()
    finally:
        timer.cancel()
        if handle is not None and processes is not None:
            processes.untrack(handle)
    if popen.returncode != 0:
        details = "\n".join(tail)
        raise RunnerError(f"{label} failed (exit status {popen.returncode}):\n{details}")
