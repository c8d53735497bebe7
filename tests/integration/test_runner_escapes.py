"""Model code cannot leave processes behind: a double-forked daemon (fork, setsid, fork) ends at the
time limit, on Stop, on Close Python, when the program exits and when the app dies -- under
bubblewrap's PID namespace and under the plain reaper, with a real runner venv."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from runner_env import containment_modes, processes_tagged, runner_environment

from samantha.runner import CodeRunner, ProcessManager, RunLimits, RunnerEnvironment, RunResult
from samantha.runner.containment import Containment

WAIT = 120.0


def wait_for(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def daemon_code(tag: str, then: str) -> str:
    """Code that double-forks a daemon (its own session, parent gone), waits until it runs, then does `then`."""
    return (
        "import os, sys, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.execv(sys.executable, [sys.executable, '-c', "
        "\"open('daemon-up', 'w').close(); import time; time.sleep(600)\", " + repr(tag) + "])\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "while not os.path.exists('daemon-up'):\n"
        "    time.sleep(0.05)\n"
        "print('daemon up', flush=True)\n" + then
    )


@pytest.fixture(scope="module")
def environment() -> RunnerEnvironment:
    return runner_environment()


@pytest.fixture(params=containment_modes())
def runner(request: pytest.FixtureRequest, environment: RunnerEnvironment, tmp_path: Path) -> Iterator[CodeRunner]:
    manager = ProcessManager(request.param)
    yield CodeRunner(environment, tmp_path / "session", limits=RunLimits(timeout=WAIT), processes=manager)
    manager.close_all()


@pytest.fixture
def tag() -> Iterator[str]:
    word = f"samantha-test-daemon-{uuid.uuid4().hex}"
    yield word
    for process in processes_tagged(word):  # never leave one behind, whatever the test found
        process.kill()


def run_in_thread(runner: CodeRunner, code: str, **options: object) -> tuple[threading.Thread, list[RunResult]]:
    results: list[RunResult] = []
    worker = threading.Thread(target=lambda: results.append(runner.run(code, **options)))  # type: ignore[arg-type]
    worker.start()
    return worker, results


def test_a_daemon_ends_at_the_time_limit(runner: CodeRunner, tag: str) -> None:
    worker, results = run_in_thread(runner, daemon_code(tag, "while True:\n    pass\n"), timeout=3)
    assert wait_for(lambda: len(processes_tagged(tag)) == 1 or not worker.is_alive())
    assert processes_tagged(tag), "the daemon should run while the program runs"
    worker.join(WAIT)
    (result,) = results
    assert result.ended_by == "timeout" and "daemon up" in result.stdout
    assert wait_for(lambda: not processes_tagged(tag)), "the daemon outlived the time limit"


def test_a_daemon_ends_on_stop(runner: CodeRunner, tag: str) -> None:
    stop = threading.Event()
    worker, results = run_in_thread(runner, daemon_code(tag, "time.sleep(600)\n"), stop=stop)
    assert wait_for(lambda: bool(processes_tagged(tag)))
    stop.set()
    worker.join(WAIT)
    assert results[0].ended_by == "stop"
    assert wait_for(lambda: not processes_tagged(tag)), "the daemon outlived Stop"


def test_a_daemon_ends_on_close_python(runner: CodeRunner, tag: str) -> None:
    worker, results = run_in_thread(runner, daemon_code(tag, "time.sleep(600)\n"))
    assert wait_for(lambda: bool(processes_tagged(tag)))
    assert runner.close() == 1
    worker.join(WAIT)
    assert results[0].ended_by == "close"
    assert wait_for(lambda: not processes_tagged(tag)), "the daemon outlived Close Python"


def test_a_daemon_ends_when_the_program_exits_and_the_run_says_so(runner: CodeRunner, tag: str) -> None:
    result = runner.run(daemon_code(tag, "print('main done')\n"))
    assert result.ended_by == "exit" and result.exit_code == 0 and "main done" in result.stdout
    assert wait_for(lambda: not processes_tagged(tag)), "the daemon outlived its program"
    assert any("left running in the background" in note for note in result.notes), result.notes
    assert not any("output may be missing" in note for note in result.notes)


def test_a_detached_programs_daemon_ends_on_close_python(runner: CodeRunner, tag: str) -> None:
    info = runner.start_detached(daemon_code(tag, "time.sleep(600)\n"), label="daemon maker")
    assert wait_for(lambda: bool(processes_tagged(tag)))
    assert runner.processes.get(info.id).running
    assert runner.close() == 1
    assert wait_for(lambda: not processes_tagged(tag)), "the detached program's daemon outlived Close Python"


APP = """
import sys, time
from pathlib import Path
from samantha.runner import CodeRunner, ProcessManager, find_environment
from samantha.runner.containment import Containment

manager = ProcessManager(Containment(reaper={reaper!r}, bwrap={bwrap!r}))
runner = CodeRunner(find_environment({python!r}), Path({folder!r}), processes=manager)
runner.start_detached({code!r} + "time.sleep(600)\\n")  # keeps running: a program that exits takes its daemon along
run = runner.run({code!r} + "time.sleep(600)\\n", timeout=600)  # never returns: the app is killed first
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the reaper and its lifeline are Linux-only")
@pytest.mark.parametrize("mode", containment_modes())
def test_programs_and_their_daemons_end_when_the_app_is_killed(mode: Containment, environment: RunnerEnvironment,
                                                               tag: str, tmp_path: Path) -> None:
    # One detached program and one running program, each with a daemon: two daemons in all.
    script = APP.format(reaper=mode.reaper, bwrap=mode.bwrap, python=str(environment.python), folder=str(tmp_path / "app-session"),
                        code=daemon_code(tag, ""))
    app_log = tmp_path / "app.log"
    with app_log.open("wb") as log:
        app = subprocess.Popen([sys.executable, "-c", script], start_new_session=True, stdout=log, stderr=log)
    try:
        started = wait_for(lambda: len(processes_tagged(tag)) == 2)
        assert started, (f"both daemons should start; found {len(processes_tagged(tag))}, app "
                         f"{'running' if app.poll() is None else f'ended ({app.returncode})'}: "
                         f"{app_log.read_text(errors='replace')[-2000:]}")
        os.kill(app.pid, signal.SIGKILL)  # no clean-up code of the app runs
        app.wait(WAIT)
        assert wait_for(lambda: not processes_tagged(tag)), "daemons outlived the app"
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
