"""Running code in a real runner venv: output, limits, kills, figures, secrets."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from runner_env import processes_tagged, runner_environment

from samantha.runner import (
    CodeRunner,
    NoCodeError,
    ProcessManager,
    RunLimits,
    RunnerEnvironment,
    RunnerError,
    RunResult,
    build_view,
    find_environment,
    is_error,
    stop_condition_met,
    wants_stop,
)

WAIT = 120.0  # generous bound for anything that should happen "soon"


@pytest.fixture(scope="module")
def environment() -> RunnerEnvironment:
    return runner_environment()


@pytest.fixture
def runner(environment: RunnerEnvironment, tmp_path: Path) -> Iterator[CodeRunner]:
    manager = ProcessManager()
    yield CodeRunner(environment, tmp_path / "session", limits=RunLimits(timeout=WAIT), processes=manager)
    manager.close_all()


def gone(pid: int) -> bool:
    """A process is gone when it no longer exists, or is only a zombie waiting to be reaped."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_for(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_stdout_stderr_and_exit_status_are_captured(runner: CodeRunner) -> None:
    result = runner.run("import sys\nprint('to out')\nprint('to err', file=sys.stderr)\nsys.exit(3)\n")
    assert result.stdout == "to out\n"
    assert result.stderr == "to err\n"
    assert result.exit_code == 3 and result.ended_by == "exit"
    assert result.notes == ("Exit status 3.",)
    assert is_error(result)


def test_a_clean_run_and_the_chain_helpers(runner: CodeRunner) -> None:
    result = runner.run("print(sum(range(10)))")
    assert (result.stdout, result.stderr, result.exit_code) == ("45\n", "", 0)
    assert stop_condition_met(result) and not wants_stop(result)
    assert wants_stop(runner.run("print('STOP_SAMANTHA')"))


def test_a_traceback_starts_at_the_users_code(runner: CodeRunner) -> None:
    result = runner.run("x = 1\n\ndef f():\n    return 1 / 0\n\nf()\n")
    assert result.exit_code == 1
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert "ZeroDivisionError: division by zero" in result.stderr
    assert "line 4, in f" in result.stderr
    assert "startup.py" not in result.stderr and "runpy" not in result.stderr
    assert is_error(result) and not stop_condition_met(result)


def test_the_per_session_working_folder_is_the_current_folder(runner: CodeRunner) -> None:
    (runner.workdir).mkdir(parents=True, exist_ok=True)
    (runner.workdir / "helper_mod.py").write_text("VALUE = 'imported from the session folder'\n")
    result = runner.run(
        "import os, helper_mod\nprint(os.getcwd())\nprint(helper_mod.VALUE)\nopen('made.txt', 'w').write('x')\n"
    )
    lines = result.stdout.splitlines()
    assert Path(lines[0]).resolve() == runner.workdir
    assert lines[1] == "imported from the session folder"
    assert (runner.workdir / "made.txt").read_text() == "x"


def test_secrets_in_the_apps_environment_are_not_visible(runner: CodeRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_should_not_leak")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak")
    monkeypatch.setenv("SAMANTHA_SECRET", "do-not-leak")
    monkeypatch.setenv("LC_SECRET_TOKEN", "do-not-leak")  # not a locale variable, whatever its name says
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    result = runner.run(
        "import os\n"
        "for name in ('HF_TOKEN', 'OPENAI_API_KEY', 'SAMANTHA_SECRET'):\n"
        "    print(name, os.environ.get(name))\n"
        "print('leak' if any('leak' in v for v in os.environ.values()) else 'clean')\n"
    )
    assert result.stdout == "HF_TOKEN None\nOPENAI_API_KEY None\nSAMANTHA_SECRET None\nclean\n"


