"""Downloads in headless Chromium: hub links (served by the local hub stand-in) as chain members, progress,
the model list, repo listings, gated repos and the token, first-run links, Stop all during a download."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from feature_app import open_feature_tab
from ui_pages import field, set_grammar, status, transcript, wait_until

from samantha.hub import DEFAULT_FIRST_RUN_LINKS
from samantha.tinymodel import grammar_for_text, write_tiny_gguf
from samantha.ui.downloads_panel import DownloadsPlugin
from tests.support.app_server import RunningApp, serve_app

pytest_plugins = ["tests.support.fake_hub"]  # the fake_hub fixture
pytestmark = pytest.mark.browser

REPO = "tester/tiny-GGUF"
ANSWER = "Downloaded and ready."
RULE = "=" * 42


@pytest.fixture(scope="module")
def app(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(ui_models, tmp_path_factory.mktemp("downloads-app"), [DownloadsPlugin()]) as running:
        yield running


@pytest.fixture(scope="module")
def tiny_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_tiny_gguf(tmp_path_factory.mktemp("served") / "tiny.gguf", seed=11, name="served").read_bytes()


def use_folder(page: Any, folder: Path) -> None:
    box = field(page, "models-dir")
    box.fill(str(folder))
    box.press("Enter")
    wait_until(lambda: str(folder.resolve()) in page.locator("#folder-note").inner_text(), "the folder to be used")


def start_with_links(page: Any, links: str, answer: str = ANSWER) -> None:
    field(page, "model-list").fill("")
    field(page, "links").fill(links)
    set_grammar(page, grammar_for_text(answer))
    prompt = field(page, "user-prompt")
    prompt.fill("Are you there?")
    prompt.press("Enter")


def test_a_link_downloads_with_progress_then_answers_and_lands_in_the_model_list(
    feature_tab: Any, fake_hub: Any, tiny_bytes: bytes, tmp_path: Path
) -> None:
    fake_hub.add_file(REPO, "tiny-Q8_0.gguf", tiny_bytes)
    fake_hub.stall(after=len(tiny_bytes) // 2, seconds=3)  # half-way, long enough for the page to show the bar
    folder = tmp_path / "models"
    folder.mkdir()
    page = feature_tab(folder)
    wait_until(lambda: field(page, "links").input_value() == DEFAULT_FIRST_RUN_LINKS, "the first-run links")
    start_with_links(page, f"{fake_hub.endpoint}/{REPO}/resolve/main/tiny-Q8_0.gguf?download=true")
    bar = page.locator("#download-progress")
    wait_until(lambda: bar.is_visible() and "Downloading tiny-Q8_0.gguf" in bar.inner_text(), "the progress bar")
    assert " of " in bar.inner_text() and page.locator("#download-progress progress").count() == 1
    wait_until(lambda: "Done" in status(page), "the chain to finish")
    text = transcript(page)
    assert text.startswith(f"{RULE}\n1) tiny-Q8_0.gguf  (loop 1, response 1)\n{RULE}\n") and ANSWER in text
    assert "Downloaded tiny-Q8_0.gguf" in bar.inner_text()
    assert (folder / "MODEL_FOR_TESTING.gguf").read_bytes() == tiny_bytes
    wait_until(lambda: "1 model file(s)" in page.locator("#folder-note").inner_text(), "the model list to refresh")
    page.locator("#model-picker input").click()
    option = page.get_by_role("option", name="MODEL_FOR_TESTING.gguf")
    wait_until(lambda: option.count() > 0, "the picker's list to open")  # drawn after the click returns
    assert option.count() == 1


def test_keep_downloaded_files_and_the_model_list_wins(
    feature_tab: Any, fake_hub: Any, tiny_bytes: bytes, tmp_path: Path
) -> None:
    fake_hub.add_file(REPO, "tiny-Q8_0.gguf", tiny_bytes)
    folder = tmp_path / "kept"
    folder.mkdir()
    page = feature_tab(folder)
    open_feature_tab(page, "Downloads")
    page.locator("#keep-downloads input").check()
    start_with_links(page, f"{REPO}:tiny-Q8_0.gguf")
    wait_until(lambda: "Done" in status(page), "the chain to finish")
    assert [p.name for p in folder.glob("*.gguf")] == ["tiny-Q8_0.gguf"]
    # With a model list as well, the list wins and nothing is fetched.
    before = len(fake_hub.file_requests("tiny-Q8_0.gguf"))
    field(page, "model-list").fill("tiny-Q8_0.gguf")
    page.click("#start-button")
    wait_until(lambda: transcript(page).count("---------- (") == 2 and "Done" in status(page), "the second run")
    assert len(fake_hub.file_requests("tiny-Q8_0.gguf")) == before


def test_list_a_repos_gguf_files_and_pick_one(feature_tab: Any, fake_hub: Any, tiny_bytes: bytes) -> None:
    fake_hub.add_file(REPO, "tiny-Q8_0.gguf", tiny_bytes)
    fake_hub.add_file(REPO, "sub/tiny-Q4_K_M.gguf", tiny_bytes[:300_000])
    fake_hub.add_file(REPO, "README.md", b"# tiny")
    page = feature_tab()
    field(page, "links").fill("")
    open_feature_tab(page, "Downloads")
    field(page, "repo-link").fill(f"{fake_hub.endpoint}/{REPO}/tree/main")
    page.click("#list-gguf")
    options = page.locator("#gguf-files label")
    wait_until(lambda: options.count() == 2, "the repo's two GGUF files")
    labels = options.all_inner_texts()
    assert any("Q4_K_M" in label and "sub/tiny-Q4_K_M.gguf" in label and "300.0 kB" in label for label in labels)
    assert "2 GGUF model(s)" in page.locator("#gguf-note").inner_text()
    options.filter(has_text="Q4_K_M").click()
    page.click("#use-gguf-links")
    link = f"https://huggingface.co/{REPO}/resolve/main/sub/tiny-Q4_K_M.gguf?download=true"  # as users paste it
    wait_until(lambda: field(page, "links").input_value() == link, "the link field to take the picked link")


def test_listing_a_missing_repo_says_so(feature_tab: Any, fake_hub: Any) -> None:
    page = feature_tab()
    open_feature_tab(page, "Downloads")
    field(page, "repo-link").fill("nobody/nothing-GGUF")
    page.click("#list-gguf")
    wait_until(lambda: "was not found" in page.locator("#gguf-note").inner_text(), "the not-found message")


def test_a_gated_repo_says_what_to_do_and_the_token_field_opens_it(
    feature_tab: Any, fake_hub: Any, tiny_bytes: bytes, tmp_path: Path
) -> None:
    fake_hub.add_file("gated/tiny-GGUF", "tiny-Q8_0.gguf", tiny_bytes)
    fake_hub.require_token("gated/tiny-GGUF", "hf_secret_token")
    page = feature_tab()
    use_folder(page, tmp_path)
    start_with_links(page, "gated/tiny-GGUF:tiny-Q8_0.gguf")
    wait_until(lambda: "1 error(s)" in status(page), "the chain to end with the download error")
    text = transcript(page)
    assert "[error]" in text and "accept" in text and "token" in text
    open_feature_tab(page, "Downloads")
    field(page, "hf-token").fill("hf_secret_token")
    page.click("#start-button")
    wait_until(lambda: "Done: 1 answer(s)" in status(page), "the chain to finish with the token")
    assert (tmp_path / "MODEL_FOR_TESTING.gguf").is_file()
    assert not list(tmp_path.rglob("*token*"))


def test_stop_all_cancels_a_download(feature_tab: Any, fake_hub: Any, tiny_bytes: bytes, tmp_path: Path) -> None:
    fake_hub.add_file(REPO, "tiny-Q8_0.gguf", tiny_bytes)
    fake_hub.stall(after=1000, seconds=60)
    page = feature_tab()
    use_folder(page, tmp_path)
    start_with_links(page, f"{REPO}:tiny-Q8_0.gguf")
    bar = page.locator("#download-progress")
    wait_until(lambda: bar.is_visible() and "Downloading" in bar.inner_text(), "the download to start")
    page.click("#stop-all-button")
    wait_until(lambda: "Stopped" in status(page), "the chain to stop")
    assert not (tmp_path / "MODEL_FOR_TESTING.gguf").exists()
