"""The page in Brazilian Portuguese: every tab walked with no English left, the choice remembered across a
reload, a pt-BR browser served Portuguese first, and messages the server writes in the tab's language.

Model output and file names are never translated, so the text checked leaves out the transcript, code,
file and model pickers, and the literal words of voice commands.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_page_browser import chart_marks
from test_page_layout_browser import select_tab, tab_names
from ui_pages import WAIT_MS, field, set_grammar, status, toast_text, transcript, wait_until

from samantha.settings import SAMPLING_KEYS
from samantha.tinymodel import grammar_for_text
from samantha.ui.features import standard_plugins
from samantha.ui.i18n import LANGUAGE_NAMES, PORTUGUESE, catalogue
from tests.support.app_server import RunningApp, serve_app

pytestmark = pytest.mark.browser

# English words of the page that are not Portuguese too (technical names such as token, prompt, top_k,
# temperature stay as they are in the Portuguese manual, so they are not listed).
ENGLISH_WORDS = frozenset("""
the and with your this when each answer answers model models file files folder settings history start
stop clear show read voice code run search export delete open choose pick click press type empty every
only from into that which what first last next all list add copy save loaded refresh close output sounds
chain sampling advanced learning mode how works card vocabulary remote servers used none random
""".split())

# The candidates chart's two colours (picked, other) as the browser computes them.
BAR_COLOURS = {"rgb(231, 111, 81)", "rgb(42, 157, 143)"}

# Setting names stay as the prompt syntax spells them (`{stop=["."]}`), like top_k and temperature.
SETTING_NAMES = frozenset(SAMPLING_KEYS)

# Visible text of the page: text nodes and placeholders of shown elements, leaving out what users and
# models wrote and file names (the transcript, code, pickers of files and models).
VISIBLE_TEXT_JS = """() => {
  const skip = 'textarea, pre, code, .cm-editor, #model-picker, #models-dir, #subfolder, #browse-path, '
    + '[data-testid=dropdown], .file-preview, #transcript, footer, #user-collection .paginate ~ *, '
    + '#user-collection button, #system-collection button, '
    // a chart's tick labels: the candidates' own text (model output) and numbers
    + '.role-axis-label';
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const owner = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !owner || owner.closest(skip) || owner.closest('script, style')) continue;
    if (!owner.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    parts.push(text);
  }
  for (const box of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (box.placeholder && box.checkVisibility() && !box.closest(skip.replace('textarea, ', ''))) {
      parts.push(box.placeholder);
    }
  }
  return parts;
}"""


@pytest.fixture(scope="module")
def app(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(ui_models, tmp_path_factory.mktemp("language-app"), standard_plugins()) as running:
        yield running


def open_page(browser: Any, app: RunningApp, locale: str) -> tuple[Any, Any]:
    app.config.update(models_dir=str(app.models.resolve()), include_subfolders=False, click_sounds=False)
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(app.url)
    page.wait_for_selector("#start-button")
    return context, page


def pick_language(page: Any, code: str) -> None:
    page.locator("#language-switch label", has_text=LANGUAGE_NAMES[code]).click()
    page.wait_for_function("(code) => document.documentElement.lang === code", arg=code)


def start_text(page: Any) -> str:
    return page.locator("#start-button").inner_text().strip()


def plain_words(text: str) -> set[str]:
    """The words of `text` that belong to its language: not quoted (a voice command's words, another
    site's menu), not file or folder names, links or model names, not setting names."""
    spoken = re.sub(r"“[^”]*”", "", text)
    plain = re.sub(r"\S*\w[_./-]\w\S*", "", spoken)
    return set(re.findall(r"[A-Za-z]+", plain)) - SETTING_NAMES


def english_left(texts: list[str], english_page: set[str]) -> list[str]:
    """Texts shown as they were on the English page (unless the catalogue keeps them as they are, or they
    have no word of three letters or more: p = 1, md), or that hold common English words."""
    kept = {english for english, translated in catalogue(PORTUGUESE).items() if english == translated}
    found = []
    for text in texts:
        words = plain_words(text)
        untranslated = text in english_page and text not in kept and any(len(word) > 2 for word in words)
        if untranslated or {word.lower() for word in words} & ENGLISH_WORDS:
            found.append(text)
    return found


def chart_legend_settled(page: Any) -> None:
    """Give a shown candidates chart time to draw its legend in the page's language.

    Vega draws a chart when its tab is first shown, and redraws it when the language switch's new legend
    entries arrive: on a busy machine the walk can read the page before either. When the legend does not
    settle, the walk reads it as it is and says what is left.
    """
    if not page.locator("#learning-bars").is_visible():
        return
    english = page.evaluate("document.documentElement.lang") == "en"
    legend = page.locator("#learning-bars .role-legend")

    def settled() -> bool:
        text = legend.first.text_content() if legend.count() else ""
        return bool(text) and (english or "picked" not in text)

    with contextlib.suppress(AssertionError):
        wait_until(settled, "the candidates chart's legend", seconds=30)


def walk(page: Any) -> Iterator[tuple[str, list[str]]]:
    """Each tab's name and visible text, folded sections opened."""
    for name in tab_names(page):
        select_tab(page, name)
        folded = page.locator("button.label-wrap:not(.open):visible")
        for _ in range(12):  # each click changes the list
            if not folded.count():
                break
            folded.first.click()
        chart_legend_settled(page)
        yield name, page.evaluate(VISIBLE_TEXT_JS)


def run_learning_chain(page: Any, learning_tab: str) -> list[str]:
    """Run a learning-mode chain whose grammar forces picks the model did not favour (so the unlikely picks,
    the reasons and the samplers' view all have something to say); the learning tab's text once it ended."""
    field(page, "model-list").fill("tiny-chatml.gguf")
    set_grammar(page, grammar_for_text("hello world"))
    select_tab(page, learning_tab)
    page.locator("#switch-learning input").check()
    field(page, "user-prompt").fill("Say hello")
    page.click("#start-button")
    wait_until(lambda: page.locator("#status-box .status.done").count() == 1, "the learning chain to end")
    wait_until(lambda: page.locator("#learning-candidates table.candidates").count() == 1, "the candidates table")
    select_tab(page, learning_tab)
    return page.evaluate(VISIBLE_TEXT_JS)


def test_every_tab_in_portuguese_leaves_no_english(browser: Any, app: RunningApp) -> None:
    context, page = open_page(browser, app, "en-US")
    try:
        assert start_text(page) == "▶ Start"
        # The tab bar is drawn after the Start button: on a busy machine a walk begun at once found no tab.
        wait_until(lambda: len(tab_names(page)) == 11, "every tab of the page")
        english_page = {text for _, texts in walk(page) for text in texts}
        assert "Reopen" in english_page and "Colour tokens by probability" in english_page
        # Every text box has a label, shown or for screen readers only (Gradio's default is "Textbox").
        assert "Prompt the model saw" in english_page and "Textbox" not in english_page
        assert {"picked", "other"} <= english_page  # the candidates chart's legend, drawn before any run
        pick_language(page, PORTUGUESE)
        wait_until(lambda: start_text(page) == "▶ Iniciar", "the Start button in Portuguese")
        page.reload()  # the choice is remembered; the walk starts from a page drawn in Portuguese
        page.wait_for_selector("#start-button")
        wait_until(lambda: start_text(page) == "▶ Iniciar" and "Amostragem" in tab_names(page),
                   "the page in Portuguese after a reload")
        names = tab_names(page)
        assert len(names) == 11 and "Modo de aprendizado" in names and "Como funciona" in names
        left: dict[str, str] = {}  # English text -> the first tab it shows on
        for name, texts in walk(page):
            for text in english_left(texts, english_page):
                left.setdefault(text, name)
        assert not left, "English left:\n" + "\n".join(f"{name}: {text!r}" for text, name in left.items())
    finally:
        context.close()


def test_choice_is_remembered_and_a_portuguese_browser_starts_in_portuguese(browser: Any, app: RunningApp) -> None:
    context, page = open_page(browser, app, "pt-BR")
    try:
        wait_until(lambda: start_text(page) == "▶ Iniciar", "Portuguese first in a pt-BR browser")
        # The page's text is translated as it is drawn; the switch is set by the page's load a moment later.
        wait_until(lambda: page.locator("#language-switch input:checked").count() == 1
                   and page.locator("#language-switch input:checked").get_attribute("value")
                   == LANGUAGE_NAMES[PORTUGUESE], "the switch showing Portuguese")
        pick_language(page, "en")
        wait_until(lambda: start_text(page) == "▶ Start", "English after the switch")
        page.reload()
        page.wait_for_selector("#start-button")
        wait_until(lambda: page.locator("#language-switch input:checked").count() == 1
                   and page.locator("#language-switch input:checked").get_attribute("value") == "English",
                   "the switch showing the remembered English")
        assert start_text(page) == "▶ Start" and page.evaluate("document.documentElement.lang") == "en"
    finally:
        context.close()


def test_messages_the_server_writes_follow_the_tab_language(browser: Any, app: RunningApp) -> None:
    context, page = open_page(browser, app, "en-US")
    try:
        pick_language(page, PORTUGUESE)
        page.click("#add-model")  # nothing picked: a notice
        wait_until(lambda: "Escolha um modelo em 'Adicionar modelo' primeiro" in toast_text(page),
                   "the notice in Portuguese")
        page.click("#unload-button")
        wait_until(lambda: "Modelo descarregado" in status(page), "the status line in Portuguese")
        # An error the engine raises during a run (a model file that is not a GGUF file): in the status line
        # once the run ends, and as the transcript's [error] line.
        (app.models / "notes.gguf").write_text("not a model", encoding="utf-8")
        field(page, "model-list").fill("notes.gguf")
        field(page, "user-prompt").fill("Hello")
        page.click("#start-button")
        wait_until(lambda: "[error] notes.gguf: notes.gguf não é um arquivo GGUF" in transcript(page),
                   "the engine's error in Portuguese in the transcript")
        wait_until(lambda: "1 erro(s)" in status(page), "the run's end in Portuguese")
        error_line = next(line for line in transcript(page).splitlines() if line.startswith("[error]"))
        assert not plain_words(error_line) & ENGLISH_WORDS, error_line
    finally:
        context.close()


def test_learning_mode_run_in_portuguese_leaves_no_english(browser: Any, app: RunningApp) -> None:
    """What the server writes during a run (the candidates table, its caption with the reason for each pick,
    the unlikely picks, the hover text of each token) in Portuguese: compared with the same run in English."""
    context, page = open_page(browser, app, "en-US")
    try:
        english_run = set(run_learning_chain(page, "Learning mode"))
        assert any(text.startswith("Step ") for text in english_run), english_run
        pick_language(page, PORTUGUESE)
        page.reload()
        page.wait_for_selector("#start-button")
        wait_until(lambda: start_text(page) == "▶ Iniciar", "the page in Portuguese after a reload")
        texts = run_learning_chain(page, "Modo de aprendizado")
        left = english_left(texts, english_run)
        assert not left, "English left after a learning run:\n" + "\n".join(map(repr, left))
        caption = page.locator("#learning-candidates table.candidates caption").inner_text()
        assert caption.startswith("Passo ") and "posição" in caption, caption
        heads = page.locator("#learning-candidates table.candidates thead").inner_text()
        assert "depois dos amostradores" in heads and "probabilidade" in heads, heads
        # The bar chart's colours know the Portuguese kinds of bar (escolhido, outro): every bar is painted in
        # one of the two colours (the grammar's pick may be outside the top candidates, so not always both).
        wait_until(lambda: len(fills := [mark["fill"] for mark in chart_marks(page, "learning-bars")]) > 1
                   and set(fills) <= BAR_COLOURS, "the candidates' bars in the picked/other colours")
        legend = page.locator("#learning-bars .role-legend").text_content() or ""
        assert "escolhido" in legend and "outro" in legend and "picked" not in legend, legend
        title = page.locator("#learning-tokens .tok").first.get_attribute("title") or ""
        assert "posição" in title and not plain_words(title) & {"rank", "after", "samplers", "most", "probable"}, title
    finally:
        context.close()
