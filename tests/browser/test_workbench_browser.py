"""The data-analysis workbench in headless Chromium: recipes applied in one click, the output frame in the
page's theme and shown once, hidden error output, a missing runner said once, the profile install with its
progress, and the launchers started and stopped from the Code tab."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from feature_app import open_feature_tab
from runner_env import launchers_environment, runner_environment
from ui_pages import field, set_grammar, status, toast_text, wait_for_page, wait_until

from samantha.runner.launchers import READY_SECONDS
from samantha.runner.processes import is_listening
from samantha.tinymodel import grammar_for_text
from samantha.ui.code_panel import CodePlugin
from tests.support.app_server import RunningApp, serve_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    runner_environment()
    with serve_app(ui_models, tmp_path_factory.mktemp("workbench-app"), [CodePlugin()]) as running:
        yield running


def open_with_runner(feature_tab: Any, app: RunningApp, location: str, theme: str = "dark") -> Any:
    """A tab whose Code tab uses the runner at `location`, chosen in the page as a user does.

    Writing the app's settings file from the test process could race a save of the app's own (a page of the
    previous test still loading) and lose the location, so the page's "Check and use" stores it. The field
    must show it too: Run code, Install profile and the launchers read the field, and on a busy machine the
    page's load can write the previously remembered location into it after the test typed there (a run then
    used the default runner, and an install went into another test's environment).
    """
    page = feature_tab()
    if theme != "dark":
        page.goto(app.url + f"?__theme={theme}")
        wait_for_page(page)
    open_feature_tab(page, "Code")
    # The page's load fills the field with the remembered location: type only after it did.
    wait_until(lambda: page.locator("#runner-status").inner_text().strip() != "", "the runner environment check")

    def stored() -> bool:
        if app.config.load().runner_python == location and field(page, "runner-location").input_value() == location:
            return True
        field(page, "runner-location").fill(location)  # (again, if a late load of the field replaced it)
        page.click("#runner-use")
        return False

    wait_until(stored, "the page to store the runner location", poll=3.0)
    page.get_by_role("tab", name="Chain", exact=True).click()
    return page


def code_tab(page: Any) -> None:
    open_feature_tab(page, "Code")
    wait_until(lambda: page.locator("#runner-status").inner_text().strip() != "", "the runner environment check")


def run_editor(page: Any, code: str) -> None:
    """Type `code` in the editor and run it. Faster than any hand, the click can reach a busy page before the
    editor's new text does ("There is no code to run"); then press Run code again, as a user would."""
    page.locator("#code-editor .cm-content").fill(code)
    run_status = page.locator("#code-run-status")
    page.click("#run-code")
    wait_until(lambda: re.search(r"Ran in|Error \(exit|\u26a0", run_status.inner_text()) is not None,
               "the run to finish")
    if "no code to run" in run_status.inner_text():
        page.click("#run-code")
        wait_until(lambda: re.search(r"Ran in|Error \(exit", run_status.inner_text()) is not None,
                   "the run to finish")
    assert re.search(r"Ran in|Error \(exit", run_status.inner_text()), run_status.inner_text()


def luminance(css_colour: str) -> float:
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def frame_colours(page: Any, text: str) -> tuple[float, float] | None:
    """(text, background) luminance inside the sandboxed output frame, once it shows `text`.

    Read through a frame locator, which finds the frame from its `<iframe>` each time (a frame list can miss
    a sandboxed frame swapped for a new document while the tab is busy), in one call, so the text and the
    colours come from the same document.
    """
    body = page.frame_locator("#code-output-view iframe").locator("body")
    try:
        shown, colour, background = body.evaluate(
            "b => [b.innerText, getComputedStyle(b).color, getComputedStyle(b).backgroundColor]", timeout=5_000)
    except Exception:  # not there yet, or replaced by the theme mark meanwhile: look again on the next poll
        return None
    return (luminance(colour), luminance(background)) if text in shown else None


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_output_frame_follows_the_pages_theme_and_shows_the_output_once(feature_tab: Any, app: RunningApp,
                                                                              theme: str) -> None:
    page = open_with_runner(feature_tab, app, str(runner_environment().root), theme)
    code_tab(page)
    run_editor(page, "print('themed output')")

    def readable() -> bool:
        colours = frame_colours(page, "themed output")
        if colours is None:
            return False
        text, background = colours
        return text > 0.8 and background < 0.2 if theme == "dark" else text < 0.2 and background > 0.8

    wait_until(readable, f"the output frame to take the page's {theme} theme")
    assert page.locator("#code-output-view iframe").is_visible()
    # Shown once: the printed-text copy waits, closed, until asked for.
    assert not field(page, "code-printed").is_visible()
    assert "themed output" not in page.locator("#code-printed-panel").inner_text()


