"""Code execution in the chain, through the real engine with grammar-forced answers and a real runner venv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from runner_env import runner_environment

from samantha.backends.base import Control
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.config import CONFIG_DIR_ENV, ConfigStore
from samantha.events import AnswerFinished, ChainFinished, CodeRan
from samantha.runner import CodeRunner
from samantha.runner.chain_hook import CodeRunHook
from samantha.settings import ChainSettings, Sampling
from samantha.tinymodel import grammar_for_text

SAMPLING = Sampling(n_ctx=1024, max_tokens=200)


@pytest.fixture(scope="module")
def environment():
    return runner_environment()


def answer_with(code: str) -> str:
    return f"Here it is:\n```python\n{code}\n```"


def run(settings: ChainSettings, hook: CodeRunHook, grammar: str) -> list:
    backend = LlamaProcessBackend()
    try:
        return list(run_chain(settings, backend, Control(), hooks=[hook], grammar=grammar))
    finally:
        backend.close()
        hook.runner.close()


def test_code_runs_after_each_answer_and_its_output_is_fed_back(tiny_model: Path, environment, tmp_path: Path) -> None:
    answer = answer_with("print(6 * 7)")
    settings = ChainSettings(models=(str(tiny_model),), prompt="Compute", responses=2, feedback=True, run_code=True,
                             sampling=SAMPLING)
    events = run(settings, CodeRunHook(CodeRunner(environment, tmp_path)), grammar_for_text(answer))
    runs = [e for e in events if isinstance(e, CodeRan)]
    assert [r.stdout for r in runs] == ["42\n", "42\n"] and not runs[0].is_error
    records = [e.record for e in events if isinstance(e, AnswerFinished)]
    fed_back = f"{answer}\n\nPython output:\n42"
    assert f"<|im_start|>assistant\n{fed_back}<|im_end|>" in records[1].prompt
    assert records[0].extra["code_output"].strip() == "42"
    assert records[0].extra["fed_back"] == fed_back  # the UI shows this as the previous response


def test_output_only_feedback(tiny_model: Path, environment, tmp_path: Path) -> None:
    settings = ChainSettings(models=(str(tiny_model),), prompt="Compute", responses=2, feedback=True, run_code=True,
                             feedback_output_only=True, sampling=SAMPLING)
    hook = CodeRunHook(CodeRunner(environment, tmp_path), output_only=True)
    events = run(settings, hook, grammar_for_text(answer_with("print('only this')")))
    second = [e.record for e in events if isinstance(e, AnswerFinished)][1]
    assert "<|im_start|>assistant\nonly this<|im_end|>" in second.prompt


def test_stop_condition_ends_on_success_but_not_on_a_traceback(tiny_model: Path, environment, tmp_path: Path) -> None:
    settings = ChainSettings(models=(str(tiny_model),), prompt="Try", responses=3, run_code=True,
                             stop_condition=True, sampling=SAMPLING)
    failing = run(settings, CodeRunHook(CodeRunner(environment, tmp_path / "a"), stop_condition=True),
                  grammar_for_text(answer_with("print('partial'); 1/0")))
    assert sum(isinstance(e, CodeRan) for e in failing) == 3
    assert failing[-1] == ChainFinished("done", 3)
    succeeding = run(settings, CodeRunHook(CodeRunner(environment, tmp_path / "b"), stop_condition=True),
                     grammar_for_text(answer_with("print('found it')")))
    assert succeeding[-1] == ChainFinished("stop condition", 1)


def test_stop_samantha_printed_by_the_code_stops_the_chain(tiny_model: Path, environment, tmp_path: Path) -> None:
    settings = ChainSettings(models=(str(tiny_model),), prompt="Loop", responses=5, run_code=True, sampling=SAMPLING)
    events = run(settings, CodeRunHook(CodeRunner(environment, tmp_path)),
                 grammar_for_text(answer_with("print('STOP_SAMANTHA')")))
    assert events[-1] == ChainFinished("STOP_SAMANTHA", 1)


def test_answers_without_code_run_nothing(tiny_model: Path, environment, tmp_path: Path) -> None:
    settings = ChainSettings(models=(str(tiny_model),), prompt="Talk", run_code=True, sampling=SAMPLING)
    events = run(settings, CodeRunHook(CodeRunner(environment, tmp_path)), grammar_for_text("No code here."))
    assert not [e for e in events if isinstance(e, CodeRan)]


def test_samantha_run_with_run_code_and_stop_condition(tiny_model: Path, environment, tmp_path: Path) -> None:
    grammar = tmp_path / "code.gbnf"
    grammar.write_text(grammar_for_text(answer_with("print(sum(range(10)))")))
    session = tmp_path / "s.json"
    # No --runner: the run uses the environment the app remembers (chosen in the Code tab).
    ConfigStore(tmp_path / "config").update(runner_python=str(environment.root))
    result = subprocess.run(
        [sys.executable, "-m", "samantha", "run", "--model", str(tiny_model), "--prompt", "go", "--responses", "4",
         "--run-code", "--stop-condition", "--workdir", str(tmp_path / "work"),
         "--grammar-file", str(grammar), "--set", "n_ctx=1024", "--save", str(session)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, CONFIG_DIR_ENV: str(tmp_path / "config")},
    )
    assert result.returncode == 0, result.stderr
    assert "---------- Python output (exit 0" in result.stdout and "\n45\n" in result.stdout
    doc = json.loads(session.read_text())
    assert doc["finished"] == {"reason": "stop condition", "answers": 1}
    assert doc["answers"][0]["extra"]["code_output"].strip() == "45"


def test_missing_runner_environment_is_a_clear_error(tiny_model: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "samantha", "run", "--model", str(tiny_model), "--prompt", "go", "--run-code",
         "--runner", str(tmp_path / "no-such-venv")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "samantha runner setup" in result.stderr
    assert "name an existing venv folder or Python interpreter with --runner PATH" in result.stderr
    assert "the settings" not in result.stderr


def test_stop_next_during_a_code_run_ends_that_run_and_not_the_next_answer(tiny_model: Path, environment,
                                                                            tmp_path: Path) -> None:
    marker = tmp_path / "work" / "started"  # the runner's working folder is the code's current folder
    code = "import os, time\nif not os.path.exists('started'):\n    open('started', 'w').close()\n    time.sleep(120)\nprint('done')"
    answer = answer_with(code)
    settings = ChainSettings(models=(str(tiny_model),), prompt="one\ntwo", run_code=True, sampling=SAMPLING)
    control = Control()

    def press_stop_next_once_the_code_runs() -> None:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        control.stop_next()

    presser = threading.Thread(target=press_stop_next_once_the_code_runs)
    presser.start()
    backend = LlamaProcessBackend()
    hook = CodeRunHook(CodeRunner(environment, tmp_path / "work"))
    try:
        events = list(run_chain(settings, backend, control, hooks=[hook], grammar=grammar_for_text(answer)))
    finally:
        presser.join()
        backend.close()
        hook.runner.close()
    runs = [e for e in events if isinstance(e, CodeRan)]
    assert [r.ended_by for r in runs] == ["stop", "exit"]  # the first run ended by the press (well before 120 s)
    assert runs[1].stdout == "done\n"
    records = [e.record for e in events if isinstance(e, AnswerFinished)]
    assert [r.answer for r in records] == [answer, answer]  # the next answer was not cut
    assert records[1].finish_reason != "cancelled"
    assert events[-1] == ChainFinished("done", 2)
