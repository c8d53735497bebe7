"""Code execution on the page: the switches, the runner environment and its profile, the editor, Run code, the
output view, packaging, detached programs and the launchers (D-Tale, SQLite browser, JupyterLab), Close Python.

The engine side lives in `samantha.runner`; this plugin hands the chain a
CodeRunHook when "Run code automatically" is on, and a CodeWatcher that puts
each answer's code into the editor and each run's output into the view while
the chain streams. Everything a tab runs uses its CodeTab (its own working
folder and processes).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from samantha.events import AnswerFinished, CodeRan
from samantha.runner import (
    DEFAULT_PROFILE,
    PROFILES,
    SAMPLE_CSV,
    NoCodeError,
    ProcessInfo,
    RunnerEnvironment,
    RunnerError,
    create_environment,
    csv_to_sqlite,
    default_environment_dir,
    extract_python,
    installed_packages,
    installed_profiles,
    launch_dtale,
    launch_jupyterlab,
    launch_sqlite_browser,
    package_script,
    profile_packages,
)
from samantha.runner.chain_hook import CodeRunHook, code_ran_event
from samantha.runner.environment import RunnerMissing
from samantha.runner.launchers import SQLITE_SUFFIXES
from samantha.runner.workspace import CodeTab, locate_environment
from samantha.ui import assets
from samantha.ui.code_view import (
    DEFAULT_TIME_LIMIT,
    NOT_A_SANDBOX,
    PACKAGE_HEADERS,
    PART_KEY,
    PROCESS_HEADERS,
    RUNNING,
    address_links,
    check_environment,
    environment_problem,
    figure_paths,
    install_progress,
    parse_time_limit,
    printed_text,
    process_choices,
    process_rows,
    processes_note,
    profile_note,
    run_status,
)
from samantha.ui.context import PanelContext, RunParts, RunWatcher
from samantha.ui.i18n import tr, warning_note
from samantha.ui.inputs import InputProblem
from samantha.ui.session import SessionBusy, TabSession

# How long "Start detached" waits for a server to print its address before it lists the program anyway.
ADDRESS_WAIT_SECONDS = 5.0
EDITOR_HELP = (
    "Code (the Python blocks of the last answer land here after each answer; edit it, or paste your own)"
)
PRINTED_LABEL = "Printed text (stdout, stderr) and exit status"
INSTALL_REFRESH_SECONDS = 0.5
INSTALL_LOG_LINES = 30
DATA_FILE_TYPES = [".csv", ".tsv", *SQLITE_SUFFIXES]
# The output frame is sandboxed (an opaque origin), so it cannot see the page's theme; the page tells it by
# marking the frame document's root with the theme. Svelte may put the new frame in place after the value
# watcher fires, so an observer marks whatever frame appears (marking is idempotent: a marked frame is left be).
FRAME_THEME_JS = """
const mark = () => {
  const theme = document.body.classList.contains('dark') ? 'page-dark' : 'page-light';
  for (const frame of element.querySelectorAll('iframe[srcdoc]')) {
    frame.style.colorScheme = theme === 'page-dark' ? 'dark' : 'light';  // the frame and its document agree
    const before = frame.srcdoc;
    const after = before.replace(/<html( class="page-(dark|light)")?>/, '<html class="' + theme + '">');
    if (after !== before) frame.srcdoc = after;
  }
};
mark();
watch('value', mark);
new MutationObserver(mark).observe(element, {subtree: true, childList: true, attributeFilter: ['srcdoc']});
new MutationObserver(mark).observe(document.body, {attributeFilter: ['class']});
"""


class EnvironmentRefusal(InputProblem):
    """A run refused for want of a runner environment; the status box says so once (no toast repeating it)."""

    status_only = True



def _checked_environment(location: str) -> tuple[RunnerEnvironment | None, str]:
    """The runner environment at `location` and its status line, in the tab's language."""
    environment, line = check_environment(location)
    return environment, tr(line)

def _tail(lines: Sequence[str]) -> str:
    return "\n".join(lines[-INSTALL_LOG_LINES:])


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
        tr(processes_note(processes)),
        pd.DataFrame(process_rows(processes), columns=[tr(name) for name in PROCESS_HEADERS]),
        address_links(processes),
        gr.Dropdown(choices=process_choices(processes), value=None),
    ]


