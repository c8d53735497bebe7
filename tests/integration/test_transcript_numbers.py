"""Numbers in the transcript that are true: the finish reason and the generation speed, through real llama.cpp."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
