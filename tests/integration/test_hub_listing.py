"""Listing a repo's GGUF files through the real code against the local hub stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from samantha.hub import HubError, RepoFile, download_model, links_text, list_repo_gguf, parse_links
from samantha.runner import free_port
from tests.support.fake_hub import FakeHub, gguf_bytes

pytest_plugins = ["tests.support.fake_hub"]  # the fake_hub fixture

REPO = "owner/Model-GGUF"
FILES = {
    "README.md": (b"# card", False),
    ".gitattributes": (b"*.gguf filter=lfs", False),
    "Model-Q4_K_M.gguf": (gguf_bytes(4_000, 1), True),
    "Model-IQ2_XS.gguf": (gguf_bytes(2_000, 2), True),
    "model.safetensors": (b"not a gguf", True),
    "sub/Model-Q8_0.gguf": (gguf_bytes(8_000, 3), True),
    "deep/er/Model-f16.gguf": (gguf_bytes(1_600, 4), False),
    "BF16/Model-BF16-00001-of-00002.gguf": (gguf_bytes(10_000, 5), True),
    "BF16/Model-BF16-00002-of-00002.gguf": (gguf_bytes(6_000, 6), True),
}


@pytest.fixture
def repo(fake_hub: FakeHub) -> FakeHub:
    for path, (content, lfs) in FILES.items():
        fake_hub.add_file(REPO, path, content, lfs=lfs)
    return fake_hub


def summary(files: list[RepoFile]) -> list[tuple[str, int, str | None, int]]:
    return [(f.path, f.size, f.quant, f.parts) for f in files]


EXPECTED = [
    ("BF16/Model-BF16-00001-of-00002.gguf", 16_000, "BF16", 2),
    ("deep/er/Model-f16.gguf", 1_600, "F16", 1),
    ("Model-IQ2_XS.gguf", 2_000, "IQ2_XS", 1),
    ("Model-Q4_K_M.gguf", 4_000, "Q4_K_M", 1),
    ("sub/Model-Q8_0.gguf", 8_000, "Q8_0", 1),
]


@pytest.mark.parametrize(
    "link",
    [
        REPO,
        f"https://huggingface.co/{REPO}",
        f"https://huggingface.co/{REPO}/tree/main",
        f"https://huggingface.co/{REPO}/resolve/main/Model-Q4_K_M.gguf?download=true",
    ],
)
def test_every_gguf_with_size_quant_and_link(repo: FakeHub, link: str) -> None:
    files = list_repo_gguf(link)
    assert summary(files) == EXPECTED
    q4 = next(f for f in files if f.quant == "Q4_K_M")
    assert q4.link == f"https://huggingface.co/{REPO}/resolve/main/Model-Q4_K_M.gguf?download=true"
    assert q4.sha256 is not None and len(q4.sha256) == 64
    assert q4.label.startswith("Q4_K_M") and "4.0 kB" in q4.label


def test_split_model_is_one_entry_with_its_parts(repo: FakeHub) -> None:
    split = list_repo_gguf(REPO)[0]
    assert split.parts == 2
    assert split.part_paths == ("BF16/Model-BF16-00001-of-00002.gguf", "BF16/Model-BF16-00002-of-00002.gguf")
    assert split.name == "Model-BF16-00001-of-00002.gguf"
    assert "2 parts" in split.label and "16.0 kB" in split.label


def test_links_paste_back_into_the_download_field(repo: FakeHub, tmp_path: Path) -> None:
    files = list_repo_gguf(REPO)
    text = links_text(files)
    links = parse_links(text)
    assert [link.filename for link in links] == [f.path for f in files]
    picked = next(link for link in links if link.filename == "sub/Model-Q8_0.gguf")
    assert download_model(picked, tmp_path).read_bytes() == FILES["sub/Model-Q8_0.gguf"][0]


def test_a_folder_page_lists_only_that_folder(repo: FakeHub) -> None:
    files = list_repo_gguf(f"https://huggingface.co/{REPO}/tree/main/deep")
    assert summary(files) == [("deep/er/Model-f16.gguf", 1_600, "F16", 1)]


def test_long_listings_follow_the_pages(repo: FakeHub) -> None:
    repo.page_size = 2
    assert summary(list_repo_gguf(REPO)) == EXPECTED
    pages = [r for r in repo.requests if r.path.startswith(f"/api/models/{REPO}/tree/")]
    assert len(pages) > 3 and "cursor=" in pages[-1].query


def test_a_repo_without_gguf_files(fake_hub: FakeHub) -> None:
    fake_hub.add_file("owner/plain", "model.safetensors", b"x")
    assert list_repo_gguf("owner/plain") == []


def test_missing_repo(fake_hub: FakeHub) -> None:
    with pytest.raises(HubError) as caught:
        list_repo_gguf("nobody/Nothing")
    assert caught.value.kind == "not_found" and "Check the link" in str(caught.value)


def test_missing_folder(repo: FakeHub) -> None:
    with pytest.raises(HubError) as caught:
        list_repo_gguf(f"https://huggingface.co/{REPO}/tree/main/nope")
    assert caught.value.kind == "not_found"


@pytest.mark.parametrize("status", [401, 403])
def test_gated_repo(repo: FakeHub, status: int) -> None:
    repo.fail(REPO, status)
    with pytest.raises(HubError) as caught:
        list_repo_gguf(REPO)
    assert caught.value.kind == "gated" and "HF_TOKEN" in str(caught.value)


def test_token_lists_a_gated_repo(repo: FakeHub) -> None:
    repo.require_token(REPO, "hf_secret")
    with pytest.raises(HubError):
        list_repo_gguf(REPO)
    assert summary(list_repo_gguf(REPO, token="hf_secret")) == EXPECTED


def test_no_network(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(HubError) as caught:
        list_repo_gguf(REPO)
    assert caught.value.kind == "network"


def test_bad_repo_link(fake_hub: FakeHub) -> None:
    with pytest.raises(HubError) as caught:
        list_repo_gguf("https://example.com/owner/model")
    assert caught.value.kind == "bad_link"
    assert fake_hub.requests == []
