"""llama.cpp's own log lines: kept out of the transcript, written to the log file, quoted when a load fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from samantha.tinymodel import write_tiny_gguf


def samantha_run(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SAMANTHA_DATA_DIR": str(data)}
    return subprocess.run([sys.executable, "-m", "samantha", "run", "--no-history", *args], check=False,
                          capture_output=True, text=True, timeout=180, env=env)


def test_llama_cpp_warnings_go_to_the_log_file_not_the_transcript(tmp_path: Path) -> None:
    # A context longer than the model was trained for makes llama.cpp warn on stderr at every load,
    # as Gemma's "llama_kv_cache_iswa: using full-size SWA cache" does.
    short = write_tiny_gguf(tmp_path / "short.gguf", seed=1, context_length=64)
    result = samantha_run(tmp_path / "data", "--model", str(short), "--prompt", "hi", "--set", "n_ctx=256",
                          "--set", "max_tokens=3")
    assert result.returncode == 0, result.stderr
    assert "n_ctx_train" not in result.stderr and "llama_context" not in result.stderr, result.stderr
    assert "n_ctx_train" not in result.stdout and "---------- (" in result.stdout
    log = (tmp_path / "data" / "llama.log").read_text(encoding="utf-8")
    assert "n_ctx_seq (256) > n_ctx_train (64)" in log


def test_a_failed_load_quotes_what_llama_cpp_said(tmp_path: Path) -> None:
    data = write_tiny_gguf(tmp_path / "t.gguf", seed=1).read_bytes()
    key = b"general.architecture"
    at = data.index(key) + len(key) + 12  # after the value's type and length
    assert data[at:at + 5] == b"llama"
    odd = tmp_path / "odd-arch.gguf"
    odd.write_bytes(data[:at] + b"llamb" + data[at + 5:])  # an architecture this llama.cpp does not know
    result = samantha_run(tmp_path / "data", "--model", str(odd), "--prompt", "hi", "--set", "max_tokens=3")
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if "odd-arch.gguf" in line]
    assert "llama.cpp said:" in line and "unknown model architecture: 'llamb'" in line, result.stderr
    assert str(tmp_path / "data" / "llama.log") in line
