"""Model folder listing, chain entries and the server-side folder browser, on real temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from samantha.model_folders import (
    ModelFolderError,
    ModelListError,
    check_folder,
    list_models,
    list_subfolders,
    parent_folder,
    parse_model_list,
    resolve_models,
)


def touch(path: Path, data: bytes = b"GGUF") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_lists_gguf_files_sorted_case_insensitively(tmp_path: Path) -> None:
    touch(tmp_path / "b-model.gguf")
    touch(tmp_path / "A-model.GGUF")
    touch(tmp_path / "notes.txt")
    touch(tmp_path / "sub" / "deep.gguf")
    listing = list_models(tmp_path)
    assert listing.models == ["A-model.GGUF", "b-model.gguf"]
    assert listing.folder == tmp_path.resolve()


def test_subfolders_are_optional_and_hidden_folders_skipped(tmp_path: Path) -> None:
    touch(tmp_path / "top.gguf")
    touch(tmp_path / "sub" / "deep.gguf")
    touch(tmp_path / ".cache" / "hidden.gguf")
    assert list_models(tmp_path, include_subfolders=True).models == ["sub/deep.gguf", "top.gguf"]


def test_only_first_part_of_split_models_is_listed(tmp_path: Path) -> None:
    for part in (1, 2, 3):
        touch(tmp_path / f"big-Q4_K_M-0000{part}-of-00003.gguf")
    assert list_models(tmp_path).models == ["big-Q4_K_M-00001-of-00003.gguf"]


def test_empty_folder_lists_nothing(tmp_path: Path) -> None:
    assert list_models(tmp_path).models == []


@pytest.mark.parametrize("make", ["missing", "file", "blank"])
def test_bad_folders_are_explained(tmp_path: Path, make: str) -> None:
    target = {"missing": str(tmp_path / "nope"), "file": str(touch(tmp_path / "x.gguf")), "blank": "  "}[make]
    with pytest.raises(ModelFolderError) as caught:
        check_folder(target)
    message = str(caught.value)
    assert {"missing": "does not exist", "file": "is a file", "blank": "no model folder"}[make] in message


def test_model_list_keeps_order_and_repeats_and_skips_comments() -> None:
    text = "b.gguf\n\n  a.gguf \n--- c.gguf\nb.gguf\n"
    assert parse_model_list(text) == ["b.gguf", "a.gguf", "b.gguf"]


def test_resolve_models_relative_absolute_and_remote(tmp_path: Path) -> None:
    a = touch(tmp_path / "a.gguf")
    other = touch(tmp_path / "elsewhere" / "z.gguf")
    remote = "openai+http://127.0.0.1:8080/v1#qwen"
    resolved = resolve_models(["a.gguf", str(other), remote, "a.gguf"], tmp_path)
    assert resolved == (str(a), str(other), remote, str(a))


def test_resolve_models_names_every_missing_file(tmp_path: Path) -> None:
    touch(tmp_path / "a.gguf")
    with pytest.raises(ModelListError) as caught:
        resolve_models(["a.gguf", "gone.gguf", "also-gone.gguf"], tmp_path)
    message = str(caught.value)
    assert "model file not found" in message and "gone.gguf" in message and "also-gone.gguf" in message


def test_folder_browser_lists_visible_subfolders_and_goes_up(tmp_path: Path) -> None:
    (tmp_path / "beta").mkdir()
    (tmp_path / "Alpha").mkdir()
    (tmp_path / ".hidden").mkdir()
    touch(tmp_path / "file.gguf")
    assert list_subfolders(tmp_path) == ["Alpha", "beta"]
    assert parent_folder(tmp_path / "beta") == tmp_path.resolve()
    root = Path(tmp_path.anchor)
    assert parent_folder(root) == root
