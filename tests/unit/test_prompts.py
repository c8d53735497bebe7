"""The prompt grammar, including each fix of the original program's bugs, and a fuzz test."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samantha.prompts import (
    DEFAULT_ITEM,
    PromptSyntaxError,
    SystemPart,
    _bracket_end,
    _split_lines,
    final_item_text,
    parse_previous,
    parse_prompt_list,
    parse_system,
    split_parts,
)

WORKED_EXAMPLE = """[You are a poet that writes only in Portuguese]
Create a sentence about love
Create a sentence about life
--- Create a sentence about time
[[Create a paragraph in English that summarizes the ideas contained in the following sentences:]]"""


def texts(text: str) -> list[str]:
    return [item.text for item in parse_prompt_list(text)]


def test_worked_example_from_the_manual() -> None:
    items = parse_prompt_list(WORKED_EXAMPLE)
    prefix = "You are a poet that writes only in Portuguese"
    assert [i.text for i in items] == [
        f"{prefix}\nCreate a sentence about love",
        f"{prefix}\nCreate a sentence about life",
        f"{prefix}\nCreate a paragraph in English that summarizes the ideas contained in the following sentences:",
    ]
    assert [i.is_final for i in items] == [False, False, True]
    assert [i.number for i in items] == [1, 2, 3]  # [prefix] and --- lines are not items
    final = final_item_text(items[2], ["O amor é fogo.", "A vida é um rio."])
    assert final.endswith("sentences:\n\nO amor é fogo.\n\nA vida é um rio.")


def test_lines_are_items_without_separator() -> None:
    assert texts("one\n\n  two  \nthree") == ["one", "two", "three"]


def test_separator_takes_precedence_over_lines() -> None:
    text = "first line\nsecond line of the same item$$$\nnext item $$$ last"
    assert texts(text) == ["first line\nsecond line of the same item", "next item", "last"]


def test_separator_with_and_without_line_break() -> None:
    assert texts("a$$$b$$$\r\nc$$$") == ["a", "b", "c"]


def test_skipped_items() -> None:
    assert texts("keep\n---drop\n--- drop too\nkeep 2") == ["keep", "keep 2"]
    assert texts("keep$$$--- drop\nall of this$$$keep 2") == ["keep", "keep 2"]


def test_empty_list_is_hello() -> None:
    assert texts("") == [DEFAULT_ITEM]
    assert texts("   \n\n") == [DEFAULT_ITEM]
    assert texts("--- only skipped") == [DEFAULT_ITEM]
    assert texts("[Be brief]") == ["Be brief\nHello!"]


def test_multiline_prefix_block() -> None:
    text = "[You are terse.\nAnswer in one line.]\nWhat is 2+2?"
    assert texts(text) == ["You are terse.\nAnswer in one line.\nWhat is 2+2?"]


def test_several_prefixes_join_in_order() -> None:
    assert texts("[A]\nq\n[B]") == ["A\nB\nq"]


def test_brackets_inside_text_are_left_alone() -> None:
    # fix: Python lists, Markdown links and citations are not prefixes.
    cases = [
        "Sort the list [3, 1, 2] please",
        "[1, 2, 3] is a list: sort it",
        "Read [the docs](https://example.org) and summarise",
        "[1] Smith et al. said so; explain",
        "x = [1, 2]",
    ]
    for case in cases:
        assert texts(case) == [case]


def test_a_standalone_python_list_is_data_not_a_prefix() -> None:
    assert texts('[1, 2, 3]\n["a", "b"]') == ["[1, 2, 3]", '["a", "b"]']


def test_unclosed_bracket_line_does_not_swallow_the_rest() -> None:
    assert texts("[unclosed\nsecond\nthird") == ["[unclosed", "second", "third"]


def test_bracket_that_closes_mid_line_is_text() -> None:
    assert texts("[a\nb] and more\nc") == ["[a", "b] and more", "c"]


def test_prefix_and_final_in_separator_mode() -> None:
    text = "[Be kind]$$$Say hi$$$[[Summarise:]]$$$Say bye"
    items = parse_prompt_list(text)
    assert [i.text for i in items] == ["Be kind\nSay hi", "Be kind\nSay bye", "Be kind\nSummarise:"]
    assert items[-1].is_final


def test_item_settings() -> None:
    [item] = parse_prompt_list("{temperature=0.7, top_k=5, stop=[\"\\n\", \".\"], seed=3} Tell a story")
    assert item.text == "Tell a story"
    assert item.settings == {"temperature": 0.7, "top_k": 5, "stop": ("\n", "."), "seed": 3}


def test_every_documented_setting_key() -> None:
    text = (
        "{max_tokens=4000, temperature=0, tfs_z=0, top_p=0, min_p=1, typical_p=0, top_k=40, "
        "presence_penalty=0, frequency_penalty=0, repeat_penalty=1, n_ctx=2048, reset_model=true} Hi"
    )
    [item] = parse_prompt_list(text)
    assert item.settings["n_ctx"] == 2048 and item.settings["reset_model"] is True
    assert len(item.settings) == 12


def test_settings_apply_to_their_item_only() -> None:
    items = parse_prompt_list("{temperature=1} a\nb")
    assert items[0].settings == {"temperature": 1.0}
    assert items[1].settings == {}


def test_settings_in_final_item() -> None:
    [_, final] = parse_prompt_list("q\n[[{max_tokens=10} Summarise]]")
    assert final.settings == {"max_tokens": 10} and final.text == "Summarise"


def test_braces_elsewhere_are_text() -> None:
    cases = [
        '{"name": "x"} is JSON; explain it',
        "Explain {x} in set notation",
        "def f(): return {'a': 1}",
        "Use f-strings like f'{value=}'",
    ]
    for case in cases:
        [item] = parse_prompt_list(case)
        assert item.text == case and item.settings == {}


@pytest.mark.parametrize(
    "text, key",
    [
        ("{temprature=0.5} hi", "temprature"),
        ("{temperature=hot} hi", "temperature"),
        ("{top_k=1.5} hi", "top_k"),
        ("{top_p=2} hi", "top_p"),
        ("{stop=print(1)} hi", "stop"),
        ("{temperature=0.5 hi", "temperature"),
        ("{temperature=0.5, temperature=1} hi", "temperature"),
        ("{temperature} hi", "temperature"),
    ],
)
def test_bad_settings_name_item_and_key(text: str, key: str) -> None:
    with pytest.raises(PromptSyntaxError) as info:
        parse_prompt_list("first\n" + text)
    assert info.value.item_number == 2
    assert info.value.key == key
    assert "Prompt item 2" in str(info.value) and key in str(info.value)


def test_stop_is_parsed_without_eval(tmp_path) -> None:
    marker = tmp_path / "pwned"
    text = "{stop=__import__('pathlib').Path(%r).touch()} hi" % str(marker)
    with pytest.raises(PromptSyntaxError):
        parse_prompt_list(text)
    assert not marker.exists()


def test_system_parts_and_sections() -> None:
    text = "You are Julia, a waiter.$$$information: He is vegetarian.$$$--- hidden$$$Thought:   ask more"
    assert parse_system(text) == [
        SystemPart("situation", "You are Julia, a waiter."),
        SystemPart("information", "He is vegetarian."),
        SystemPart("thought", "ask more"),
    ]


def test_field_starting_with_skip_mark_is_ignored_whole() -> None:
    assert parse_system("--- x$$$y") == []
    assert parse_previous("---old answer") == ""
    assert split_parts("  ---\nanything") == []


def test_previous_parts_join() -> None:
    assert parse_previous("one$$$--- two$$$three") == "one\n\nthree"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab {}[]=,$-\n'\"0.1_xtemperaturtop_k")), max_size=80))
def test_fuzz_any_input_parses_or_raises_the_one_error(text: str) -> None:
    try:
        items = parse_prompt_list(text)
    except PromptSyntaxError as exc:
        assert exc.item_number >= 1
        return
    assert items, "a prompt list is never empty"
    assert all(isinstance(item.text, str) for item in items)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_unicode(text: str) -> None:
    try:
        parse_prompt_list(text)
        parse_system(text)
        parse_previous(text)
    except PromptSyntaxError:
        pass


def _split_lines_by_rescanning(text: str) -> list[str]:
    """The first, obviously right way to split lines (rescans the growing block per line: slow on long input)."""
    lines = text.splitlines()
    items: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        if line.startswith("[") and _bracket_end(line, 0) == -1:
            block = line
            for ahead in range(index, len(lines)):
                block += "\n" + lines[ahead].strip()
                end = _bracket_end(block, 0)
                if end == -1:
                    continue
                if end == len(block) - 1:
                    line = block
                    index = ahead + 1
                break
        items.append(line)
    return items


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="[] ab\t", max_size=8), max_size=12))
def test_line_splitting_matches_the_rescanning_definition(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert _split_lines(text) == _split_lines_by_rescanning(text)


def test_thousands_of_unclosed_bracket_lines_parse() -> None:
    """Each line opening a bracket that never closes is its own item (this took minutes when rescanned)."""
    text = "\n".join(f"[item {n}" for n in range(3000))
    items = parse_prompt_list(text)
    assert len(items) == 3000 and items[-1].text == "[item 2999"
