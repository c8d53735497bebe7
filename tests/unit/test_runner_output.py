"""Output view and chain helpers of the code runner."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from samantha.runner.execute import RunResult
from samantha.runner.output import (
    NOTHING_PRINTED,
    build_view,
    feedback_text,
    is_error,
    output_text,
    render_text,
    sandboxed_frame,
    stop_condition_met,
    wants_stop,
)


def result(
    stdout: str = "", stderr: str = "", exit_code: int | None = 0, ended_by: str = "exit", **more: object
) -> RunResult:
    values: dict[str, object] = {
        "code": "print()",
        "stdout": stdout,
        "stderr": stderr,
        "exit_code": exit_code,
        "ended_by": ended_by,
        "seconds": 0.1,
        "workdir": Path("."),
        "run_dir": Path("."),
    }
    values.update(more)
    return RunResult(**values)  # type: ignore[arg-type]


class TopLevel(HTMLParser):
    """Records the start tags and their attributes as a browser would parse the app's page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = TopLevel()
    parser.feed(markup)
    parser.close()
    return parser.tags


# -- chain helpers -------------------------------------------------------------


def test_a_clean_run_that_printed_is_not_an_error_and_meets_the_stop_condition() -> None:
    done = result(stdout="42\n")
    assert not is_error(done)
    assert stop_condition_met(done)


@pytest.mark.parametrize(
    "run",
    [
        result(stdout="partial\n", exit_code=1),
        result(stdout="x\n", stderr="Traceback (most recent call last):\n  ...\nValueError: bad\n", exit_code=0),
        result(stdout="x\n", exit_code=-9, ended_by="timeout"),
        result(stdout="x\n", exit_code=-9, ended_by="stop"),
        result(stdout="x\n", exit_code=-9, ended_by="close"),
    ],
)
def test_errors_never_meet_the_stop_condition(run: RunResult) -> None:
    assert is_error(run)
    assert not stop_condition_met(run)


def test_printing_nothing_does_not_meet_the_stop_condition() -> None:
    assert not stop_condition_met(result(stdout="  \n"))
    assert not stop_condition_met(result(stdout="", stderr="a warning\n"))


def test_stop_samantha_is_recognised_only_as_the_whole_output() -> None:
    assert wants_stop(result(stdout="STOP_SAMANTHA\n"))
    assert wants_stop(result(stdout="  STOP_SAMANTHA  "))
    assert not wants_stop(result(stdout="done\nSTOP_SAMANTHA\n"))
    assert not wants_stop(result(stdout="stop_samantha"))


def test_feedback_appends_the_output_to_the_answer_or_gives_it_alone() -> None:
    run = result(stdout="3\n", stderr="careful\n", exit_code=1, notes=("Exit status 1.",))
    assert output_text(run) == "3\ncareful\nExit status 1."
    assert feedback_text("The sum is:\n```python\nprint(1+2)\n```\n", run) == (
        "The sum is:\n```python\nprint(1+2)\n```\n\nPython output:\n3\ncareful\nExit status 1."
    )
    assert feedback_text("ignored", run, output_only=True) == "3\ncareful\nExit status 1."


def test_feedback_says_when_nothing_was_printed() -> None:
    assert feedback_text("answer", result(), output_only=True) == NOTHING_PRINTED
    assert feedback_text("answer", result()).endswith(NOTHING_PRINTED)


# -- output view ---------------------------------------------------------------


def test_empty_output_gives_no_view() -> None:
    assert build_view(result()) is None
    assert build_view(result(stdout="\n\n")) is None


def test_figures_alone_give_images_and_no_html(tmp_path: Path) -> None:
    image = tmp_path / "figure-01.png"
    view = build_view(result(images=(image,)))
    assert view is not None and view.html is None and view.images == (image,)


def test_printed_html_is_shown_in_a_sandboxed_frame_that_cannot_run_scripts() -> None:
    printed = '<b>bold</b><script>parent.document.body.innerHTML = "owned"</script>\n'
    view = build_view(result(stdout=printed))
    assert view is not None and view.html is not None
    tags = parse(view.html)
    assert [tag for tag, _ in tags] == ["iframe"]  # nothing of the output leaks into the app's page
    attrs = tags[0][1]
    assert attrs["sandbox"] == ""  # sandboxed, with no allow-scripts and no allow-same-origin
    srcdoc = attrs["srcdoc"] or ""
    assert printed.strip() in srcdoc  # the browser gets the printed HTML back exactly
    assert "default-src 'none'" in srcdoc


def test_quotes_in_output_cannot_break_out_of_the_srcdoc_attribute() -> None:
    printed = "<p>x</p>\"><script>alert(1)</script><img src=x onerror=alert(2)>'&amp;"
    frame = build_view(result(stdout=printed))
    assert frame is not None and frame.html is not None
    tags = parse(frame.html)
    assert [tag for tag, _ in tags] == ["iframe"]
    assert printed in (tags[0][1]["srcdoc"] or "")


def test_allowing_scripts_keeps_the_frame_apart_from_the_app() -> None:
    frame = sandboxed_frame("<div id=chart></div>", allow_scripts=True)
    ((_, attrs),) = parse(frame)
    assert attrs["sandbox"] == "allow-scripts"  # never allow-same-origin: scripts get an opaque origin
    assert "connect-src 'none'" in (attrs["srcdoc"] or "")


def test_markdown_output_is_rendered() -> None:
    view = build_view(result(stdout="# Results\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n**done**\n"))
    assert view is not None and view.html is not None
    srcdoc = parse(view.html)[0][1]["srcdoc"] or ""
    assert "<h1>Results</h1>" in srcdoc
    assert "<td>1</td>" in srcdoc
    assert "<strong>done</strong>" in srcdoc


def test_plain_output_keeps_its_layout_and_is_escaped() -> None:
    table = "   a  b\n0  1  <2>\n1  3  4"
    assert render_text(table) == "<pre>   a  b\n0  1  &lt;2&gt;\n1  3  4</pre>"


def test_stderr_and_notes_are_shown_escaped() -> None:
    view = build_view(result(stderr="<oops> & more\n", exit_code=1, notes=("Exit status 1.",)))
    assert view is not None and view.html is not None
    srcdoc = parse(view.html)[0][1]["srcdoc"] or ""
    assert '<pre class="stderr">&lt;oops&gt; &amp; more</pre>' in srcdoc
    assert "Exit status 1." in srcdoc
