"""Runs inside the code runner's interpreter (never imported by the app).

    python startup.py CODE_FILE FIGURE_FOLDER

Runs CODE_FILE as `__main__` with the working folder on sys.path, as if the
user had typed `python CODE_FILE` there, and catches matplotlib figures: the
backend is Agg (set by the runner's environment), `plt.show()` saves every
open figure as PNG into FIGURE_FOLDER and closes it (as closing a window
would), and figures still open at the end are saved too. The user's code is
never edited. Tracebacks start at the user's code, not at this file.

Kept compatible with Python 3.8 and free of third-party imports: it runs in
whatever interpreter the user chose.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import runpy
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType
from typing import Any


class FigureSaver:
    """Saves open matplotlib figures as figure-01.png, figure-02.png, ..."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.count = 0

    def save_open(self) -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return
        for number in list(pyplot.get_fignums()):
            self.count += 1
            path = os.path.join(self.folder, f"figure-{self.count:02d}.png")
            try:
                os.makedirs(self.folder, exist_ok=True)
                pyplot.figure(number).savefig(path, format="png")
            except Exception as error:  # noqa: BLE001 - one bad figure must not hide the others
                sys.stderr.write(f"Could not save figure {number}: {error}\n")
        pyplot.close("all")


class PyplotHook(importlib.abc.MetaPathFinder):
    """Replaces `matplotlib.pyplot.show` right after pyplot is imported."""

    def __init__(self, saver: FigureSaver) -> None:
        self.saver = saver

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "matplotlib.pyplot":
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        original = spec.loader.exec_module
        saver = self.saver

        def exec_module(module: ModuleType) -> None:
            original(module)

            def show(*args: Any, **kwargs: Any) -> None:
                """Save every open figure as PNG (the code runner shows them as images)."""
                saver.save_open()

            module.show = show  # type: ignore[attr-defined]

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def print_user_traceback(code_path: str) -> None:
    """Print the current exception with the frames of this file and runpy left out."""
    kind, value, tb = sys.exc_info()
    start = tb
    while start is not None and start.tb_frame.f_code.co_filename != code_path:
        start = start.tb_next
    if start is not None:
        sys.stderr.write("Traceback (most recent call last):\n")
        sys.stderr.write("".join(traceback.format_tb(start)))
    sys.stderr.write("".join(traceback.format_exception_only(kind, value)))
    sys.stderr.flush()


def main() -> int:
    if len(sys.argv) != 3:
        sys.stderr.write("usage: startup.py CODE_FILE FIGURE_FOLDER\n")
        return 2
    code_path = os.path.abspath(sys.argv[1])
    saver = FigureSaver(os.path.abspath(sys.argv[2]))
    sys.argv = [code_path]
    sys.path[0] = os.getcwd()  # not this file's folder: the user's code imports from where it runs
    sys.meta_path.insert(0, PyplotHook(saver))
    try:
        try:
            runpy.run_path(code_path, run_name="__main__")
        finally:
            saver.save_open()
    except SystemExit:
        raise
    except BaseException:  # noqa: BLE001 - report any failure of the user's code like Python would
        print_user_traceback(code_path)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
