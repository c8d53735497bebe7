"""Learning mode in headless Chromium: next-token stepping advances exactly one token per click, the candidates
table marks the picked token, Stop all releases a waiting step, fast mode and learning mode exclude each other."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from feature_app import open_feature_tab
from ui_pages import field, set_grammar, status, transcript, wait_until

from samantha.learning import escape_piece
from samantha.tinymodel import grammar_for_text
from samantha.ui.learning_panel import LearningPlugin
from tests.support.app_server import RunningApp, serve_app

pytestmark = pytest.mark.browser

ANSWER = "abcdefghijklmnopqrstuvwxyz"
TABLE = "#learning-candidates table.candidates"
# How long the page is watched for a token that should not come (no click): a check that nothing happens,
# not a speed requirement.
QUIET_SECONDS = 1.5


@pytest.fixture(scope="module")
def app(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(ui_models, tmp_path_factory.mktemp("learning-app"), [LearningPlugin()]) as running:
        yield running


def shown_step(page: Any) -> int:
    """The step the candidates table shows (0 before the first one)."""
    table = page.locator(TABLE)
    return int(table.get_attribute("data-step") or 0) if table.count() else 0


def picked_row(page: Any) -> tuple[str, str]:
    """(id, text) of the row marked as picked."""
    row = page.locator(f"{TABLE} tr.picked")
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    return cells[1], cells[2]


def test_next_token_stepping_advances_one_token_per_click(feature_tab: Any) -> None:
    page = feature_tab()
    field(page, "model-list").fill("tiny-chatml.gguf")
    set_grammar(page, grammar_for_text(ANSWER))
    open_feature_tab(page, "Learning mode")
    page.locator("#switch-learning input").check()
    page.locator("#learning-pacing").get_by_label("next token").check()
    field(page, "user-prompt").fill("The alphabet, please")
    page.click("#start-button")
    wait_until(lambda: shown_step(page) == 1, "the first token (it comes without a click)")
    for step in range(2, 5):
        time.sleep(QUIET_SECONDS)
        assert shown_step(page) == step - 1, "no token may come without a click"
        page.click("#next-token")
        wait_until(lambda step=step: shown_step(page) == step, f"step {step} after one click")
        token_id, text = picked_row(page)
        assert page.locator(TABLE).get_attribute("data-picked") == token_id
        answer_so_far = transcript(page).split("\n")[-1]
        assert escape_piece(answer_so_far).endswith(text), "the marked row is the token just generated"
        assert len(page.locator("#learning-tokens .tok").all()) == step
        # Greedy under a grammar: the pick had all the probability left after the samplers.
        assert "after samplers" in page.locator(f"{TABLE} thead").inner_text()
        assert page.locator(f"{TABLE} tr.picked td").last.inner_text() == "1.0000"
        assert page.locator(TABLE).get_attribute("data-why") in ("top", "settings")
    # The token view explains itself on hover; the unlikely list and charts are on the page.
    assert "p=" in (page.locator("#learning-tokens .tok").first.get_attribute("title") or "")
    assert page.locator("#learning-bars").is_visible() and page.locator("#learning-ranks").is_visible()
    page.click("#stop-all-button")  # releases the waiting step at once
    wait_until(lambda: "Stopped" in status(page), "Stop all to end the chain")
    assert shown_step(page) == 4 and ANSWER[:4] in transcript(page) and ANSWER[:6] not in transcript(page)


def test_fast_mode_and_learning_mode_exclude_each_other(feature_tab: Any) -> None:
    page = feature_tab()
    page.click("#tab-chain-button")
    page.locator("#switch-fast input").check()
    open_feature_tab(page, "Learning mode")
    wait_until(lambda: page.locator("#switch-learning input").is_disabled(), "learning mode to be disabled")
    page.click("#tab-chain-button")
    page.locator("#switch-fast input").uncheck()
    open_feature_tab(page, "Learning mode")
    wait_until(lambda: page.locator("#switch-learning input").is_enabled(), "learning mode to be enabled again")
    page.locator("#switch-learning input").check()
    page.click("#tab-chain-button")
    wait_until(lambda: page.locator("#switch-fast input").is_disabled(), "fast mode to be disabled")
