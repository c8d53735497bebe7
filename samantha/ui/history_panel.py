"""The History tab: stored sessions (newest first), search, reopen into the inputs, delete, export, compare.

Every Start of the tab is recorded through this plugin's RunWatcher, which sees
each chain event and commits each answer as it finishes. The database is shared
by all tabs of the app (one lock); what a tab remembers (its last run, the
session it reopened) lives in its TabSession.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from samantha.chain import AnswerHook
from samantha.events import ChainStarted, Event
from samantha.history.db import HistoryDB, HistoryError, default_db_path
from samantha.history.export import FORMATS, export_session
from samantha.history.grid import GRID_FORMATS, GROUPINGS, build_grid, export_grid
from samantha.history.recorder import Recorder, stored_settings
from samantha.history.replay import session_events
from samantha.history.rerun import same_marks
from samantha.run_spec import RunSpec
from samantha.transcript_writer import TranscriptWriter
from samantha.ui.context import PanelContext, RunParts, RunWatcher, UIPlugin
from samantha.ui.history_view import PAGE_SETTINGS, RUN_INPUTS, control_values, grid_html, session_choices
from samantha.ui.i18n import tr, warning_note
from samantha.ui.inputs import build_request
from samantha.ui.session import TabSession
from samantha.ui.stale_messages import hidden_files

PART_KEY = "history"
LISTED = 50


class HistoryTab:
    """What one browser tab remembers: the session its last Start recorded, and the one it reopened."""

    def __init__(self) -> None:
        self.current: int | None = None
        self.reopened: int | None = None


class HistoryWatcher(RunWatcher):
    """Records one run; when it ends, refreshes the session list with the new run selected."""

    def __init__(self, plugin: HistoryPlugin, recorder: Recorder | None, tab: HistoryTab, problem: str = "") -> None:
        self._plugin = plugin
        self._recorder = recorder
        self._tab = tab
        self._problem = problem

    def apply(self, event: Event) -> None:
        """Every event goes to the recorder too, which handles each kind its own way."""
        if self._recorder is not None:
            self._recorder.apply(event)
            super().apply(event)

    def on_started(self, event: ChainStarted) -> None:
        if self._recorder is not None and self._recorder.session_id is not None:
            self._tab.current = self._recorder.session_id

    def view(self, finished: bool) -> list[Any]:
        if not finished:
            return [gr.skip(), gr.skip()]
        problem = self._problem
        if self._recorder is not None:
            self._recorder.end("error")
            problem = problem or self._recorder.problem
        if problem:
            return [gr.skip(), warning_note(problem)]
        current = self._tab.current
        try:
            choices = self._plugin.choices()
        except (HistoryError, sqlite3.Error) as exc:
            return [gr.skip(), warning_note(exc)]
        note = f"This run is stored as session #{current}." if current is not None else gr.skip()
        return [gr.Radio(choices=choices, value=current), note]


class HistoryPlugin:
    """The History tab as a UIPlugin with LivePlugin extras (it follows every run)."""

    title = "History"

    def __init__(self, db_path: Path | None = None, peers: Sequence[UIPlugin] = ()) -> None:
        self._db_path = db_path
        self._db: HistoryDB | None = None
        self._lock = threading.Lock()
        self.peers = list(peers)
        self.outputs: Sequence[gr.components.Component] = ()

    def db(self) -> HistoryDB:
        """The shared database, opened on first use (HistoryError when it cannot be)."""
        with self._lock:
            if self._db is None:
                try:
                    self._db = HistoryDB(self._db_path)
                except (OSError, RuntimeError) as exc:
                    raise HistoryError(f"cannot open the history database: {exc}") from None
            return self._db

    def choices(self, search: str = "", page: int = 0) -> list[tuple[str, int]]:
        """One page of the (searched) list: LISTED sessions, newest first, after `page` pages."""
        return session_choices(self.db().list_sessions(limit=LISTED, search=search, offset=page * LISTED))

    def page_note(self, search: str, page: int, shown: int) -> str:
        """Which sessions the page shows, of how many: the list is paged, so older ones stay reachable."""
        total = self.db().count_sessions(search)
        if not total:
            return tr(f"No session matches {search.strip()!r}." if search.strip() else "No stored sessions yet: press Start.")
        first = page * LISTED + 1
        what = f"matching {search.strip()!r}" if search.strip() else "stored"
        more = " Older ones: the Older button." if first + shown - 1 < total else ""
        return f"Sessions {first}\u2013{first + shown - 1} of {total:,} {what} (newest first).{more}"

    def render(self, ctx: PanelContext) -> None:
        path = self._db_path or default_db_path()
        gr.Markdown(f"Every run is stored as it goes in `{path}`: reopen one to see it and to put its settings back "
                    "into the inputs (press Start to run it again), export it, or compare its answers side by side.")
        with gr.Row(equal_height=True):
            search = gr.Textbox(label="Search prompts and answers", scale=5, elem_id="history-search",
                                elem_classes=["enter-own"], placeholder="words that must all appear")
            refresh = gr.Button("Search / refresh", size="sm", scale=1, elem_id="history-refresh")
        sessions = gr.Radio(choices=[], label="Stored sessions (newest first)", elem_id="history-sessions")
        with gr.Row(elem_classes=["small-buttons"]):
            newer = gr.Button("\u25c0 Newer", size="sm", elem_id="history-newer")
            older = gr.Button("Older \u25b6", size="sm", elem_id="history-older")
        page = gr.State(0)  # which page of LISTED sessions this tab shows
        note = gr.Markdown(elem_id="history-note")
        with gr.Row(elem_classes=["small-buttons"]):
            reopen = gr.Button("Reopen", size="sm", variant="primary", elem_id="history-reopen")
            delete = gr.Button("Delete", size="sm", variant="stop", elem_id="history-delete")
            formats = gr.CheckboxGroup(list(FORMATS), value=list(FORMATS), label="Export as", elem_id="history-formats")
            export = gr.Button("Export", size="sm", elem_id="history-export")
        files = gr.File(label="Exported files", file_count="multiple", interactive=False, visible=False,
                        elem_id="history-files")
        stored = gr.Textbox(label="Stored transcript", lines=12, max_lines=30, interactive=False,
                            elem_id="history-transcript")
        with gr.Accordion("Comparison grid", open=True, elem_id="history-compare"):
            with gr.Row(equal_height=True):
                by = gr.Radio(list(GROUPINGS), value="model", label="Columns", elem_id="history-by",
                              info="models, rounds (loop and response) or random-setting draws; rows are prompt items")
                compare_selected = gr.Button("Compare the selected session", size="sm", elem_id="history-compare-selected")
                compare_current = gr.Button("Compare this tab's last run", size="sm", elem_id="history-compare-current")
            grid = gr.HTML(elem_id="history-grid")
            grid_export = gr.Button("Export the grid (Markdown, HTML, CSV)", size="sm", elem_id="history-grid-export")
            grid_files = gr.File(label="Grid files", file_count="multiple", interactive=False, visible=False,
                                 elem_id="history-grid-files")
        shown = gr.State(None)  # the session id the grid shows
        self.outputs = [sessions, note]

        def listing(text: str, number: int = 0) -> tuple[Any, str, Any]:
            try:
                number = max(0, int(number or 0))
                found = self.choices(text or "", number)
                if not found and number > 0:  # past the end (sessions were deleted): the last page
                    number = max(0, (self.db().count_sessions(text or "") - 1) // LISTED)
                    found = self.choices(text or "", number)
                message = self.page_note(text or "", number, len(found))
            except (HistoryError, sqlite3.Error) as exc:
                gr.Warning(tr(str(exc)))
                return gr.skip(), warning_note(exc), gr.skip()
            return gr.Radio(choices=found, value=None), message, number

        refresh.click(listing, [search], [sessions, note, page], api_name="history_list")
        search.submit(listing, [search], [sessions, note, page], api_visibility="private")
        older.click(lambda text, number: listing(text, number + 1), [search, page], [sessions, note, page],
                    api_name="history_older")
        newer.click(lambda text, number: listing(text, max(0, number - 1)), [search, page], [sessions, note, page],
                    api_name="history_newer")
        gr.on(triggers=None, fn=lambda: listing(""), inputs=None, outputs=[sessions, note, page],
              api_visibility="private", show_progress="hidden")

        def chosen(value: Any) -> int:
            if value is None or value == "":
                raise HistoryError("Pick a session in the list first.")
            return int(value)

        names = [name for name in control_values_names() if name in ctx.controls]
        targets = [ctx.controls[name] for name in names]

        def on_reopen(tab: TabSession, value: Any) -> tuple[Any, ...]:
            try:
                session = self.db().session(chosen(value))
            except HistoryError as exc:
                gr.Warning(tr(str(exc)))
                return (gr.skip(), warning_note(exc), *(gr.skip() for _ in targets))
            writer = TranscriptWriter(fast=True)
            for event in session_events(session):
                writer.apply(event)
            tab.part(PART_KEY, HistoryTab).reopened = session.id
            values = control_values(session)
            message = (f"Session #{session.id} reopened: its settings and seed are in the inputs; press Start to run "
                       "it again (the grid of the new run marks any answer that differs).")
            return (writer.text, message, *(values[name] for name in names))

        reopen.click(on_reopen, [ctx.session, sessions], [stored, note, *targets], api_name="history_reopen")

        def on_delete(value: Any, text: str) -> tuple[Any, ...]:
            try:
                number = chosen(value)
                if not self.db().delete_session(number):
                    raise HistoryError(f"Session #{number} is already gone.")
                found = self.choices(text or "")
            except HistoryError as exc:
                gr.Warning(tr(str(exc)))
                return gr.skip(), warning_note(exc), gr.skip()
            return gr.Radio(choices=found, value=None), f"Deleted session #{number}.", ""

        delete.click(on_delete, [sessions, search], [sessions, note, stored], api_name="history_delete")

        def on_export(value: Any, picked: list[str] | None) -> tuple[Any, str]:
            try:
                session = self.db().session(chosen(value))
                if not picked:
                    raise HistoryError("Tick at least one export format.")
            except HistoryError as exc:
                gr.Warning(tr(str(exc)))
                return gr.File(visible=False), warning_note(exc)
            folder = ctx.files_dir / "history"
            folder.mkdir(parents=True, exist_ok=True)
            paths = []
            for fmt in picked:
                path = folder / f"samantha-session-{session.id}.{fmt}"
                path.write_text(export_session(session, fmt), encoding="utf-8")
                paths.append(str(path))
            return gr.File(value=paths, visible=True), f"Exported session #{session.id}."

        export.click(on_export, [sessions, formats], [files, note], api_name="history_export")

        def show_grid(number: int | None, grouping: str) -> tuple[Any, Any]:
            try:
                if number is None:
                    raise HistoryError("This tab has no recorded run yet: press Start, or pick a stored session.")
                return grid_html(self._grid(number, grouping)), number
            except (HistoryError, ValueError) as exc:
                gr.Warning(tr(str(exc)))
                return f"<p>\u26a0\ufe0f {exc}</p>", gr.skip()

        def on_compare_selected(value: Any, grouping: str) -> tuple[Any, Any]:
            try:
                return show_grid(chosen(value), grouping)
            except HistoryError as exc:
                gr.Warning(tr(str(exc)))
                return gr.skip(), gr.skip()

        compare_selected.click(on_compare_selected, [sessions, by], [grid, shown], api_name="history_compare")
        compare_current.click(lambda tab, grouping: show_grid(tab.part(PART_KEY, HistoryTab).current, grouping),
                              [ctx.session, by], [grid, shown], api_name="history_compare_current")
        by.input(lambda number, grouping: show_grid(number, grouping) if number is not None else (gr.skip(), gr.skip()),
                 [shown, by], [grid, shown], api_visibility="private")

        # Exported files belong to what was shown when Export was pressed: hide them once that changes.
        grid.change(hidden_files, None, [grid_files], queue=False, api_visibility="private", show_progress="hidden")
        sessions.change(hidden_files, None, [files], queue=False, api_visibility="private", show_progress="hidden")

        def on_grid_export(number: int | None, grouping: str) -> Any:
            if number is None:
                gr.Warning(tr("Show a comparison grid first."))
                return gr.File(visible=False)
            try:
                built = self._grid(number, grouping)
            except HistoryError as exc:
                gr.Warning(tr(str(exc)))
                return gr.File(visible=False)
            folder = ctx.files_dir / "history"
            folder.mkdir(parents=True, exist_ok=True)
            paths = []
            for fmt in GRID_FORMATS:
                path = folder / f"samantha-session-{number}-by-{grouping}.{fmt}"
                path.write_text(export_grid(built, fmt), encoding="utf-8")
                paths.append(str(path))
            return gr.File(value=paths, visible=True)

        grid_export.click(on_grid_export, [shown, by], [grid_files], api_name="history_grid_export")

    def _grid(self, number: int, grouping: str) -> Any:
        db = self.db()
        session = db.session(number)
        marks: dict[int, bool] = {}
        if session.summary.rerun_of is not None:
            try:
                marks = same_marks(db.session(session.summary.rerun_of), session)
            except HistoryError:
                pass  # the original was deleted since
        return build_grid(session, grouping, marks)

    def chain_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def hooks(self, session: TabSession, values: Mapping[str, Any]) -> list[AnswerHook]:
        return []

    def run_parts(self, session: TabSession, values: Mapping[str, Any]) -> RunParts:
        """A recorder for this run; a database problem is shown, never a reason to refuse the run."""
        tab = session.part(PART_KEY, HistoryTab)
        try:
            spec = build_request(values)
            extra: dict[str, Any] = {}
            for peer in self.peers:
                extra.update(peer.chain_fields(values))
            if extra:
                spec = spec.with_settings(**extra)
            db = self.db()
            recorder = Recorder(db, spec, source="ui", rerun_of=self._rerun_of(db, tab, spec))
        except (HistoryError, ValueError) as exc:
            return RunParts(watcher=HistoryWatcher(self, None, tab, f"this run is not recorded: {exc}"))
        return RunParts(watcher=HistoryWatcher(self, recorder, tab))

    @staticmethod
    def _rerun_of(db: HistoryDB, tab: HistoryTab, spec: RunSpec) -> int | None:
        """The reopened session, when this run repeats it exactly (same settings, seed, grammar, load options)."""
        if tab.reopened is None:
            return None
        try:
            stored = db.session(tab.reopened)
        except HistoryError:
            return None
        same = stored_settings(spec.settings).to_dict() == stored_settings(stored.chain_settings()).to_dict()
        old = stored.run_spec()
        return stored.id if same and old.grammar == spec.grammar and old.load_options == spec.load_options else None


def control_values_names() -> list[str]:
    """Every control name `control_values` fills."""
    return [*RUN_INPUTS, *(item.name for item in PAGE_SETTINGS)]


def with_history(plugins: list[UIPlugin]) -> list[UIPlugin]:
    """`plugins` and, last, the History tab, which reads their chain fields to record each run's settings."""
    return [*plugins, HistoryPlugin(peers=list(plugins))]
