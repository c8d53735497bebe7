"""The app in headless Chromium: type, press Enter, watch the chain stream; stop; history; files; tabs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ui_pages import (
    ENDLESS_GRAMMAR,
    make_pdf,
    field,
    open_tab_panel,
    set_grammar,
    set_number,
    status,
    toast_text,
    transcript,
    upload,
    wait_until,
)

from samantha.tinymodel import grammar_for_text

pytestmark = pytest.mark.browser

RULE = "=" * 42
SCREENSHOT_ENV = "SAMANTHA_SCREENSHOT"


def start_endless(page, prompt: str = "one\ntwo") -> None:  # type: ignore[no-untyped-def]
    """Start a chain whose answers only end when stopped (or after a very long time)."""
    field(page, "model-list").fill("long-context.gguf")
    field(page, "user-prompt").fill(prompt)
    open_tab_panel(page, "tab-sampling")
    set_number(page, "n-ctx", 60000)
    set_number(page, "max-tokens", 0)
    set_grammar(page, ENDLESS_GRAMMAR)
    page.click("#start-button")


def test_enter_runs_the_chain_with_banner_answer_and_stats(open_tab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    assert "dark" in (page.evaluate("document.body.className") or "")
    field(page, "model-list").fill("tiny-chatml.gguf\ntiny-other.gguf")
    field(page, "system-prompt").fill("You are a poet that writes only in Portuguese.")
    set_grammar(page, 'root ::= "O amor é um fogo que arde no peito." | "A vida é um rio que corre sem parar."\n')
    prompt = field(page, "user-prompt")
    prompt.fill("Create a sentence about love")
    prompt.press("Shift+Enter")
    prompt.type("Create a sentence about life")
    assert prompt.input_value() == "Create a sentence about love\nCreate a sentence about life"
    assert status(page).strip() == ""  # Shift+Enter is a new line, it does not start
    prompt.press("Enter")
    wait_until(lambda: "Done" in status(page), "the chain to finish")
    text = transcript(page)
    assert text.startswith(f"{RULE}\n1) tiny-chatml.gguf\n{RULE}\n")
    assert f"{RULE}\n2) tiny-other.gguf\n{RULE}\n" in text
    assert text.count("---------- (") == 4 and "tokens/s" in text
    assert "O amor" in text or "A vida" in text
    assert prompt.input_value().count("\n") == 1  # Enter started the chain instead of adding a line
    page.screenshot(path=str(tmp_path / "screen.png"))
    target = os.environ.get(SCREENSHOT_ENV)
    if target:
        page.screenshot(path=target)


def test_stop_next_moves_on_and_stop_all_ends_the_chain(open_tab) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    start_endless(page, "one\ntwo\nthree")
    wait_until(lambda: transcript(page).count("la ") > 20, "the first answer to stream")
    so_far = transcript(page)
    wait_until(lambda: len(transcript(page)) > len(so_far), "the transcript to grow while the answer streams")
    page.click("#stop-next-button")
    wait_until(lambda: transcript(page).count("---------- (") == 1, "the first answer to end")
    first_stats = [line for line in transcript(page).splitlines() if line.startswith("---------- (")]
    assert first_stats[0].endswith(", stopped")
    after = lambda: transcript(page).split(first_stats[0], 1)[1]  # noqa: E731
    wait_until(lambda: after().count("la ") > 20, "the second item to stream")
    assert "Running" in status(page) or "answering" in status(page)
    page.click("#stop-all-button")
    wait_until(lambda: "Stopped" in status(page), "the chain to end")
    text = transcript(page)
    assert text.count("---------- (") == 2  # item three never ran
    assert all(line.endswith(", stopped") for line in text.splitlines() if line.startswith("---------- ("))


def test_clear_history_and_replace_response(open_tab) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    field(page, "model-list").fill("tiny-chatml.gguf")
    field(page, "user-prompt").fill("Say something")
    set_grammar(page, grammar_for_text("The answer to keep."))
    page.click("#start-button")
    wait_until(lambda: "Done" in status(page), "the chain to finish")
    assert "The answer to keep." in transcript(page)
    page.click("#replace-response-button")
    wait_until(lambda: field(page, "previous-response").input_value() == "The answer to keep.",
               "the previous-response field to get the last answer")
    page.click("#clear-history-button")
    wait_until(lambda: transcript(page) == "", "the transcript to be emptied")
    assert status(page).strip() == ""
    page.click("#copy-last")  # nothing left to copy
    assert page.evaluate("window.samantha.copied") == ""


def test_loading_txt_and_pdf_files(open_tab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    system_file = tmp_path / "system.txt"
    system_file.write_text("situation: a quiet library\n", encoding="utf-8")
    upload(page, "load-system-txt", str(system_file))
    wait_until(lambda: field(page, "system-prompt").input_value() == "situation: a quiet library\n", "TXT -> system")
    prompt_file = tmp_path / "prompts.txt"
    prompt_file.write_text("first item\nsecond item\n", encoding="utf-8")
    upload(page, "load-prompt-txt", str(prompt_file))
    wait_until(lambda: field(page, "user-prompt").input_value() == "first item\nsecond item\n", "TXT -> prompt")

    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(make_pdf(["Page one text", "Page two text"]))
    upload(page, "load-prompt-pdf", str(pdf))
    wait_until(lambda: field(page, "user-prompt").input_value() == "Page one text\n$$$\nPage two text",
               "PDF pages -> prompt items")
    page.get_by_label("Whole text as one item").check()
    upload(page, "load-prompt-pdf", str(pdf))
    wait_until(lambda: field(page, "user-prompt").input_value() == "Page one text\n\nPage two text\n$$$",
               "PDF whole text -> one item")


def test_bad_files_give_a_message_and_change_nothing(open_tab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    field(page, "user-prompt").fill("unchanged")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    upload(page, "load-prompt-txt", str(binary))
    wait_until(lambda: "not a text file" in toast_text(page), "a warning about the binary file")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    upload(page, "load-prompt-pdf", str(broken))
    wait_until(lambda: "could not be read as a PDF" in toast_text(page), "a warning about the broken PDF")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    upload(page, "load-prompt-txt", str(empty))
    wait_until(lambda: "is empty" in toast_text(page), "a warning about the empty file")
    assert field(page, "user-prompt").input_value() == "unchanged"


def test_save_prompt_offers_a_txt_download(open_tab) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    field(page, "user-prompt").fill("keep this\n$$$\nand this")
    page.click("#save-prompt")
    link = page.locator("#saved-prompt a").first
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    saved = Path(download.value.path())
    assert saved.read_text(encoding="utf-8") == "keep this\n$$$\nand this"