def test_code_runs_in_the_runner_interpreter_not_the_apps(runner: CodeRunner, environment: RunnerEnvironment) -> None:
    result = runner.run("import sys\nprint(sys.executable)\nprint(sys.prefix)")
    executable, prefix = result.stdout.splitlines()
    assert Path(prefix).resolve() == (environment.root or Path()).resolve()
    assert Path(executable).parent.resolve() == environment.python.parent.resolve()


def test_an_infinite_loop_is_killed_at_the_time_limit_with_its_child(runner: CodeRunner) -> None:
    tag = f"samantha-test-child-{uuid.uuid4().hex}"
    code = (
        "import subprocess, sys\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {tag!r}])\n"
        "while True:\n"
        "    pass\n"
    )
    results: list[RunResult] = []
    worker = threading.Thread(target=lambda: results.append(runner.run(code, timeout=3)))
    worker.start()
    assert wait_for(lambda: bool(processes_tagged(tag)) or not worker.is_alive())
    assert processes_tagged(tag), "the child should run while the program runs"
    worker.join(WAIT)
    (result,) = results
    assert result.ended_by == "timeout" and result.timed_out
    assert result.exit_code is not None and result.exit_code != 0
    assert wait_for(lambda: not processes_tagged(tag))
    assert "time limit of 3 s" in result.notes[0]
    assert is_error(result)


def test_the_stop_event_ends_a_run_and_its_child(runner: CodeRunner) -> None:
    stop = threading.Event()
    tag = f"samantha-test-child-{uuid.uuid4().hex}"
    code = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {tag!r}])\n"
        "time.sleep(600)\n"
    )
    results: list[RunResult] = []
    worker = threading.Thread(target=lambda: results.append(runner.run(code, stop)))
    worker.start()
    assert wait_for(lambda: bool(processes_tagged(tag)))
    stop.set()
    worker.join(WAIT)
    assert not worker.is_alive()
    (result,) = results
    assert result.ended_by == "stop" and result.stopped
    assert wait_for(lambda: not processes_tagged(tag))
    assert is_error(result)


def test_close_python_ends_a_running_program(runner: CodeRunner) -> None:
    results: list[RunResult] = []
    code = "import time\nprint('up', flush=True)\nopen('started', 'w').close()\ntime.sleep(600)"
    worker = threading.Thread(target=lambda: results.append(runner.run(code)))
    worker.start()
    assert wait_for(lambda: (runner.workdir / "started").is_file())
    assert runner.close() == 1
    worker.join(WAIT)
    assert not worker.is_alive()
    assert results[0].ended_by == "close"
    assert results[0].stdout == "up\n"


def test_background_processes_left_behind_are_ended_when_the_program_exits(runner: CodeRunner) -> None:
    tag = f"samantha-test-child-{uuid.uuid4().hex}"
    code = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'open(\"up\", \"w\").close(); import time; time.sleep(600)', {tag!r}])\n"
        "while child.poll() is None and not __import__('os').path.exists('up'):\n"
        "    time.sleep(0.05)\n"
    )
    result = runner.run(code)
    assert result.ended_by == "exit" and result.exit_code == 0
    assert (runner.workdir / "up").is_file()  # the child did run
    assert wait_for(lambda: not processes_tagged(tag))
    assert any("left running" in note for note in result.notes)


def test_a_figure_comes_back_as_a_png_image(runner: CodeRunner) -> None:
    code = (
        "import matplotlib.pyplot as plt\n"
        "plt.plot([1, 2, 3], [1, 4, 9])\n"
        "plt.title('squares')\n"
        "plt.show()\n"
        "plt.figure()\n"
        "plt.bar(['a', 'b'], [3, 5])\n"
        "print('drawn')\n"
    )
    result = runner.run(code)
    assert result.exit_code == 0, result.stderr
    assert [path.name for path in result.images] == ["figure-01.png", "figure-02.png"]  # on show(), then at exit
    for image in result.images:
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    view = build_view(result)
    assert view is not None and view.images == result.images and view.html is not None