def test_hide_html_output_also_hides_error_output_until_asked_for(feature_tab: Any, app: RunningApp) -> None:
    page = open_with_runner(feature_tab, app, str(runner_environment().root))
    code_tab(page)
    page.locator("#hide-html-output input").check()
    run_editor(page, "print('before')\n1 / 0")
    assert "Error (exit 1)" in page.locator("#code-run-status").inner_text()
    assert not page.locator("#code-output-view iframe").is_visible()
    assert "ZeroDivisionError" not in page.locator("body").inner_text()  # no error output on the page
    page.locator("#code-printed-panel").get_by_text("Printed text (on demand)").click()
    wait_until(lambda: field(page, "code-printed").is_visible(), "the printed text on demand")
    assert "ZeroDivisionError" in field(page, "code-printed").input_value()


def test_a_missing_runner_is_said_once_rendered_and_names_the_control(feature_tab: Any, app: RunningApp,
                                                                      tmp_path: Path) -> None:
    missing = str(tmp_path / "no-runner")
    page = open_with_runner(feature_tab, app, missing)
    code_tab(page)
    note = page.locator("#runner-status")
    wait_until(lambda: "Code runner missing" in note.inner_text(), "the Code tab's check")
    assert note.locator("strong", has_text="Install profile").count() == 1  # Markdown rendered, not raw
    assert "**" not in note.inner_text() and "`" not in note.inner_text()
    page.locator("#run-code-auto input").check()
    field(page, "model-list").fill("tiny-chatml.gguf")
    prompt = field(page, "user-prompt")
    prompt.fill("Compute")
    prompt.press("Enter")
    wait_until(lambda: "Code runner missing" in status(page), "Start to refuse")
    said = status(page)
    assert said.count("does not exist yet") == 1 and "`" not in said and "**" not in said
    assert "\u201cInstall profile\u201d" in said and "settings" not in said
    assert "Code runner missing" not in toast_text(page)  # not repeated in a pop-up


def test_a_recipe_applies_in_one_click_and_its_chain_runs(feature_tab: Any, app: RunningApp) -> None:
    page = open_with_runner(feature_tab, app, str(runner_environment().root))
    page.locator("#recipes").get_by_text("Recipes (the manual's worked examples)").click()
    page.locator("#recipe-picker input").click()
    page.get_by_role("option", name="Random-number loop until the stop condition holds").click()
    page.locator("#recipe-language").get_by_text("Português (Brasil)").click()
    page.click("#apply-recipe")
    wait_until(lambda: field(page, "user-prompt").input_value().startswith("Siga as instruções"), "the recipe")
    assert "Executa o código" in page.locator("#recipe-about").inner_text()
    open_feature_tab(page, "Code")
    assert page.locator("#run-code-auto input").is_checked() and page.locator("#code-stop-condition input").is_checked()
    page.get_by_role("tab", name="Chain", exact=True).click()
    assert page.locator("#responses input").input_value() == "20"
    field(page, "model-list").fill("tiny-chatml.gguf")
    set_grammar(page, grammar_for_text("```python\nprint(3)\n```"))
    page.click("#start-button")
    wait_until(lambda: "stop condition" in status(page).lower(), "the recipe's chain to meet its stop condition")
    assert "---------- Python output (exit 0" in field(page, "transcript").input_value()


