"""Prompt collections: example prompts kept in TXT files, re-read on every use.

Items are separated by a line that holds only `$-$-$`, so an item can span
lines and use the prompt-list syntax (`$$$`, `[...]`, `{...}`) freely.
"""

from __future__ import annotations

import re
from pathlib import Path

from samantha.documents import DocumentError, read_text_file

ITEM_SEPARATOR = "$-$-$"
USER_COLLECTION = "user_prompts.txt"
SYSTEM_COLLECTION = "system_prompts.txt"
LABEL_CHARS = 90
_SEPARATOR_LINE_RE = re.compile(r"^[ \t]*\$-\$-\$[ \t]*$", re.MULTILINE)


def default_prompts_dir() -> Path:
    """The `prompts/` folder next to the package (the repository or an unpacked release)."""
    return Path(__file__).resolve().parents[1] / "prompts"


def split_collection(text: str) -> list[str]:
    """The items of a collection text, stripped, empty ones dropped."""
    return [item.strip("\n").strip() for item in _SEPARATOR_LINE_RE.split(text) if item.strip()]


def read_collection(path: Path) -> list[str]:
    """The items of a collection file; a missing or empty file gives no items (the UI says so)."""
    try:
        return split_collection(read_text_file(path))
    except DocumentError:
        return []


def item_label(item: str) -> str:
    """A one-line label for a long item: its first line, shortened."""
    first = next((line.strip() for line in item.splitlines() if line.strip()), "")
    more = "\n" in item.strip()
    if len(first) > LABEL_CHARS:
        return first[: LABEL_CHARS - 1] + "\u2026"
    return first + (" \u2026" if more else "")
