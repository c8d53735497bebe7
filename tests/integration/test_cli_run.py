"""`samantha run`, the headless command line, as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from samantha.tinymodel import grammar_for_text

SAMANTHA = [sys.executable, "-m", "samantha"]


def samantha(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*SAMANTHA, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def grammar_file(tmp_path: Path) -> Path:
    path = tmp_path / "answer.gbnf"
    path.write_text(grammar_for_text("Feedback text."))
    return path


def test_run_prints_banner_answer_and_stats(tiny_model: Path, grammar_file: Path) -> None:
    result = samantha("run", "--model", str(tiny_model), "--prompt", "Hello", "--set", "n_ctx=512",
                      "--grammar-file", str(grammar_file))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "=" * 42 and lines[1] == "1) tiny-chatml.gguf  (loop 1, response 1)" and lines[2] == "=" * 42
    assert lines[3] == ">> 1) tiny-chatml.gguf \u00b7 loop 1 \u00b7 response 1 \u00b7 item 1: \u201cHello\u201d"
    assert lines[4] == "Feedback text."
    assert lines[5].startswith("---------- (") and "tokens," in lines[5] and "tokens/s" in lines[5]


def test_console_script_is_the_same_program(tiny_model: Path) -> None:
    script = shutil.which("samantha", path=str(Path(sys.executable).parent))
    assert script, "pip install -e . provides the samantha command"
    result = subprocess.run([script, "run", "--model", str(tiny_model), "--prompt", "a\nb", "--dry-run"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == samantha("run", "--model", str(tiny_model), "--prompt",
                                                                  "a\nb", "--dry-run").stdout


def test_dry_run_plans_without_loading(tmp_path: Path) -> None:
    fake = tmp_path / "never-loaded.gguf"
    fake.write_bytes(b"not even a model")
    result = samantha("run", "--model", str(fake), "--model", str(fake), "--prompt",
                      "[Be kind]\n{temperature=0.5} one\ntwo\n[[Sum up:]]", "--responses", "2", "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 * 2 * 3
    assert lines[0].startswith("1. loop 1, model 1 never-loaded.gguf, round 1, item 1: 'Be kind\\\\none'")
    assert "{temperature=0.5}" in lines[0]
    assert "[[final: + all answers so far]]" in lines[2]


def test_feedback_and_session_file(tiny_model: Path, tiny_model_b: Path, grammar_file: Path, tmp_path: Path) -> None:
    session = tmp_path / "out" / "session.json"
    result = samantha("run", "--model", str(tiny_model), "--model", str(tiny_model_b), "--prompt", "Go on",
                      "--previous", "typed", "--feedback", "--loops", "2", "--seed", "42", "--set", "n_ctx=512",
                      "--set", "max_tokens=50", "--grammar-file", str(grammar_file), "--save", str(session))
    assert result.returncode == 0, result.stderr
    doc = json.loads(session.read_text())
    assert doc["format"] == "samantha-session" and doc["version"] == 1 and doc["seed"] == 42
    assert doc["finished"] == {"reason": "done", "answers": 4}
    answers = doc["answers"]
    assert [Path(a["model"]).name for a in answers] == ["tiny-chatml.gguf", "tiny-other.gguf"] * 2
    assert [(a["loop"], a["round"], a["item_number"]) for a in answers] == [(1, 1, 1), (1, 1, 1), (2, 1, 1), (2, 1, 1)]
    for answer in answers:
        assert answer["answer"] == "Feedback text."
        assert answer["settings"]["n_ctx"] == 512 and answer["settings"]["seed"] is not None
        for key in ("prompt_tokens", "answer_tokens", "load_seconds", "prompt_seconds", "generation_seconds"):
            assert key in answer
    assert "<|im_start|>assistant\ntyped<|im_end|>" in answers[0]["prompt"]
    assert "<|im_start|>assistant\nFeedback text.<|im_end|>" in answers[1]["prompt"]
    assert [a["settings"]["seed"] for a in answers] == [42, 43, 44, 45]


def test_random_params_are_recorded_in_the_session(tiny_model: Path, tmp_path: Path) -> None:
    session = tmp_path / "s.json"
    result = samantha("run", "--model", str(tiny_model), "--prompt", "x", "--random-params", "--responses", "2",
                      "--set", "max_tokens=5", "--set", "n_ctx=256", "--seed", "7", "--save", str(session))
    assert result.returncode == 0, result.stderr
    answers = json.loads(session.read_text())["answers"]
    for answer in answers:
        drawn = answer["random_values"]
        assert set(drawn) >= {"temperature", "tfs_z", "top_p", "repeat_penalty"}
        assert answer["settings"]["temperature"] == drawn["temperature"]
    assert result.stdout.count("{temperature=") == 2


def test_bad_input_exits_non_zero_with_a_clear_message(tiny_model: Path, tmp_path: Path) -> None:
    missing = samantha("run", "--model", str(tmp_path / "nope.gguf"), "--prompt", "x")
    assert missing.returncode == 2 and "model file not found" in missing.stderr and "nope.gguf" in missing.stderr
    malformed = samantha("run", "--model", str(tiny_model), "--prompt", "ok\n{temprature=1} hi")
    assert malformed.returncode == 2
    assert "Prompt item 2" in malformed.stderr and "temprature" in malformed.stderr
    bad_set = samantha("run", "--model", str(tiny_model), "--prompt", "x", "--set", "top_p=7")
    assert bad_set.returncode == 2 and "top_p" in bad_set.stderr
    # With no --model, the bundled starter model runs: tests/real/test_cli_starter.py.


def test_a_broken_model_is_reported_and_the_run_goes_on(broken_model: Path, tiny_model: Path) -> None:
    result = samantha("run", "--model", str(broken_model), "--model", str(tiny_model), "--prompt", "x",
                      "--set", "max_tokens=5", "--set", "n_ctx=256")
    assert result.returncode == 1
    assert "broken.gguf" in result.stderr
    assert "2) tiny-chatml.gguf" in result.stdout and "---------- (" in result.stdout


def test_prompt_file_and_fast_mode(tiny_model: Path, tmp_path: Path, grammar_file: Path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("first$$$\nsecond", encoding="utf-8")
    result = samantha("run", "--model", str(tiny_model), "--prompt-file", str(prompts), "--fast",
                      "--grammar-file", str(grammar_file), "--set", "n_ctx=256")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Feedback text.") == 2 and result.stdout.count("---------- (") == 2


def test_ctrl_c_stops_the_chain_and_keeps_the_session(tiny_model: Path, tmp_path: Path) -> None:
    session = tmp_path / "s.json"
    grammar = tmp_path / "long.gbnf"
    grammar.write_text("root ::= [a-z]{400}\n")
    process = subprocess.Popen([*SAMANTHA, "run", "--model", str(tiny_model), "--prompt", "x", "--responses", "50",
                                "--set", "n_ctx=512", "--grammar-file", str(grammar), "--save", str(session)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if session.exists() and json.loads(session.read_text())["answers"]:
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    doc = json.loads(session.read_text())
    assert doc["finished"]["reason"] == "stopped"
    assert 1 <= len(doc["answers"]) < 50
    assert "stopping" in err
    assert process.returncode == 130  # a script can tell the run was cut short


def test_unusable_input_is_named_before_anything_runs(tiny_model: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    cannot_save = samantha("run", "--model", str(tiny_model), "--prompt", "x", "--save", str(a_file / "s.json"))
    assert cannot_save.returncode == 2 and "cannot write the session file" in cannot_save.stderr
    assert "Traceback" not in cannot_save.stderr
    folder = samantha("run", "--model", str(tmp_path), "--prompt", "x")
    assert folder.returncode == 2 and "a folder is not a model file" in folder.stderr
    zero = samantha("run", "--model", str(tiny_model), "--prompt", "x", "--responses", "0")
    assert zero.returncode == 2 and "--responses" in zero.stderr and "--set" not in zero.stderr
    links = tmp_path / "links.txt"
    links.write_text("---\nowner/repo:ok.gguf\nnot a link\n")
    bad_link = samantha("run", "--urls-file", str(links), "--prompt", "x")
    assert bad_link.returncode == 2 and "line 3" in bad_link.stderr.lower(), bad_link.stderr


def test_a_windows_1252_prompt_file_keeps_its_accents(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_bytes("Um café, por favor\r\nAção".encode("cp1252"))
    result = samantha("run", "--model", "m.gguf", "--prompt-file", str(prompts), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Um café, por favor" in result.stdout and "Ação" in result.stdout
    assert "prompts.txt is not UTF-8, so it was read as Windows-1252, a guess" in result.stderr


def test_a_utf16_prompt_file_from_notepad_is_read(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_bytes("Um café\r\nAção".encode("utf-16"))  # with its byte-order mark, as Notepad writes it
    result = samantha("run", "--model", "m.gguf", "--prompt-file", str(prompts), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "item 1: 'Um café'" in result.stdout and "item 2: 'Ação'" in result.stdout
    assert "guess" not in result.stderr


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("head") is None, reason="needs bash and head")
def test_a_reader_that_stops_early_ends_the_run_quietly(tiny_model: Path, tmp_path: Path) -> None:
    """`samantha run … | head -1`: no traceback, and the exit status of a tool ended by a closed pipe."""
    command = " ".join([*SAMANTHA, "run", "--model", str(tiny_model), "--prompt", "x", "--set", "max_tokens=40",
                        "--set", "n_ctx=256", "--learning", "--pace", "0.05", "--no-history"])
    result = subprocess.run(["bash", "-c", f"{command} 2>{tmp_path / 'err.txt'} | head -1; exit ${{PIPESTATUS[0]}}"],
                            capture_output=True, text=True, timeout=120)
    assert result.stdout == "=" * 42 + "\n"
    assert result.returncode == 141
    assert "Traceback" not in (tmp_path / "err.txt").read_text()


@pytest.mark.skipif(os.name != "posix", reason="POSIX shell")
def test_python_dash_m_guard_keeps_workers_from_rerunning_main(tiny_model: Path) -> None:
    result = samantha("run", "--model", str(tiny_model), "--prompt", "x", "--set", "max_tokens=3", "--set", "n_ctx=256")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("1) tiny-chatml.gguf  (loop 1") == 1


def test_loops_and_responses_beyond_the_bound_are_refused_with_the_limit(tiny_model: Path) -> None:
    for option in ("--loops", "--responses"):
        result = samantha("run", "--model", str(tiny_model), "--prompt", "x", option, "100000000")
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert option in result.stderr and "at most 1,000,000" in result.stderr, result.stderr


@pytest.mark.skipif(not hasattr(__import__("resource"), "RLIMIT_AS"), reason="needs RLIMIT_AS")
def test_a_huge_plan_is_made_lazily_under_a_memory_cap(tmp_path: Path) -> None:
    """A billion planned steps under 1.5 GB of address space: the plan streams, it is never built in memory."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))

    process = subprocess.Popen([*SAMANTHA, "run", "--model", "m.gguf", "--model", "n.gguf", "--prompt", "a\nb",
                                "--loops", "1000000", "--responses", "1000", "--dry-run"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=cap)
    assert process.stdout is not None
    first = [process.stdout.readline() for _ in range(3)]
    process.stdout.close()  # the reader has what it wants, like `| head -3`
    _, err = process.communicate(timeout=120)
    assert first[0].startswith("1. loop 1, model 1 m.gguf, round 1, item 1: 'a'"), (first, err)
    assert first[2].startswith("3. loop 1, model 1 m.gguf, round 2, item 1: 'a'")
    assert "MemoryError" not in err and "Traceback" not in err
    assert process.returncode == 141  # ended by the closed pipe, not by memory
