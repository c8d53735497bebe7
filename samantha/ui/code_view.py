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
from samantha.runner import SETUP_COMMAND, ProcessInfo, RunnerEnvironment, RunnerError, default_environment_dir
from samantha.runner.environment import RunnerMissing
from samantha.runner.workspace import locate_environment

NOT_A_SANDBOX = (
    "\u26a0\ufe0f **This is not a sandbox.** Code runs as a normal program on this computer, with your user's "
    "rights, in a separate Python environment and a working folder of its own; it can read and change your files "
    "and use the network. Code runs only when you ask (Run code, or Run code automatically). Read it first."
)
PROCESS_HEADERS = ["id", "program", "address", "state", "started"]
DEFAULT_TIME_LIMIT = 60.0
PART_KEY = "code"  # the TabSession part that holds the tab's CodeTab
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


MISSING_HEAD = "Code runner missing"


def environment_problem(message: str, location: str, default_location: Path, *, missing: bool = False,
                        markup: bool = True) -> str:
    """What the page says about a runner environment it cannot use, once, naming the controls that fix it.

    `missing` (nothing at that place yet) replaces the runner's own how-to, which
    speaks of the terminal, with the Code tab's controls; `markup` False gives
    plain text for places that show text as it is (the status box, toasts).
    """
    bold = (lambda text: f"**{text}**") if markup else (lambda text: f"\u201c{text}\u201d")
    code = (lambda text: f"`{text}`") if markup else (lambda text: text)
    command = code(setup_command(location, default_location))
    if not missing:
        return (f"\u26a0\ufe0f {message.strip()} Fix it in the Code tab: type another venv folder or Python "
                f"interpreter in {bold('Code runner environment')} and press {bold('Check and use')}.")
    where = location.strip() or str(default_location)
    return (
        f"\u26a0\ufe0f {MISSING_HEAD}: the code runner environment does not exist yet ({where}). "
        f"Fix it in the Code tab: press {bold('Install profile')} (under {bold('Runner profile and packages')}), "
        f"or type an existing venv folder or Python interpreter in {bold('Code runner environment')} and press "
        f"{bold('Check and use')}. In a terminal: {command}."
    )


def figure_paths(run: CodeRan) -> list[Path]:
    """The figures and image files a run wrote, that still exist."""
    return [Path(image) for image in run.images if Path(image).is_file()]


PACKAGE_HEADERS = ["package", "version"]


def profile_note(environment: RunnerEnvironment | None, profiles: Sequence[str], packages: Sequence[tuple[str, str]]
                 ) -> str:
    """Which runner profile is installed and how many packages the interpreter has, for the Code tab."""
    if environment is None:
        return "No code runner environment yet: choose a profile and press **Install profile** to create one."
    if profiles:
        which = " and ".join(f"**{name}**" for name in profiles)
        head = f"Installed profile: {which}."
    else:
        head = "Installed profile: unknown (an interpreter Samantha did not set up, or made before profiles)."
    return f"{head} {len(packages)} package(s) in `{environment.python}`."


def install_progress(lines: Sequence[str], done: bool, profile: str) -> str:
    """The status line of a profile install: what runs, and the last thing pip said."""
    last = next((line for line in reversed(lines) if line.strip()), "")
    if done:
        return f"\u2705 Profile **{profile}** installed."
    return f"\u23f3 Installing profile **{profile}** ({len(lines)} line(s) of installer output)\u2026 {last[:160]}"


def check_environment(location: str) -> tuple[RunnerEnvironment | None, str]:
    """The environment at `location` if its interpreter starts, and the status line saying so or what to do."""
    try:
        environment = locate_environment(location)
        version = environment.version()
    except RunnerError as exc:
        missing = isinstance(exc, RunnerMissing)
        return None, environment_problem(str(exc), location, default_environment_dir(), missing=missing)
    return environment, environment_ready(environment, version)
