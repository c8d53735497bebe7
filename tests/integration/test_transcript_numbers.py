"""Numbers in the transcript that are true: the finish reason and the generation speed, through real llama.cpp."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from samantha.backends.base import Control, LoadOptions

SAMANTHA = [sys.executable, "-m", "samantha"]


def stats_lines(*args: str) -> list[str]:
    result = subprocess.run([*SAMANTHA, "run", "--no-history", *args], capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line.startswith("---------- (")]


def test_a_full_context_window_is_named_as_such(tiny_model: Path, tmp_path: Path) -> None:
    grammar = tmp_path / "long.gbnf"
    grammar.write_text("root ::= [a]{600}\n")
    [full] = stats_lines("--model", str(tiny_model), "--prompt", "go", "--set", "n_ctx=128", "--set", "max_tokens=0",
                         "--grammar-file", str(grammar))
    assert full.endswith(", context full: the prompt and answer filled n_ctx (raise n_ctx for longer answers)")
    [limited] = stats_lines("--model", str(tiny_model), "--prompt", "go", "--set", "n_ctx=128",
                            "--set", "max_tokens=5", "--grammar-file", str(grammar))
    assert limited.startswith("---------- (5 tokens,") and limited.endswith(", max_tokens reached")


def test_a_one_token_answer_claims_no_speed(tiny_model: Path) -> None:
    [one] = stats_lines("--model", str(tiny_model), "--prompt", "go", "--set", "n_ctx=128", "--set", "max_tokens=1")
    assert one.startswith("---------- (1 tokens,") and "too short for a tokens/s rate" in one
    assert "tokens/s," not in one.replace("too short for a tokens/s rate", "")
    [three] = stats_lines("--model", str(tiny_model), "--prompt", "go", "--set", "n_ctx=128", "--set", "max_tokens=3")
    assert " tokens/s" in three and "too short" not in three


def test_threads_zero_gives_llama_cpp_every_core(tiny_model: Path, llama_backend) -> None:  # type: ignore[no-untyped-def]
    cores = len(os.sched_getaffinity(0))
    info = llama_backend.load(str(tiny_model), LoadOptions(n_ctx=128, n_threads=0), Control())
    assert info.n_threads == cores  # llama-cpp-python alone would give half of them
    llama_backend.unload()
    assert llama_backend.load(str(tiny_model), LoadOptions(n_ctx=128, n_threads=1), Control()).n_threads == 1


def test_more_threads_than_cores_run_with_a_warning(tiny_model: Path) -> None:
    cores = len(os.sched_getaffinity(0))
    result = subprocess.run([*SAMANTHA, "run", "--no-history", "--model", str(tiny_model), "--prompt", "go",
                             "--set", "n_ctx=128", "--set", "max_tokens=2", "--threads", str(cores + 1)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert (f"samantha: {cores + 1} CPU threads were asked for but this machine has {cores} core(s)"
            in result.stderr)
    assert result.stdout.count("---------- (") == 1
    quiet = subprocess.run([*SAMANTHA, "run", "--no-history", "--model", str(tiny_model), "--prompt", "go",
                            "--set", "n_ctx=128", "--set", "max_tokens=2", "--threads", str(cores)],
                           capture_output=True, text=True, timeout=300, check=False)
    assert quiet.returncode == 0 and "CPU threads were asked for" not in quiet.stderr
