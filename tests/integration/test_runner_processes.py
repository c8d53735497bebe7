"""Detached programs (servers, apps) and launchers from a real runner venv."""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from runner_env import processes_tagged, runner_environment

from samantha.runner import (
    CodeRunner,
    ProcessManager,
    RunLimits,
    RunnerEnvironment,
    ToolNotInstalled,
    UnknownProcess,
    free_port,
    launch_jupyterlab,
)
from samantha.runner.errors import RunnerError
from samantha.runner.launchers import launch_module

WAIT = 120.0


@pytest.fixture(scope="module")
def environment() -> RunnerEnvironment:
    return runner_environment()


@pytest.fixture
def manager() -> Iterator[ProcessManager]:
    with ProcessManager() as processes:
        yield processes


def wait_for(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_detached_server_on_an_assigned_port_is_listed_answers_and_close_all_ends_it(
    environment: RunnerEnvironment, manager: ProcessManager, tmp_path: Path
) -> None:
    (tmp_path / "hello.txt").write_text("hello from the session folder")
    port = free_port()
    command = [str(environment.python), "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    info = manager.start(command, cwd=tmp_path, env=environment.child_env(), label="file server", port=port)
    assert info.address == f"http://127.0.0.1:{port}/"
    assert wait_for(lambda: answers(f"{info.address}hello.txt"))
    (listed,) = manager.processes()
    assert (listed.id, listed.pid, listed.label, listed.running) == (info.id, info.pid, "file server", True)
    assert listed.command == tuple(command)
    assert listed.started == info.started
    other_port = free_port()
    other = manager.start(
        [str(environment.python), "-m", "http.server", str(other_port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        env=environment.child_env(),
        port=other_port,
    )
    assert wait_for(lambda: answers(f"{other.address}hello.txt"))
    assert [entry.id for entry in manager.processes()] == [info.id, other.id]
    assert manager.close_all() == 2
    assert wait_for(lambda: gone(info.pid) and gone(other.pid))
    assert not answers(f"{info.address}hello.txt") and not answers(f"{other.address}hello.txt")
    assert manager.processes() == []


def test_the_address_a_server_prints_is_detected(
    environment: RunnerEnvironment, manager: ProcessManager, tmp_path: Path
) -> None:
    # Port 0: the server picks its own port and prints its URL; nobody told us the port.
    command = [str(environment.python), "-m", "http.server", "0", "--bind", "127.0.0.1"]
    info = manager.start(command, cwd=tmp_path, env=environment.child_env())
    address = manager.wait_for_address(info.id, WAIT)
    assert address is not None and address.startswith("http://127.0.0.1:")
    assert wait_for(lambda: answers(address))
    assert manager.get(info.id).address == address
    assert "Serving HTTP" in manager.output(info.id)
    stopped = manager.stop(info.id)
    assert not stopped.running and gone(info.pid)
    with pytest.raises(UnknownProcess, match="list the processes"):
        manager.get(info.id)


def test_long_running_code_starts_detached_and_close_python_ends_it_with_its_children(
    environment: RunnerEnvironment, tmp_path: Path
) -> None:
    with ProcessManager() as manager:
        runner = CodeRunner(environment, tmp_path, limits=RunLimits(timeout=WAIT), processes=manager)
        port = free_port()
        tag = f"samantha-test-child-{uuid.uuid4().hex}"
        code = (
            "import http.server, os, subprocess, sys\n"
            f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {tag!r}])\n"
            "open('child.pid', 'w').write(str(child.pid))\n"
            "server = http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), http.server.SimpleHTTPRequestHandler)\n"
            "print(f'listening on http://127.0.0.1:{server.server_port}/', flush=True)\n"
            "server.serve_forever()\n"
        )
        info = runner.start_detached(code, port=port, label="my app")
        assert wait_for(lambda: answers(f"http://127.0.0.1:{port}/"))
        assert manager.get(info.id).address == f"http://127.0.0.1:{port}/"
        marker = tmp_path / "child.pid"
        assert wait_for(lambda: marker.is_file() and marker.read_text() != "")
        assert processes_tagged(tag)
        assert runner.close() == 1
        assert wait_for(lambda: gone(info.pid) and not processes_tagged(tag))
        assert not answers(f"http://127.0.0.1:{port}/")


def test_jupyterlab_not_installed_gives_a_clear_message(
    environment: RunnerEnvironment, manager: ProcessManager, tmp_path: Path
) -> None:
    with pytest.raises(ToolNotInstalled) as caught:
        launch_jupyterlab(environment, manager, tmp_path)
    message = str(caught.value)
    assert "JupyterLab is not installed" in message
    assert "pip install jupyterlab" in message and "samantha runner setup" in message
    assert manager.processes() == []


def test_a_launched_tool_that_fails_at_once_reports_its_output(
    environment: RunnerEnvironment, manager: ProcessManager, tmp_path: Path
) -> None:
    port = free_port()
    with pytest.raises(RunnerError) as caught:
        # `json.tool` exists everywhere, never listens, and fails on a missing file.
        launch_module(environment, manager, tmp_path, "json.tool", ["no-such-file.json"], port=port, label="json tool")
    assert "json tool ended at once" in str(caught.value)
    assert "no-such-file.json" in str(caught.value)
    assert manager.processes() == []


def test_a_launched_tool_is_started_from_the_runner_environment(
    environment: RunnerEnvironment, manager: ProcessManager, tmp_path: Path
) -> None:
    port = free_port()
    info = launch_module(
        environment, manager, tmp_path, "http.server", [str(port), "--bind", "127.0.0.1"], port=port, label="files"
    )
    assert info.running and info.address is not None and answers(info.address)
    assert info.command[0] == str(environment.python)
