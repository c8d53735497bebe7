"""Rewrite the README's settings table from the settings schema (a test fails while the two differ).

Run after declaring or changing a setting: `.venv/bin/python scripts/settings_table.py`.
"""

from __future__ import annotations

from pathlib import Path

from samantha.settings import readme_table
from samantha.settings_schema import README_END, README_START

README = Path(__file__).resolve().parents[1] / "README.md"


def with_table(text: str) -> str:
    """`text` with the part between the table's markers replaced by the table the schema makes."""
    head, start, rest = text.partition(README_START)
    _, end, tail = rest.partition(README_END)
    if not start or not end:
        raise SystemExit(f"README.md needs the two markers:\n{README_START}\n{README_END}")
    return f"{head}{README_START}\n{readme_table()}\n{README_END}{tail}"


if __name__ == "__main__":
    README.write_text(with_table(README.read_text(encoding="utf-8")), encoding="utf-8")
