"""`samantha history list|show|export|compare|rerun|delete`, and the recorder `samantha run` uses.

cli.py only registers these; the code lives here so the history feature stays in one package.
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from samantha.backends.base import Control
from samantha.errors import SamanthaError
from samantha.events import ChainFailed, Notice
from samantha.history.db import HistoryDB, HistoryError, default_db_path
from samantha.history.export import FORMATS, export_session
from samantha.history.grid import GRID_FORMATS, GROUPINGS, build_grid, export_grid
from samantha.history.recorder import Recorder
from samantha.history.replay import transcript_text
from samantha.history.rerun import RerunReport, rerun_events, same_marks
from samantha.run_setup import RunAccess
from samantha.run_spec import RunSpec

EXIT_BAD_INPUT = 2
EXIT_DIFFERENT = 1
PREVIEW_CHARS = 300


def add_history_parser(subparsers: Any) -> None:
    """Register `samantha history ...` on the main parser's subcommands."""
    history = subparsers.add_parser(
        "history", help="stored sessions: list, search, show, export, compare, re-run",
        description=f"Every UI run and `samantha run` is stored in {default_db_path()} "
                    "(set SAMANTHA_DATA_DIR to use another folder).",
    )
    commands = history.add_subparsers(dest="history_command", required=True)
    listing = commands.add_parser("list", help="stored sessions, newest first")
    listing.add_argument("--search", default="", metavar="TEXT", help="only sessions whose prompts or answers hold every word")
    listing.add_argument("--limit", type=int, default=50, metavar="N")
    listing.add_argument("--page", type=int, default=1, metavar="P", help="page P of N sessions (1: the newest)")
    show = commands.add_parser("show", help="a session's settings and transcript")
    show.add_argument("id", type=int)
    show.add_argument("--prompts", action="store_true", help="also show the exact prompt each model saw")
    export = commands.add_parser("export", help="a session as Markdown, JSON or HTML")
    export.add_argument("id", type=int)
    export.add_argument("--format", choices=FORMATS, default="md")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of printing")
    export.add_argument("--force", action="store_true", help="with -o: replace a file that already exists")
    compare = commands.add_parser("compare", help="the comparison grid: items x models (or rounds, or draws)")
    compare.add_argument("id", type=int)
    compare.add_argument("--by", choices=GROUPINGS, default="model")
    compare.add_argument("--format", choices=GRID_FORMATS, default="md")
    compare.add_argument("-o", "--output", metavar="FILE")
    compare.add_argument("--force", action="store_true", help="with -o: replace a file that already exists")
    rerun = commands.add_parser("rerun", help="run a stored session again and mark the answers that differ")
    rerun.add_argument("id", type=int)
    rerun.add_argument("--threads", type=int, default=None, help="CPU threads (default: as stored)")
    rerun.add_argument("--runner", metavar="PATH",
                       help="for a session that ran code: the runner environment that runs it again "
                            "(default: the one the app remembers, else the default folder)")
    delete = commands.add_parser("delete", help="remove a stored session")
    delete.add_argument("id", type=int)


def run_recorder(no_history: bool, spec: RunSpec, err: TextIO) -> Recorder | None:
    """The recorder for one `samantha run`; a database that cannot be opened is a warning, not a failure."""
    if no_history:
        return None
    try:
        db = HistoryDB()
    except (HistoryError, sqlite3.Error, OSError) as exc:
        print(f"samantha: warning: this run is not recorded in the history: {exc}", file=err)
        return None
    return Recorder(db, spec, source="cli")


def finish_recorder(recorder: Recorder | None, err: TextIO) -> None:
    """Say where the run was stored (or why it was not), and close the database."""
    if recorder is None:
        return
    recorder.end("stopped")
    if recorder.problem:
        print(f"samantha: warning: {recorder.problem}", file=err)
    elif recorder.session_id is not None:
        print(f"samantha: stored as history session #{recorder.session_id} (samantha history show "
              f"{recorder.session_id})", file=err)
    recorder.db.close()


def _write(text: str, output: str | None, out: TextIO, db: HistoryDB, force: bool) -> None:
    """Print `text`, or write it to -o FILE: never over the history itself, nor over another file without --force."""
    if output:
        from samantha.safe_output import OutputRefused, check_output_path

        try:
            check_output_path(Path(output), option="-o", inputs=[("history database", db.path)], force=force)
        except OutputRefused as exc:
            raise HistoryError(str(exc)) from None
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise HistoryError(f"cannot write {output}: {exc.strerror or exc}; choose another -o path") from None
        print(f"wrote {output}", file=out)
    else:
        out.write(text)


