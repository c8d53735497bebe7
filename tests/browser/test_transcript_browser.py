"""The page's transcript read cold: headings per answer, separate Starts set apart, the prompt each model saw."""

from __future__ import annotations

import pytest
from ui_pages import field, set_grammar, status, transcript, wait_until

from samantha.tinymodel import grammar_for_text

pytestmark = pytest.mark.browser


def test_headings_starts_and_the_prompt_the_model_saw(open_tab) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    field(page, "model-list").fill("tiny-chatml.gguf\ntiny-other.gguf")
    field(page, "system-prompt").fill("Be brief.")
    field(page, "user-prompt").fill("[Answer in a word]\nName a colour\nName a city")
    set_grammar(page, grammar_for_text("Blue."))
    page.click("#start-button")
    wait_until(lambda: "Done" in status(page), "the first Start to finish")
    first = transcript(page)
    headings = [line for line in first.splitlines() if line.startswith(">> ")]
    assert headings == [
        f">> {p}) {name} \u00b7 loop 1 \u00b7 response 1 \u00b7 item {n}: \u201c{words}\u201d"
        for p, name in ((1, "tiny-chatml.gguf"), (2, "tiny-other.gguf"))
        for n, words in ((1, "Name a colour"), (2, "Name a city"))
    ]

    field(page, "user-prompt").fill("Name a river")
    page.click("#start-button")
    wait_until(lambda: transcript(page).count("---------- (") == 6 and "Done" in status(page),
               "the second Start to finish")
    second = transcript(page)[len(first):]
    assert "\n" + "#" * 42 + "\nnew Start: seed " in second  # the second Start is set apart, not appended
    assert second.count(">> ") == 2

    page.click("#prompt-seen-accordion button, #prompt-seen-accordion .label-wrap")
    seen = page.locator("#prompt-seen textarea")
    wait_until(lambda: seen.is_visible() and "Name a river" in seen.input_value(), "the last answer's prompt")
    assert seen.input_value() == ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nName a river"
                                  "<|im_end|>\n<|im_start|>assistant\n")
    box = seen.bounding_box()
    assert box is not None and box["height"] > 0 and box["width"] > 0
