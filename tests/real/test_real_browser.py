"""The page with the bundled starter model and an empty model folder, as a new user first sees it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "browser"))
from ui_pages import (  # noqa: E402
    WAIT_MS,
    field,
    open_tab_panel,
    set_number,
    status,
    transcript,
    wait_for_page,
    wait_until,
)

RULE = "=" * 42
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def starter_app(smollm2: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from samantha.ui.features import standard_plugins
    from tests.support.app_server import serve_app

    empty = tmp_path_factory.mktemp("no-models-yet")
    with serve_app(empty, tmp_path_factory.mktemp("starter-app"), standard_plugins(), starter=smollm2) as running:
        yield running.url


@pytest.fixture(scope="module")
def page(browser, starter_app: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    tab.goto(starter_app)
    wait_for_page(tab)
    try:
        yield tab
    finally:
        context.close()


def test_start_with_no_model_chosen_streams_the_starter_models_answer(page) -> None:  # type: ignore[no-untyped-def]
    wait_until(lambda: "bundled starter model" in page.locator("#folder-note").inner_text(), "the starter note")
    note = page.locator("#folder-note").inner_text()
    assert "tiny" in note and "for trying things out" in note and "No .gguf files" in note
    # The bigger model stays the suggested next step, switched off so Start needs no download.
    wait_until(lambda: "Qwen2.5-1.5B-Instruct" in field(page, "links").input_value(), "the suggested link")
    links = field(page, "links").input_value()
    assert all(line.startswith("---") for line in links.splitlines() if line.strip())
    assert field(page, "model-list").input_value() == ""
    field(page, "system-prompt").fill("You are a helpful assistant.")
    field(page, "user-prompt").fill("{max_tokens=40} Tell me a story about a lighthouse keeper.\n"
                                    "What is the capital of France?")
    page.click("#start-button")
    seen: list[str] = []
    wait_until(lambda: seen.append(transcript(page)) or "Done" in status(page), "the starter model's answers")
    text = transcript(page)
    assert text.startswith(f"{RULE}\n1) SmolLM2-135M-Instruct.Q4_1.gguf  (loop 1, response 1)\n{RULE}\n")
    assert text.count("---------- (") == 2 and "Paris" in text.split("---------- (")[1]
    # Streamed: the first answer was on the page, in part, before it was finished.
    assert any(s.split(f"{RULE}\n")[-1].strip() and "---------- (" not in s for s in seen)
    assert "<|im_end|>" not in text and "<|im_start|>" not in text


def test_the_picker_lists_the_starter_model(page) -> None:  # type: ignore[no-untyped-def]
    page.click("#model-picker input")
    option = page.get_by_role("option", name="SmolLM2-135M-Instruct (bundled starter model)")
    wait_until(option.is_visible, "the picker's list to open")  # drawn after the click returns
    assert option.is_visible()
    page.keyboard.press("Escape")


def test_presets_set_the_sampling_sliders_and_a_silenced_setting_is_named(page) -> None:  # type: ignore[no-untyped-def]
    open_tab_panel(page, "tab-sampling")
    page.click("#preset-stochastic")
    slider = page.locator("#slider-temperature input[type=number]").first
    wait_until(lambda: slider.input_value() == "2", "the stochastic temperature")
    assert page.locator("#slider-min-p input[type=number]").first.input_value() == "0"
    assert page.locator("#slider-typical-p input[type=number]").first.input_value() == "1"
    page.click("#preset-deterministic")
    wait_until(lambda: slider.input_value() == "0", "the deterministic temperature")
    assert page.locator("#slider-min-p input[type=number]").first.input_value() == "1"
    set_number(page, "slider-temperature", 0.7)  # type: ignore[arg-type]
    set_number(page, "max-tokens", 4)
    field(page, "user-prompt").fill("Hi")
    page.click("#start-button")
    wait_until(lambda: "temperature 0.7 has no effect" in transcript(page), "the silenced-setting notice")
    wait_until(lambda: "Done" in status(page) or "Finished" in status(page) or "error" in status(page).lower(),
               "the chain to end")
    assert transcript(page).count("temperature 0.7 has no effect") == 1
