"""Run code in the runner environment: one subprocess per run, limited in time and output.

A `CodeRunner` belongs to one session: it holds the session's working folder,
its limits and the `ProcessManager` that Close Python empties.
"""

from __future__ import annotations

import codecs
import os
import re
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal, Protocol

from samantha.runner.environment import RunnerEnvironment
from samantha.runner.errors import NoCodeError, RunnerError
from samantha.runner.extract import extract_python
from samantha.runner.processes import ProcessInfo, ProcessManager, ProcessTree, free_port

STARTUP_FILE = Path(__file__).with_name("startup.py")
CODE_FILE_NAME = "samantha_code.py"
PRIVATE_FOLDER = ".samantha"  # inside the working folder: each run's code, figures and logs
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"})
MAX_IMAGES = 20
# How often the run loop looks at the stop event (the stop must take effect within a second).
POLL_SECONDS = 0.1
# How often it records the program's descendants, so orphans can be found later.
REFRESH_SECONDS = 0.5
# How long to wait for the output pipes to close once the program is gone.
DRAIN_SECONDS = 5.0
# A working-folder scan for new image files stops after this many entries.
SCAN_LIMIT = 5000

EndedBy = Literal["exit", "timeout", "stop", "close"]


class StopSignal(Protocol):
    """Anything that says whether to stop: a threading.Event, or the chain's Stop/next-or-Stop-all."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class RunLimits:
    """How long code may run (None: no limit) and how much of each output stream is kept."""

    timeout: float | None = 60.0
    max_output_chars: int = 100_000

    def __post_init__(self) -> None:
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"The time limit must be a positive number of seconds (or none), not {self.timeout}.")
        if self.max_output_chars < 1:
            raise ValueError(f"The output limit must be at least 1 character, not {self.max_output_chars}.")


@dataclass(frozen=True)
class RunResult:
    """Everything one run produced."""

    code: str
    stdout: str  # as printed; if cut, a marker line says where
    stderr: str
    exit_code: int | None  # None only if the program could not be waited for
    ended_by: EndedBy  # "exit" (it finished), "timeout", "stop" (stop event) or "close" (Close Python)
    seconds: float
    workdir: Path
    run_dir: Path  # this run's private folder (code file, figures)
    images: tuple[Path, ...] = ()  # figures and image files the run wrote, as PNG/JPEG/... paths
    stdout_cut: int = 0  # characters of stdout not kept
    stderr_cut: int = 0
    notes: tuple[str, ...] = field(default=())  # what else happened, in words (timeout, leftovers ended, ...)

    @property
    def timed_out(self) -> bool:
        return self.ended_by == "timeout"

    @property
    def stopped(self) -> bool:
        """Ended before it finished (time limit, stop event or Close Python)."""
        return self.ended_by != "exit"


class _CappedReader:
    """Reads one output stream on a thread, keeping the first `limit` characters."""

    def __init__(self, stream: IO[bytes], limit: int, name: str) -> None:
        self._stream = stream
        self._limit = limit
        self._name = name
        self._parts: list[str] = []
        self._kept = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._read, name=f"runner-{name}", daemon=True)
        self._thread.start()

    def _keep(self, text: str) -> None:
        room = self._limit - self._kept
        if room > 0:
            self._parts.append(text[:room])
            self._kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        read = getattr(self._stream, "read1", self._stream.read)
        try:
            while True:
                chunk = read(65536)
                if not chunk:
                    break
                self._keep(decoder.decode(chunk))
            self._keep(decoder.decode(b"", final=True))
        except (OSError, ValueError):
            pass  # the pipe was closed under us

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def text(self) -> str:
        kept = "".join(self._parts)
        if not self.dropped:
            return kept
        newline = "" if kept.endswith("\n") else "\n"
        return (
            f"{kept}{newline}[{self._name} cut here after {self._limit:,} characters: "
            f"{self.dropped:,} more characters were not kept]\n"
        )


def _image_times(folder: Path) -> dict[Path, float]:
    """Modification times of image files under `folder` (skipping the runner's own folder), bounded."""
    found: dict[Path, float] = {}
    seen = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if name != PRIVATE_FOLDER and not name.startswith(".")]
        for name in files:
            seen += 1
            if seen > SCAN_LIMIT:
                return found
            path = Path(root) / name
            if path.suffix.lower() in IMAGE_SUFFIXES:
                try:
                    found[path] = path.stat().st_mtime
                except OSError:
                    continue
    return found


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 'es' if word.endswith('s') else 's'}"


