"""Starting, tracking and ending the processes the runner starts ("Close Python" ends them all).

Every process starts in its own process group / session, so a whole tree can
be ended: psutil finds the descendants on every platform, and on POSIX the
process group also catches children whose parent already died. On Linux a
reaper (and, with bubblewrap, a PID namespace) also holds double-forked daemons,
see `containment`. A `ProcessManager` belongs to one session or app; nothing
here is global.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import psutil

from samantha.runner.containment import Containment, Lifeline
from samantha.runner.errors import RunnerError, RunnerNotFound, UnknownProcess

LOCAL_HOST = "127.0.0.1"
# A local address printed by a server ("Serving on http://127.0.0.1:8000/", "Local URL: http://localhost:8501").
LOCAL_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost)(?::\d{1,5})?(?:/[^\s'\"<>`]*)?", re.IGNORECASE)
# How much of a detached process's log is searched for its address.
ADDRESS_SCAN_BYTES = 256 * 1024
# How long ending a tree waits for the processes to disappear.
KILL_WAIT_SECONDS = 5.0
# Ending a tree kills its descendants in rounds (an orphan comes back to a live reaper) before the leader.
KILL_ROUNDS = 20


def new_group_options() -> dict[str, Any]:
    """Popen options that start a child in its own process group (POSIX: its own session)."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW}
    return {"start_new_session": True}


def free_port(host: str = LOCAL_HOST) -> int:
    """A TCP port on `host` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def find_local_url(text: str) -> str | None:
    """The first http(s) URL on 127.0.0.1 / localhost in `text`, without trailing punctuation."""
    match = LOCAL_URL.search(text)
    return match.group(0).rstrip(".,;:)]}") if match else None


def is_listening(port: int, host: str = LOCAL_HOST) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def wait_until_listening(port: int, *, timeout: float, alive: Callable[[], bool], host: str = LOCAL_HOST) -> bool:
    """Wait (at most `timeout` s) until host:port accepts connections; False if it did not or `alive()` turned False."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_listening(port, host):
            return True
        if not alive():
            return is_listening(port, host)
        time.sleep(0.2)
    return False


