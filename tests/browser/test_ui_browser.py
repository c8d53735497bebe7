"""The app in headless Chromium: type, press Enter, watch the chain stream; stop; history; files; tabs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ui_pages import (
    ENDLESS_GRAMMAR,
    field,
    make_pdf,
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
SENTENCES = (
    'root ::= "O amor é um fogo que arde no peito e ilumina o caminho." '
    '| "A vida é um rio que corre sem parar, levando-nos além do que conhecemos."\n'
)


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
    set_grammar(page, SENTENCES)
    prompt = field(page, "user-prompt")
    prompt.fill("[Answer with one sentence]")
    prompt.press("Shift+Enter")
    prompt.type("Create a sentence about love")
    prompt.press("Shift+Enter")
    prompt.type("Create a sentence about life")
    assert prompt.input_value() == "[Answer with one sentence]\nCreate a sentence about love\nCreate a sentence about life"
    assert status(page).strip() == ""  # Shift+Enter is a new line, it does not start
    prompt.press("Enter")
    wait_until(lambda: "Done" in status(page), "the chain to finish")
    text = transcript(page)
    assert text.startswith(f"{RULE}\n1) tiny-chatml.gguf  (loop 1, response 1)\n{RULE}\n")
    assert f"{RULE}\n2) tiny-other.gguf  (loop 1, response 1)\n{RULE}\n" in text
    assert text.count("---------- (") == 4 and "tokens/s" in text
    assert "O amor" in text or "A vida" in text
    assert prompt.input_value().count("\n") == 2  # Enter started the chain instead of adding a line
    open_tab_panel(page, "tab-chain")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(tmp_path / "screen.png"))


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
    page.locator(".samantha-title").first.click()  # nothing focused: Enter starts only from a prompt input
    page.keyboard.press("Enter")
    page.wait_for_timeout(1000)  # watching for a chain that must not start, not a speed requirement
    assert status(page).strip() == ""
    field(page, "system-prompt").press("Enter")
    wait_until(lambda: "Done" in status(page), "the chain to finish")
    assert "The answer to keep." in transcript(page)
    page.click("#replace-response-button")
    wait_until(lambda: field(page, "previous-response").input_value() == "The answer to keep.",
               "the previous-response field to get the last answer")
    page.click("#clear-history-button")
    wait_until(lambda: transcript(page) == "", "the transcript to be emptied")
    assert status(page).strip() == ""
    page.click("#copy-last")  # nothing left to copy
    # Copying is asynchronous (the clipboard API): wait for it, as the other copy checks do.
    wait_until(lambda: page.evaluate("window.samantha.copied") == "", "an empty copy after Clear history")


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


def test_two_tabs_run_independent_chains(open_tab) -> None:  # type: ignore[no-untyped-def]
    first, second = open_tab(), open_tab()
    start_endless(first, "endless")
    wait_until(lambda: transcript(first).count("la ") > 20, "tab one to stream")

    field(second, "model-list").fill("tiny-chatml.gguf")
    field(second, "user-prompt").fill("my own question")
    set_grammar(second, grammar_for_text("Tab two answer."))
    second.click("#start-button")
    wait_until(lambda: "Waiting for the model" in status(second), "tab two to wait for the model")
    second.click("#stop-all-button")  # stops the waiting tab only
    wait_until(lambda: "Stopped while waiting" in status(second), "tab two to stop waiting")
    so_far = transcript(first)
    wait_until(lambda: len(transcript(first)) > len(so_far), "tab one to keep streaming")
    assert "Stopped" not in status(first)

    second.click("#start-button")
    wait_until(lambda: "Waiting for the model" in status(second), "tab two to wait again")
    first.click("#stop-all-button")
    wait_until(lambda: "Stopped" in status(first), "tab one to stop")
    wait_until(lambda: "Done" in status(second), "tab two to run once the model is free")
    assert "Tab two answer." in transcript(second) and "la la" not in transcript(second)
    assert "Tab two answer." not in transcript(first)


def test_bad_input_shows_a_message_and_the_app_keeps_working(open_tab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    field(page, "transcript").fill("kept transcript")
    field(page, "model-list").fill("tiny-chatml.gguf")
    field(page, "user-prompt").fill("fine item\n{temprature=0.5} second item")
    page.click("#start-button")
    wait_until(lambda: "Prompt item 2" in status(page), "the malformed-settings message")
    assert "temprature" in status(page) and "temprature" in toast_text(page)
    assert transcript(page) == "kept transcript"

    field(page, "model-list").fill("no-such-model.gguf")
    field(page, "user-prompt").fill("hello")
    page.click("#start-button")
    wait_until(lambda: "model file not found: no-such-model.gguf" in status(page), "the missing-model message")

    empty = tmp_path / "empty-folder"
    empty.mkdir()
    field(page, "model-list").fill("")
    models_dir = field(page, "models-dir")
    original_folder = models_dir.input_value()
    models_dir.fill(str(empty))
    models_dir.press("Enter")  # Enter in the folder field applies the folder, it does not start
    wait_until(lambda: "No .gguf files" in page.locator("#folder-note").inner_text(), "the empty-folder note")
    page.click("#start-button")
    wait_until(lambda: "has no .gguf files" in status(page), "the empty-folder message")

    models_dir.fill(original_folder)
    models_dir.press("Enter")
    wait_until(lambda: "model file(s)" in page.locator("#folder-note").inner_text(), "the folder to list models")
    field(page, "model-list").fill("broken.gguf\ntiny-chatml.gguf")
    set_grammar(page, grammar_for_text("Still working."))
    page.click("#start-button")
    wait_until(lambda: "answer(s)" in status(page), "the chain past the broken model")
    text = transcript(page)
    assert text.startswith("kept transcript") and "[error] broken.gguf" in text and "Still working." in text
    assert "1 error(s)" in status(page)


def test_prompt_collections_fill_fields_and_are_reread(open_tab, running_app) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    page.click("#collections button, #collections .label-wrap")
    page.locator("#user-collection button").first.click()
    wait_until(lambda: field(page, "user-prompt").input_value().startswith("[You are a poet"),
               "the first user example in the prompt")
    page.locator("#system-collection button").first.click()
    wait_until(lambda: field(page, "system-prompt").input_value().startswith("You are a helpful assistant"),
               "the first system example in the system prompt")
    collection = running_app.prompts / "user_prompts.txt"
    original = collection.read_text(encoding="utf-8")
    try:
        collection.write_text("A brand new example\n$-$-$\n" + original, encoding="utf-8")
        page.click("#refresh-collections")
        wait_until(lambda: "A brand new example" in page.locator("#user-collection").inner_text(),
                   "the edited collection to show without a restart")
        page.locator("#user-collection button").first.click()
        wait_until(lambda: field(page, "user-prompt").input_value() == "A brand new example", "the new example")
    finally:
        collection.write_text(original, encoding="utf-8")


def test_click_sounds_can_be_turned_off(open_tab, running_app) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    before = page.evaluate("window.samantha.blips")
    page.click("#clear-models")
    assert page.evaluate("window.samantha.blips") == before + 1
    page.locator("#click-sounds input").uncheck()
    page.click("#clear-models")
    assert page.evaluate("window.samantha.blips") == before + 1
    wait_until(lambda: running_app.config.load().click_sounds is False, "the choice to be remembered")
    page.locator("#click-sounds input").check()
    wait_until(lambda: running_app.config.load().click_sounds is True, "sounds back on")


def test_copy_and_open_answers_as_html(open_tab) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    field(page, "model-list").fill("tiny-chatml.gguf")
    field(page, "user-prompt").fill("one\ntwo")
    set_grammar(page, grammar_for_text("**Bold** <i>raw</i>"))
    page.click("#start-button")
    wait_until(lambda: "Done" in status(page), "the chain to finish")
    page.click("#copy-last")
    wait_until(lambda: page.evaluate("window.samantha.copied") == "**Bold** <i>raw</i>", "the last answer copied")
    page.click("#copy-all")
    wait_until(lambda: page.evaluate("window.samantha.copied") == "**Bold** <i>raw</i>\n\n**Bold** <i>raw</i>",
               "all answers copied")
    with page.context.expect_page() as popup:
        page.click("#open-all")
    opened = popup.value
    opened.wait_for_load_state()
    assert opened.locator("strong").count() == 2 and opened.locator("i").count() == 0
    assert "<i>raw</i>" in opened.locator("body").inner_text()
    view = page.locator("#answer-view")
    wait_until(lambda: view.locator("strong").count() == 2, "the answers rendered in the page")
    assert "1) tiny-chatml.gguf, item 2" in view.inner_text()


def test_pick_add_and_browse_models(open_tab, running_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    picker = page.locator("#model-picker input").first
    for _ in range(2):  # the same model twice: repeats are allowed
        picker.click()
        page.get_by_role("option", name="tiny-other.gguf").click()
        page.click("#add-model")
    wait_until(lambda: field(page, "model-list").input_value() == "tiny-other.gguf\ntiny-other.gguf",
               "the picked model added twice")
    page.click("#clear-models")
    wait_until(lambda: field(page, "model-list").input_value() == "", "the list cleared")

    page.click("#browse-button")
    wait_until(lambda: field(page, "browse-path").input_value() == str(running_app.models.resolve()),
               "the browser to open at the model folder")
    nested = running_app.models / "more-models"
    nested.mkdir(exist_ok=True)
    page.click("#browse-button")  # reopen to see the new subfolder
    page.locator("#subfolder input").first.click()
    page.get_by_role("option", name="more-models").click()
    wait_until(lambda: field(page, "browse-path").input_value() == str(nested.resolve()), "entering the subfolder")
    page.click("#use-folder")
    wait_until(lambda: field(page, "models-dir").input_value() == str(nested.resolve()), "the folder chosen")
    wait_until(lambda: "No .gguf files" in page.locator("#folder-note").inner_text(), "the empty subfolder note")
    page.get_by_label("Include subfolders").check()
    wait_until(lambda: "tick" not in page.locator("#folder-note").inner_text(), "the list with subfolders")
    models_dir = field(page, "models-dir")
    models_dir.fill(str(running_app.models))
    models_dir.press("Enter")
    wait_until(lambda: "model file(s)" in page.locator("#folder-note").inner_text(), "the model folder back")
    page.get_by_label("Include subfolders").uncheck()
    wait_until(lambda: running_app.config.load().include_subfolders is False, "subfolders off again")


def test_model_card_vocabulary_and_help(open_tab) -> None:  # type: ignore[no-untyped-def]
    page = open_tab()
    field(page, "model-list").fill("tiny-chatml.gguf")
    open_tab_panel(page, "tab-card")
    page.click("#show-card")
    wait_until(lambda: "llama" in page.locator("#model-card").inner_text(), "the model card")
    assert "tiny-chatml.gguf" in page.locator("#model-card").inner_text()
    set_number(page, "vocab-start", 259)
    set_number(page, "vocab-count", 2)
    page.click("#show-vocab")
    wait_until(lambda: field(page, "vocabulary").input_value() == "259) '<|im_start|>'\n260) '<|im_end|>'",
               "the vocabulary slice")
    open_tab_panel(page, "tab-help")
    wait_until(lambda: "[model list] -> respond" in page.locator("#help-text").inner_text(), "the help text")


def test_answers_as_html_show_images_as_links_and_fetch_nothing(open_tab) -> None:  # type: ignore[no-untyped-def]
    import http.server
    import threading

    asked: list[str] = []

    class StandIn(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()
            self.wfile.write(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pixel = f"http://127.0.0.1:{server.server_address[1]}/pixel.gif"
    try:
        page = open_tab()
        field(page, "model-list").fill("tiny-chatml.gguf")
        field(page, "user-prompt").fill("draw")
        set_grammar(page, grammar_for_text(f"![chart]({pixel})"))
        page.click("#start-button")
        wait_until(lambda: "Done" in status(page), "the chain to finish")
        with page.context.expect_page() as popup:
            page.click("#open-last")
        opened = popup.value
        opened.wait_for_load_state("load")  # images would have been fetched by now
        assert asked == [], f"the opened page fetched {asked}"
        link = opened.locator("a.image-link")
        assert link.inner_text() == f"[image: chart] {pixel}" and link.get_attribute("href") == pixel
        assert opened.locator("img").count() == 0
        view = page.locator("#answer-view")
        wait_until(lambda: view.locator("a.image-link").count() == 1, "the answer rendered in the page")
        assert view.locator("img").count() == 0
        page.wait_for_load_state("load")
        assert asked == [], f"the answer shown in the page fetched {asked}"
    finally:
        server.shutdown()
        server.server_close()


def hold_first_event(page, elem_id: str, event: str) -> list[object]:  # type: ignore[no-untyped-def]
    """Hold back the page's first request for `event` on the component `elem_id` (what a busy server does to
    it); the list gets its route once sent, for the test to `continue_()` when it chooses."""
    fn_index = page.evaluate("""([elem_id, event]) => {
        const target = window.gradio_config.components.find((c) => c.props && c.props.elem_id === elem_id).id;
        return window.gradio_config.dependencies.find(
            (d) => d.targets.some(([id, name]) => id === target && name === event)).id;
    }""", [elem_id, event])
    held: list[object] = []

    def hold(route) -> None:  # type: ignore[no-untyped-def]
        if (route.request.post_data_json or {}).get("fn_index") == fn_index and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(lambda url: "/queue/join" in url, hold)
    return held


def wait_for_held(page, held: list[object], what: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until `hold_first_event` holds its request. Playwright's sync API runs route handlers only while the
    test is inside one of its calls, so the wait goes through the page: a plain sleep would never see the request
    when a busy machine sends it after the click has returned."""

    def held_yet() -> bool:
        page.wait_for_timeout(100)
        return len(held) == 1

    wait_until(held_yet, what, poll=0)


