"""The model folder: listing GGUF files, resolving chain entries, and browsing folders on the server.

Pure filesystem helpers (no Gradio) so they are easy to test; they work the same
on Windows, macOS and Linux.
"""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass
from pathlib import Path

from samantha.errors import SamanthaError
from samantha.model_ref import ModelRefError, parse_model_ref

MODEL_SUFFIX = ".gguf"
# Stop scanning subfolders after this many files seen: a Downloads tree can be huge.
MAX_FILES_SCANNED = 50_000
MAX_MODELS_LISTED = 2_000
SKIP_MARK = "---"
_SPLIT_PART_RE = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)


class ModelFolderError(SamanthaError, ValueError):
    """The model folder cannot be used; the message says why and what to do."""


class ModelListError(SamanthaError, ValueError):
    """The chain's model list names something that cannot be run."""


@dataclass(frozen=True)
class FolderListing:
    folder: Path
    models: list[str]  # paths relative to `folder`, with "/" separators
    truncated: bool = False


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def _is_listed_model(name: str) -> bool:
    """A .gguf file, but only the first part of a split model (llama.cpp loads the rest itself)."""
    if not name.lower().endswith(MODEL_SUFFIX):
        return False
    part = _SPLIT_PART_RE.search(name)
    return part is None or int(part.group(1)) == 1


def check_folder(folder: str | Path) -> Path:
    """The folder as an absolute path, or ModelFolderError when it is not a readable folder."""
    text = str(folder).strip()
    if not text:
        raise ModelFolderError("no model folder given: type a folder path or use Browse")
    path = Path(text).expanduser()
    if not path.exists():
        raise ModelFolderError(f"the model folder {path} does not exist: check the path or use Browse")
    if not path.is_dir():
        raise ModelFolderError(f"{path} is a file, not a folder: give the folder that holds your .gguf files")
    try:
        return path.resolve()
    except OSError as exc:
        raise ModelFolderError(f"cannot open the model folder {path}: {exc.strerror or exc}") from None


def list_models(folder: str | Path, include_subfolders: bool = False) -> FolderListing:
    """Every GGUF model in `folder` (and its subfolders when asked), sorted by name."""
    root = check_folder(folder)
    found: list[str] = []
    truncated = False
    if include_subfolders:
        seen = 0
        for dirpath, dirnames, filenames in os.walk(root, onerror=lambda error: None):
            dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d))
            seen += len(filenames)
            base = Path(dirpath).relative_to(root)
            found.extend((base / name).as_posix() for name in filenames if _is_listed_model(name))
            if seen > MAX_FILES_SCANNED or len(found) > MAX_MODELS_LISTED:
                truncated = True
                break
    else:
        try:
            found = [entry.name for entry in os.scandir(root) if _is_listed_model(entry.name) and entry.is_file()]
        except OSError as exc:
            raise ModelFolderError(f"cannot list the model folder {root}: {exc.strerror or exc}") from None
    found.sort(key=str.lower)
    return FolderListing(root, found[:MAX_MODELS_LISTED], truncated)


def parse_model_list(text: str) -> list[str]:
    """The chain's model entries: one per line, in order, repeats kept; `---` lines are ignored."""
    entries = []
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith(SKIP_MARK):
            entries.append(entry)
    return entries


def resolve_models(entries: list[str], folder: str | Path) -> tuple[str, ...]:
    """Chain references for `entries`: hub links and remote models as given, files relative to `folder`;
    every entry must parse and every file must exist, or ModelListError names them all."""
    resolved: list[str] = []
    malformed: list[str] = []
    missing: list[str] = []
    folders: list[str] = []
    base = Path(str(folder).strip()).expanduser() if str(folder).strip() else None
    for entry in entries:
        try:
            ref = parse_model_ref(entry)
        except ModelRefError as exc:
            malformed.append(str(exc))
            continue
        if not ref.is_file:
            resolved.append(entry)
            continue
        path = Path(entry).expanduser()
        if not path.is_absolute():
            if base is None:
                raise ModelListError(f"{entry} is a relative path but no model folder is set: set the model folder first")
            path = base / path
        if path.is_dir():
            folders.append(f"{entry} ({path})")
        elif not path.is_file():
            missing.append(f"{entry} (looked for {path})")
        resolved.append(str(path))
    problems = list(malformed)
    if folders:  # a folder named like a model is not "missing": say what it is, as the command line does
        problems.append("a folder is not a model file: " + "; ".join(folders) + ". Name a .gguf file in it")
    if missing:
        problems.append("model file not found: " + "; ".join(missing)
                        + ". Pick models from the current folder's list, or fix the path in the model list")
    if problems:
        raise ModelListError(". ".join(problem.rstrip(".") for problem in problems) + ".")
    return tuple(resolved)


def filesystem_roots() -> list[str]:
    """Where the folder browser can start: drive letters on Windows, `/` elsewhere."""
    if os.name == "nt":
        return [f"{letter}:\\" for letter in string.ascii_uppercase if Path(f"{letter}:\\").exists()]
    return ["/"]


def list_subfolders(folder: str | Path) -> list[str]:
    """Names of the visible subfolders of `folder`, sorted; an unreadable folder gives an error message."""
    root = check_folder(folder)
    try:
        names = [entry.name for entry in os.scandir(root) if not _is_hidden(entry.name) and _is_dir(entry)]
    except OSError as exc:
        raise ModelFolderError(f"cannot open {root}: {exc.strerror or exc}") from None
    return sorted(names, key=str.lower)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def parent_folder(folder: str | Path) -> Path:
    """The folder one level up (a root stays where it is)."""
    path = Path(str(folder).strip() or ".").expanduser().resolve()
    return path.parent
