"""Code execution on the page (SPEC §5): the switches, the runner environment, the editor, Run code, the output
view, detached programs, Close Python and JupyterLab.

The engine side lives in `samantha.runner`; this plugin hands the chain a
CodeRunHook when "Run code automatically" is on, and a CodeWatcher that puts
each answer's code into the editor and each run's output into the view while
the chain streams. Everything a tab runs uses its CodeTab (its own working
folder and processes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from samantha.events import AnswerFinished, CodeRan, Event
from samantha.runner import (
    NoCodeError,
    ProcessInfo,
    RunnerEnvironment,
    RunnerError,
    default_environment_dir,
    extract_python,
    launch_jupyterlab,
)
from samantha.runner.chain_hook import CodeRunHook, code_ran_event
from samantha.ui import assets
from samantha.ui.code_session import PART_KEY, CodeTab, check_environment, locate_environment
from samantha.ui.code_view import (
    DEFAULT_TIME_LIMIT,
    NOT_A_SANDBOX,
    PROCESS_HEADERS,
    RUNNING,
    address_links,
    environment_problem,
    figure_paths,
    parse_time_limit,
    printed_text,
    process_choices,
    process_rows,
    processes_note,
    run_status,
)
from samantha.ui.context import PanelContext, RunParts
from samantha.ui.inputs import InputProblem
from samantha.ui.session import SessionBusy, TabSession

# How long "Start detached" waits for a server to print its address before it lists the program anyway.
ADDRESS_WAIT_SECONDS = 5.0
EDITOR_HELP = (
    "Code (the Python blocks of the last answer land here after each answer; edit it, or paste your own)"
)


def code_tab(session: TabSession) -> CodeTab:
    return session.part(PART_KEY, CodeTab)


def run_view(run: CodeRan, workdir: Path | None = None) -> list[Any]:
    """Values for [status, printed text, HTML view, figures] after a run; empty parts stay hidden."""
    text = printed_text(run)
    images = [str(path) for path in figure_paths(run)]
    status = run_status(run)
    if workdir is not None:
        status += f"  \nWorking folder of this tab: `{workdir}`"
    return [
        status,
        gr.Textbox(value=text, visible=bool(text)),
        gr.HTML(value=run.view_html, visible=bool(run.view_html)),
        gr.Gallery(value=images or None, visible=bool(images)),
    ]


def running_view() -> list[Any]:
    return [RUNNING, gr.Textbox(value="", visible=False), gr.HTML(value="", visible=False),
            gr.Gallery(value=None, visible=False)]


def process_view(processes: Sequence[ProcessInfo]) -> list[Any]:
    """Values for [note, table, links, program picker]."""
    return [
        processes_note(processes),
        pd.DataFrame(process_rows(processes), columns=PROCESS_HEADERS),
        address_links(processes),
        gr.Dropdown(choices=process_choices(processes), value=None),
    ]


def problem(exc: BaseException) -> str:
    """A refusal for a status line: the whole message, marked once as a problem."""
    text = str(exc)
    return text if text.startswith("\u26a0") else f"\u26a0\ufe0f {text}"


def headline(exc: BaseException) -> str:
    """The first paragraph of a message, for a toast (the status line holds the rest)."""
    return str(exc).split("\n\n")[0]


def environment_for(location: str) -> RunnerEnvironment:
    """The runner environment for a run, or InputProblem saying how to create it."""
    try:
        return locate_environment(location or "")
    except RunnerError as exc:
        raise InputProblem(environment_problem(str(exc), location or "", default_environment_dir())) from None


class CodeWatcher:
    """Follows one chain run: the editor gets each answer's code, the output view each run's output."""

    def __init__(self, session: TabSession) -> None:
        self._session = session
        self._code: str | None = None  # code not yet put into the editor
        self._run: CodeRan | None = None  # a run not yet shown

    def apply(self, event: Event) -> None:
        if isinstance(event, AnswerFinished):
            code = extract_python(event.record.answer)
            if code:  # an answer without code leaves the editor (and what the user pasted) alone
                self._code = code
        elif isinstance(event, CodeRan):
            self._run = event

    def view(self, finished: bool) -> list[Any]:
        editor: Any = gr.skip()
        if self._code is not None:
            editor, self._code = self._code, None
        shown: list[Any] = [gr.skip()] * 4
        if self._run is not None:
            shown = run_view(self._run, code_tab(self._session).workdir)
            self._run = None
        return [editor, *shown]


class CodePlugin:
    """Code execution as a UIPlugin (with the LivePlugin extras)."""

    title = "Code"

    def __init__(self) -> None:
        self.outputs: Sequence[gr.components.Component] = ()

    # -- the page ------------------------------------------------------------
    def render(self, ctx: PanelContext) -> None:
        controls = ctx.controls
        gr.Markdown(NOT_A_SANDBOX, elem_id="code-not-a-sandbox")
        with gr.Row(equal_height=True):
            controls.add("run_code", gr.Checkbox(
                label="Run code automatically", value=False, elem_id="run-code-auto",
                info="after each answer, run its Python blocks (off by default)",
            ))
            controls.add("stop_condition", gr.Checkbox(
                label="Stop condition", value=False, elem_id="code-stop-condition",
                info="stop the chain when a run prints something that is not an error",
            ))
            controls.add("feedback_output_only", gr.Checkbox(
                label="Feedback interpreter output only", value=False, elem_id="code-output-only",
                info="with the feedback loop, the model sees the output instead of its answer plus the output",
            ))
            controls.add("hide_html_output", gr.Checkbox(
                label="Hide HTML output", value=False, elem_id="hide-html-output",
                info="show printed text and figures, not the rendered view",
            ))
            limit = controls.add("code_time_limit", gr.Number(
                label="Time limit (seconds)", value=DEFAULT_TIME_LIMIT, minimum=0, elem_id="code-time-limit",
                info="a run is ended, with its child processes, when it takes longer",
            ))
        with gr.Row(equal_height=True):
            location = controls.add("runner_location", gr.Textbox(
                label="Code runner environment: a venv folder or a Python interpreter (empty = the default folder)",
                value=ctx.config.load().runner_python, placeholder=str(default_environment_dir()),
                elem_id="runner-location", elem_classes=[assets.ENTER_OWN_CLASS], scale=5,
            ))
            use = gr.Button("Check and use", size="sm", elem_id="runner-use", scale=1)
        environment_status = gr.Markdown(elem_id="runner-status")

        editor = gr.Code(label=EDITOR_HELP, language="python", lines=12, interactive=True, elem_id="code-editor")
        with gr.Row(elem_classes=["small-buttons"]):
            run = gr.Button("\u25b6 Run code", variant="primary", elem_id="run-code")
            stop = gr.Button("Stop", variant="stop", elem_id="stop-code")
            copy = gr.Button("Copy code", elem_id="copy-code")
            from_answer = gr.Button("Code of the last answer", elem_id="code-from-answer")
            close = gr.Button("Close Python", elem_id="close-python")
        status = gr.Markdown(elem_id="code-run-status")
        printed = gr.Textbox(label="Printed output (stdout, stderr) and exit status", lines=6, max_lines=20,
                             interactive=False, visible=False, buttons=["copy"], elem_id="code-printed")
        view = gr.HTML(visible=False, elem_id="code-output-view")
        figures = gr.Gallery(label="Figures", visible=False, columns=2, height="auto", elem_id="code-figures")
        run_outputs = [status, printed, view, figures]

        with gr.Accordion("Long-running programs (servers, Streamlit or Dash apps, JupyterLab)", open=True):
            gr.Markdown(
                "**Start detached** runs the editor's code in the background (a server, a Streamlit or Dash app) "
                "and lists it here with its address; code that imports streamlit gets `streamlit run` on "
                "127.0.0.1. **Close Python** ends everything started from this tab."
            )
            with gr.Row(elem_classes=["small-buttons"]):
                detach = gr.Button("Start detached", elem_id="start-detached")
                jupyter = gr.Button("JupyterLab", elem_id="open-jupyterlab")
                refresh = gr.Button("Refresh", elem_id="refresh-programs")
            programs_note = gr.Markdown(processes_note([]), elem_id="code-processes-note")
            table = gr.Dataframe(value=pd.DataFrame([], columns=PROCESS_HEADERS), headers=PROCESS_HEADERS,
                                 interactive=False, elem_id="code-processes")
            links = gr.Markdown(elem_id="code-process-links")
            with gr.Row(equal_height=True):
                pick = gr.Dropdown(label="Program", choices=[], value=None, elem_id="code-process-pick", scale=3)
                stop_one = gr.Button("Stop program", size="sm", elem_id="stop-program", scale=1)
        program_outputs = [programs_note, table, links, pick]

        # -- the runner environment: checked on load, remembered when changed --------------
        def show_environment() -> tuple[str, str]:
            remembered = ctx.config.load().runner_python
            return remembered, check_environment(remembered)[1]

        gr.on(triggers=None, fn=show_environment, inputs=None, outputs=[location, environment_status],
              api_visibility="private", show_progress="hidden")

        def use_environment(text: str) -> str:
            text = (text or "").strip()
            ctx.config.update(runner_python=text)
            return check_environment(text)[1]

        use.click(use_environment, [location], [environment_status], api_name="use_runner")
        location.submit(use_environment, [location], [environment_status], api_visibility="private")

        # -- the editor ------------------------------------------------------------------
        copy.click(None, [editor], None, js=assets.COPY_JS)

        def last_answer_code(tab: TabSession) -> Any:
            code = extract_python(tab.last_answer)
            if not code:
                gr.Warning("The last answer has no ```python block." if tab.last_answer else "There is no answer yet.")
                return gr.skip()
            return code

        from_answer.click(last_answer_code, [ctx.session], [editor], api_name="code_of_last_answer")

        # -- running --------------------------------------------------------------------
        def run_code(tab: TabSession, code: str, where: str, seconds: Any, hide: bool) -> Iterator[list[Any]]:
            try:
                if not (code or "").strip():
                    raise NoCodeError("There is no code to run: paste some into the editor, or let a model write it.")
                environment = environment_for(where)
                timeout = parse_time_limit(seconds)
                if tab.running:
                    raise SessionBusy("A chain is running in this tab: wait for it, or press Stop all, then Run code.")
                control = tab.begin_run()  # the tab is busy: Start waits, and Stop / Stop all end the run
            except (ValueError, RunnerError, SessionBusy) as exc:
                gr.Warning(headline(exc))
                yield [problem(exc), gr.skip(), gr.skip(), gr.skip()]
                return
            try:
                yield running_view()
                workspace = code_tab(tab)
                result = workspace.runner(environment, timeout).run(code, control.stop_all_event)
                yield run_view(code_ran_event(result, hide_view=bool(hide)), workspace.workdir)
            except RunnerError as exc:  # the interpreter did not start
                gr.Warning(str(exc))
                yield [problem(exc), gr.skip(), gr.skip(), gr.skip()]
            finally:
                tab.end_run()

        run.click(run_code, [ctx.session, editor, location, limit, controls["hide_html_output"]], run_outputs,
                  api_name="run_code", concurrency_limit=None, show_progress="hidden", trigger_mode="once")

        def stop_run(tab: TabSession) -> None:
            tab.stop_all()

        # Not queued: it must act while the run (or the chain) is still going.
        stop.click(stop_run, [ctx.session], None, queue=False, api_name="stop_code", show_progress="hidden")

        def close_python(tab: TabSession) -> list[Any]:
            workspace = code_tab(tab)
            ended = workspace.close_python()
            gr.Info(f"Close Python ended {ended} process(es) started from this tab.")
            return process_view(workspace.processes.processes())

        close.click(close_python, [ctx.session], program_outputs, api_name="close_python", concurrency_limit=None)

        # -- detached programs and JupyterLab -----------------------------------------------
        def list_programs(tab: TabSession) -> list[Any]:
            return process_view(code_tab(tab).processes.processes())

        refresh.click(list_programs, [ctx.session], program_outputs, api_name="list_programs")

        def start_detached(tab: TabSession, code: str, where: str) -> list[Any]:
            try:
                environment = environment_for(where)
                workspace = code_tab(tab)
                info = workspace.runner(environment, DEFAULT_TIME_LIMIT).start_detached(code or "")
            except (ValueError, RunnerError) as exc:
                gr.Warning(headline(exc))
                return list_programs(tab)
            workspace.processes.wait_for_address(info.id, ADDRESS_WAIT_SECONDS)
            return list_programs(tab)

        detach.click(start_detached, [ctx.session, editor, location], program_outputs, api_name="start_detached",
                     concurrency_limit=None)

        def stop_program(tab: TabSession, chosen: Any) -> list[Any]:
            if chosen is None or chosen == "":
                gr.Warning("Choose a program in the list first.")
                return list_programs(tab)
            try:
                code_tab(tab).processes.stop(int(chosen))
            except (RunnerError, ValueError) as exc:
                gr.Warning(str(exc))
            return list_programs(tab)

        stop_one.click(stop_program, [ctx.session, pick], program_outputs, api_name="stop_program",
                       concurrency_limit=None)

        def open_jupyterlab(tab: TabSession, where: str) -> Iterator[list[Any]]:
            try:
                environment = environment_for(where)
            except InputProblem as exc:
                gr.Warning(headline(exc))
                yield [problem(exc), *list_programs(tab)]
                return
            yield ["\u23f3 Starting JupyterLab on 127.0.0.1\u2026", *list_programs(tab)]
            workspace = code_tab(tab)
            try:
                info = launch_jupyterlab(environment, workspace.processes, workspace.workdir)
            except RunnerError as exc:
                gr.Warning(str(exc).split("\n")[0])
                yield [problem(exc), *list_programs(tab)]
                return
            yield [f"JupyterLab runs in this tab's working folder: [open JupyterLab]({info.address})",
                   *list_programs(tab)]

        jupyter.click(open_jupyterlab, [ctx.session, location], [status, *program_outputs], api_name="jupyterlab",
                      concurrency_limit=None)

        self.outputs = [editor, *run_outputs]

    # -- the chain -------------------------------------------------------------------
    def chain_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "run_code": bool(values.get("run_code")),
            "stop_condition": bool(values.get("stop_condition")),
            "feedback_output_only": bool(values.get("feedback_output_only")),
        }

    def hooks(self, session: TabSession, values: Mapping[str, Any]) -> list[CodeRunHook]:
        if not values.get("run_code"):
            return []
        environment = environment_for(str(values.get("runner_location") or ""))
        timeout = parse_time_limit(values.get("code_time_limit"))
        return [CodeRunHook(
            code_tab(session).runner(environment, timeout),
            stop_condition=bool(values.get("stop_condition")),
            output_only=bool(values.get("feedback_output_only")),
            hide_view=bool(values.get("hide_html_output")),
        )]

    def run_parts(self, session: TabSession, values: Mapping[str, Any]) -> RunParts:
        return RunParts(watcher=CodeWatcher(session))
