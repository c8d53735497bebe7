"""The prompt grammar of the three text inputs, as pure functions.

User prompt list:
- items are separated by `$$$` when the text contains it, otherwise by lines;
- an item starting with `---` is skipped;
- `[ ... ]` standing as its own item (it may span lines) is a prefix for every item;
- `[[ ... ]]` becomes a last item that receives all answers of the session so far;
- an item may begin with `{key=value, ...}` settings that apply to it alone.

Brackets and braces anywhere else are ordinary text, so Python lists, Markdown
links, citations, JSON and code pass through untouched.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from samantha.errors import SamanthaError
from samantha.settings import SAMPLING_KEYS, SettingsError, coerce_setting

SEPARATOR = "$$$"
SKIP_MARK = "---"
DEFAULT_ITEM = "Hello!"
SYSTEM_SECTIONS = ("situation", "information", "thought")

_SPLIT_RE = re.compile(r"\$\$\$[ \t]*(?:\r?\n)?")
# A settings block starts with an assignment, or with a known key missing its value.
_SETTINGS_START_RE = re.compile(r"\{\s*(?:[A-Za-z_]\w*\s*=|(?:%s)\s*[,}])" % "|".join(SAMPLING_KEYS))
_SECTION_RE = re.compile(r"^(situation|information|thought)\s*:\s*", re.IGNORECASE)


class PromptSyntaxError(SamanthaError, ValueError):
    """An item's `{...}` settings are malformed; names the item and the key."""

    def __init__(self, item_number: int, item_text: str, key: str, reason: str) -> None:
        snippet = item_text.strip().replace("\n", " ")
        if len(snippet) > 60:
            snippet = snippet[:57] + "..."
        super().__init__(f"Prompt item {item_number} ({snippet!r}): {reason}")
        self.item_number = item_number
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class PromptItem:
    """One entry of the prompt list, ready to run.

    The `[prefix]` is one string shared by every item, joined to the body only when the text is asked for:
    a 50 KB prefix over 2,000 items stays 50 KB, in memory and in the history.
    """

    number: int  # 1-based among the items that run, in run order: `[prefix]` and `---` lines are not counted
    body: str  # the item's own text, settings block removed
    settings: dict[str, Any] = field(default_factory=dict)
    is_final: bool = False  # a `[[...]]` item: all answers so far are appended
    prefix: str = ""

    @property
    def text(self) -> str:
        """What the model is asked: the prefix, then the item."""
        return join_prefix(self.prefix, self.body)

    @property
    def label(self) -> str:
        """The item's own words (no prefix, no settings), to name it in headings."""
        return self.body


def join_prefix(prefix: str, body: str) -> str:
    return f"{prefix}\n{body}" if prefix and body else (prefix or body)


@dataclass(frozen=True)
class SystemPart:
    """One active part of the system prompt, with its Samantha-1 section name."""

    section: str
    text: str


def split_parts(text: str) -> list[str]:
    """Split a system or previous-response field into its active parts.

    The whole field is ignored when it starts with `---`; otherwise parts are
    separated by `$$$` and a part starting with `---` is dropped.
    """
    if text.lstrip().startswith(SKIP_MARK):
        return []
    parts = [part.strip() for part in _SPLIT_RE.split(text)]
    return [part for part in parts if part and not part.startswith(SKIP_MARK)]


def parse_system(text: str) -> list[SystemPart]:
    """Parse the system prompt: each active part may name its section (`thought: ...`)."""
    result = []
    for part in split_parts(text):
        match = _SECTION_RE.match(part)
        if match:
            body = part[match.end():].strip()
            if body:
                result.append(SystemPart(match.group(1).lower(), body))
        else:
            result.append(SystemPart("situation", part))
    return result


def parse_previous(text: str) -> str:
    """The previous-response field as one text: its active parts, blank-line separated."""
    return "\n\n".join(split_parts(text))


def _bracket_end(text: str, start: int) -> int:
    """Index of the `]` that closes the `[` at `start`, or -1 when it never closes."""
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _is_literal_list(text: str) -> bool:
    """True for text such as `[1, 2, 3]` or `["a", "b"]`: data, not a prefix."""
    try:
        return isinstance(ast.literal_eval(text), list)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


def _block_kind(item: str) -> str | None:
    """'final' for `[[...]]`, 'prefix' for `[...]` standing alone, else None."""
    if not item.startswith("[") or _bracket_end(item, 0) != len(item) - 1:
        return None
    if item.startswith("[[") and _bracket_end(item, 1) == len(item) - 2:
        return "final"
    if _is_literal_list(item):
        return None
    return "prefix"


def _matching_brackets(text: str) -> dict[int, int]:
    """Index of each `[` -> index of the `]` that closes it (unclosed ones are absent), in one pass."""
    closes: dict[int, int] = {}
    open_at: list[int] = []
    for index, char in enumerate(text):
        if char == "[":
            open_at.append(index)
        elif char == "]" and open_at:
            closes[open_at.pop()] = index
    return closes


