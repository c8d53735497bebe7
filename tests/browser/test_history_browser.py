"""The History tab in headless Chromium against the real app: the run just made is listed, reopens into the
inputs, and shows in the comparison grid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from feature_app import open_feature_tab
from ui_pages import field, open_tab_panel, set_grammar, status, wait_until

from samantha.tinymodel import grammar_for_text
from samantha.ui.history_panel import HistoryPlugin
from tests.support.app_server import RunningApp, serve_app

pytestmark = pytest.mark.browser
ANSWER = "Kept for later."


@pytest.fixture(scope="module")
def app(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    work = tmp_path_factory.mktemp("history-app")
    with serve_app(ui_models, work, [HistoryPlugin(db_path=work / "history.sqlite3")]) as running:
        yield running


def test_history_lists_the_run_reopens_it_and_shows_the_grid(feature_tab: Any) -> None:
    page = feature_tab()
    field(page, "model-list").fill("tiny-chatml.gguf\ntiny-other.gguf")
    set_grammar(page, grammar_for_text(ANSWER))
    prompt = field(page, "user-prompt")
    prompt.fill("north\nsouth")
    prompt.press("Enter")
    wait_until(lambda: "Done" in status(page), "the chain to finish")

    open_feature_tab(page, "History")
    sessions = page.locator("#history-sessions")
    wait_until(lambda: "tiny-chatml.gguf, tiny-other.gguf" in sessions.inner_text(), "the run in the session list")
    assert "4 answer(s)" in sessions.inner_text() and "\u201cnorth\u201d" in sessions.inner_text()
    wait_until(lambda: "stored as session" in page.locator("#history-note").inner_text(), "the note on the new run")

    page.click("#history-compare-current")
    grid = page.locator("#history-grid")
    wait_until(lambda: grid.locator("table.compare-grid").count() == 1, "the comparison grid")
    headers = grid.locator("thead th").all_inner_texts()
    assert headers == ["item", "tiny-chatml.gguf", "tiny-other.gguf"]
    assert grid.locator("tbody tr").count() == 2 and grid.locator("td .answer").all_inner_texts() == [ANSWER] * 4

    prompt.fill("something else")
    sessions.locator("label").first.click()
    page.click("#history-reopen")
    stored = field(page, "history-transcript")
    wait_until(lambda: stored.input_value().count(ANSWER) == 4, "the stored transcript")
    assert "1) tiny-chatml.gguf" in stored.input_value()
    wait_until(lambda: prompt.input_value() == "north\nsouth", "the prompt back in the input")
    open_tab_panel(page, "tab-sampling")
    assert field(page, "seed").input_value().isdigit()  # the seed the run used, so Start repeats it

    # Start runs the reopened session again; the grid of the new run marks it as the same as the stored one.
    prompt.press("Enter")
    wait_until(lambda: field(page, "transcript").input_value().count(ANSWER) == 8 and "Done" in status(page),
               "the second run")
    open_feature_tab(page, "History")
    wait_until(lambda: "stored as session #2" in page.locator("#history-note").inner_text(), "the re-run stored")
    page.click("#history-compare-current")
    wait_until(lambda: "every answer is the same as the stored run" in grid.inner_text(), "the re-run marks")
    assert grid.locator("td.same").count() == 4

    # Export the selected session as files to download, then delete the re-run.
    sessions.locator("label").first.click()  # newest first: the re-run, session #2
    page.click("#history-export")
    links = page.locator("#history-files a")
    wait_until(lambda: links.count() == 3, "the exported files")
    hrefs = " ".join(links.nth(i).get_attribute("href") or "" for i in range(3))
    assert all(f"samantha-session-2.{ext}" in hrefs for ext in ("md", "json", "html")), hrefs
    page.click("#history-delete")
    wait_until(lambda: "Deleted session #2" in page.locator("#history-note").inner_text(), "the deletion")
    assert sessions.locator("label").count() == 1 and "#1 " in sessions.inner_text()