class CodeRunner:
    """Runs code for one session in `workdir` with the interpreter of `environment`.

    Share one `ProcessManager` between the session's runner and launchers so
    `close()` (Close Python) ends everything the session started.
    """

    def __init__(
        self,
        environment: RunnerEnvironment,
        workdir: Path,
        *,
        limits: RunLimits | None = None,
        processes: ProcessManager | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.environment = environment
        self.workdir = Path(workdir).resolve()
        self.limits = limits or RunLimits()
        self.processes = processes or ProcessManager()
        self.extra_env = dict(extra_env or {})
        self._lock = threading.Lock()

    def _save_code(self, code: str) -> tuple[Path, Path]:
        """A new run folder holding `code` as a file: (the folder, the file)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        run_dir = self._new_run_dir()
        code_path = run_dir / CODE_FILE_NAME
        try:
            code_path.write_text(code, encoding="utf-8")
        except UnicodeEncodeError as exc:
            raise RunnerError(
                f"The code holds a character that cannot be saved as UTF-8 (position {exc.start}); "
                "retype that part of the code and run it again."
            ) from None
        return run_dir, code_path

    def _new_run_dir(self) -> Path:
        runs = self.workdir / PRIVATE_FOLDER / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        with self._lock:
            numbers = [int(match.group(1)) for p in runs.iterdir() if (match := re.fullmatch(r"(\d+)", p.name))]
            number = max(numbers, default=0) + 1
            while True:
                run_dir = runs / f"{number:04d}"
                try:
                    run_dir.mkdir()
                    return run_dir
                except FileExistsError:
                    number += 1

    def run_answer(self, answer: str, stop: StopSignal | None = None) -> RunResult:
        """Extract the Python blocks of a model's answer and run them; NoCodeError if there are none."""
        code = extract_python(answer)
        if not code.strip():
            raise NoCodeError("The answer has no ```python code block to run.")
        return self.run(code, stop)

    def run(
        self,
        code: str,
        stop: StopSignal | None = None,
        *,
        timeout: float | None | Literal["default"] = "default",
    ) -> RunResult:
        """Run `code` and wait for it; `stop.set()` (from any thread) ends it within a second.

        `timeout` overrides the runner's time limit for this run (None: no limit).
        Every process the code started is gone when this returns.
        """
        if not code.strip():
            raise NoCodeError("There is no code to run: the editor is empty.")
        limit = self.limits.timeout if timeout == "default" else timeout
        if limit is not None and limit <= 0:
            raise ValueError(f"The time limit must be a positive number of seconds (or none), not {limit}.")
        run_dir, code_path = self._save_code(code)
        figures = run_dir / "figures"
        images_before = _image_times(self.workdir)
        command = [str(self.environment.python), "-u", str(STARTUP_FILE), str(code_path), str(figures)]
        started = time.monotonic()
        tree = self.processes.start_process(
            command,
            cwd=self.workdir,
            env=self.environment.child_env(self.extra_env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        handle = self.processes.track(tree)
        assert tree.popen.stdout is not None and tree.popen.stderr is not None
        out = _CappedReader(tree.popen.stdout, self.limits.max_output_chars, "stdout")
        err = _CappedReader(tree.popen.stderr, self.limits.max_output_chars, "stderr")
        try:
            ended_by = self._wait(tree, stop, limit, handle.closed, started)
            notes = self._end(tree, ended_by, limit)
        finally:
            self.processes.untrack(handle)
        drained = (out.join(DRAIN_SECONDS), err.join(DRAIN_SECONDS))
        if not all(drained):
            notes.append("Some output may be missing: a process outside the runner's reach kept the output open.")
        for stream, done in zip((tree.popen.stdout, tree.popen.stderr), drained):
            if not done:
                continue  # its reader still waits on that process; closing would wait with it, maybe forever
            try:
                stream.close()
            except OSError:
                pass
        exit_code = tree.exit_status()
        if ended_by == "exit" and exit_code:
            notes.insert(0, f"Exit status {exit_code}.")
        figure_files = sorted(figures.glob("*.png")) if figures.is_dir() else []
        images_after = _image_times(self.workdir)
        written = sorted(path for path, mtime in images_after.items() if images_before.get(path) != mtime)
        return RunResult(
            code=code,
            stdout=out.text(),
            stderr=err.text(),
            exit_code=exit_code,
            ended_by=ended_by,
            seconds=time.monotonic() - started,
            workdir=self.workdir,
            run_dir=run_dir,
            images=tuple((figure_files + written)[:MAX_IMAGES]),
            stdout_cut=out.dropped,
            stderr_cut=err.dropped,
            notes=tuple(notes),
        )

    @staticmethod
    def _wait(
        tree: ProcessTree,
        stop: StopSignal | None,
        limit: float | None,
        closed: threading.Event,
        started: float,
    ) -> EndedBy:
        """Wait until the program exits, the time limit passes, or someone asks it to stop."""
        last_refresh = started
        while True:
            if tree.exited():
                return "exit"
            time.sleep(POLL_SECONDS)
            now = time.monotonic()
            if closed.is_set():
                return "close"
            if stop is not None and stop.is_set():
                return "stop"
            if limit is not None and now - started >= limit:
                return "timeout"
            if now - last_refresh >= REFRESH_SECONDS:
                tree.refresh()
                last_refresh = now

    @staticmethod
    def _end(tree: ProcessTree, ended_by: EndedBy, limit: float | None) -> list[str]:
        """Kill whatever is left of the tree and say, in words, what happened."""
        if ended_by == "exit":
            leftovers = len(tree.leftovers())
            tree.kill()  # also reaps the program
            leftovers += tree.ended_by_reaper()
            if leftovers:
                return [f"Ended {_plural(leftovers, 'process')} the program left running in the background."]
            return []
        tree.kill()
        if ended_by == "timeout":
            return [
                f"Stopped: the time limit of {limit:g} s was reached; the program and its child processes were ended."
            ]
        if ended_by == "stop":
            return ["Stopped by the user; the program and its child processes were ended."]
        return ["Ended by Close Python."]

    def start_detached(
        self,
        code: str,
        *,
        port: int | None = None,
        label: str | None = None,
    ) -> ProcessInfo:
        """Start long-running code (a Streamlit or Dash app, a server) detached; list it in `processes`.

        Code that imports streamlit is started with `streamlit run` on
        127.0.0.1 (a free port unless `port` is given); other code runs as a
        script with the PORT variable set when a port is given.
        """
        if not code.strip():
            raise NoCodeError("There is no code to start: the editor is empty.")
        run_dir, code_path = self._save_code(code)
        python = str(self.environment.python)
        extra = dict(self.extra_env)
        if re.search(r"^\s*(?:import|from)\s+streamlit\b", code, re.MULTILINE):
            port = port or free_port()
            command = [
                python,
                "-m",
                "streamlit",
                "run",
                str(code_path),
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ]
            label = label or "Streamlit app"
        else:
            command = [python, "-u", str(STARTUP_FILE), str(code_path), str(run_dir / "figures")]
            label = label or "Python program"
        if port:
            extra["PORT"] = str(port)
        return self.processes.start(
            command,
            cwd=self.workdir,
            env=self.environment.child_env(extra),
            label=label,
            port=port,
            log_path=run_dir / "output.log",
        )

    def close(self) -> int:
        """Close Python: end every process this session's runner started; return how many."""
        return self.processes.close_all()
