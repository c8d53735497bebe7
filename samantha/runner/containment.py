"""How the processes of model code are held together, so every one of them can be ended.

On Linux each program runs under `reaper.py` (see there): it adopts orphans, ends what
is left when the program exits, and ends everything when the app goes away. Where
bubblewrap (`bwrap`) works, the reaper and the program also get their own PID
namespace: they cannot see the app or any other process (so not the app's command
line or environment either), and the kernel ends the whole namespace with the reaper.
Elsewhere (Windows, macOS) the runner ends the descendants psutil can see and the
process group.

Set SAMANTHA_NO_BWRAP=1 to run without bubblewrap (if it misbehaves on a system).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from samantha.runner.errors import RunnerError

REAPER_FILE = Path(__file__).with_name("reaper.py")
NO_BWRAP_ENV = "SAMANTHA_NO_BWRAP"
PROBE_SECONDS = 20.0
# A new PID namespace with its own /proc; everything else (files, network, devices) is shared.
BWRAP_OPTIONS = ("--dev-bind", "/", "/", "--unshare-pid", "--proc", "/proc", "--as-pid-1", "--die-with-parent")


def bwrap_works(bwrap: str) -> bool:
    """Whether bubblewrap can make a PID namespace here (it may lack user-namespace rights)."""
    try:
        done = subprocess.run([bwrap, *BWRAP_OPTIONS, "--", "true"], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=PROBE_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@dataclass(frozen=True)
class Containment:
    """What holds a program's processes: `reaper` (Linux) and, with it, bubblewrap's PID namespace."""

    reaper: bool = False
    bwrap: str | None = None

    @classmethod
    def detect(cls, use_bwrap: bool | None = None, environ: Mapping[str, str] | None = None) -> Containment:
        """The best this system offers; `use_bwrap=False` forces the plain reaper, True requires bubblewrap."""
        if not sys.platform.startswith("linux"):
            return cls()
        environ = os.environ if environ is None else environ
        if use_bwrap is None:
            use_bwrap = environ.get(NO_BWRAP_ENV, "").strip().lower() in ("", "0", "no", "false")
            required = False
        else:
            required = use_bwrap
        bwrap = shutil.which("bwrap") if use_bwrap else None
        if bwrap is not None and not bwrap_works(bwrap):
            bwrap = None
        if required and bwrap is None:
            raise RunnerError("bubblewrap (bwrap) is not installed or cannot make a PID namespace here")
        return cls(reaper=True, bwrap=bwrap)

    def describe(self) -> str:
        if self.bwrap:
            return "own PID namespace (bubblewrap)"
        return "child subreaper" if self.reaper else "process group"

    def wrap(self, command: Sequence[str], *, lifeline: int, report: int) -> list[str]:
        """`command` run under the reaper (and bubblewrap), which read and write these inherited pipes."""
        if not self.reaper:
            return [str(part) for part in command]
        held = [sys.executable, "-I", str(REAPER_FILE), "--lifeline", str(lifeline), "--report", str(report),
                "--", *(str(part) for part in command)]
        return [self.bwrap, *BWRAP_OPTIONS, "--", *held] if self.bwrap else held


class Lifeline:
    """A pipe whose write end only the app holds. However the app ends, the kernel then closes it,
    and every reaper waiting on the read end ends its programs."""

    def __init__(self) -> None:
        self.read_fd, write_fd = os.pipe()  # neither is inherited unless passed on by number
        self._finalizer = weakref.finalize(self, _close, (self.read_fd, write_fd))

    def close(self) -> None:
        self._finalizer()


def _close(fds: tuple[int, ...]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