def test_a_tick_clicked_while_leaving_the_folder_field_is_what_is_listed_and_saved(
        open_tab, running_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Clicking 'Include subfolders' straight from the folder field sends the field's blur (with the old tick)
    and then the tick: two requests, which a busy server may take in either order. Here the blur is held back
    until the tick's event is drawn, the order that lost the tick under load."""
    outer = tmp_path / "outer"
    (outer / "inner").mkdir(parents=True)
    shutil.copy(running_app.models / "tiny-chatml.gguf", outer / "inner" / "tiny-chatml.gguf")
    page = open_tab()
    held = hold_first_event(page, "models-dir", "blur")
    models_dir = field(page, "models-dir")
    models_dir.fill(f"{outer}/.")  # the folder event writes back the resolved path: a sign it has run
    note = page.locator("#folder-note")
    page.get_by_label("Include subfolders").check()
    wait_until(lambda: "1 model file(s)" in note.inner_text(), "the tick's listing with subfolders")
    wait_for_held(page, held, "the blur to be sent")
    held[0].continue_()  # type: ignore[attr-defined]
    wait_until(lambda: models_dir.input_value() == str(outer.resolve()), "the blur's event to run")
    assert page.get_by_label("Include subfolders").is_checked()
    assert "1 model file(s)" in note.inner_text()
    saved = running_app.config.load()
    assert saved.include_subfolders is True and saved.models_dir == str(outer.resolve())


def test_add_pressed_again_before_the_first_add_is_answered_adds_twice(
        open_tab) -> None:  # type: ignore[no-untyped-def]
    """A busy server answers the first Add late; the second press must still add (it was dropped under load)."""
    page = open_tab()
    held = hold_first_event(page, "add-model", "click")
    page.locator("#model-picker input").first.click()
    page.get_by_role("option", name="tiny-other.gguf").click()
    page.click("#add-model")
    wait_for_held(page, held, "the first Add to be sent")
    page.click("#add-model")
    held[0].continue_()  # type: ignore[attr-defined]
    wait_until(lambda: field(page, "model-list").input_value() == "tiny-other.gguf\ntiny-other.gguf",
               "the model added twice")
