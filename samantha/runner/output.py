"""What a run's result means for the user and for the chain.

The view helpers turn output into HTML that is safe to put in the app's page:
everything the code printed is shown inside one `<iframe sandbox srcdoc=...>`,
so printed HTML or Markdown cannot run scripts against the app. The chain
helpers decide errors, stop conditions and the text fed back to the model.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import markdown

from samantha.chain import STOP_WORD
from samantha.runner.execute import RunResult

TRACEBACK_MARK = "Traceback (most recent call last):"
NOTHING_PRINTED = "(the code printed nothing)"
OUTPUT_LABEL = "Python output:"

# Output that starts with one of these tags is shown as the HTML it is.
_HTML_START = re.compile(
    r"^\s*(?:<!doctype\s+html|<!--|<(?:html|head|body|div|table|p|h[1-6]|ul|ol|span|style|svg|img|iframe|section|"
    r"article|main|header|footer|pre|a|b|i|em|strong|br|hr|form|figure|canvas|details|blockquote|dl|center)\b)",
    re.IGNORECASE,
)
# Signs that plain output is meant as Markdown (headings, lists, tables, fences, emphasis, links).
_MARKDOWN_SIGNS = re.compile(
    r"^\s{0,3}#{1,6}\s|^\s{0,3}[-*+]\s+\S|^\s{0,3}\d+[.)]\s+\S|^\s*\|.*\|\s*$|^\s{0,3}(?:```|~~~)|\*\*[^*\n]+\*\*|\[[^\]\n]+\]\([^)\s]+\)",
    re.MULTILINE,
)
# The frame's own rules: no network, no plugins; scripts only when explicitly allowed, and even then
# they run in an opaque origin and may not connect anywhere (so never to the app).
_POLICY = "default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; font-src data:"
_POLICY_WITH_SCRIPTS = _POLICY + "; script-src 'unsafe-inline' 'unsafe-eval' https:; connect-src 'none'"
_STYLE = """
/* The page marks the frame with its own theme (see the Code tab); alone, it follows the browser's. */
:root { color-scheme: light dark; }
html.page-dark { color-scheme: dark; }
html.page-light { color-scheme: light; }
body { background: Canvas; color: CanvasText; }
body { font-family: system-ui, sans-serif; font-size: 14px; margin: 8px; }
pre { white-space: pre-wrap; word-break: break-word; font-family: ui-monospace, monospace; margin: 0 0 8px; }
pre.stderr { color: #e5534b; }
p.note { font-style: italic; opacity: 0.8; }
table { border-collapse: collapse; } td, th { border: 1px solid #8886; padding: 2px 6px; }
"""


def is_error(result: RunResult) -> bool:
    """A run is an error when it did not finish on its own with status 0, or printed a traceback."""
    return (
        result.ended_by != "exit"
        or result.exit_code != 0
        or TRACEBACK_MARK in result.stderr
        or TRACEBACK_MARK in result.stdout
    )


def stop_condition_met(result: RunResult) -> bool:
    """The chain's stop condition: the code printed something and it is not an error."""
    return bool(result.stdout.strip()) and not is_error(result)


def wants_stop(result: RunResult) -> bool:
    """The code asked the chain to stop by printing exactly STOP_SAMANTHA."""
    return result.stdout.strip() == STOP_WORD


def output_text(result: RunResult) -> str:
    """The interpreter's output as a user reads it: stdout, stderr, then what happened (timeouts, status)."""
    parts = [result.stdout.rstrip("\n"), result.stderr.rstrip("\n"), *result.notes]
    return "\n".join(part for part in parts if part.strip())


def feedback_text(answer: str, result: RunResult, *, output_only: bool = False) -> str:
    """The text fed back to the model: the answer with the interpreter output appended, or the output alone."""
    output = output_text(result) or NOTHING_PRINTED
    if output_only:
        return output
    return f"{answer.rstrip()}\n\n{OUTPUT_LABEL}\n{output}"


# Line breaks written as tags (the manual's "separate each module with <br> tag") make printed text HTML too.
_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text) or _BREAK_TAG.search(text))


def looks_like_markdown(text: str) -> bool:
    return bool(_MARKDOWN_SIGNS.search(text))


def render_text(text: str) -> str:
    """HTML for printed text: HTML as is, Markdown rendered, anything else preformatted."""
    if looks_like_html(text):
        return text
    if looks_like_markdown(text):
        return str(markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html"))
    return f"<pre>{html.escape(text)}</pre>"


def sandboxed_frame(body: str, *, allow_scripts: bool = False, title: str = "Code output", height: int = 300) -> str:
    """`body` inside an `<iframe sandbox srcdoc=...>`: it cannot reach the app's page, storage or server.

    The frame has an opaque origin (no allow-same-origin), and a content policy
    that forbids network access; `allow_scripts` lets scripts draw (e.g. a
    plotly chart) but still never connect anywhere.
    """
    policy = _POLICY_WITH_SCRIPTS if allow_scripts else _POLICY
    document = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    sandbox = "allow-scripts" if allow_scripts else ""
    return (
        f'<iframe sandbox="{sandbox}" title="{html.escape(title, quote=True)}" '
        f'referrerpolicy="no-referrer" style="width: 100%; height: {int(height)}px; border: 0;" '
        f'srcdoc="{html.escape(document, quote=True)}"></iframe>'
    )


@dataclass(frozen=True)
class OutputView:
    """What the output panel shows: HTML (None when nothing was printed) and figure image files."""

    html: str | None
    images: tuple[Path, ...]


def _height(text: str) -> int:
    return max(80, min(800, 24 + 20 * (text.count("\n") + 1)))


def build_view(result: RunResult, *, allow_scripts: bool = False) -> OutputView | None:
    """The output view of a run, or None when it printed nothing and drew nothing."""
    stdout, stderr = result.stdout.strip("\n"), result.stderr.strip("\n")
    printed = bool(stdout.strip() or stderr.strip())
    if not printed and not result.images:
        return None
    if not printed:
        return OutputView(html=None, images=result.images)
    body = []
    if stdout.strip():
        body.append(render_text(stdout))
    if stderr.strip():
        body.append(f'<pre class="stderr">{html.escape(stderr)}</pre>')
    body.extend(f'<p class="note">{html.escape(note)}</p>' for note in result.notes)
    frame = sandboxed_frame("\n".join(body), allow_scripts=allow_scripts, height=_height(stdout + "\n" + stderr))
    return OutputView(html=frame, images=result.images)
