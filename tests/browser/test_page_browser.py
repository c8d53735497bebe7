"""The whole app (every feature tab) in headless Chromium, checked by what is drawn: chart marks with their
fill and size, rendered text, which control an Enter key reaches, what stays on screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from drawn import MIN_CONTRAST, boxes, contrasts, low_contrast
from feature_app import open_feature_tab
from ui_pages import field, set_grammar, status, toast_text, wait_until

from samantha.gguf_info import read_header
from samantha.tinymodel import grammar_for_text
from samantha.ui.features import standard_plugins
from samantha.voice.cues import CuePlayer
from tests.support.app_server import RunningApp, serve_app

pytestmark = pytest.mark.browser

# Sampling at temperature 2 with every candidate kept, so the tiny random model picks tokens that were not
# the most probable one (rank exceptions) and the candidates have clearly different probabilities.
ALPHABET = "abcdefghijklmnopqrstuvwxyz"
# A Python block that never closes: the answer is written until Stop all.
ENDLESS_CODE_GRAMMAR = 'root ::= "```python\\nx = 1\\n" body\nbody ::= "y = 2\\n" body\n'
# How long the page is watched for something that must not happen.
QUIET_MS = 1500
RANDOM_PROMPT = "{temperature=2, min_p=0, top_k=40, top_p=1, typical_p=1, tfs_z=1, max_tokens=40, seed=7} hello"

# Marks Vega draws in an SVG chart: every bar (rect) or point (symbol), with its fill and drawn size.
CHART_MARKS_JS = """(selector) => [...document.querySelectorAll(selector + ' svg g.mark-rect.role-mark path, '
    + selector + ' svg g.mark-symbol.role-mark path')].map((mark) => {
  const style = getComputedStyle(mark);
  const box = mark.getBoundingClientRect();
  return {fill: style.fill, stroke: style.stroke, opacity: Number(style.opacity), height: box.height,
          width: box.width};
})"""


@pytest.fixture(scope="module")
def app(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(ui_models, tmp_path_factory.mktemp("page-app"), standard_plugins()) as running:
        yield running


def painted(colour: str) -> bool:
    """True for a CSS colour that shows (not `none`, not fully transparent)."""
    colour = colour.strip()
    return bool(colour) and colour != "none" and colour != "transparent" and not colour.endswith(", 0)")


def chart_marks(page: Any, elem_id: str) -> list[dict[str, Any]]:
    return page.evaluate(CHART_MARKS_JS, f"#{elem_id}")


def run_learning(page: Any, prompt: str = RANDOM_PROMPT) -> None:
    field(page, "model-list").fill("tiny-chatml.gguf")
    open_feature_tab(page, "Learning mode")
    page.locator("#switch-learning input").check()
    field(page, "user-prompt").fill(prompt)
    page.click("#start-button")
    wait_until(lambda: "Done" in status(page), "the learning-mode answer to finish")


def test_learning_charts_draw_coloured_bars_sized_by_probability_and_rank_points(feature_tab: Any) -> None:
    page = feature_tab()
    run_learning(page)
    probabilities = [float(cell) for cell in
                     page.locator("#learning-candidates table.candidates tbody tr td:nth-child(5)").all_inner_texts()]
    assert len(probabilities) == 40
    wait_until(lambda: len([m for m in chart_marks(page, "learning-bars") if painted(m["fill"])]) == 40,
               "40 coloured bars")
    bars = chart_marks(page, "learning-bars")
    assert all(bar["opacity"] > 0 for bar in bars)
    # The bars are sorted by probability and start at zero: heights follow the probabilities.
    heights = sorted((bar["height"] for bar in bars), reverse=True)
    ordered = sorted(probabilities, reverse=True)
    assert heights[0] > heights[-1] + 5 and ordered[0] > ordered[-1]
    for height, probability in zip(heights, ordered):
        # (the table rounds probabilities to 4 decimals, hence the tolerance)
        assert height == pytest.approx(heights[0] * probability / ordered[0], rel=0.05)
    # The picked token has its own colour.
    assert len({bar["fill"] for bar in bars}) == 2
    unlikely = field(page, "learning-unlikely").input_value()
    exceptions = int(unlikely.split(" unlikely pick")[0])
    assert exceptions > 0
    wait_until(lambda: len(chart_marks(page, "learning-ranks")) == exceptions, "one point per rank exception")
    points = chart_marks(page, "learning-ranks")
    assert all(painted(point["stroke"]) or painted(point["fill"]) for point in points)
    assert all(point["width"] > 0 for point in points)


def test_how_it_works_shows_the_dollar_separator_as_text_and_every_bullet(feature_tab: Any) -> None:
    page = feature_tab()
    page.click("#tab-help-button")
    help_text = page.locator("#help-text")
    wait_until(lambda: "[model list] -> respond" in help_text.inner_text(), "the help text")
    text = help_text.inner_text()
    assert "parts separated by $$$" in text and "items separated by $$$ when the text contains $$$" in text
    assert help_text.locator(".katex, math").count() == 0
    # The system prompt, previous response, user prompt bullets and the prompt list's own six.
    items = help_text.locator("li").all_inner_texts()
    assert len(items) == 9
    assert any(item.startswith("--- item is skipped") for item in items)


def test_enter_starts_the_chain_only_from_the_three_prompt_inputs(feature_tab: Any) -> None:
    page = feature_tab()
    field(page, "model-list").fill("tiny-chatml.gguf")
    field(page, "user-prompt").fill("{max_tokens=3} hello")
    open_feature_tab(page, "Remote servers")
    address = field(page, "remote-url")
    address.fill("http://127.0.0.1:9")
    address.press("Enter")
    page.wait_for_timeout(QUIET_MS)  # watching for a chain that must not start, not a speed requirement
    assert status(page).strip() == "" and field(page, "transcript").input_value() == ""
    field(page, "previous-response").press("Enter")
    wait_until(lambda: "Done" in status(page), "the chain started from the previous-response input")


def test_changing_pacing_mid_run_applies_at_the_next_token(feature_tab: Any) -> None:
    page = feature_tab()
    field(page, "model-list").fill("tiny-chatml.gguf")
    set_grammar(page, grammar_for_text(ALPHABET))
    open_feature_tab(page, "Learning mode")
    page.locator("#switch-learning input").check()
    page.locator("#learning-pacing").get_by_label("next token").check()
    field(page, "user-prompt").fill("The alphabet, please")
    page.click("#start-button")
    table = page.locator("#learning-candidates table.candidates")
    wait_until(lambda: table.count() == 1 and table.get_attribute("data-step") == "1", "the first token")
    page.locator("#learning-pacing").get_by_label("no delay").check()
    wait_until(lambda: "Done" in status(page), "the rest of the answer without clicks")
    assert ALPHABET in field(page, "transcript").input_value()


def test_model_card_shows_token_texts_as_text_and_every_metadata_key(feature_tab: Any, app: RunningApp) -> None:
    page = feature_tab()
    field(page, "model-list").fill("tiny-chatml.gguf")
    page.click("#tab-card-button")
    page.click("#show-card")
    card = page.locator("#model-card")
    wait_until(lambda: "Architecture" in card.inner_text(), "the model card")
    text = card.inner_text()
    assert "'<s>' (id 1)" in text and "'<|im_end|>' (id 260)" in text
    assert "<|im_start|>" in page.locator("#model-card pre").inner_text()  # the chat template, as text
    keys = read_header(app.models / "tiny-chatml.gguf").fields
    shown = page.locator("#model-card table.card-metadata th").all_inner_texts()
    assert shown == list(keys)
    tokens = page.locator("#model-card table.card-metadata tr", has_text="tokenizer.ggml.tokens").inner_text()
    assert "'<unk>', '<s>', '</s>'" in tokens and "452 string values in all" in tokens


def test_learning_tokens_are_readable_with_a_legend_near_next_token_and_greedy_says_so(feature_tab: Any) -> None:
    page = feature_tab()
    run_learning(page, "{max_tokens=40} hello")  # greedy: the defaults
    caption = page.locator("#learning-candidates caption").inner_text()
    assert "greedy: the most probable of the" in caption and "tokens left)" not in caption
    tokens = page.locator("#learning-tokens .tok.coloured")
    wait_until(lambda: tokens.count() == 40, "the coloured answer")
    assert "dark" in page.evaluate("document.body.className")
    assert low_contrast(page, "#learning-tokens .tok.coloured") == []
    swatches = contrasts(page, "#token-legend .swatch")
    assert len(swatches) == 5 and all(item["ratio"] >= MIN_CONTRAST for item in swatches)
    assert len({page.locator("#token-legend .swatch").nth(i).evaluate("e => getComputedStyle(e).backgroundColor")
                for i in range(5)}) == 5, "one colour per probability band"
    # The growing answer is between the Next token button and the 40-row candidates table.
    [button] = boxes(page, "#next-token")
    [answer] = boxes(page, "#learning-tokens")
    [table] = boxes(page, "#learning-candidates")
    assert button["y"] + button["height"] <= answer["y"] < table["y"]


def copied(page: Any) -> str:
    return page.evaluate("() => window.samantha.copied || ''")


def test_answer_and_its_code_can_be_copied_while_the_answer_is_written(feature_tab: Any) -> None:
    page = feature_tab()
    field(page, "model-list").fill("long-context.gguf")
    field(page, "user-prompt").fill("{n_ctx=60000, max_tokens=0} Write code")
    set_grammar(page, ENDLESS_CODE_GRAMMAR)
    page.click("#start-button")
    wait_until(lambda: field(page, "transcript").input_value().count("y = 2") > 5, "the code to stream")
    page.click("#copy-last")
    wait_until(lambda: copied(page).startswith("```python\nx = 1\ny = 2\n"), "the answer so far copied")
    page.click("#copy-answer-code")
    wait_until(lambda: copied(page).startswith("x = 1\ny = 2\ny = 2"), "the code so far copied")
    assert "```" not in copied(page)
    page.click("#copy-all")
    wait_until(lambda: copied(page).startswith("```python\nx = 1\n"), "all answers so far copied")
    assert "Running" in status(page) or "answering" in status(page), "the answer was still being written"
    page.click("#stop-all-button")
    wait_until(lambda: "Stopped" in status(page), "Stop all")


def test_a_message_goes_once_its_cause_is_gone(feature_tab: Any) -> None:
    page = feature_tab()
    # "no model chosen" goes once the chain list has a model.
    field(page, "model-list").fill("")
    field(page, "user-prompt").fill("hello")
    page.click("#start-button")
    wait_until(lambda: "no model chosen" in status(page), "the missing-model message")
    field(page, "model-list").fill("tiny-chatml.gguf")
    wait_until(lambda: status(page).strip() == "", "the missing-model message to go")
    # A repository lister's error goes once its link field is cleared.
    open_feature_tab(page, "Downloads")
    field(page, "repo-link").fill("not a repository")
    page.click("#list-gguf")
    note = page.locator("#gguf-note")
    wait_until(lambda: "\u26a0" in note.inner_text(), "the repository error")
    field(page, "repo-link").fill("")
    wait_until(lambda: note.inner_text().strip() == "", "the repository error to go")


def test_answer_views_and_exported_files_go_when_a_new_run_replaces_them(feature_tab: Any) -> None:
    page = feature_tab()
    field(page, "model-list").fill("tiny-chatml.gguf")
    set_grammar(page, grammar_for_text("first answer"))
    field(page, "user-prompt").fill("one")
    page.click("#start-button")
    wait_until(lambda: "Done" in status(page), "the first run")
    with page.expect_popup() as popup:
        page.click("#open-last")
    popup.value.close()
    view = page.locator("#answer-view")
    wait_until(lambda: "first answer" in view.inner_text(), "the last answer as HTML")
    open_feature_tab(page, "History")
    page.click("#history-compare-current")
    wait_until(lambda: "first answer" in page.locator("#history-grid").inner_text(), "the grid of the first run")
    page.click("#history-grid-export")
    grid_files = page.locator("#history-grid-files")
    wait_until(lambda: grid_files.is_visible() and grid_files.locator("a").count() == 3, "the grid files")

    set_grammar(page, grammar_for_text("second answer"))
    page.click("#start-button")
    wait_until(lambda: field(page, "transcript").input_value().count("second answer") == 1
               and "Done" in status(page), "the second run")
    assert "first answer" not in view.inner_text(), "the HTML view no longer shows the older answer"
    open_feature_tab(page, "History")
    page.click("#history-compare-current")
    wait_until(lambda: "second answer" in page.locator("#history-grid").inner_text(), "the grid of the second run")
    wait_until(lambda: not grid_files.is_visible(), "the older grid's files to go")


def test_a_silent_sound_cue_device_is_a_passing_notice_not_a_line_under_the_transcript(
        feature_tab: Any, app: RunningApp) -> None:
    probe = CuePlayer()
    probe.start()
    if probe.status() is None:
        pytest.skip("this machine has an audio output device: the cues play instead of failing")
    page = feature_tab()
    page.locator("#click-sounds input").check()  # the one Sounds switch also plays the answer tones
    field(page, "model-list").fill("tiny-chatml.gguf")
    field(page, "user-prompt").fill("{max_tokens=3} hello")
    page.click("#start-button")
    wait_until(lambda: "Audio cues are silent" in toast_text(page), "the notice that the cues are silent")
    wait_until(lambda: "Done" in status(page), "the run")
    assert "Audio cues are silent" not in page.locator("#voice-note").inner_text()
    # Said once where it belongs, the Voice tab's sound status, as a sentence: PortAudio's words stay in the log.
    open_feature_tab(page, "Voice")
    sound_status = page.locator("#voice-sound-status").inner_text()
    assert "Audio cues are silent: No speakers or headphones" in sound_status
    assert "Error querying device" not in page.locator("body").inner_text()
