"""A transcript read cold: every answer's heading says which model, loop, response round and prompt item produced it.

Runs a real 2-model x 3-item x 2-loop feedback chain through `samantha run` (real llama.cpp, tiny models), then
reads the same session back with `samantha history show`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from samantha.tinymodel import SMOLLM2_DEFAULT_SYSTEM, SMOLLM2_TEMPLATE, write_tiny_gguf

SAMANTHA = [sys.executable, "-m", "samantha"]
PROMPT = "[Answer in one word]\n--- a skipped line\nName a colour\nName an animal\n{temperature=0.5} Name a city"
WORDS = ["Name a colour", "Name an animal", "Name a city"]


def samantha(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SAMANTHA, *args], capture_output=True, text=True, timeout=300, check=False)


def expected_headings(models: list[Path]) -> list[str]:
    return [f">> {position}) {model.name} \u00b7 loop {loop} \u00b7 response 1 \u00b7 item {item}: \u201c{words}\u201d"
            for loop in (1, 2) for position, model in enumerate(models, start=1)
            for item, words in enumerate(WORDS, start=1)]


def answer_blocks(transcript: str) -> list[tuple[str, str]]:
    """(heading, stats line) of each answer, in order: the heading line is the one right before the answer."""
    return re.findall(r"^(>> .*)\n(?:\{.*\}\n)?(?:.*\n)*?^(---------- \(.*)$", transcript, re.MULTILINE)


def test_a_feedback_chain_transcript_says_what_produced_each_answer(tiny_model: Path, tiny_model_b: Path,
                                                                    tmp_path: Path) -> None:
    saved = tmp_path / "session.json"
    result = samantha("run", "--model", str(tiny_model), "--model", str(tiny_model_b), "--prompt", PROMPT,
                      "--loops", "2", "--feedback", "--set", "max_tokens=4", "--set", "n_ctx=512", "--seed", "5",
                      "--save", str(saved))
    assert result.returncode == 0, result.stderr
    models = [tiny_model, tiny_model_b]
    blocks = answer_blocks(result.stdout)
    # Twelve answers, each opened by its own heading (item numbers count real items: not the prefix, not ---).
    assert [heading for heading, _ in blocks] == expected_headings(models)
    banners = re.findall(r"^\d\) .*\(loop \d, response \d\)$", result.stdout, re.MULTILINE)
    assert banners == [f"{p}) {m.name}  (loop {loop}, response 1)" for loop in (1, 2)
                       for p, m in enumerate(models, start=1)]

    stored = re.search(r"history session #(\d+)", result.stderr)
    assert stored, result.stderr
    shown = samantha("history", "show", stored.group(1))
    assert shown.returncode == 0, shown.stderr
    assert [heading for heading, _ in answer_blocks(shown.stdout)] == expected_headings(models)


def test_pasting_an_answers_random_settings_header_back_reproduces_it(tiny_model: Path, tmp_path: Path) -> None:
    common = ["run", "--model", str(tiny_model), "--set", "max_tokens=12", "--set", "n_ctx=512", "--no-history"]
    drawn = samantha(*common, "--prompt", "Name a colour\nName an animal", "--random-params", "--seed", "9",
                     "--save", str(tmp_path / "drawn.json"))
    assert drawn.returncode == 0, drawn.stderr
    lines = drawn.stdout.splitlines()
    header = lines[max(i for i, line in enumerate(lines) if line.startswith(">> ")) + 1]
    assert header.startswith("{") and "seed=" in header
    again = samantha(*common, "--prompt", f"{header} Name an animal", "--save", str(tmp_path / "again.json"))
    assert again.returncode == 0, again.stderr
    first = json.loads((tmp_path / "drawn.json").read_text())["answers"][1]
    second = json.loads((tmp_path / "again.json").read_text())["answers"][0]
    assert second["settings"] == first["settings"] and second["answer"] == first["answer"]


@pytest.fixture(scope="module")
def smollm_like_model(model_dir: Path) -> Path:
    return write_tiny_gguf(model_dir / "tiny-smollm-template.gguf", seed=4, chat_template=SMOLLM2_TEMPLATE,
                           eos_token="<|im_end|>", name="smollm-like")


def prompt_shown(transcript: str) -> str:
    match = re.search(r"^---------- prompt the model saw.*?:\n(.*?)\n(?:---------- note|---------- answer:)",
                      transcript, re.MULTILINE | re.DOTALL)
    assert match, transcript
    return match.group(1)


def test_show_prompt_prints_the_exact_prompt_and_names_what_the_template_added(smollm_like_model: Path,
                                                                               tmp_path: Path) -> None:
    saved = tmp_path / "session.json"
    result = samantha("run", "--model", str(smollm_like_model), "--prompt", "Say hi", "--previous", "Earlier words",
                      "--show-prompt", "--set", "max_tokens=4", "--set", "n_ctx=512", "--save", str(saved))
    assert result.returncode == 0, result.stderr
    record = json.loads(saved.read_text())["answers"][0]
    assert prompt_shown(result.stdout) == record["prompt"]
    assert "Earlier words" in record["prompt"] and SMOLLM2_DEFAULT_SYSTEM in record["prompt"]
    assert (f"note: the model's own chat template added text you did not type: \u201c{SMOLLM2_DEFAULT_SYSTEM}\u201d"
            in result.stdout)

    stored = re.search(r"history session #(\d+)", result.stderr)
    assert stored, result.stderr
    plain = samantha("history", "show", stored.group(1))
    assert "prompt the model saw" not in plain.stdout
    shown = samantha("history", "show", "--prompts", stored.group(1))
    assert shown.returncode == 0, shown.stderr
    assert prompt_shown(shown.stdout) == record["prompt"] and SMOLLM2_DEFAULT_SYSTEM + "\u201d" in shown.stdout


def test_no_template_note_when_the_user_gave_a_system_prompt(smollm_like_model: Path) -> None:
    result = samantha("run", "--model", str(smollm_like_model), "--prompt", "Say hi", "--system", "Be terse",
                      "--show-prompt", "--set", "max_tokens=4", "--set", "n_ctx=512", "--no-history")
    assert result.returncode == 0, result.stderr
    assert prompt_shown(result.stdout).startswith("<|im_start|>system\nBe terse<|im_end|>")
    assert SMOLLM2_DEFAULT_SYSTEM not in result.stdout and "did not type" not in result.stdout


def test_single_refuses_unpaired_items_before_the_run_and_honours_loops(tiny_model: Path, tiny_model_b: Path) -> None:
    unpaired = samantha("run", "--model", str(tiny_model), "--model", str(tiny_model_b), "--prompt", "a\nb\nc",
                        "--single", "--no-history")
    assert unpaired.returncode == 2 and unpaired.stdout == ""
    assert "--single: model i answers item i only, but there are 3 prompt item(s) and 2 model(s)" in unpaired.stderr
    paired = samantha("run", "--model", str(tiny_model), "--model", str(tiny_model_b), "--prompt", "a\nb",
                      "--single", "--loops", "2", "--set", "max_tokens=2", "--set", "n_ctx=256", "--no-history")
    assert paired.returncode == 0, paired.stderr
    assert [line.split(": ")[0] for line in paired.stdout.splitlines() if line.startswith(">> ")] == [
        f">> {p}) {m.name} \u00b7 loop {loop} \u00b7 response 1 \u00b7 item {p}" for loop in (1, 2)
        for p, m in ((1, tiny_model), (2, tiny_model_b))]


def test_a_shuffled_dry_run_names_its_seed_and_the_run_with_that_seed_follows_it(
    tiny_model: Path, tiny_model_b: Path, gemma_like_model: Path
) -> None:
    chain = ["--model", str(tiny_model), "--model", str(tiny_model_b), "--model", str(gemma_like_model),
             "--prompt", "go", "--shuffle", "--loops", "3"]
    planned = samantha("run", *chain, "--dry-run")
    assert planned.returncode == 0, planned.stderr
    first, *steps = planned.stdout.splitlines()
    drawn = re.fullmatch(r"session seed (\d+) \(drawn now: add --seed (\d+) to run this plan\)", first)
    assert drawn and drawn.group(1) == drawn.group(2), first
    order = [re.search(r"model \d (\S+),", step).group(1) for step in steps]  # type: ignore[union-attr]

    ran = samantha("run", *chain, "--seed", drawn.group(1), "--set", "max_tokens=1", "--set", "n_ctx=128",
                   "--no-history")
    assert ran.returncode == 0, ran.stderr
    assert re.findall(r"^\d\) (\S+)  \(loop", ran.stdout, re.MULTILINE) == order
    again = samantha("run", *chain, "--seed", drawn.group(1), "--dry-run")
    assert again.stdout.splitlines()[0] == f"session seed {drawn.group(1)}" and again.stdout.splitlines()[1:] == steps
