"""Every tab of the whole app at desktop (1400 px) and phone (400 px) width, dark and light, in English and in
Brazilian Portuguese (longer words): no overlapping
controls, no cut labels, readable text (WCAG contrast >= 4.5 from computed colours), screenshots kept.

One page load per combination keeps the matrix cheap. The screenshots go to .test-artifacts/screens
(the README's picture is made by scripts/screenshot.py, with a real model's answers on the page).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from drawn import MIN_CONTRAST, boxes, contrasts
from ui_pages import WAIT_MS, field, wait_for_page

from samantha.ui.features import standard_plugins
from tests.support.app_server import RunningApp, serve_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / ".test-artifacts" / "screens"
PHONE = 400
DESKTOP = 1400
SCREEN_HEIGHT = 800
ACTION_BUTTONS = ("#start-button", "#stop-next-button", "#stop-all-button", "#clear-history-button",
                  "#replace-response-button", "#unload-button")
# The controls whose text must be readable on every tab: buttons, tab names, field labels, switch labels.
MAIN_TEXT = ("button:not(footer button):visible, [role=tab]:visible, [data-testid=block-info]:visible, "
             "label.checkbox-container span:visible, #status-box .status:visible")

# Pairs of visible controls (buttons, inputs, labels) whose boxes overlap, skipping an element and its
# own parts; each button's and label's text must stay inside its box (not cut, not spilling over others).
LAYOUT_JS = """(root) => {
  const scope = root ? document.querySelector(root) : document;
  const shown = [...scope.querySelectorAll('button, input:not([type=hidden]), textarea, select, label')]
    .filter((element) => element.offsetParent !== null && getComputedStyle(element).visibility !== 'hidden')
    .filter((element) => !element.closest('.overflow-dropdown, .hide, [aria-hidden=true]'));
  const name = (element) => element.id || element.closest('[id]')?.id + ' ' + (element.innerText || '').trim().slice(0, 24);
  const overlaps = [];
  for (let i = 0; i < shown.length; i++) {
    const a = shown[i].getBoundingClientRect();
    if (!a.width || !a.height) continue;
    for (let j = i + 1; j < shown.length; j++) {
      if (shown[i].contains(shown[j]) || shown[j].contains(shown[i])) continue;
      if (shown[i].closest('label') === shown[j].closest('label') && shown[i].closest('label')) continue;
      const b = shown[j].getBoundingClientRect();
      const wide = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const high = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (wide > 1 && high > 1) overlaps.push([name(shown[i]), name(shown[j])]);
    }
  }
  const spill = (element) => {  // how far the element's text reaches past its sides, in px
    const box = element.getBoundingClientRect();
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let worst = 0;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim() || node.parentElement.closest('.icon, svg')) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const line of range.getClientRects()) {
        worst = Math.max(worst, line.right - box.right, box.left - line.left);
      }
    }
    return worst;
  };
  const cut = shown.filter((element) => element.matches('button, label') && element.innerText.trim())
    .map((element) => [name(element), spill(element)])
    .filter(([, over]) => over > 1)
    .map(([what, over]) => [what, Math.round(over)]);
  return {overlaps, cut};
}"""


@pytest.fixture(scope="module")
def app(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(ui_models, tmp_path_factory.mktemp("layout-app"), standard_plugins()) as running:
        yield running


# Per page language: the browser's locale (which picks the page's language), and two tab names.
LANGUAGES = {"en": ("en-US", "Chain", "Learning mode", "How it works"),
             "pt-BR": ("pt-BR", "Cadeia", "Modo de aprendizado", "Como funciona")}


def open_page(browser: Any, app: RunningApp, width: int, theme: str, language: str = "en") -> tuple[Any, Any]:
    app.config.update(models_dir=str(app.models.resolve()), include_subfolders=False, click_sounds=False)
    context = browser.new_context(viewport={"width": width, "height": SCREEN_HEIGHT}, locale=LANGUAGES[language][0])
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{app.url}?__theme={theme}")
    wait_for_page(page)
    return context, page


# No finite animation or CSS transition is running (spinners, which never end, do not count).
TRANSITIONS_ENDED_JS = """() => document.getAnimations().every((animation) =>
  animation.playState !== 'running' || animation.effect?.getComputedTiming().iterations === Infinity)"""


def tab_names(page: Any) -> list[str]:
    """Every tab of the settings area: the ones shown, then those Gradio folds into its More tabs menu."""
    shown = page.locator("[role=tab]").all_inner_texts()
    folded = page.locator(".overflow-dropdown button").all_inner_texts()
    return [name.strip() for name in [*shown, *folded]]


def select_tab(page: Any, name: str) -> None:
    tab = page.get_by_role("tab", name=name, exact=True)
    if tab.count() and tab.is_visible():
        tab.click()
    else:
        page.get_by_label("More tabs").click()
        page.locator(".overflow-dropdown button", has_text=name).first.click()
    page.wait_for_function("(name) => [...document.querySelectorAll('[role=tab][aria-selected=true]')]"
                           ".some((tab) => tab.innerText.trim() === name)", arg=name)


def slug(text: str) -> str:
    return "".join(char if char.isalnum() else "-" for char in text.lower()).strip("-")


@pytest.mark.parametrize("language", ["en", "pt-BR"])
@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_every_tab_is_laid_out_readable_and_screenshotted(browser: Any, app: RunningApp, width: int,
                                                          theme: str, language: str) -> None:
    context, page = open_page(browser, app, width, theme, language)
    _, chain, learning, help_tab = LANGUAGES[language]
    try:
        assert ("dark" in page.evaluate("document.body.className")) == (theme == "dark")
        SCREENS.mkdir(parents=True, exist_ok=True)
        problems: list[str] = []
        page.wait_for_function("(name) => [...document.querySelectorAll('[role=tab]')]"
                               ".some((tab) => tab.innerText.trim() === name)", arg=chain)
        names = tab_names(page)
        assert len(names) == 11 and learning in names and help_tab in names
        for name in names:
            select_tab(page, name)
            page.evaluate("window.scrollTo(0, 0)")
            # Colours are read with the pointer off the controls (the tab's menu item was clicked where the
            # History tab's Search button then appears, and a hovered button has its hover colour) and once the
            # tab's transitions have ended: on a busy machine that button measured 3.46-3.57 mid-change.
            page.mouse.move(0, 0)
            page.wait_for_function(TRANSITIONS_ENDED_JS)
            layout = page.evaluate(LAYOUT_JS, None)
            problems += [f"{name}: {a!r} overlaps {b!r}" for a, b in layout["overlaps"]]
            problems += [f"{name}: {what!r} spills {over} px out of its box" for what, over in layout["cut"]]
            problems += [f"{name}: {item['text']!r} has contrast {item['ratio']:.2f}"
                         for item in contrasts(page, MAIN_TEXT) if item["text"] and item["ratio"] < MIN_CONTRAST]
            path = SCREENS / f"{width}-{theme}-{language}-{slug(name)}.png"
            page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 0
        assert problems == [], "\n".join(problems)
    finally:
        context.close()


def test_phone_width_puts_start_first_with_whole_buttons_and_switch_labels(browser: Any, app: RunningApp) -> None:
    context, page = open_page(browser, app, PHONE, "dark")
    try:
        buttons = boxes(page, ", ".join(ACTION_BUTTONS))
        assert len(buttons) == len(ACTION_BUTTONS)
        [start] = [box for box in buttons if box["id"] == "start-button"]
        assert start["y"] + start["height"] <= SCREEN_HEIGHT and start["width"] >= 90
        assert page.evaluate("window.scrollY") == 0, "the focused prompt does not push Start off the screen"
        [prompt] = boxes(page, "#user-prompt textarea")
        assert prompt["y"] + prompt["height"] <= SCREEN_HEIGHT, "the prompt is in the first screen too"
        layout = page.evaluate(LAYOUT_JS, "#output-column")
        assert layout["overlaps"] == [] and layout["cut"] == []
        select_tab(page, "Chain")
        layout = page.evaluate(LAYOUT_JS, "#tab-chain")
        assert layout["overlaps"] == [] and layout["cut"] == []
        labels = page.locator("#tab-chain label.checkbox-container")
        assert labels.count() == 7
        for index in range(labels.count()):
            label = labels.nth(index)
            assert label.evaluate("(e) => e.scrollWidth <= e.clientWidth"), label.inner_text()
        assert field(page, "user-prompt").is_visible()
    finally:
        context.close()
