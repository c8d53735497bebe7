"""The hub stand-in answers huggingface_hub's own functions the way the real hub does.

If these fail, the other hub tests prove nothing about the real hub. They also
pin down what huggingface_hub itself does and does not do, which is why
samantha.hub verifies checksums itself.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import GatedRepoError, RemoteEntryNotFoundError, RepositoryNotFoundError

from tests.support.fake_hub import FakeHub, gguf_bytes

pytest_plugins = ["tests.support.fake_hub"]  # the fake_hub fixture

REPO = "owner/Model-GGUF"


@pytest.fixture
def content(fake_hub: FakeHub) -> bytes:
    data = gguf_bytes(50_000, seed=7)
    fake_hub.add_file(REPO, "Model-Q4_K_M.gguf", data)
    fake_hub.add_file(REPO, "sub/Model-Q8_0.gguf", gguf_bytes(1_000, seed=8))
    fake_hub.add_file(REPO, "README.md", b"# card", lfs=False)
    return data


def test_hf_hub_download_gets_the_bytes(fake_hub: FakeHub, content: bytes, tmp_path: Path) -> None:
    path = hf_hub_download(REPO, "Model-Q4_K_M.gguf", cache_dir=tmp_path / "cache", endpoint=fake_hub.endpoint)
    assert Path(path).read_bytes() == content


def test_metadata_carries_the_lfs_sha256_and_size(fake_hub: FakeHub, content: bytes) -> None:
    url = hf_hub_url(REPO, "Model-Q4_K_M.gguf", endpoint=fake_hub.endpoint)
    metadata = get_hf_file_metadata(url)
    assert metadata.commit_hash == fake_hub.commit(REPO)
    assert metadata.size == len(content)
    assert metadata.etag == hashlib.sha256(content).hexdigest()


def test_metadata_through_a_cdn_redirect(fake_hub: FakeHub, content: bytes) -> None:
    fake_hub.redirect_lfs = True
    metadata = get_hf_file_metadata(hf_hub_url(REPO, "Model-Q4_K_M.gguf", endpoint=fake_hub.endpoint))
    assert metadata.size == len(content)
    assert metadata.location.startswith(f"http://localhost:{fake_hub.port}/cdn/")


def test_list_repo_tree_and_model_info(fake_hub: FakeHub, content: bytes) -> None:
    api = HfApi(endpoint=fake_hub.endpoint)
    tree = {entry.path: entry for entry in api.list_repo_tree(REPO, recursive=True)}
    assert set(tree) == {"Model-Q4_K_M.gguf", "README.md", "sub", "sub/Model-Q8_0.gguf"}
    assert tree["Model-Q4_K_M.gguf"].size == len(content)  # type: ignore[union-attr]
    assert tree["Model-Q4_K_M.gguf"].lfs is not None  # type: ignore[union-attr]
    top = {entry.path for entry in api.list_repo_tree(REPO)}
    assert top == {"Model-Q4_K_M.gguf", "README.md", "sub"}
    info = api.model_info(REPO, revision="main")
    assert info.sha == fake_hub.commit(REPO)
    assert {s.rfilename for s in info.siblings or []} == {"Model-Q4_K_M.gguf", "README.md", "sub/Model-Q8_0.gguf"}
    assert sorted(api.list_repo_files(REPO)) == ["Model-Q4_K_M.gguf", "README.md", "sub/Model-Q8_0.gguf"]


def test_error_answers_map_to_huggingface_hub_errors(fake_hub: FakeHub, content: bytes, tmp_path: Path) -> None:
    api = HfApi(endpoint=fake_hub.endpoint)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("nobody/Nothing")
    with pytest.raises(RemoteEntryNotFoundError):
        get_hf_file_metadata(hf_hub_url(REPO, "missing.gguf", endpoint=fake_hub.endpoint))
    fake_hub.fail(REPO, 403)
    with pytest.raises(GatedRepoError):
        api.model_info(REPO)


def test_huggingface_hub_itself_does_not_verify_sha256(fake_hub: FakeHub, content: bytes, tmp_path: Path) -> None:
    """hf_hub_download accepts bytes that do not match the advertised sha256: samantha.hub checks it instead."""
    fake_hub.corrupt_checksum(REPO, "Model-Q4_K_M.gguf")
    path = hf_hub_download(REPO, "Model-Q4_K_M.gguf", cache_dir=tmp_path / "cache", endpoint=fake_hub.endpoint)
    assert Path(path).read_bytes() == content
