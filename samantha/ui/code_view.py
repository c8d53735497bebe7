"""How code runs read on the page: a one-line result, the printed text, the process list, the environment line.

Pure functions over runner data (no Gradio, no subprocesses), so the wording is
tested without a browser.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from samantha.events import CodeRan
from samantha.runner import SETUP_COMMAND, ProcessInfo, RunnerEnvironment

NOT_A_SANDBOX = (
    "\u26a0\ufe0f **This is not a sandbox.** Code runs as a normal program on this computer, with your user's "
    "rights, in a separate Python environment and a working folder of its own; it can read and change your files "
    "and use the network. Code runs only when you ask (Run code, or Run code automatically). Read it first."
)
PROCESS_HEADERS = ["id", "program", "address", "state", "started"]
DEFAULT_TIME_LIMIT = 60.0
RUNNING = "\u23f3 Running\u2026 (Stop or Stop all ends it at once)"


def run_status(run: CodeRan) -> str:
    """One line about a finished run: how it ended, how long it took, and whether it printed anything."""
    seconds = f"{run.seconds:.1f} s"
    if run.ended_by == "timeout":
        head = f"\u23f1 Stopped at the time limit after {seconds}"
    elif run.ended_by == "stop":
        head = f"\u23f9 Stopped after {seconds}"
    elif run.ended_by == "close":
        head = f"\u23f9 Ended by Close Python after {seconds}"
    elif run.is_error:
        head = f"\u274c Error (exit {run.exit_code}) after {seconds}"
    else:
        head = f"\u2705 Ran in {seconds} (exit {run.exit_code})"
    printed = bool(run.stdout.strip() or run.stderr.strip())
    figures = f", {len(run.images)} figure(s)" if run.images else ""
    if not printed and not run.images:
        return f"{head}: the code printed nothing."
    return f"{head}{figures}."


def printed_text(run: CodeRan) -> str:
    """What the code printed (stdout, then stderr) and what happened to it, as plain text; "" for nothing."""
    parts = [run.stdout.rstrip("\n"), run.stderr.rstrip("\n"), *run.notes]
    return "\n".join(part for part in parts if part.strip())


def parse_time_limit(value: Any) -> float:
    """The time limit typed in the page, in seconds; ValueError with the words to show when it is not usable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"Set a time limit for code runs, in seconds (the default is {DEFAULT_TIME_LIMIT:g}).")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"The time limit must be a number of seconds, not {value!r}.") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"The time limit must be more than 0 seconds, not {value!r}.")
    return seconds


def process_rows(processes: Sequence[ProcessInfo]) -> list[list[str]]:
    """The detached programs as table rows: id, program, address, state, start time."""
    rows = []
    for info in processes:
        state = "running" if info.running else f"ended (exit {info.exit_code})"
        rows.append([str(info.id), info.label, info.address or "", state, info.started.strftime("%H:%M:%S")])
    return rows


def process_choices(processes: Sequence[ProcessInfo]) -> list[tuple[str, int]]:
    """(label, id) pairs for picking one program to stop."""
    return [(f"#{info.id} {info.label}" + (f" ({info.address})" if info.address else ""), info.id)
            for info in processes]


def address_links(processes: Sequence[ProcessInfo]) -> str:
    """Markdown links to the programs that have a local address (they only ever listen on 127.0.0.1)."""
    links = [f"[#{info.id} {_plain(info.label)}: {info.address}]({info.address})"
             for info in processes if info.address and info.running]
    return "Open: " + " \u00b7 ".join(links) if links else ""


def processes_note(processes: Sequence[ProcessInfo]) -> str:
    running = sum(1 for info in processes if info.running)
    if not processes:
        return "No program started from this tab is running."
    return f"{running} of {len(processes)} program(s) started from this tab still run."


def _plain(text: str) -> str:
    """Text that cannot break a Markdown link's label."""
    return "".join(" " if char in "[]()\n\r" else char for char in text)


def environment_note(environment: RunnerEnvironment) -> str:
    """Where code runs, for the page."""
    where = environment.root if environment.root is not None else environment.python
    return f"Code runs with `{environment.python}` (environment `{where}`)."


def environment_ready(environment: RunnerEnvironment, version: str) -> str:
    """The status line of a usable runner environment."""
    return f"\u2705 Ready: Python {version}. {environment_note(environment)}"


def setup_command(location: str, default_location: Path) -> str:
    """The command that creates the runner environment at `location` (a venv folder; "" = the default one)."""
    text = location.strip()
    if not text or Path(text).expanduser() == default_location:
        return SETUP_COMMAND
    return f'{SETUP_COMMAND} --path "{text}"'


def environment_problem(message: str, location: str, default_location: Path) -> str:
    """The status line of a runner environment that cannot be used: the runner's words and how to create one."""
    how = (
        f"To create it, run `{setup_command(location, default_location)}` in a terminal (on Windows, install.bat "
        "does it), or type the path of an existing venv folder or Python interpreter in the Code tab's "
        "'Code runner environment' field."
    )
    return f"\u26a0\ufe0f {message.strip()}\n\n{how}"


def figure_paths(run: CodeRan) -> list[Path]:
    """The figures and image files a run wrote, that still exist."""
    return [Path(image) for image in run.images if Path(image).is_file()]