def test_image_files_the_code_saves_itself_are_returned_too(runner: CodeRunner) -> None:
    code = (
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "plt.plot([0, 1])\nplt.savefig('chart.png')\nplt.close('all')\n"
    )
    result = runner.run(code)
    assert result.images == (runner.workdir / "chart.png",)
    assert build_view(result) is not None


def test_huge_output_is_capped_and_says_where(environment: RunnerEnvironment, tmp_path: Path) -> None:
    with ProcessManager() as manager:
        runner = CodeRunner(
            environment, tmp_path, limits=RunLimits(timeout=WAIT, max_output_chars=1000), processes=manager
        )
        result = runner.run("import sys\nsys.stdout.write('x' * 5_000_000)\nsys.stderr.write('e' * 3000)\nprint('end')")
    assert result.exit_code == 0
    assert result.stdout.startswith("x" * 1000 + "\n[stdout cut here after 1,000 characters: ")
    assert "4,999,004 more characters were not kept]" in result.stdout
    assert result.stdout_cut == 4_999_004 and result.stderr_cut == 2000
    assert len(result.stdout) < 1200


def test_empty_code_is_refused_with_a_clear_message(runner: CodeRunner) -> None:
    with pytest.raises(NoCodeError, match="no code"):
        runner.run("  \n")
    with pytest.raises(NoCodeError, match="python"):
        runner.run_answer("I would rather not write code.")


def test_an_answer_is_extracted_and_run(runner: CodeRunner) -> None:
    result = runner.run_answer("Sure!\n```Python\n!pip install nothing\nprint(6 * 7)\n```\n")
    assert result.stdout == "42\n" and result.code == "print(6 * 7)"


def test_reading_input_does_not_hang(runner: CodeRunner) -> None:
    result = runner.run("name = input('name? ')")
    assert "EOFError" in result.stderr and result.ended_by == "exit"


@pytest.mark.skipif(sys.platform.startswith("linux"), reason="on Linux the reaper ends an escaped daemon at once")
def test_a_process_that_escapes_the_run_does_not_hold_it_past_the_drain(environment: RunnerEnvironment,
                                                                        tmp_path: Path) -> None:
    """Without a reaper, a daemon in its own session keeps the output pipe open; the run must still come back."""
    runner = CodeRunner(environment, tmp_path, limits=RunLimits(timeout=30))
    code = ("import subprocess, sys\n"
            "subprocess.Popen([sys.executable, '-c', 'import os, time; os.setsid(); "
            "open(\"daemon.pid\", \"w\").write(str(os.getpid())); print(1, flush=True); time.sleep(120)'])\n"
            "print('parent done')")  # the parent ends at once, before the runner has seen its child
    try:
        result = runner.run(code)
        daemon = psutil.Process(int((tmp_path / "daemon.pid").read_text()))
        assert daemon.is_running() and daemon.status() != psutil.STATUS_ZOMBIE, \
            "the run came back only after the escaped process ended"
    finally:
        runner.close()
        with contextlib.suppress(psutil.Error, FileNotFoundError, ValueError):
            psutil.Process(int((tmp_path / "daemon.pid").read_text())).kill()
    assert "parent done" in result.stdout and result.ended_by == "exit"
    assert any("output may be missing" in note for note in result.notes)


def test_a_relative_runner_path_works_from_the_codes_own_folder(environment: RunnerEnvironment, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root = environment.root if environment.root is not None else environment.python.parent.parent
    monkeypatch.chdir(root.parent)
    relative = find_environment(Path(root.name))
    runner = CodeRunner(relative, tmp_path / "work")
    try:
        assert runner.run("print(6 * 7)").stdout == "42\n"
    finally:
        runner.close()


def test_code_that_cannot_be_saved_is_a_clear_error(runner: CodeRunner) -> None:
    with pytest.raises(RunnerError, match="cannot be saved as UTF-8"):
        runner.run(b"print('a\\udcff')".decode("unicode_escape"))