def _gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class ProcessTree:
    """A started process and every descendant seen so far, to be ended together.

    Call `refresh()` now and then while it runs: a grandchild whose parent
    already exited is no longer anyone's descendant, but stays known here. On
    POSIX the leader is not reaped until the tree is ended, so its process
    group id cannot be reused and signalling the group is always safe.
    """

    def __init__(self, popen: subprocess.Popen[bytes], report_fd: int | None = None) -> None:
        self.popen = popen
        self._lock = threading.Lock()
        self._status: int | None = None
        self._known: dict[int, psutil.Process] = {}
        # Where a reaper says how many leftovers it ended; closed when read, or with the tree.
        self._report: list[int] = [report_fd] if report_fd is not None else []
        weakref.finalize(self, _close_fds, self._report)
        try:
            self._known[popen.pid] = psutil.Process(popen.pid)
        except psutil.NoSuchProcess:
            pass

    def ended_by_reaper(self) -> int:
        """How many leftover processes the reaper ended when the program exited (0 without a reaper)."""
        if not self._report or not self.exited():
            return 0
        fd = self._report.pop()
        try:
            os.set_blocking(fd, False)
            text = os.read(fd, 64).decode("ascii", errors="replace").strip()
        except OSError:
            text = ""
        finally:
            os.close(fd)
        return int(text) if text.isdigit() else 0

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exited(self) -> bool:
        """Whether the leader process has ended (without reaping it where the OS allows)."""
        if self.popen.returncode is not None or self._status is not None:
            return True
        waitid = getattr(os, "waitid", None)
        if waitid is None:  # Windows, and macOS before Python 3.13
            return self.popen.poll() is not None
        try:
            info = waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)  # type: ignore[attr-defined,unused-ignore]
        except ChildProcessError:  # reaped elsewhere
            return self.popen.poll() is not None
        if info is None or info.si_pid == 0:
            return False
        exited_normally = info.si_code == os.CLD_EXITED  # type: ignore[attr-defined,unused-ignore]
        self._status = info.si_status if exited_normally else -info.si_status
        return True

    def exit_status(self) -> int | None:
        """The leader's exit status once it ended (negative: killed by that signal), else None."""
        if self.popen.returncode is not None:
            return self.popen.returncode
        return self._status if self.exited() else None

    def refresh(self) -> None:
        """Remember the current descendants of every known live process."""
        with self._lock:
            for process in list(self._known.values()):
                try:
                    for child in process.children(recursive=True):
                        self._known.setdefault(child.pid, child)
                except psutil.NoSuchProcess:
                    continue

    def _group_members(self) -> list[psutil.Process]:
        """POSIX, leader not reaped: every other process still in the leader's process group."""
        if os.name == "nt" or self.popen.returncode is not None:
            return []
        members = []
        for process in psutil.process_iter():
            if process.pid != self.popen.pid and _group_of(process.pid) == self.popen.pid:
                members.append(process)
        return members

    def leftovers(self) -> list[psutil.Process]:
        """Descendants that still run (the leader excluded), including orphans in its process group."""
        self.refresh()
        with self._lock:
            found = {process.pid: process for process in self._known.values()}
        for process in self._group_members():
            found.setdefault(process.pid, process)
        return [process for pid, process in found.items() if pid != self.popen.pid and not _gone(process)]

    def _alive(self) -> list[psutil.Process]:
        with self._lock:
            known = list(self._known.values())
        return [process for process in known if not _gone(process)] + self.leftovers()

    def _signal_group(self, kill: bool) -> None:
        """POSIX: signal the whole process group while the unreaped leader keeps its id ours."""
        if os.name == "nt" or self.popen.returncode is not None:
            return
        sig = signal.SIGKILL if kill else signal.SIGTERM  # type: ignore[attr-defined,unused-ignore]
        try:
            os.killpg(self.popen.pid, sig)  # type: ignore[attr-defined,unused-ignore]
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self, timeout: float = KILL_WAIT_SECONDS) -> int:
        """End the whole tree at once; return how many processes were still running.

        The descendants go first, in rounds, while the leader lives: under a reaper an orphan
        is adopted by it and found again, instead of escaping to init when the leader dies.
        """
        victims = {process.pid: process for process in self._alive()}
        deadline = time.monotonic() + timeout
        for _ in range(KILL_ROUNDS):
            left = self.leftovers()
            if not left or time.monotonic() >= deadline:
                break
            for process in left:
                victims.setdefault(process.pid, process)
                try:
                    process.kill()
                except psutil.NoSuchProcess:
                    pass
            psutil.wait_procs(left, timeout=0.5)
        self._signal_group(kill=True)
        for process in victims.values():
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        self._wait(victims.values(), max(0.1, deadline - time.monotonic()))
        return len(victims)

    def ask_to_end(self) -> list[psutil.Process]:
        """Send the whole tree a polite end request (SIGTERM; on Windows this already ends it)."""
        victims = {process.pid: process for process in self._alive()}
        self._signal_group(kill=False)
        for process in victims.values():
            try:
                process.terminate()
            except psutil.NoSuchProcess:
                pass
        return list(victims.values())

    def terminate(self, grace: float = 3.0, timeout: float = KILL_WAIT_SECONDS) -> int:
        """Ask the tree to end (a server may save its state), then kill what is left after `grace` s."""
        return end_trees([self], grace, timeout)

    def _wait(self, processes: Iterable[psutil.Process], timeout: float) -> None:
        """Wait until `processes` are gone, then reap the leader."""
        deadline = time.monotonic() + timeout
        for process in processes:
            while not _gone(process) and time.monotonic() < deadline:
                time.sleep(0.02)
        try:
            self.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass


def _close_fds(fds: list[int]) -> None:
    while fds:
        try:
            os.close(fds.pop())
        except OSError:
            pass


def end_trees(trees: Sequence[ProcessTree], grace: float = 3.0, timeout: float = KILL_WAIT_SECONDS) -> int:
    """End several trees together: ask all, wait up to `grace` s in total, then kill what is left.

    Returns how many of the trees were still running.
    """
    asked = [(tree, tree.ask_to_end()) for tree in trees]
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and not all(_gone(p) for _, victims in asked for p in victims):
        time.sleep(0.05)
    for tree, _ in asked:
        tree.kill(timeout)
    return sum(1 for _, victims in asked if victims)


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)  # type: ignore[attr-defined,unused-ignore]
    except (OSError, AttributeError):
        return None


