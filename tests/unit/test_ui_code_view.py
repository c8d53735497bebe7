"""Code execution on the page, the parts without a browser: wording of runs, processes and the runner
environment, the time limit, the tab's working folder, and the watcher that follows a chain."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import gradio as gr
import pytest

from samantha.events import AnswerFinished, AnswerRecord, CodeRan, Notice
from samantha.runner import ProcessInfo, RunnerEnvironment
from samantha.runner.workspace import CodeTab
from samantha.ui.code_panel import CodeWatcher, environment_for, run_view
from samantha.ui.code_view import (
    NOT_A_SANDBOX,
    address_links,
    check_environment,
    environment_problem,
    figure_paths,
    parse_time_limit,
    printed_text,
    process_choices,
    process_rows,
    processes_note,
    run_status,
    setup_command,
)
from samantha.ui.inputs import InputProblem
from samantha.ui.session import TabSession


def ran(stdout: str = "", stderr: str = "", exit_code: int | None = 0, ended_by: str = "exit", **more: object) -> CodeRan:
    values: dict[str, object] = {"code": "print()", "stdout": stdout, "stderr": stderr, "exit_code": exit_code,
                                 "ended_by": ended_by, "seconds": 1.25,
                                 "is_error": ended_by != "exit" or exit_code != 0}
    values.update(more)
    return CodeRan(**values)  # type: ignore[arg-type]


def info(number: int, label: str, address: str | None, running: bool = True, exit_code: int | None = None) -> ProcessInfo:
    return ProcessInfo(id=number, pid=1000 + number, label=label, command=("python",),
                       started=datetime(2026, 1, 2, 3, 4, 5), address=address, running=running,
                       exit_code=exit_code, log_path=Path("log"))


def record(answer: str) -> AnswerRecord:
    return AnswerRecord(model="m.gguf", model_name="m.gguf", model_position=1, item_number=1, item_text="go",
                        round=1, loop=1, settings={}, random_values=None, prompt="", answer=answer,
                        prompt_tokens=1, answer_tokens=1, load_seconds=0, prompt_seconds=0, generation_seconds=1,
                        finish_reason="eos")


# -- wording ---------------------------------------------------------------------------

def test_the_status_line_says_how_a_run_ended() -> None:
    assert run_status(ran("42\n")) == "\u2705 Ran in 1.2 s (exit 0)."
    assert run_status(ran()) == "\u2705 Ran in 1.2 s (exit 0): the code printed nothing."
    assert run_status(ran(stderr="Traceback ...", exit_code=1)) == "\u274c Error (exit 1) after 1.2 s."
    assert run_status(ran(exit_code=-9, ended_by="timeout")).startswith("\u23f1 Stopped at the time limit after 1.2 s")
    assert run_status(ran(exit_code=-9, ended_by="stop")).startswith("\u23f9 Stopped after 1.2 s")
    assert run_status(ran(exit_code=-9, ended_by="close")).startswith("\u23f9 Ended by Close Python")
    assert run_status(ran(images=("a.png", "b.png"))) == "\u2705 Ran in 1.2 s (exit 0), 2 figure(s)."


def test_printed_text_is_stdout_then_stderr_then_notes_and_empty_for_nothing() -> None:
    run = ran("out\n", "err\n", exit_code=2, notes=("Exit status 2.",))
    assert printed_text(run) == "out\nerr\nExit status 2."
    assert printed_text(ran()) == "" and printed_text(ran("\n\n")) == ""


def test_the_not_a_sandbox_note_says_it_plainly() -> None:
    assert "This is not a sandbox" in NOT_A_SANDBOX and "only when you ask" in NOT_A_SANDBOX


@pytest.mark.parametrize("value, seconds", [(60, 60.0), (0.5, 0.5), ("90", 90.0)])
def test_a_time_limit_in_seconds(value: object, seconds: float) -> None:
    assert parse_time_limit(value) == seconds


@pytest.mark.parametrize("value, words", [(None, "Set a time limit"), ("", "Set a time limit"), (0, "more than 0"),
                                          (-5, "more than 0"), ("soon", "number of seconds"),
                                          (float("nan"), "more than 0")])
def test_a_bad_time_limit_says_what_to_type(value: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_time_limit(value)


def test_programs_as_rows_choices_and_links() -> None:
    programs = [info(1, "Streamlit app", "http://127.0.0.1:8501/"), info(2, "Python program", None),
                info(3, "JupyterLab [lab]", "http://127.0.0.1:8888/lab?token=t", running=False, exit_code=0)]
    assert process_rows(programs) == [
        ["1", "Streamlit app", "http://127.0.0.1:8501/", "running", "03:04:05"],
        ["2", "Python program", "", "running", "03:04:05"],
        ["3", "JupyterLab [lab]", "http://127.0.0.1:8888/lab?token=t", "ended (exit 0)", "03:04:05"],
    ]
    assert process_choices(programs)[:2] == [("#1 Streamlit app (http://127.0.0.1:8501/)", 1), ("#2 Python program", 2)]
    assert address_links(programs) == "Open: [#1 Streamlit app: http://127.0.0.1:8501/](http://127.0.0.1:8501/)"
    assert address_links([info(4, "x]](javascript:1)", "http://127.0.0.1:1/")]).startswith("Open: [#4 x   javascript:1 ")
    assert address_links([]) == ""
    assert processes_note([]) == "No program started from this tab is running."
    assert processes_note(programs) == "2 of 3 program(s) started from this tab still run."


def test_a_missing_environment_says_which_command_creates_it(tmp_path: Path) -> None:
    default = tmp_path / "default-venv"
    assert setup_command("", default) == "samantha runner setup"
    assert setup_command(str(default), default) == "samantha runner setup"
    assert setup_command("/opt/my venv", default) == 'samantha runner setup --path "/opt/my venv"'
    text = environment_problem("The code runner environment does not exist yet (/opt/x).", "/opt/x", default,
                               missing=True)
    assert text.startswith("\u26a0\ufe0f Code runner missing: the code runner environment does not exist yet (/opt/x).")
    assert '`samantha runner setup --path "/opt/x"`' in text
    assert "**Install profile**" in text and "**Code runner environment**" in text  # the controls that fix it
    assert "settings" not in text  # there is no such place on the page
    assert text.count("does not exist") == 1 and text.count("samantha runner setup") == 1  # said once


def test_the_plain_text_refusal_has_no_markdown_marks(tmp_path: Path) -> None:
    """The status box and toasts show text as it is: backticks and asterisks would appear raw there."""
    text = environment_problem("gone", "/opt/x", tmp_path, missing=True, markup=False)
    assert "`" not in text and "*" not in text
    assert "\u201cInstall profile\u201d" in text and 'samantha runner setup --path "/opt/x"' in text


def test_the_environment_check_reports_a_usable_interpreter_and_a_missing_folder(tmp_path: Path) -> None:
    environment, line = check_environment(sys.executable)
    assert isinstance(environment, RunnerEnvironment) and environment.python == Path(sys.executable)
    assert line.startswith("\u2705 Ready: Python 3.") and sys.executable in line
    missing, line = check_environment(str(tmp_path / "nowhere"))
    assert missing is None and "does not exist yet" in line and "samantha runner setup --path" in line
    with pytest.raises(InputProblem, match="samantha runner setup") as refused:
        environment_for(str(tmp_path / "nowhere"))
    # Start refuses from the chain side of the page: the message names the control, not "the settings" or "above".
    message = str(refused.value)
    assert "Code runner environment" in message and "Check and use" in message
    assert "the settings" not in message and "above" not in message and "--runner" not in message


# -- the tab's working folder ------------------------------------------------------------

def test_each_tab_gets_its_own_working_folder_removed_when_the_tab_closes(tmp_path: Path) -> None:
    first, second = TabSession(), TabSession()
    folder_a = first.part("code", lambda: CodeTab(tmp_path)).workdir
    folder_b = second.part("code", lambda: CodeTab(tmp_path)).workdir
    assert folder_a != folder_b and folder_a.is_dir() and folder_b.is_dir()
    (folder_a / "data.csv").write_text("1,2\n")
    first.close()
    assert not folder_a.exists() and folder_b.is_dir()
    second.close()
    assert not folder_b.exists()


# -- views and the watcher ---------------------------------------------------------------

def test_a_run_view_hides_what_is_empty_and_shows_figures_that_exist(tmp_path: Path) -> None:
    figure = tmp_path / "figure-01.png"
    figure.write_bytes(b"\x89PNG\r\n\x1a\n")
    status, text, view, figures = run_view(
        ran("hi\n", view_html="<iframe sandbox></iframe>", images=(str(figure), str(tmp_path / "gone.png"))),
        tmp_path)
    assert status.startswith("\u2705 Ran in 1.2 s (exit 0), 2 figure(s).") and str(tmp_path) in status
    assert text.value == "hi" and text.visible
    assert view.value == "<iframe sandbox></iframe>" and view.visible
    assert figures.visible and figure_paths(ran(images=(str(figure), "gone.png"))) == [figure]
    _, text, view, figures = run_view(ran())
    assert not text.visible and not view.visible and not figures.visible


def test_the_watcher_puts_each_answers_code_in_the_editor_and_shows_each_run(tmp_path: Path) -> None:
    session = TabSession()
    session.part("code", lambda: CodeTab(tmp_path))
    watcher = CodeWatcher(session)
    assert all(isinstance(value, type(gr.skip())) for value in watcher.view(False))
    watcher.apply(AnswerFinished(record("Try:\n```py\nprint(6 * 7)\n```\n")))
    watcher.apply(CodeRan("print(6 * 7)", "42\n", "", 0, "exit", 0.2, False))
    editor, status, text, _, _ = watcher.view(False)
    assert editor == "print(6 * 7)" and status.startswith("\u2705") and text.value == "42"
    assert all(isinstance(value, type(gr.skip())) for value in watcher.view(True))  # shown once, then left alone
    watcher.apply(AnswerFinished(record("No code in this one.")))
    watcher.apply(Notice("something else"))
    assert isinstance(watcher.view(True)[0], type(gr.skip()))  # the editor keeps what it holds
    session.close()
