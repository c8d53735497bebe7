"""Code execution inside the chain: run each answer's Python and feed the output back.

Plugged into `run_chain(hooks=[...])`; the chain itself knows nothing of runners.
"""

from __future__ import annotations

from dataclasses import dataclass

from samantha.backends.base import Control
from samantha.chain import HookOutcome
from samantha.events import AnswerRecord, CodeRan, Notice
from samantha.runner.errors import RunnerError
from samantha.runner.execute import CodeRunner, RunResult
from samantha.runner.extract import extract_python
from samantha.runner.output import build_view, feedback_text, is_error, output_text, stop_condition_met, wants_stop


def code_ran_event(result: RunResult, *, hide_view: bool = False) -> CodeRan:
    """What the UI and CLI show of a run; the HTML view is left out when "Hide HTML output" is on."""
    view = None if hide_view else build_view(result)
    return CodeRan(
        code=result.code,
        stdout=result.stdout,
        stderr=result.stderr,
        exit_code=result.exit_code,
        ended_by=result.ended_by,
        seconds=result.seconds,
        is_error=is_error(result),
        view_html=(view.html or "") if view else "",
        images=tuple(str(p) for p in result.images),
        notes=tuple(result.notes),
    )


@dataclass
class CodeRunHook:
    """After each answer: run its code, report it, feed its output back, stop when asked.

    Only Stop all ends a run early: as in the original, Stop/next ends generation
    and still lets the code of the answer so far run.
    """

    runner: CodeRunner
    stop_condition: bool = False
    output_only: bool = False
    hide_view: bool = False

    def after_answer(self, record: AnswerRecord, control: Control) -> HookOutcome:
        code = extract_python(record.answer)
        if not code.strip() or control.all_stopped:
            return HookOutcome()
        try:
            result = self.runner.run(code, control.step_stop)  # Stop/next ends the run, like the answer
        except RunnerError as exc:
            return HookOutcome(events=(Notice(f"code not run: {exc}"),))
        stop_reason = None
        if wants_stop(result):
            stop_reason = "STOP_SAMANTHA"
        elif self.stop_condition and stop_condition_met(result):
            stop_reason = "stop condition"
        return HookOutcome(
            events=(code_ran_event(result, hide_view=self.hide_view),),
            feedback=feedback_text(record.answer, result, output_only=self.output_only),
            stop_reason=stop_reason,
            extra={"code_output": output_text(result), "code_exit_code": result.exit_code,
                   "code_error": is_error(result)},
        )
