"""Downloads on the page, the pure parts: progress wording and bar, listings, link merging, first-run links,
link checking at Start, and the watcher that turns Downloading events into page updates."""

from __future__ import annotations

from pathlib import Path

import pytest

from samantha.events import Banner, CodeRan, Downloading
from samantha.hub import DEFAULT_FIRST_RUN_LINKS, RepoFile
from samantha.transcript import code_run_text
from samantha.transcript_writer import TranscriptWriter
from samantha.ui.download_view import (
    duration_text,
    file_choices,
    first_run_links,
    listing_note,
    merge_links,
    progress_html,
    progress_text,
)
from samantha.ui.downloads_panel import DownloadWatcher
from samantha.ui.inputs import InputProblem, active_links, chain_models

LINK = "https://huggingface.co/r/m/resolve/main/m-Q4_K_M.gguf?download=true"


def progress(done: int, total: int | None, rate: float = 2_500_000.0, left: float | None = 90.0) -> Downloading:
    return Downloading("r/m:m.gguf", "m-Q4_K_M.gguf", done, total, rate, left)


def test_durations_read_like_people_say_them() -> None:
    assert [duration_text(s) for s in (0.4, 45, 60, 200, 3600, 3725)] == [
        "0 s", "45 s", "1 min", "3 min 20 s", "1 h", "1 h 2 min"]
    assert duration_text(None) == "" and duration_text(float("inf")) == "" and duration_text(-1) == ""


def test_progress_text_has_bytes_share_rate_and_time_left() -> None:
    assert progress_text(progress(250_000_000, 1_000_000_000)) == (
        "Downloading m-Q4_K_M.gguf: 250.0 MB of 1.0 GB (25%), 2.5 MB/s, 1 min 30 s left")
    assert progress_text(progress(1_000, None, rate=0.0, left=None)) == (
        "Downloading m-Q4_K_M.gguf: 1.0 kB so far, waiting for data")
    assert progress_text(progress(5_000, 5_000)) == "Downloaded m-Q4_K_M.gguf: 5.0 kB"


def test_progress_bar_html() -> None:
    assert progress_html(None) == ""
    bar = progress_html(progress(1, 4))
    assert '<progress max="1000" value="250"></progress>' in bar and 'data-total="4"' in bar
    assert "<progress></progress>" in progress_html(progress(1, None))  # no size: an indeterminate bar
    tricky = Downloading("x", "<b>.gguf", 1, 2, 1.0, 1.0)
    assert "<b>" not in progress_html(tricky) and "&lt;b&gt;.gguf" in progress_html(tricky)


def test_listing_choices_and_note() -> None:
    files = [
        RepoFile("o/m-GGUF", "main", "m-Q4_K_M.gguf", 1_200_000_000, "Q4_K_M", LINK),
        RepoFile("o/m-GGUF", "main", "big/m-Q8_0-00001-of-00002.gguf", 9_000_000_000, "Q8_0", "L2", parts=2),
    ]
    choices = file_choices(files)
    assert choices[0] == (files[0].label, LINK) and "1.2 GB" in choices[0][0] and "Q4_K_M" in choices[0][0]
    assert "2 parts" in choices[1][0] and choices[1][1] == "L2"
    assert "2 GGUF model(s) in `o/m-GGUF` (10.2 GB in all)" in listing_note("o/m-GGUF", files)
    assert "No .gguf files" in listing_note(" o/empty ", [])


def test_merge_links_appends_in_order_without_repeats() -> None:
    assert merge_links("", ["a", "b"]) == "a\nb"
    assert merge_links("--- old\na\n\n", ["a", "c", "c"]) == "--- old\na\nc"
    assert merge_links("--- a", ["a"]) == "--- a\na"  # a skipped line is not an active link


def test_first_run_links_only_while_the_folder_has_no_model(tmp_path: Path) -> None:
    assert first_run_links(tmp_path) == DEFAULT_FIRST_RUN_LINKS
    assert first_run_links(tmp_path / "not-made-yet") == DEFAULT_FIRST_RUN_LINKS
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "m.gguf").write_bytes(b"GGUF")
    assert first_run_links(tmp_path) == DEFAULT_FIRST_RUN_LINKS
    assert first_run_links(tmp_path, include_subfolders=True) == ""


def test_with_the_starter_model_the_first_run_links_are_a_switched_off_next_step(tmp_path: Path) -> None:
    """Start must run the starter model with no download, so the suggested links are all `---` lines."""
    suggested = first_run_links(tmp_path, starter=True)
    assert "Next step" in suggested and "Remove the leading ---" in suggested
    assert all(line.startswith("---") for line in suggested.splitlines())
    assert active_links(suggested) == ""
    for line in DEFAULT_FIRST_RUN_LINKS.splitlines():
        assert line.removeprefix("--- ") in suggested
    assert chain_models({"models_dir": str(tmp_path), "model_list": "", "links": suggested,
                         "starter_model": "/opt/starter.gguf"}) == (("/opt/starter.gguf",), "")


def test_links_are_chain_members_in_order_with_repeats(tmp_path: Path) -> None:
    text = f"--- skipped\n{LINK}\nowner/repo:file-Q8_0.gguf\n{LINK}\n"
    models, links = chain_models({"models_dir": str(tmp_path), "model_list": "", "links": text})
    assert models == (LINK, "owner/repo:file-Q8_0.gguf", LINK) and links == "\n".join(models)


def test_bad_links_are_all_reported_before_the_chain_starts(tmp_path: Path) -> None:
    text = f"{LINK}\nhttps://example.com/x.gguf\nhttps://huggingface.co/o/m/resolve/main/readme.md"
    with pytest.raises(InputProblem) as caught:
        chain_models({"models_dir": str(tmp_path), "model_list": "", "links": text})
    message = str(caught.value)
    assert "Line 2" in message and "not a Hugging Face link" in message
    assert "Line 3" in message and "not a GGUF file" in message


def test_the_watcher_shows_progress_then_refreshes_the_model_list(tmp_path: Path) -> None:
    watcher = DownloadWatcher(tmp_path, include_subfolders=False)
    bar, picker, note = watcher.view(finished=False)
    assert bar.visible is False and picker == {"__type__": "update"} == note  # nothing downloaded: no change
    watcher.apply(Banner("L", "m.gguf", 1, 1, 1))
    watcher.apply(progress(1, 2))
    bar, _, _ = watcher.view(finished=False)
    assert bar.visible is True and "Downloading m-Q4_K_M.gguf" in bar.value
    assert watcher.view(finished=False)[0] == {"__type__": "update"}  # unchanged bar: nothing sent
    (tmp_path / "MODEL_FOR_TESTING.gguf").write_bytes(b"GGUF")
    watcher.apply(progress(2, 2))
    bar, picker, note = watcher.view(finished=True)
    assert "Downloaded" in bar.value and picker.choices == [("MODEL_FOR_TESTING.gguf", "MODEL_FOR_TESTING.gguf")]
    assert "1 model file(s)" in note


def test_transcript_status_follows_downloads_and_shows_code_output() -> None:
    writer = TranscriptWriter()
    writer.apply(progress(500_000, 1_000_000))
    assert writer.status == "Downloading m-Q4_K_M.gguf: 500.0 kB of 1.0 MB"
    run = CodeRan("print(6*7)", "42\n", "", 0, "exit", 0.2, False)
    writer.apply(run)
    assert writer.text == code_run_text(run) + "\n\n" and "42" in writer.text
