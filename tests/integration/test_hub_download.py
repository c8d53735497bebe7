"""The real download code against the local hub stand-in: reuse, resume, cancel, errors, checks."""

from __future__ import annotations

import shutil
import threading
from collections import namedtuple
from pathlib import Path

import huggingface_hub.constants
import pytest

from samantha.hub import (
    DOWNLOAD_AREA,
    MODEL_FOR_TESTING,
    DownloadCancelled,
    DownloadProgress,
    HubError,
    download_model,
    parse_link,
)
from samantha.runner import free_port
from tests.support.fake_hub import FakeHub, gguf_bytes

pytest_plugins = ["tests.support.fake_hub"]  # the fake_hub fixture

REPO = "owner/Model-GGUF"
NAME = "Model-Q4_K_M.gguf"
LINK = f"https://huggingface.co/{REPO}/resolve/main/{NAME}?download=true"
WAIT = 60.0  # generous bound on any wait for another thread; never a speed requirement


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "models"
    path.mkdir()
    return path


@pytest.fixture
def data(fake_hub: FakeHub) -> bytes:
    content = gguf_bytes(300_000, seed=1)
    fake_hub.add_file(REPO, NAME, content)
    return content


def partial_files(folder: Path) -> list[Path]:
    return sorted((folder / DOWNLOAD_AREA).glob("*.part"))