def _list(db: HistoryDB, args: argparse.Namespace, out: TextIO) -> int:
    sessions = db.list_sessions(limit=args.limit, search=args.search, offset=max(0, args.page - 1) * args.limit)
    if not sessions:
        print("no stored sessions match" if args.search else f"no stored sessions yet ({db.path})", file=out)
    for summary in sessions:
        print(summary.label(), file=out)
    return 0


def _show(db: HistoryDB, args: argparse.Namespace, out: TextIO) -> int:
    session = db.session(args.id)
    s = session.summary
    print(f"session #{s.id} ({s.source}) started {s.started_at}, "
          f"{'finished ' + str(s.finished_at) if s.finished_at else 'never finished'}: {s.state}", file=out)
    print(f"seed {s.seed}; models: {', '.join(session.settings.get('models') or [])}", file=out)
    if s.rerun_of:
        print(f"re-run of session #{s.rerun_of}", file=out)
    print(file=out)
    out.write(transcript_text(session, prompts=args.prompts))
    return 0


def _compare(db: HistoryDB, args: argparse.Namespace, out: TextIO) -> int:
    session = db.session(args.id)
    marks: dict[int, bool] = {}
    if session.summary.rerun_of is not None:
        try:
            marks = same_marks(db.session(session.summary.rerun_of), session)
        except HistoryError:
            pass  # the original was deleted
    _write(export_grid(build_grid(session, args.by, marks), args.format), args.output, out, db, args.force)
    return 0


def _preview(text: str | None) -> str:
    if text is None:
        return "(none)"
    flat = text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "\u2026"
    return flat.replace("\n", "\n    ")


def _rerun(db: HistoryDB, args: argparse.Namespace, out: TextIO, err: TextIO, hf_token: str | None,
           environ: Mapping[str, str] | None) -> int:
    """Run a stored session again with what `samantha run` uses: local files and remote servers through the
    router (keys from `environ`), links downloaded into the app's model folder."""
    stored = db.session(args.id)
    if args.threads is not None:
        info = dict(stored.run_info)
        info["load_options"] = {**(info.get("load_options") or {}), "n_threads": args.threads}
        stored = replace(stored, run_info=info)
    control = Control()
    report = RerunReport(args.id, None)
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda signum, frame: control.stop_all())
    try:
        for event in rerun_events(db, stored, None, control, access=RunAccess(environ=environ, hf_token=hf_token),
                                  report=report, runner=args.runner):
            if isinstance(event, (ChainFailed, Notice)):
                print(f"samantha: {event.message}", file=err)
    finally:
        signal.signal(signal.SIGINT, previous)
    for note in report.notes:
        print(f"note: {note}", file=out)
    for c in report.comparisons:
        verdict = f"not compared: {c.not_compared}" if not c.compared else "same" if c.same else "DIFFERS"
        print(f"answer {c.position} ({c.title}): {verdict}", file=out)
        if c.compared and not c.same:
            print(f"  stored: {_preview(c.stored)}\n  now:    {_preview(c.new)}", file=out)
    total = len(report.comparisons)
    compared = total - report.uncompared
    summary = (f"re-run stored as session #{report.rerun}: {compared - report.differences} of {compared} compared "
               f"answer(s) the same, {report.differences} different")
    if report.uncompared:
        summary += f"; {report.uncompared} not compared (see above)"
    print(summary, file=out)
    return EXIT_DIFFERENT if report.differences else 0


def history_command(args: argparse.Namespace, out: TextIO, err: TextIO, hf_token: str | None = None,
                    environ: Mapping[str, str] | None = None) -> int:
    """`samantha history ...`; `hf_token` and `environ` (the secrets taken out of the environment at start)
    are for a rerun's downloads and remote servers."""
    try:
        with HistoryDB() as db:
            command = args.history_command
            if command == "list":
                return _list(db, args, out)
            if command == "show":
                return _show(db, args, out)
            if command == "export":
                _write(export_session(db.session(args.id), args.format), args.output, out, db, args.force)
                return 0
            if command == "compare":
                return _compare(db, args, out)
            if command == "rerun":
                return _rerun(db, args, out, err, hf_token, environ)
            if command == "delete":
                if not db.delete_session(args.id):
                    raise HistoryError(f"there is no stored session #{args.id}")
                print(f"deleted session #{args.id}", file=out)
                return 0
    except BrokenPipeError:
        raise  # the reader went away (`| head`): the command line ends quietly
    except (SamanthaError, OSError, sqlite3.Error) as exc:
        print(f"samantha: {exc}", file=err)
        return EXIT_BAD_INPUT
    return EXIT_BAD_INPUT