def _split_lines(text: str) -> list[str]:
    """Line mode: one item per line, but a bracket block may span several lines.

    A line opening a `[` that does not close on it starts a block only if the
    bracket closes exactly at the end of a later line. Brackets are matched once
    for the whole text, so thousands of unclosed lines stay fast.
    """
    lines = [line.strip() for line in text.splitlines()]
    joined = "\n".join(lines)
    starts: list[int] = []
    offset = 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    closes = _matching_brackets(joined)
    items: list[str] = []
    index = 0
    while index < len(lines):
        line, start = lines[index], starts[index]
        index += 1
        end = closes.get(start, -1) if line.startswith("[") else -1
        if end > start + len(line) - 1:  # closes on a later line
            last = bisect.bisect_right(starts, end) - 1
            if end == starts[last] + len(lines[last]) - 1:
                line = joined[start : end + 1]
                index = last + 1
        items.append(line)
    return items


def _split_items(text: str) -> list[str]:
    raw = _SPLIT_RE.split(text) if SEPARATOR in text else _split_lines(text)
    return [item.strip() for item in raw if item.strip()]


def _outside_quotes(text: str) -> Iterator[tuple[int, str, int]]:
    """(index, char, bracket depth) for each character outside quoted strings.

    A closing bracket reports the depth it closes back to, so the `}` that ends a
    block opened at depth 0 comes out at depth 0.
    """
    depth = 0
    quote = ""
    escaped = False
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
            continue
        if char in "\"'":
            quote = char
            continue
        if char in "]})":
            depth -= 1
        yield index, char, depth
        if char in "[{(":
            depth += 1


def _settings_end(text: str) -> int:
    """Index of the `}` closing a leading settings block, ignoring quoted and bracketed text."""
    return next((i for i, char, depth in _outside_quotes(text) if char == "}" and depth == 0), -1)


def _split_assignments(body: str) -> list[str]:
    """Split `a=1, stop=["x", ","]` on the commas that separate assignments."""
    cuts = [i for i, char, depth in _outside_quotes(body) if char == "," and depth == 0]
    parts = [body[start + 1:stop] for start, stop in zip([-1, *cuts], [*cuts, len(body)])]
    return [part.strip() for part in parts if part.strip()]


def parse_item_settings(item: str, number: int) -> tuple[dict[str, Any], str]:
    """Take a leading `{key=value, ...}` block off `item`; return (settings, rest).

    Only a block that starts like an assignment (or names a known setting) counts,
    so `{"a": 1}` or `{x}` at the start of an item stay text.
    """
    if not _SETTINGS_START_RE.match(item):
        return {}, item
    end = _settings_end(item)
    if end == -1:
        key = item[1:].split("=", 1)[0].strip()
        raise PromptSyntaxError(number, item, key, "the settings block has no closing '}'")
    settings: dict[str, Any] = {}
    for assignment in _split_assignments(item[1:end]):
        key, sep, value = assignment.partition("=")
        key = key.strip()
        if not sep:
            raise PromptSyntaxError(number, item, key, f"{assignment!r} is not key=value")
        if key in settings:
            raise PromptSyntaxError(number, item, key, f"{key!r} is set twice")
        try:
            settings[key] = coerce_setting(key, value.strip())
        except SettingsError as exc:
            raise PromptSyntaxError(number, item, key, str(exc)) from None
    return settings, item[end + 1:].strip()


def parse_prompt_list(text: str) -> list[PromptItem]:
    """Parse the user prompt field into the items a model answers, in order.

    Raises PromptSyntaxError before anything runs when an item's settings are malformed.
    """
    prefixes: list[str] = []
    regular: list[str] = []
    finals: list[str] = []
    for item in _split_items(text):
        if item.startswith(SKIP_MARK):
            continue
        kind = _block_kind(item)
        if kind == "prefix":
            body = item[1:-1].strip()
            if body:
                prefixes.append(body)
        elif kind == "final":
            finals.append(item[2:-2].strip())
        else:
            regular.append(item)

    if not regular and not finals:
        regular.append(DEFAULT_ITEM)
    prefix = "\n".join(prefixes)

    def build(number: int, raw: str, is_final: bool) -> PromptItem:
        settings, body = parse_item_settings(raw, number)
        if not body and not is_final:
            body = DEFAULT_ITEM
        return PromptItem(number=number, body=body, settings=settings, is_final=is_final, prefix=prefix)

    # Numbered in the order they run (finals last), so "item 3" in a heading is the third item answered.
    ordered = [(raw, False) for raw in regular] + [(raw, True) for raw in finals]
    return [build(number, raw, is_final) for number, (raw, is_final) in enumerate(ordered, start=1)]


def final_item_text(item: PromptItem, answers: list[str]) -> str:
    """The text a `[[...]]` item runs with: its own text followed by every answer so far."""
    joined = "\n\n".join(answer.strip() for answer in answers if answer.strip())
    if not joined:
        return item.text
    return f"{item.text}\n\n{joined}" if item.text else joined