def start_process(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdout: int | IO[bytes] | None,
    stderr: int | IO[bytes] | None,
    containment: Containment | None = None,
    lifeline: Lifeline | None = None,
) -> ProcessTree:
    """Start `command` in its own process group with stdin closed; raise RunnerNotFound if it cannot start.

    With a `containment` that has a reaper (Linux), the command runs under it, tied to `lifeline`.
    """
    if containment is not None and containment.reaper and lifeline is not None:
        if not Path(str(command[0])).exists() and shutil.which(str(command[0])) is None:
            raise RunnerNotFound(f"Could not start {command[0]}: it does not exist. Check the code runner "
                                 "environment setting.")
        report_read, report_write = os.pipe()
        try:
            popen = _popen(containment.wrap(command, lifeline=lifeline.read_fd, report=report_write), cwd, env,
                           stdout, stderr, (lifeline.read_fd, report_write))
        except BaseException:
            os.close(report_read)
            raise
        finally:
            os.close(report_write)
        return ProcessTree(popen, report_read)
    return ProcessTree(_popen(command, cwd, env, stdout, stderr, ()))


def _popen(command: Sequence[str], cwd: Path, env: Mapping[str, str], stdout: int | IO[bytes] | None,
           stderr: int | IO[bytes] | None, pass_fds: tuple[int, ...]) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            [str(part) for part in command],
            cwd=str(cwd),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            pass_fds=pass_fds,
            **new_group_options(),
        )
    except OSError as error:
        raise RunnerNotFound(
            f"Could not start {command[0]}: {error}. Check the code runner environment setting."
        ) from error


@dataclass(frozen=True)
class ProcessInfo:
    """What the UI lists for a detached process."""

    id: int
    pid: int
    label: str
    command: tuple[str, ...]
    started: datetime
    address: str | None  # e.g. http://127.0.0.1:8501/ once known
    running: bool
    exit_code: int | None
    log_path: Path


@dataclass
class _Detached:
    id: int
    label: str
    command: tuple[str, ...]
    started: datetime
    tree: ProcessTree
    log_path: Path
    address: str | None
    fallback_address: str | None


class RunHandle:
    """A code run the manager may end; `closed` tells the run that Close Python ended it."""

    def __init__(self, tree: ProcessTree) -> None:
        self.tree = tree
        self.closed = threading.Event()


