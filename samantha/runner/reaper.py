"""The small process that holds a model's program on Linux, so nothing it starts can escape.

Run as `python reaper.py --lifeline FD --report FD -- COMMAND...` (standard library only,
it runs before anything of Samantha is imported). It starts COMMAND and:

- adopts every orphan (it is a child subreaper, or PID 1 of its own PID namespace under
  bubblewrap), so a double-forked daemon stays its descendant instead of moving to init;
- when COMMAND exits, kills every process still left, writes how many to the report pipe
  and exits with COMMAND's status, so nothing outlives the run;
- when the lifeline pipe reaches end-of-file (the app ended, even by kill -9, because the
  kernel closes the app's end), ends everything at once;
- on SIGTERM, passes it to every descendant (a server may save its state) and goes on.

Samantha's ProcessTree still kills the whole tree itself at a time limit, Stop or Close Python.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
POLL_SECONDS = 0.1
END_ROUNDS = 50


def _descendants(root: int) -> list[int]:
    """Every process below `root`, read from /proc (parent ids)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(name))
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def _reap() -> list[tuple[int, int]]:
    """Collect every child that ended: (pid, wait status) pairs."""
    ended: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.append((pid, status))


def _end_all(me: int) -> int:
    """Kill every descendant until none is left (orphans come back to us); return how many were killed."""
    killed: set[int] = set()
    for _ in range(END_ROUNDS):
        left = _descendants(me)
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
        _reap()
    _reap()
    return len(killed)


def _exit_like(status: int) -> None:
    """Leave with the same exit status (or signal) as the program."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if os.getpid() != 1:  # PID 1 of a namespace cannot kill itself with a signal
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
        os._exit(128 + number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def main(argv: list[str]) -> None:
    lifeline = int(argv[argv.index("--lifeline") + 1])
    report = int(argv[argv.index("--report") + 1])
    command = argv[argv.index("--") + 1:]
    me = os.getpid()
    if me != 1:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    asked_to_end: list[bool] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: asked_to_end.append(True))
    program = os.fork()
    if program == 0:
        os.close(lifeline)
        os.close(report)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            os.execvp(command[0], command)
        except OSError as error:
            os.write(2, f"cannot start {command[0]}: {error}\n".encode())
            os._exit(127)
    while True:
        readable, _, _ = select.select([lifeline], [], [], POLL_SECONDS)
        if readable and not os.read(lifeline, 64):  # the app is gone
            _end_all(me)
            os._exit(137)
        if asked_to_end:
            asked_to_end.clear()
            for pid in _descendants(me):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for pid, status in _reap():
            if pid == program:
                ended = _end_all(me)
                os.write(report, f"{ended}\n".encode())
                _exit_like(status)


if __name__ == "__main__":
    main(sys.argv)
