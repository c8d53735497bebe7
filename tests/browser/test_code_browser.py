"""Code execution in headless Chromium: paste code, Copy code, Run code, see its output, the rendered view and a figure;
an answer with a code block runs automatically in a chain and the editor holds its code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from feature_app import open_feature_tab
from runner_env import runner_environment
from ui_pages import field, set_grammar, status, wait_until

from samantha.tinymodel import grammar_for_text
from samantha.ui.code_panel import CodePlugin
from tests.support.app_server import RunningApp, serve_app

pytestmark = pytest.mark.browser

FIGURE_CODE = "import matplotlib.pyplot as plt\nplt.bar(['a', 'b'], [3, 5])\nprint('**bold** output')"


@pytest.fixture(scope="module")
def app(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    environment = runner_environment()
    with serve_app(ui_models, tmp_path_factory.mktemp("code-app"), [CodePlugin()]) as running:
        running.config.update(runner_python=str(environment.root))  # remembered: the page loads it
        yield running


def code_tab(page: Any) -> None:
    open_feature_tab(page, "Code")
    wait_until(lambda: "Ready: Python" in page.locator("#runner-status").inner_text(), "the runner environment check")


def printed_text(page: Any) -> str:
    """The printed text, which waits closed under "Printed text (on demand)": open it, then read it."""
    box = field(page, "code-printed")
    if not box.is_visible():
        page.locator("#code-printed-panel").get_by_text("Printed text (on demand)").click()
    return str(box.input_value())


def editor_text(page: Any) -> str:
    return str(page.locator("#code-editor .cm-content").inner_text())


def test_pasted_code_runs_and_shows_its_output_view_and_figure(feature_tab: Any) -> None:
    page = feature_tab()
    code_tab(page)
    assert "This is not a sandbox" in page.locator("#code-not-a-sandbox").inner_text()
    assert not page.locator("#run-code-auto input").is_checked()  # auto-run is off by default
    page.locator("#code-editor .cm-content").fill(FIGURE_CODE)
    page.click("#copy-code")
    wait_until(lambda: page.evaluate("() => window.samantha.copied") == FIGURE_CODE, "Copy code to copy the editor")
    page.click("#run-code")
    run_status = page.locator("#code-run-status")
    wait_until(lambda: "Ran in" in run_status.inner_text(), "the run to finish")
    assert "1 figure(s)" in run_status.inner_text()
    assert printed_text(page) == "**bold** output"
    frame = page.frame_locator("#code-output-view iframe")
    assert frame.locator("strong").inner_text() == "bold"  # Markdown rendered inside the sandboxed frame
    assert page.locator("#code-output-view iframe").get_attribute("sandbox") == ""
    image = page.locator("#code-figures img").first
    wait_until(lambda: image.is_visible() and image.evaluate("img => img.complete && img.naturalWidth > 0"),
               "the figure image to load")

    # Code that prints nothing opens no view.
    page.locator("#code-editor .cm-content").fill("x = 1")
    page.click("#run-code")
    wait_until(lambda: "printed nothing" in run_status.inner_text(), "the second run")
    assert not page.locator("#code-output-view iframe").is_visible()
    assert not page.locator("#code-figures img").first.is_visible()


def test_an_answer_with_a_code_block_runs_automatically_and_lands_in_the_editor(feature_tab: Any) -> None:
    page = feature_tab()
    code_tab(page)
    page.locator("#run-code-auto input").check()
    field(page, "model-list").fill("tiny-chatml.gguf")
    set_grammar(page, grammar_for_text("Sure:\n```python\nprint(6 * 7)\n```"))
    prompt = field(page, "user-prompt")
    prompt.fill("Compute six times seven")
    prompt.press("Enter")
    wait_until(lambda: "Done" in status(page), "the chain to finish")
    assert "---------- Python output (exit 0" in field(page, "transcript").input_value()
    open_feature_tab(page, "Code")
    wait_until(lambda: editor_text(page) == "print(6 * 7)", "the answer's code in the editor")
    assert printed_text(page) == "42"
    assert "Ran in" in page.locator("#code-run-status").inner_text()


def test_a_detached_program_ends_when_its_tab_closes(feature_tab: Any) -> None:
    import uuid

    from runner_env import processes_tagged

    tag = f"samantha-test-detached-{uuid.uuid4().hex}"
    page = feature_tab()
    code_tab(page)
    page.locator("#code-editor .cm-content").fill(
        f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {tag!r}])\n"
        "time.sleep(600)\n")
    page.click("#start-detached")
    wait_until(lambda: bool(processes_tagged(tag)), "the detached program's child to start")
    other = feature_tab()  # another tab's programs are its own: closing this one leaves the app serving it
    page.context.close()  # the user closes the tab
    try:
        wait_until(lambda: not processes_tagged(tag), "the program to end with its tab")
    finally:
        for process in processes_tagged(tag):
            process.kill()
    code_tab(other)
