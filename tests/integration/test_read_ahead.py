"""The next model's file is read into the page cache while the current model answers."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from samantha.backends.read_ahead import read_ahead

needs_fincore = pytest.mark.skipif(
    shutil.which("fincore") is None or not hasattr(os, "posix_fadvise"),
    reason="needs util-linux's fincore and posix_fadvise to see the page cache",
)


def cached_bytes(path: Path) -> int:
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def evict(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


@needs_fincore
def test_a_model_file_is_in_the_page_cache_after_reading_ahead(tmp_path: Path) -> None:
    model = tmp_path / "next.gguf"
    model.write_bytes(os.urandom(24 << 20))
    os.sync()  # written pages must reach the disk before the cache can drop them
    evict(model)
    assert cached_bytes(model) < (4 << 20)
    thread = read_ahead(str(model))
    assert thread is not None
    thread.join(timeout=60)
    assert cached_bytes(model) >= model.stat().st_size * 0.9


def test_nothing_is_read_for_remote_entries_and_missing_files(tmp_path: Path) -> None:
    assert read_ahead("openai+http://127.0.0.1:8080/v1#m") is None
    assert read_ahead(str(tmp_path / "missing.gguf")) is None


def test_the_chain_reads_the_next_model_ahead_once_the_current_one_is_loaded(
    tiny_model: Path, tiny_model_b: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from samantha.backends.base import Control
    from samantha.backends.llama_process import LlamaProcessBackend
    from samantha.chain import run_chain
    from samantha.events import ModelLoaded
    from samantha.settings import ChainSettings, Sampling

    happened: list[str] = []
    monkeypatch.setattr("samantha.chain.read_ahead", lambda ref: happened.append(f"read ahead {Path(ref).name}"))
    settings = ChainSettings(models=(str(tiny_model), str(tiny_model_b)), prompt="one\ntwo",
                             sampling=Sampling(n_ctx=256, max_tokens=3))
    backend = LlamaProcessBackend()
    try:
        for event in run_chain(settings, backend, Control()):
            if isinstance(event, ModelLoaded):
                happened.append(f"loaded {Path(event.model).name}")
    finally:
        backend.close()
    a, b = tiny_model.name, tiny_model_b.name
    # B is read while A answers its last item (after A's load), once; nothing follows B.
    assert happened == [f"loaded {a}", f"read ahead {b}", f"loaded {b}"]
