"""Prompt collections: the shipped files parse, and edits show without a restart."""

from __future__ import annotations

from pathlib import Path

from samantha.prompt_collections import (
    SYSTEM_COLLECTION,
    USER_COLLECTION,
    default_prompts_dir,
    item_label,
    read_collection,
    split_collection,
)
from samantha.prompts import parse_prompt_list, parse_system


def test_split_on_separator_lines_only() -> None:
    text = "first\nstill first $-$-$ inline\n$-$-$\nsecond\n  $-$-$  \n\nthird\n$-$-$\n"
    assert split_collection(text) == ["first\nstill first $-$-$ inline", "second", "third"]


def test_shipped_collections_are_useful_and_valid() -> None:
    users = read_collection(default_prompts_dir() / USER_COLLECTION)
    systems = read_collection(default_prompts_dir() / SYSTEM_COLLECTION)
    assert len(users) >= 10 and len(systems) >= 6
    for item in users:
        assert parse_prompt_list(item)  # no malformed {...} settings
    for item in systems:
        assert parse_system(item)
    joined = "\n".join(users)
    assert "[[" in joined and "juiz" in joined and "judge" in joined and "```python" in joined
    assert any(len(parse_system(item)) == 3 for item in systems)  # Samantha-1 sections example


def test_collection_is_reread_on_every_call(tmp_path: Path) -> None:
    path = tmp_path / USER_COLLECTION
    path.write_text("one\n$-$-$\ntwo\n", encoding="utf-8")
    assert read_collection(path) == ["one", "two"]
    path.write_text("one\n$-$-$\ntwo\n$-$-$\nthree\n", encoding="utf-8")
    assert read_collection(path) == ["one", "two", "three"]


def test_missing_collection_is_empty(tmp_path: Path) -> None:
    assert read_collection(tmp_path / "none.txt") == []


def test_labels_are_one_short_line() -> None:
    assert item_label("short") == "short"
    assert item_label("first line\nsecond") == "first line \u2026"
    assert len(item_label("x" * 500)) <= 90
