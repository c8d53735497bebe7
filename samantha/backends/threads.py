"""How many CPU threads llama.cpp gets: 0 means every core this process may use; more than that is slower."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says, else all of them)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):  # no affinity API (macOS, Windows)
        return max(os.cpu_count() or 1, 1)


def resolved_threads(requested: int) -> int:
    """The thread count to give llama.cpp: `requested`, or every usable core for 0.

    llama-cpp-python's own default for "not given" is half the cores, which is not what "0 = all cores" says.
    """
    return requested if requested > 0 else usable_cores()


def threads_warning(requested: int) -> str:
    """A warning when more threads are asked for than there are cores, else ""."""
    cores = usable_cores()
    if requested <= cores:
        return ""
    return (f"{requested} CPU threads were asked for but this machine has {cores} core(s): threads beyond the cores "
            f"wait on each other and make generation much slower; use 0 (every core) or at most {cores}")
