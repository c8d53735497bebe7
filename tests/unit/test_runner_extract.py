"""Extraction of Python blocks from a model's answer."""

from __future__ import annotations

import pytest

from samantha.runner.extract import drop_pip_lines, extract_python, python_blocks


def test_one_python_block_is_extracted_without_the_surrounding_text() -> None:
    answer = "Here is the code:\n\n```python\nprint('hi')\n```\n\nIt prints hi."
    assert extract_python(answer) == "print('hi')"


@pytest.mark.parametrize("fence", ["python", "Python", "PYTHON", "py", "Py", "python3", "python title='x.py'",
                                   "python:main.py"])
def test_language_names_and_cases_that_count_as_python(fence: str) -> None:
    assert extract_python(f"```{fence}\nx = 1\n```") == "x = 1"


@pytest.mark.parametrize("fence", ["", "bash", "javascript", "pycon-not", "text"])
def test_other_fences_are_not_python(fence: str) -> None:
    assert extract_python(f"```{fence}\nx = 1\n```") == ""


def test_several_blocks_are_joined_in_order() -> None:
    answer = "First:\n```python\na = 1\n```\nthen a shell line\n```bash\nls\n```\nthen:\n```py\nprint(a)\n```"
    assert python_blocks(answer) == ["a = 1\n", "print(a)\n"]
    assert extract_python(answer) == "a = 1\n\nprint(a)"


def test_pip_lines_are_dropped_but_similar_names_are_kept() -> None:
    answer = (
        "```python\n"
        "pip install pandas\n"
        "!pip install numpy\n"
        "%pip install scipy\n"
        "  !pip3 install seaborn\n"
        "!python -m pip install plotly\n"
        "pipeline = [1, 2]\n"
        "pips = 3\n"
        "print(pipeline, pips)\n"
        "```"
    )
    assert extract_python(answer) == "pipeline = [1, 2]\npips = 3\nprint(pipeline, pips)"


def test_shell_pip_lines_go_but_python_named_pip_stays() -> None:
    answer = "```python\n$ pip install rich\npython -m pip install rich\npip = 2\npip3 = pip + 1\nprint(pip3)\n```"
    assert extract_python(answer) == "pip = 2\npip3 = pip + 1\nprint(pip3)"


def test_python_inside_a_markdown_fence_counts() -> None:
    """Some models wrap their whole answer in a ````markdown fence."""
    answer = "````markdown\nHere:\n```python\nprint(1)\n```\n````"
    assert extract_python(answer) == "print(1)"


def test_a_block_cut_off_before_its_closing_fence_still_counts() -> None:
    assert extract_python("Sure:\n```python\nfor i in range(3):\n    print(i)\n") == "for i in range(3):\n    print(i)"


def test_indented_block_in_a_list_and_tilde_fences() -> None:
    answer = "1. Do this:\n\n   ```python\n   if True:\n       print(1)\n   ```\n\n~~~py\nprint(2)\n~~~\n"
    assert extract_python(answer) == "if True:\n    print(1)\n\nprint(2)"


def test_backticks_inside_code_and_longer_fences() -> None:
    answer = "````python\ns = '```'\nprint(s)\n````"
    assert extract_python(answer) == "s = '```'\nprint(s)"


def test_no_code_gives_empty_text() -> None:
    assert extract_python("No code here, just `inline` words.") == ""
    assert extract_python("```python\npip install x\n```") == ""


def test_drop_pip_lines_keeps_everything_else_in_place() -> None:
    assert drop_pip_lines("a = 1\npip install x\nb = 2") == "a = 1\nb = 2"