class ProcessManager:
    """Everything the runner started for one session: detached programs and running code.

    `close_all()` is Close Python. Use it as a context manager to end everything on exit.
    """

    def __init__(self, containment: Containment | None = None) -> None:
        self._lock = threading.RLock()
        self._detached: dict[int, _Detached] = {}
        self._runs: set[RunHandle] = set()
        self._next_id = 1
        self.containment = containment if containment is not None else Containment.detect()
        # Ends every program this manager started once the manager (its tab, the app) is gone, even after kill -9.
        self.lifeline = Lifeline()

    def start_process(self, command: Sequence[str], *, cwd: Path, env: Mapping[str, str],
                      stdout: int | IO[bytes] | None, stderr: int | IO[bytes] | None) -> ProcessTree:
        """Start a process held by this manager's containment (see `start_process`)."""
        return start_process(command, cwd=cwd, env=env, stdout=stdout, stderr=stderr,
                             containment=self.containment, lifeline=self.lifeline)

    def __enter__(self) -> ProcessManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_all()

    # -- detached programs -------------------------------------------------

    def start(
        self,
        command: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        label: str | None = None,
        port: int | None = None,
        address: str | None = None,
        log_path: Path | None = None,
    ) -> ProcessInfo:
        """Start a long-running program detached; its output goes to a log file.

        Its address is `address` if given, else the first 127.0.0.1 URL it
        prints, else http://127.0.0.1:`port`/ when the caller assigned a port.
        """
        cwd = Path(cwd)
        cwd.mkdir(parents=True, exist_ok=True)
        with self._lock:
            number = self._next_id
            self._next_id += 1
        name = label or Path(str(command[0])).name
        if log_path is None:
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "process"
            log_path = cwd / ".samantha" / "logs" / f"{number:03d}-{safe}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "wb") as log:
            tree = self.start_process(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        entry = _Detached(
            id=number,
            label=name,
            command=tuple(str(part) for part in command),
            started=datetime.now(),
            tree=tree,
            log_path=log_path,
            address=address,
            fallback_address=f"http://{LOCAL_HOST}:{port}/" if port else None,
        )
        with self._lock:
            self._detached[number] = entry
        return self._info(entry)

    def _info(self, entry: _Detached) -> ProcessInfo:
        if entry.address is None:
            entry.address = find_local_url(self._read_log(entry.log_path, ADDRESS_SCAN_BYTES))
        code = entry.tree.exit_status()
        if code is None:
            entry.tree.refresh()
        return ProcessInfo(
            id=entry.id,
            pid=entry.tree.pid,
            label=entry.label,
            command=entry.command,
            started=entry.started,
            address=entry.address or entry.fallback_address,
            running=code is None,
            exit_code=code,
            log_path=entry.log_path,
        )

    @staticmethod
    def _read_log(path: Path, limit: int, tail: bool = False) -> str:
        try:
            with open(path, "rb") as log:
                if tail:
                    log.seek(0, os.SEEK_END)
                    log.seek(max(0, log.tell() - limit))
                return log.read(limit).decode("utf-8", errors="replace")
        except OSError:
            return ""

    def _entry(self, process_id: int) -> _Detached:
        with self._lock:
            entry = self._detached.get(process_id)
        if entry is None:
            raise UnknownProcess(
                f"No process with id {process_id} was started here; list the processes to see their ids."
            )
        return entry

    def processes(self) -> list[ProcessInfo]:
        """The detached programs, oldest first, with their state and address."""
        with self._lock:
            entries = list(self._detached.values())
        return [self._info(entry) for entry in entries]

    def get(self, process_id: int) -> ProcessInfo:
        return self._info(self._entry(process_id))

    def output(self, process_id: int, max_chars: int = 20_000) -> str:
        """The end of a detached program's log, to show what it printed."""
        return self._read_log(self._entry(process_id).log_path, max_chars, tail=True)

    def wait_for_address(self, process_id: int, timeout: float) -> str | None:
        """Wait (at most `timeout` s) until the program's address is known; None if it ended or never said."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.get(process_id)
            if info.address is not None or not info.running or time.monotonic() >= deadline:
                return info.address
            time.sleep(0.1)

    def stop(self, process_id: int, grace: float = 3.0) -> ProcessInfo:
        """End a detached program and all its children, and forget it."""
        entry = self._entry(process_id)
        entry.tree.terminate(grace)
        with self._lock:
            self._detached.pop(process_id, None)
        return self._info(entry)

    # -- running code ------------------------------------------------------

    def track(self, tree: ProcessTree) -> RunHandle:
        """Register a code run so Close Python ends it too."""
        handle = RunHandle(tree)
        with self._lock:
            self._runs.add(handle)
        return handle

    def untrack(self, handle: RunHandle) -> None:
        with self._lock:
            self._runs.discard(handle)

    # -- Close Python ------------------------------------------------------

    def close_all(self, grace: float = 3.0) -> int:
        """End every process started here (running code at once, detached programs gently); return how many."""
        with self._lock:
            runs = list(self._runs)
            detached = list(self._detached.values())
            self._detached.clear()
        ended = 0
        for handle in runs:
            handle.closed.set()
            ended += 1 if handle.tree.kill() else 0
        return ended + end_trees([entry.tree for entry in detached], grace)


def raise_if_failed_to_listen(manager: ProcessManager, info: ProcessInfo, port: int, timeout: float) -> None:
    """Wait until a started server listens on `port`; if it ends or never listens, stop it and say why."""

    def alive() -> bool:
        return manager.get(info.id).running

    if wait_until_listening(port, timeout=timeout, alive=alive):
        return
    log = manager.output(info.id, 4000).strip()
    running = alive()
    manager.stop(info.id, grace=1.0)
    state = f"did not listen on port {port} within {timeout:.0f} s" if running else "ended at once"
    raise RunnerError(f"{info.label} {state}. Its output:\n{log or '(nothing)'}")