def headline(exc: BaseException) -> str:
    """The first paragraph of a message, for a toast (the status line holds the rest)."""
    return str(exc).split("\n\n")[0]


def toast(exc: BaseException) -> None:
    """A toast for a refusal, except a missing runner: the status line right there already says it, once."""
    if not getattr(exc, "status_only", False):
        gr.Warning(tr(headline(exc)))


def environment_for(location: str, *, markup: bool = False) -> RunnerEnvironment:
    """The runner environment for a run, or EnvironmentRefusal saying how to create it.

    Plain text by default: the status box and toasts show text as it is, so
    Markdown marks would appear raw there.
    """
    try:
        return locate_environment(location or "")
    except RunnerError as exc:
        raise EnvironmentRefusal(environment_problem(
            str(exc), location or "", default_environment_dir(), missing=isinstance(exc, RunnerMissing),
            markup=markup)) from None


def install_target(location: str) -> Path:
    """The venv folder a profile is installed into: the chosen one, the venv of a chosen interpreter, or the
    default folder; ValueError for an interpreter outside any venv (Samantha never installs into a system Python)."""
    text = (location or "").strip()
    if not text:
        return default_environment_dir()
    path = Path(text).expanduser().absolute()
    if path.is_file():
        root = path.parent.parent
        if (root / "pyvenv.cfg").is_file():
            return root
        raise ValueError(f"{path} is not inside a virtual environment, and Samantha installs profiles only into one: "
                         "clear “Code runner environment” to use the default folder, or name a venv folder.")
    return path


def package_view(environment: RunnerEnvironment | None) -> list[Any]:
    """Values for [profile note, package table]."""
    if environment is None:
        return [tr(profile_note(None, [], [])), pd.DataFrame([], columns=[tr(name) for name in PACKAGE_HEADERS])]
    packages = installed_packages(environment)
    return [tr(profile_note(environment, installed_profiles(environment.root), packages)),
            pd.DataFrame([list(pair) for pair in packages], columns=[tr(name) for name in PACKAGE_HEADERS])]


