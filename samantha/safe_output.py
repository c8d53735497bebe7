"""Checks before Samantha writes a file the user named (`run --save`, `history export -o`).

A slip of the keyboard (`--save m.gguf`) must not turn a model, a prompt file or
the history into a few kilobytes of JSON: files the run reads are never replaced,
and any other existing file only with --force, unless Samantha wrote it itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from samantha.errors import SamanthaError


class OutputRefused(SamanthaError):
    """Writing there would destroy something; the message says why and what to do."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output_path(
    path: Path,
    *,
    option: str,
    inputs: Iterable[tuple[str, Path]] = (),
    force: bool = False,
    replaceable: Callable[[Path], bool] = lambda path: False,
) -> None:
    """Raise OutputRefused when writing `path` would destroy a file it should not.

    `inputs` are (what, path) pairs the run reads: never replaced, even with --force, since the run would
    lose its own input. `replaceable` says whether an existing file is one Samantha wrote and may rewrite.
    """
    if path.is_dir():
        raise OutputRefused(f"{option} {path} is a folder; name a file in it")
    for what, source in inputs:
        if _same_file(path, source):
            raise OutputRefused(f"{option} {path} is the {what} this command reads; writing there would destroy it: "
                                f"choose another {option} path")
    if path.exists() and not force and not replaceable(path):
        raise OutputRefused(f"{option} {path} already exists and was not written by Samantha; choose another "
                            f"{option} path, or add --force to replace it")