def ggufs(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*.gguf"))


def run_in_thread(**kwargs: object) -> tuple[threading.Thread, dict[str, object]]:
    """Start download_model in a thread; the dict gets its result or exception."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["path"] = download_model(**kwargs)  # type: ignore[arg-type]
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


# ----- the happy path --------------------------------------------------------------------------------------


def test_download_lands_as_model_for_testing(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    seen: list[DownloadProgress] = []
    path = download_model(LINK, folder, progress=seen.append)
    assert path == folder / MODEL_FOR_TESTING
    assert path.read_bytes() == data
    assert ggufs(folder) == [MODEL_FOR_TESTING]
    assert partial_files(folder) == []
    assert seen[-1].done == seen[-1].total == len(data)
    assert seen[-1].filename == NAME
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert len(fake_hub.file_requests(NAME)) == 1


def test_a_download_without_progress_is_complete_and_silent(
        fake_hub: FakeHub, folder: Path, data: bytes, capfd: pytest.CaptureFixture[str]) -> None:
    """No progress callback: the file still arrives whole, through a stall the watcher thread ticks over,
    and nothing is printed by this process or its threads."""
    fake_hub.stall(after=100_000, seconds=1.5)
    path = download_model(LINK, folder, progress=None)
    assert path.read_bytes() == data and partial_files(folder) == []
    assert capfd.readouterr() == ("", "")


def test_endpoint_is_read_at_call_time(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    # huggingface_hub read HF_ENDPOINT when it was imported, before the fixture set it.
    assert huggingface_hub.constants.ENDPOINT != fake_hub.endpoint
    assert download_model(LINK, folder).read_bytes() == data


def test_explicit_endpoint_wins_over_the_environment(
    fake_hub: FakeHub, folder: Path, data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    assert download_model(LINK, folder, endpoint=fake_hub.endpoint).read_bytes() == data


def test_newest_download_replaces_the_previous_one(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    other = gguf_bytes(120_000, seed=2)
    fake_hub.add_file(REPO, "Model-Q8_0.gguf", other)
    download_model(LINK, folder)
    path = download_model(f"{REPO}:Model-Q8_0.gguf", folder)
    assert path.read_bytes() == other
    assert ggufs(folder) == [MODEL_FOR_TESTING]
    # The first link is no longer what MODEL_FOR_TESTING holds, so it is fetched again.
    assert download_model(LINK, folder).read_bytes() == data
    assert len(fake_hub.file_requests(NAME)) == 2


def test_keep_files_keeps_the_original_name(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    fake_hub.add_file(REPO, "Q8_0/Model-Q8_0.gguf", gguf_bytes(5_000, seed=3))
    kept = download_model(LINK, folder, keep_files=True)
    nested = download_model(f"{REPO}:Q8_0/Model-Q8_0.gguf", folder, keep_files=True)
    assert kept == folder / NAME and kept.read_bytes() == data
    assert nested == folder / "Model-Q8_0.gguf"
    assert ggufs(folder) == ["Model-Q4_K_M.gguf", "Model-Q8_0.gguf"]


def test_file_that_is_not_in_the_lfs_store(fake_hub: FakeHub, folder: Path) -> None:
    small = gguf_bytes(2_000, seed=4)
    fake_hub.add_file(REPO, "tiny.gguf", small, lfs=False)  # plain git file: no sha256 to check, size only
    assert download_model(f"{REPO}:tiny.gguf", folder).read_bytes() == small


# ----- no second download -----------------------------------------------------------------------------------


def test_a_link_downloaded_before_is_not_fetched_again(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    download_model(LINK, folder)
    before = len(fake_hub.requests)
    seen: list[DownloadProgress] = []
    path = download_model(parse_link(LINK), folder, progress=seen.append)
    assert path.read_bytes() == data
    assert len(fake_hub.requests) == before  # not even a HEAD: works offline
    assert seen[-1].done == len(data)


def test_kept_file_is_reused_only_while_it_has_the_right_size(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    path = download_model(LINK, folder, keep_files=True)
    download_model(LINK, folder, keep_files=True)
    assert len(fake_hub.file_requests(NAME)) == 1
    path.write_bytes(data[:1000])  # damaged on disk
    download_model(LINK, folder, keep_files=True)
    assert len(fake_hub.file_requests(NAME)) == 2
    path.unlink()
    assert download_model(LINK, folder, keep_files=True).read_bytes() == data
    assert len(fake_hub.file_requests(NAME)) == 3


def test_a_kept_file_already_in_the_folder_is_checked_not_fetched(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    (folder / NAME).write_bytes(data)  # e.g. copied there by hand
    assert download_model(LINK, folder, keep_files=True).read_bytes() == data
    assert fake_hub.file_requests(NAME) == []
    assert len(fake_hub.file_requests(NAME, method="HEAD")) == 1


# ----- resume and cancel ------------------------------------------------------------------------------------


def test_a_cut_transfer_resumes_with_a_range_request(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    fake_hub.cut(after=100_000)
    path = download_model(LINK, folder)
    assert path.read_bytes() == data
    gets = fake_hub.file_requests(NAME)
    assert [get.range for get in gets] == [None, "bytes=100000-"]


def test_a_server_that_ignores_range_still_gives_the_right_file(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    fake_hub.range_support = False
    fake_hub.cut(after=100_000)
    assert download_model(LINK, folder).read_bytes() == data
    assert len(fake_hub.file_requests(NAME)) == 2


def test_cancel_during_a_silent_transfer_then_resume_in_a_new_call(
    fake_hub: FakeHub, folder: Path, data: bytes
) -> None:
    fake_hub.stall(after=120_000, seconds=600)
    reached = threading.Event()
    cancel = threading.Event()

    def progress(update: DownloadProgress) -> None:
        if update.done >= 120_000:
            reached.set()

    thread, outcome = run_in_thread(link=LINK, model_dir=folder, progress=progress, cancel=cancel, timeout=300.0)
    assert reached.wait(WAIT), "the transfer never reached the stall point"
    cancel.set()
    # The server stays silent for 600 s and the read timeout is 300 s: only the
    # cancel can end this call within the bounded wait.
    thread.join(WAIT)
    assert not thread.is_alive()
    assert isinstance(outcome.get("error"), DownloadCancelled)
    assert ggufs(folder) == []  # never a partial file at the final path
    [part] = partial_files(folder)
    assert part.stat().st_size == 120_000

    seen: list[DownloadProgress] = []
    path = download_model(LINK, folder, progress=seen.append)
    assert path.read_bytes() == data
    assert fake_hub.file_requests(NAME)[-1].range == "bytes=120000-"
    assert seen[0].done == 120_000
    assert partial_files(folder) == []


def test_cancel_before_start_fetches_nothing(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DownloadCancelled):
        download_model(LINK, folder, cancel=cancel)
    assert fake_hub.file_requests(NAME) == []


# ----- clear errors -----------------------------------------------------------------------------------------


def test_missing_repo(fake_hub: FakeHub, folder: Path) -> None:
    with pytest.raises(HubError) as caught:
        download_model("nobody/Nothing-GGUF:x.gguf", folder)
    assert caught.value.kind == "not_found"
    assert "Check the link" in str(caught.value)


def test_missing_file(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    with pytest.raises(HubError) as caught:
        download_model(f"{REPO}:Model-Q2_K.gguf", folder)
    assert caught.value.kind == "not_found"
    assert "Model-Q2_K.gguf" in str(caught.value) and "list the repo" in str(caught.value)


@pytest.mark.parametrize("status", [401, 403])
def test_gated_or_private_model(fake_hub: FakeHub, folder: Path, data: bytes, status: int) -> None:
    fake_hub.fail(REPO, status)
    with pytest.raises(HubError) as caught:
        download_model(LINK, folder)
    assert caught.value.kind == "gated"
    message = str(caught.value)
    assert f"https://huggingface.co/{REPO}" in message and "accept" in message and "HF_TOKEN" in message
    assert ggufs(folder) == []


def test_token_opens_a_gated_model_and_stays_on_the_hub(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    fake_hub.require_token(REPO, "hf_secret")
    fake_hub.redirect_lfs = True  # the bytes come from another origin, like the hub's CDN
    with pytest.raises(HubError, match="token"):
        download_model(LINK, folder)
    assert download_model(LINK, folder, token="hf_secret").read_bytes() == data
    hub_side = [r for r in fake_hub.requests if "/resolve/" in r.path and r.authorization]
    cdn_side = [r for r in fake_hub.requests if r.path.startswith("/cdn/")]
    assert hub_side and all(r.authorization == "Bearer hf_secret" for r in hub_side)
    assert cdn_side and all(r.authorization is None for r in cdn_side)


def test_token_from_the_environment(
    fake_hub: FakeHub, folder: Path, data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub.require_token(REPO, "hf_from_env")
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    assert download_model(LINK, folder).read_bytes() == data


def test_connection_refused(fake_hub: FakeHub, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(HubError) as caught:
        download_model(LINK, folder)
    assert caught.value.kind == "network"
    assert "Cannot reach" in str(caught.value) and "network" in str(caught.value)


def test_stalled_transfer_gives_up_after_the_retries(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    fake_hub.stall(after=0, seconds=600, times=None)
    with pytest.raises(HubError) as caught:
        download_model(LINK, folder, timeout=0.5, retries=1)
    assert caught.value.kind == "stalled"
    assert "stalled" in str(caught.value) and "0.5 seconds" in str(caught.value)
    assert len(fake_hub.file_requests(NAME)) == 2
    assert ggufs(folder) == []


def test_a_stall_that_ends_is_survived(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    fake_hub.stall(after=50_000, seconds=600, times=1)
    assert download_model(LINK, folder, timeout=0.5).read_bytes() == data
    ranges = [get.range for get in fake_hub.file_requests(NAME)]
    # A very busy machine may add a resume of its own later on; the first two are fixed.
    assert ranges[:2] == [None, "bytes=50000-"]
    assert all(later is not None for later in ranges[2:])


def test_checksum_mismatch_is_caught(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    fake_hub.corrupt_checksum(REPO, NAME)
    with pytest.raises(HubError) as caught:
        download_model(LINK, folder)
    assert caught.value.kind == "checksum"
    assert "checksum" in str(caught.value)
    assert ggufs(folder) == [] and partial_files(folder) == []


def test_a_gguf_named_file_that_is_not_gguf(fake_hub: FakeHub, folder: Path) -> None:
    fake_hub.add_file(REPO, "fake.gguf", b"<html>Sign in</html>" * 50)
    with pytest.raises(HubError) as caught:
        download_model(f"{REPO}:fake.gguf", folder)
    assert caught.value.kind == "not_gguf"
    assert ggufs(folder) == [] and partial_files(folder) == []


def test_a_link_that_is_not_a_gguf_file(fake_hub: FakeHub, folder: Path) -> None:
    with pytest.raises(HubError) as caught:
        download_model(f"https://huggingface.co/{REPO}/resolve/main/model.safetensors", folder)
    assert caught.value.kind == "bad_link"
    assert fake_hub.requests == []


def test_free_space_is_checked_before_fetching(
    fake_hub: FakeHub, folder: Path, data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 1_000, 1_000))
    with pytest.raises(HubError) as caught:
        download_model(LINK, folder)
    assert caught.value.kind == "disk_space"
    assert "300.0 kB" in str(caught.value) and "1.0 kB free" in str(caught.value)
    assert fake_hub.file_requests(NAME) == []


def test_free_space_function_can_be_injected(fake_hub: FakeHub, folder: Path, data: bytes) -> None:
    asked: list[Path] = []

    def free(path: Path) -> int:
        asked.append(path)
        return 10

    with pytest.raises(HubError, match="Not enough free disk space"):
        download_model(LINK, folder, free_space=free)
    assert asked == [folder]
    assert download_model(LINK, folder, free_space=lambda path: len(data)).read_bytes() == data


def test_model_folder_that_cannot_be_created(fake_hub: FakeHub, tmp_path: Path, data: bytes) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(HubError) as caught:
        download_model(LINK, blocker / "models")
    assert caught.value.kind == "folder"


# ----- split models -----------------------------------------------------------------------------------------


def test_split_model_downloads_every_part_under_its_own_name(fake_hub: FakeHub, folder: Path) -> None:
    parts = [gguf_bytes(40_000, seed=10), b"GGUF" + bytes(30_000)]
    fake_hub.add_file(REPO, "Q8_0/Model-Q8_0-00001-of-00002.gguf", parts[0])
    fake_hub.add_file(REPO, "Q8_0/Model-Q8_0-00002-of-00002.gguf", parts[1])
    seen: list[str] = []
    path = download_model(
        f"https://huggingface.co/{REPO}/blob/main/Q8_0/Model-Q8_0-00001-of-00002.gguf",
        folder,
        progress=lambda update: seen.append(update.filename),
    )
    assert path == folder / "Model-Q8_0-00001-of-00002.gguf"
    assert path.read_bytes() == parts[0]
    assert (folder / "Model-Q8_0-00002-of-00002.gguf").read_bytes() == parts[1]
    assert MODEL_FOR_TESTING not in ggufs(folder)
    assert set(seen) == {"Model-Q8_0-00001-of-00002.gguf", "Model-Q8_0-00002-of-00002.gguf"}