class CodeWatcher(RunWatcher):
    """Follows one chain run: the editor gets each answer's code, the output view each run's output."""

    def __init__(self, session: TabSession) -> None:
        self._session = session
        self._code: str | None = None  # code not yet put into the editor
        self._run: CodeRan | None = None  # a run not yet shown

    def on_answer_finished(self, event: AnswerFinished) -> None:
        code = extract_python(event.record.answer)
        if code:  # an answer without code leaves the editor (and what the user pasted) alone
            self._code = code

    def on_code_ran(self, event: CodeRan) -> None:
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
        self._install_lock = threading.Lock()  # one pip at a time into the runner environment

    def _install(self, target: Path, chosen: str, wanted: Sequence[str], where: str) -> Iterator[list[Any]]:
        """Run the installer in a thread and show its last lines every half second until it ends."""
        lines: list[str] = []
        failure: list[BaseException] = []

        def work() -> None:
            try:
                create_environment(target, wanted, on_output=lines.append, profile=chosen)
            except RunnerError as exc:
                failure.append(exc)

        worker = threading.Thread(target=work, name="runner-profile-install", daemon=True)
        worker.start()
        while worker.is_alive():
            yield [install_progress(lines, False, chosen), gr.Textbox(value=_tail(lines), visible=True),
                   gr.skip(), gr.skip(), gr.skip()]
            worker.join(INSTALL_REFRESH_SECONDS)
        if failure:
            gr.Warning(tr(str(failure[0]).split("\n")[0]))
            yield [warning_note(failure[0]), gr.Textbox(value=_tail(lines), visible=True), gr.skip(), gr.skip(),
                   gr.skip()]
            return
        environment, line = _checked_environment(where or "")
        yield [install_progress(lines, True, chosen), gr.Textbox(value=_tail(lines), visible=True),
               *package_view(environment), line]

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
        with gr.Accordion("Runner profile and packages", open=False, elem_id="runner-profile-panel"):
            gr.Markdown(
                "**light**: charts and tables (NumPy, pandas, Matplotlib, SciPy, scikit-learn, Seaborn, Plotly, "
                "JupyterLab). **full**: the manual's data-analysis toolbox (adds Vega-Altair, Bokeh, Dash, Streamlit, "
                "ydata-profiling, Sweetviz, D-Tale, NetworkX, Pyvis, SQLAlchemy, BeautifulSoup, PyMuPDF, requests, "
                "openpyxl, pipdeptree, PyInstaller, sqlite-web). **launchers**: only D-Tale, sqlite-web, JupyterLab "
                "and PyInstaller. Installing needs the package index once; an installed profile is kept."
            )
            with gr.Row(equal_height=True):
                profile = gr.Dropdown(label="Profile", choices=list(PROFILES), value="full", scale=2,
                                      elem_id="runner-profile-choice")
                install = gr.Button("Install profile", variant="primary", size="sm", scale=1,
                                    elem_id="install-profile")
                show_packages = gr.Button("Show installed packages", size="sm", scale=1, elem_id="show-packages")
            install_status = gr.Markdown(elem_id="runner-install-status")
            install_log = gr.Textbox(label="Installer output (last lines)", lines=8, max_lines=8, interactive=False,
                                     visible=False, autoscroll=True, elem_id="runner-install-log")
            profile_line = gr.Markdown(elem_id="runner-profile-note")
            packages = gr.Dataframe(value=pd.DataFrame([], columns=PACKAGE_HEADERS), headers=PACKAGE_HEADERS,
                                    interactive=False, max_height=300, elem_id="runner-packages")

        editor = gr.Code(label=EDITOR_HELP, language="python", lines=12, interactive=True, elem_id="code-editor")
        with gr.Row(elem_classes=["small-buttons"]):
            run = gr.Button("\u25b6 Run code", variant="primary", elem_id="run-code")
            stop = gr.Button("Stop", variant="stop", elem_id="stop-code")
            copy = gr.Button("Copy code", elem_id="copy-code")
            from_answer = gr.Button("Code of the last answer", elem_id="code-from-answer")
            package = gr.Button("Package as program", elem_id="package-program")
            close = gr.Button("Close Python", elem_id="close-python")
        status = gr.Markdown(elem_id="code-run-status")
        packaged = gr.File(label="Stand-alone program", visible=False, interactive=False, elem_id="packaged-program")
        # The frame shows the output; the same text as plain text waits here, closed, so it is not shown twice
        # (and with "Hide HTML output" on, error output stays out of sight until asked for).
        view = gr.HTML(visible=False, elem_id="code-output-view", js_on_load=FRAME_THEME_JS)
        with gr.Accordion("Printed text (on demand)", open=False, elem_id="code-printed-panel"):
            printed = gr.Textbox(label=PRINTED_LABEL, lines=6, max_lines=20, interactive=False, visible=False,
                                 buttons=["copy"], elem_id="code-printed")
        figures = gr.Gallery(label="Figures", visible=False, columns=2, height="auto", elem_id="code-figures")
        run_outputs = [status, printed, view, figures]

        with gr.Accordion("Long-running programs and launchers (servers, Streamlit or Dash apps, D-Tale, "
                          "SQLite browser, JupyterLab)", open=True):
            gr.Markdown(
                "**Start detached** runs the editor's code in the background (a server, a Streamlit or Dash app) "
                "and lists it here with its address; code that imports streamlit gets `streamlit run` on "
                "127.0.0.1. **D-Tale** opens the data file below, **SQLite browser** the database (a CSV file is "
                "copied into a new database first). Everything listens on 127.0.0.1 only. **Close Python** ends "
                "everything started from this tab."
            )
            with gr.Row(equal_height=True):
                data_file = gr.Textbox(label="Data file (CSV, or SQLite database)", value=str(SAMPLE_CSV), scale=5,
                                       info="the sample data set that ships with Samantha, unless you choose another",
                                       elem_id="launcher-data", elem_classes=[assets.ENTER_OWN_CLASS])
                choose = gr.UploadButton("Choose a file\u2026", file_types=DATA_FILE_TYPES, size="sm", scale=1,
                                         elem_id="launcher-choose")
            with gr.Row(elem_classes=["small-buttons"]):
                detach = gr.Button("Start detached", elem_id="start-detached")
                dtale = gr.Button("D-Tale", elem_id="open-dtale")
                sqlite = gr.Button("SQLite browser", elem_id="open-sqlite-browser")
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
        # A new tab has started nothing yet; drawn on load so the table's headers are in the tab's language.
        gr.on(triggers=None, fn=lambda: process_view(()), inputs=None, outputs=program_outputs,
              api_visibility="private", show_progress="hidden")

        # -- the runner environment: checked on load, remembered when changed --------------
        def show_environment() -> list[Any]:
            remembered = ctx.config.load().runner_python
            environment, line = _checked_environment(remembered)
            return [remembered, line, *package_view(environment)]

        gr.on(triggers=None, fn=show_environment, inputs=None,
              outputs=[location, environment_status, profile_line, packages],
              api_visibility="private", show_progress="hidden")

        def use_environment(text: str) -> str:
            text = (text or "").strip()
            ctx.config.update(runner_python=text)
            return _checked_environment(text)[1]

        use.click(use_environment, [location], [environment_status], api_name="use_runner")
        location.submit(use_environment, [location], [environment_status], api_visibility="private")

        # -- the editor ------------------------------------------------------------------
        copy.click(None, [editor], None, js=assets.COPY_JS)

        def last_answer_code(tab: TabSession) -> Any:
            code = extract_python(tab.last_answer)
            if not code:
                gr.Warning(tr("The last answer has no ```python block." if tab.last_answer else "There is no answer yet."))
                return gr.skip()
            return code

        from_answer.click(last_answer_code, [ctx.session], [editor], api_name="code_of_last_answer")

        # -- running --------------------------------------------------------------------
        def run_code(tab: TabSession, code: str, where: str, seconds: Any, hide: bool) -> Iterator[list[Any]]:
            try:
                if not (code or "").strip():
                    raise NoCodeError("There is no code to run: paste some into the editor, or let a model write it.")
                environment = environment_for(where, markup=True)
                timeout = parse_time_limit(seconds)
                if tab.running:
                    raise SessionBusy("A chain is running in this tab: wait for it, or press Stop all, then Run code.")
                control = tab.begin_run()  # the tab is busy: Start waits, and Stop / Stop all end the run
            except (ValueError, RunnerError, SessionBusy) as exc:
                toast(exc)
                yield [warning_note(exc), gr.skip(), gr.skip(), gr.skip()]
                return
            try:
                yield running_view()
                workspace = code_tab(tab)
                result = workspace.runner(environment, timeout).run(code, control.stop_all_event)
                yield run_view(code_ran_event(result, hide_view=bool(hide)), workspace.workdir)
            except RunnerError as exc:  # the interpreter did not start
                gr.Warning(tr(str(exc)))
                yield [warning_note(exc), gr.skip(), gr.skip(), gr.skip()]
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
            gr.Info(tr(f"Close Python ended {ended} process(es) started from this tab."))
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
                gr.Warning(tr(headline(exc)))
                return list_programs(tab)
            workspace.processes.wait_for_address(info.id, ADDRESS_WAIT_SECONDS)
            return list_programs(tab)

        detach.click(start_detached, [ctx.session, editor, location], program_outputs, api_name="start_detached",
                     concurrency_limit=None)

        def stop_program(tab: TabSession, chosen: Any) -> list[Any]:
            if chosen is None or chosen == "":
                gr.Warning(tr("Choose a program in the list first."))
                return list_programs(tab)
            try:
                code_tab(tab).processes.stop(int(chosen))
            except (RunnerError, ValueError) as exc:
                gr.Warning(tr(str(exc)))
            return list_programs(tab)

        stop_one.click(stop_program, [ctx.session, pick], program_outputs, api_name="stop_program",
                       concurrency_limit=None)

        def open_jupyterlab(tab: TabSession, where: str) -> Iterator[list[Any]]:
            try:
                environment = environment_for(where, markup=True)
            except InputProblem as exc:
                toast(exc)
                yield [warning_note(exc), *list_programs(tab)]
                return
            yield ["\u23f3 Starting JupyterLab on 127.0.0.1\u2026", *list_programs(tab)]
            workspace = code_tab(tab)
            try:
                info = launch_jupyterlab(environment, workspace.processes, workspace.workdir)
            except RunnerError as exc:
                gr.Warning(tr(str(exc).split("\n")[0]))
                yield [warning_note(exc), *list_programs(tab)]
                return
            yield [f"JupyterLab runs in this tab's working folder: [open JupyterLab]({info.address})",
                   *list_programs(tab)]

        jupyter.click(open_jupyterlab, [ctx.session, location], [status, *program_outputs], api_name="jupyterlab",
                      concurrency_limit=None)

        def open_launcher(tab: TabSession, where: str, chosen: str, which: str) -> Iterator[list[Any]]:
            label = "D-Tale" if which == "dtale" else "the SQLite browser"
            try:
                environment = environment_for(where, markup=True)
            except InputProblem as exc:
                toast(exc)
                yield [warning_note(exc), *list_programs(tab)]
                return
            yield [f"\u23f3 Starting {label} on 127.0.0.1\u2026", *list_programs(tab)]
            workspace = code_tab(tab)
            try:
                data = Path((chosen or "").strip() or SAMPLE_CSV).expanduser()
                if which == "dtale":
                    info = launch_dtale(environment, workspace.processes, workspace.workdir, data)
                else:
                    if data.suffix.lower() in (".csv",):  # a CSV becomes a database in the tab's folder first
                        data = csv_to_sqlite(data, workspace.workdir / f"{data.stem}.db")
                    info = launch_sqlite_browser(environment, workspace.processes, workspace.workdir, data)
            except RunnerError as exc:
                gr.Warning(tr(str(exc).split("\n")[0]))
                yield [warning_note(exc), *list_programs(tab)]
                return
            yield [f"{info.label} runs on 127.0.0.1: [open it]({info.address})", *list_programs(tab)]

        dtale.click(lambda tab, where, chosen: (yield from open_launcher(tab, where, chosen, "dtale")),
                    [ctx.session, location, data_file], [status, *program_outputs], api_name="dtale",
                    concurrency_limit=None)
        sqlite.click(lambda tab, where, chosen: (yield from open_launcher(tab, where, chosen, "sqlite")),
                     [ctx.session, location, data_file], [status, *program_outputs], api_name="sqlite_browser",
                     concurrency_limit=None)

        def choose_data(tab: TabSession, upload: str | None) -> Any:
            """Copy the chosen file into the tab's folder (uploads live in Gradio's cache) and name it."""
            if not upload:
                return gr.skip()
            workspace = code_tab(tab)
            target = workspace.workdir / Path(upload).name
            shutil.copyfile(upload, target)
            return str(target)

        choose.upload(choose_data, [ctx.session, choose], [data_file], api_visibility="private")

        # -- packaging the editor's code as a stand-alone program ---------------------------
        def package_program(tab: TabSession, code: str, where: str) -> Iterator[list[Any]]:
            try:
                environment = environment_for(where, markup=True)
            except InputProblem as exc:
                toast(exc)
                yield [warning_note(exc), gr.File(visible=False)]
                return
            workspace = code_tab(tab)
            yield ["\u23f3 Packaging the editor's code with PyInstaller (a minute or two)\u2026",
                   gr.File(visible=False)]
            try:
                program = package_script(environment, code or "", workspace.workdir, name="program",
                                         processes=workspace.processes)
            except RunnerError as exc:
                gr.Warning(tr(str(exc).split("\n")[0]))
                yield [warning_note(exc), gr.File(visible=False)]
                return
            yield [f"\u2705 Stand-alone program: `{program}` (in this tab's working folder; download it below).",
                   gr.File(value=str(program), visible=True)]

        package.click(package_program, [ctx.session, editor, location], [status, packaged], api_name="package_program",
                      concurrency_limit=None)

        # -- the runner profile: install with a progress view, list what is installed --------------
        def list_packages(where: str) -> list[Any]:
            environment, _ = _checked_environment(where or "")
            return package_view(environment)

        show_packages.click(list_packages, [location], [profile_line, packages], api_name="runner_packages")

        def install_profile(where: str, chosen: str) -> Iterator[list[Any]]:
            try:
                target = install_target(where)
                wanted = profile_packages(chosen or DEFAULT_PROFILE)
            except (ValueError, RunnerError) as exc:
                gr.Warning(tr(str(exc)))
                yield [warning_note(exc), gr.Textbox(visible=False), gr.skip(), gr.skip(), gr.skip()]
                return
            if not self._install_lock.acquire(blocking=False):
                message = "Another profile install is running: wait for it to finish."
                gr.Warning(tr(message))
                yield [warning_note(message), gr.skip(), gr.skip(), gr.skip(), gr.skip()]
                return
            try:
                yield from self._install(target, chosen, wanted, where)
            finally:
                self._install_lock.release()

        install.click(install_profile, [location, profile],
                      [install_status, install_log, profile_line, packages, environment_status],
                      api_name="install_profile", concurrency_limit=None)

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
