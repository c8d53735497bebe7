"""The Code tab through the real app's API (gradio_client): auto-run in a chain (real llama.cpp, grammar-forced
answers), Run code, Stop, the time limit, detached programs, Close Python, JupyterLab and a missing runner."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client
from runner_env import runner_environment

from samantha.runner import RunnerEnvironment
from samantha.tinymodel import grammar_for_text
from samantha.ui.code_panel import CodePlugin
from tests.support.app_server import serve_tiny_app

WAIT = 120.0
CODE = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nprint(6 * 7)"
ANSWER = f"Here:\n```python\n{CODE}\n```"


@pytest.fixture(scope="module")
def environment() -> RunnerEnvironment:
    return runner_environment()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    with serve_tiny_app(tmp_path_factory, [CodePlugin()]) as running:
        yield running.url, running.models


def start_values(folder: Path, answer: str, **code: Any) -> dict[str, Any]:
    values = {"models_dir": str(folder), "model_list": "tiny.gguf", "prompt": "Write code", "max_tokens": 200,
              "grammar": grammar_for_text(answer), "seed": "", "stop": "", "links": "", "system": "",
              "previous": "", "user_name": "", "assistant_name": "", "transcript": ""}
    values.update(code)
    return values


def shown(update: Any) -> Any:
    """The value the page shows: gradio_client passes component updates on as dicts."""
    if isinstance(update, dict) and update.get("__type__") == "update":
        return update.get("value") if update.get("visible", True) else None
    return update


def wait_for(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT
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


def test_an_answer_with_code_runs_in_the_chain_and_the_tab_shows_code_output_and_figure(
    app: tuple[str, Path], environment: RunnerEnvironment
) -> None:
    url, folder = app
    client = Client(url, verbose=False)
    transcript, _, _, _, _, editor, status, printed, view, figures = client.predict(
        **start_values(folder, ANSWER, run_code=True, runner_location=str(environment.root)),
        api_name="/start")
    assert "---------- Python output (exit 0" in transcript and "\n42\n" in transcript
    assert editor == CODE
    assert status.startswith("\u2705 Ran in") and "1 figure(s)" in status and "samantha-code-" in status
    assert shown(printed) == "42"
    assert shown(view).startswith('<iframe sandbox="" ') and "42" in shown(view)
    (figure,) = shown(figures)
    assert Path(figure["image"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Hide HTML output: the text and the figure still show, the rendered view does not.
    *_, printed, view, figures = client.predict(
        **start_values(folder, ANSWER, run_code=True, hide_html_output=True, runner_location=str(environment.root)),
        api_name="/start")
    assert shown(printed) == "42" and not shown(view) and len(shown(figures)) == 1

    # Auto-run off: nothing runs, but the editor still receives the answer's code.
    transcript, *_, editor, status, _, _, _ = client.predict(
        **start_values(folder, "```py\nprint('not run')\n```", runner_location=str(environment.root)),
        api_name="/start")
    assert "Python output" not in transcript and editor == "print('not run')"
    assert shown(status) is None  # nothing ran: the last run's output stays as it was


def test_auto_run_without_a_runner_environment_is_refused_with_the_setup_command(
    app: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = app
    transcript, status, *_ = Client(url, verbose=False).predict(
        **start_values(folder, ANSWER, run_code=True, runner_location=str(tmp_path / "no-venv"),
                       transcript="kept"), api_name="/start")
    assert transcript == "kept"
    assert "does not exist yet" in status and "samantha runner setup --path" in status


def test_run_code_runs_the_editor_and_honours_the_time_limit(app: tuple[str, Path], environment: RunnerEnvironment) -> None:
    url, _ = app
    client = Client(url, verbose=False)
    where = str(environment.root)
    status, printed, view, figures = client.predict(
        "import sys\nprint('# Title')\nprint('oops', file=sys.stderr)\nsys.exit(3)", where, 60, False,
        api_name="/run_code")
    assert status.startswith("\u274c Error (exit 3)")
    assert shown(printed) == "# Title\noops\nExit status 3."
    assert "&lt;h1&gt;Title&lt;/h1&gt;" in shown(view)  # the Markdown it printed, rendered inside the sandboxed frame
    assert not shown(figures)
    status, printed, view, figures = client.predict("x = 1", where, 60, False, api_name="/run_code")
    assert "the code printed nothing." in status and "Working folder of this tab: `" in status
    assert not shown(printed) and not shown(view) and not shown(figures)
    status, *_ = client.predict("while True:\n    pass", where, 1, False, api_name="/run_code")
    assert status.startswith("\u23f1 Stopped at the time limit")
    status, *_ = client.predict("print(1)", where, 0, False, api_name="/run_code")
    assert "more than 0 seconds" in status
    status, *_ = client.predict("  ", where, 60, False, api_name="/run_code")
    assert "no code to run" in status


def test_stop_and_stop_all_end_a_run_at_once(app: tuple[str, Path], environment: RunnerEnvironment, tmp_path: Path) -> None:
    url, _ = app
    client = Client(url, verbose=False)
    marker = tmp_path / "started"
    job = client.submit(f"import time\nopen({str(marker)!r}, 'w').close()\ntime.sleep(600)",
                        str(environment.root), 600, False, api_name="/run_code")
    assert wait_for(marker.is_file)
    client.predict(api_name="/stop_code")
    status, *_ = job.result(timeout=WAIT)
    assert status.startswith("\u23f9 Stopped after")
    marker.unlink()
    job = client.submit(f"import time\nopen({str(marker)!r}, 'w').close()\ntime.sleep(600)",
                        str(environment.root), 600, False, api_name="/run_code")
    assert wait_for(marker.is_file)
    client.predict(api_name="/stop_all")  # the chain's Stop all ends a Run code too
    status, *_ = job.result(timeout=WAIT)
    assert status.startswith("\u23f9 Stopped after")


def test_a_detached_server_is_listed_with_its_address_and_close_python_ends_it(
    app: tuple[str, Path], environment: RunnerEnvironment
) -> None:
    url, _ = app
    client = Client(url, verbose=False)
    where = str(environment.root)
    server = (
        "import http.server\n"
        "server = http.server.HTTPServer(('127.0.0.1', 0), http.server.SimpleHTTPRequestHandler)\n"
        "print(f'Serving on http://127.0.0.1:{server.server_port}/', flush=True)\n"
        "server.serve_forever()\n"
    )
    client.predict(server, where, api_name="/start_detached")
    assert wait_for(lambda: client.predict(api_name="/list_programs")[1]["data"][0][2] != "")
    note, table, links, _ = client.predict(api_name="/list_programs")
    (row,) = table["data"]
    number, label, address, state, _ = row
    assert (number, label, state) == ("1", "Python program", "running") and address.startswith("http://127.0.0.1:")
    assert note == "1 of 1 program(s) started from this tab still run." and f"]({address})" in links
    assert wait_for(lambda: answers(address))
    note, table, links, _ = client.predict(api_name="/close_python")
    assert table["data"] in ([], [["", "", "", "", ""]]) and links == ""
    assert note == "No program started from this tab is running."
    assert not answers(address)


def test_jupyterlab_missing_from_the_runner_environment_gives_a_clear_message(
    app: tuple[str, Path], environment: RunnerEnvironment
) -> None:
    url, _ = app
    status, *_ = Client(url, verbose=False).predict(str(environment.root), api_name="/jupyterlab")
    assert "JupyterLab is not installed" in status and "pip install jupyterlab" in status