def test_installing_a_profile_shows_its_progress_and_the_installed_packages(feature_tab: Any,
                                                                            app: RunningApp) -> None:
    environment = launchers_environment()
    page = open_with_runner(feature_tab, app, str(environment.root))
    code_tab(page)
    page.locator("#runner-profile-panel").get_by_text("Runner profile and packages").first.click()
    # The tab says at once which profile and how many packages the environment holds.
    wait_until(lambda: "package(s) in" in page.locator("#runner-profile-note").inner_text(), "the profile line")
    page.locator("#runner-profile-choice input").click()
    page.get_by_role("option", name="launchers", exact=True).click()
    page.click("#install-profile")
    wait_until(lambda: "installed" in page.locator("#runner-install-status").inner_text(), "the install to end")
    assert "Requirement already satisfied" in field(page, "runner-install-log").input_value()  # pip, as it goes
    note = page.locator("#runner-profile-note").inner_text()
    assert "Installed profile: launchers." in note
    assert int(re.search(r"(\d+) package\(s\)", note).group(1)) >= 50  # D-Tale and JupyterLab bring many
    table = page.locator("#runner-packages").inner_text()
    assert "package" in table and "version" in table and re.search(r"\n\d+\.\d+", table)


def test_dtale_and_the_sqlite_browser_start_and_end_from_the_tab(feature_tab: Any, app: RunningApp) -> None:
    page = open_with_runner(feature_tab, app, str(launchers_environment().root))
    code_tab(page)
    run_status = page.locator("#code-run-status")

    def said(label: str) -> bool:
        """A program is given READY_SECONDS to answer (slow under load: D-Tale imports pandas and Flask),
        then the page says why it did not start: wait for either, then check which."""
        text = run_status.inner_text()
        return "\u26a0" in text or (text.startswith(label) and "runs on 127.0.0.1" in text)

    page.click("#open-dtale")
    wait_until(lambda: said("D-Tale"), "D-Tale to start or fail", seconds=READY_SECONDS + 60)
    assert "\u26a0" not in run_status.inner_text(), run_status.inner_text()
    page.click("#open-sqlite-browser")
    wait_until(lambda: said("SQLite browser"), "the SQLite browser to start or fail", seconds=READY_SECONDS + 60)
    assert "\u26a0" not in run_status.inner_text(), run_status.inner_text()
    rows = page.locator("#code-processes")
    wait_until(lambda: "SQLite browser: public_spending.db" in rows.inner_text(), "both programs in the list")
    assert "D-Tale: public_spending.csv" in rows.inner_text()
    addresses = [link.get_attribute("href") for link in page.locator("#code-process-links a").all()]
    assert len(addresses) == 2 and all(address.startswith("http://127.0.0.1:") for address in addresses)
    for address in addresses:
        with urllib.request.urlopen(address, timeout=60) as response:
            assert response.status == 200
    page.click("#close-python")
    wait_until(lambda: "No program started from this tab is running" in
               page.locator("#code-processes-note").inner_text(), "Close Python to end them")
    ports = [int(address.split(":")[2].split("/")[0]) for address in addresses]
    wait_until(lambda: not any(is_listening(port) for port in ports), "their ports to close")


def test_replace_response_keeps_the_typed_text_recoverable(feature_tab: Any, app: RunningApp) -> None:
    page = open_with_runner(feature_tab, app, str(runner_environment().root))
    field(page, "model-list").fill("tiny-chatml.gguf")
    set_grammar(page, grammar_for_text("The model's answer."))
    field(page, "user-prompt").fill("Say something")
    page.click("#start-button")
    wait_until(lambda: "Done" in status(page), "the answer")
    previous = field(page, "previous-response")
    previous.fill("My own careful text")
    page.click("#replace-response-button")
    wait_until(lambda: previous.input_value() == "The model's answer.", "Replace response")
    undo = page.locator("#undo-replace")
    wait_until(undo.is_visible, "the Undo replace button")
    undo.click()
    wait_until(lambda: previous.input_value() == "My own careful text", "the typed text to come back")
    wait_until(lambda: not undo.is_visible(), "Undo replace to go once used")


def test_save_prompt_uses_the_chosen_name_and_says_where_it_went(feature_tab: Any, app: RunningApp) -> None:
    page = open_with_runner(feature_tab, app, str(runner_environment().root))
    field(page, "user-prompt").fill("keep this\n$$$\nand this")
    field(page, "save-prompt-name").fill("my audit prompts")
    page.click("#save-prompt")
    wait_until(lambda: "my audit prompts.txt" in toast_text(page), "the message saying where the file went")
    said = re.search(r"Prompt saved as (\S.*?my audit prompts\.txt)", toast_text(page))
    assert said is not None
    saved = Path(said.group(1))
    assert saved.read_text(encoding="utf-8") == "keep this\n$$$\nand this"
    link = page.locator("#saved-prompt a").first
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "my audit prompts.txt"
