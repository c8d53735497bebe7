"""Find the Python a model wrote in its answer.

Uses a CommonMark parser so fences inside lists, `~~~` fences and an answer cut
off before its closing fence behave the way a Markdown viewer shows them.
"""

from __future__ import annotations

import re
import textwrap

from markdown_it import MarkdownIt

# Fence languages that count as Python (compared lower-case).
PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "py3"})

# Fences whose content is itself Markdown: models sometimes wrap a whole answer in one.
MARKDOWN_LANGUAGES = frozenset({"markdown", "md"})

# Package-install lines: valid in a notebook or a shell, a syntax error in a script. `pip = 2` is Python.
_PIP_LINE = re.compile(
    r"^\s*(?:[!%]\s*pip3?\b"
    r"|(?:\$\s*)?pip3?\s+(?:install|uninstall|download|freeze|list|show)\b"
    r"|[!%$]?\s*python3?\s+-m\s+pip\b)"
)


def python_blocks(answer: str) -> list[str]:
    """Every ```python / ```py block (any case) in `answer`, in order, as written."""
    blocks: list[str] = []
    for token in MarkdownIt("commonmark").parse(answer):
        if token.type != "fence":
            continue
        words = token.info.strip().split()
        language = words[0].strip("{}.").split(":")[0].lower() if words else ""  # ```python:main.py
        if language in PYTHON_LANGUAGES:
            blocks.append(token.content)
        elif language in MARKDOWN_LANGUAGES:
            blocks += python_blocks(token.content)
    return blocks


def drop_pip_lines(code: str) -> str:
    """Remove `pip install ...` / `!pip ...` / `%pip ...` lines, which cannot run as Python."""
    return "\n".join(line for line in code.splitlines() if not _PIP_LINE.match(line))


def extract_python(answer: str) -> str:
    """The code to run for `answer`: its Python blocks joined in order, pip lines dropped.

    Returns "" when the answer holds no Python block.
    """
    parts = [textwrap.dedent(drop_pip_lines(block)).strip("\n") for block in python_blocks(answer)]
    return "\n\n".join(part for part in parts if part.strip())
