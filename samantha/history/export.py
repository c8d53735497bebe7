"""A stored session as a file: Markdown to read, JSON to process (the session-file format), HTML to share.

Answers are untrusted text: HTML export renders their Markdown with raw HTML
switched off, so nothing a model wrote can run in the reader's browser.
"""

from __future__ import annotations

import html
import json
from typing import Any

from markdown_it import MarkdownIt

from samantha.history.db import StoredAnswer, StoredSession
from samantha.sampling import format_settings
from samantha.session_file import FORMAT_NAME, FORMAT_VERSION
from samantha.transcript import stats_line

FORMATS = ("md", "json", "html")
PAGE_STYLE = """
body { font: 16px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 56rem; margin: 2rem auto;
       padding: 0 1rem; background: #0f1117; color: #e6e6e6; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; border-bottom: 1px solid #333; padding-bottom: .2rem; }
pre { background: #1b1e27; padding: .8rem; overflow-x: auto; border-radius: 6px; white-space: pre-wrap; }
code { font-family: ui-monospace, "Cascadia Code", Menlo, Consolas, monospace; }
table { border-collapse: collapse; } th, td { border: 1px solid #444; padding: .3rem .6rem; vertical-align: top; }
.stats, .meta { color: #9aa0a6; font-size: .9rem; } blockquote { border-left: 3px solid #555; margin-left: 0;
  padding-left: 1rem; color: #bbb; } .error { color: #ff8a80; }
"""


def markdown_renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def session_title(session: StoredSession) -> str:
    return f"Samantha session #{session.id}"


def _meta_lines(session: StoredSession) -> list[str]:
    s = session.summary
    finished = f"{s.finished_at} ({s.finish_reason})" if s.finished_at else "never (interrupted)"
    lines = [
        f"Started {s.started_at}, finished {finished}",
        f"Recorded from: {s.source}; seed {s.seed}; {s.answers} answer(s) of {s.steps} planned",
        "Models: " + (", ".join(session.settings.get("models") or []) or "none"),
    ]
    if s.rerun_of:
        lines.append(f"Re-run of session #{s.rerun_of}")
    return lines


def _fence(text: str, lang: str = "") -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{lang}\n{text}\n{fence}"


def to_json(session: StoredSession) -> str:
    """The session-file format of `samantha run --save`, plus what only the history keeps."""
    document: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "history_id": session.id,
        "source": session.summary.source,
        "started_at": session.summary.started_at,
        "finished_at": session.summary.finished_at,
        "seed": session.summary.seed,
        "settings": session.settings,
        "run": session.run_info,
        "items": [{"number": i.number, "text": i.text, "final": i.is_final} for i in session.items],
        "answers": [_answer_dict(a) for a in session.answers],
        "errors": [{"message": e.message, **e.data} for e in session.events if e.kind == "error"],
        "notices": [e.message for e in session.events if e.kind == "notice"],
        "code_runs": [e.data for e in session.events if e.kind == "code"],
        "finished": ({"reason": session.summary.finish_reason, "answers": len(session.answers)}
                     if session.summary.finish_reason else None),
        "rerun_of": session.summary.rerun_of,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _answer_dict(answer: StoredAnswer) -> dict[str, Any]:
    data = answer.record().to_dict()
    data.update(code_output=answer.code_output, finished_at=answer.finished_at,
                model_size=answer.model_size, model_fingerprint=answer.model_fingerprint)
    return data


def to_markdown(session: StoredSession) -> str:
    out = [f"# {session_title(session)}", ""]
    out += [f"- {line}" for line in _meta_lines(session)]
    out += ["", "## Settings", "", _fence(json.dumps(session.settings, ensure_ascii=False, indent=2), "json"), ""]
    out += ["## Answers", ""]
    for number, answer in enumerate(session.answers, start=1):
        out += [f"### {number}. {answer.title}", ""]
        out += ["> " + line for line in answer.item_text.splitlines() or [""]]
        out.append("")
        if answer.random_values:
            out += [f"`{format_settings(answer.random_values)}`", ""]
        out += [answer.answer, "", f"`{stats_line(answer.record())}`", ""]
        if answer.code_output:
            out += ["Interpreter output:", "", _fence(answer.code_output, "text"), ""]
    errors = [e for e in session.events if e.kind == "error"]
    notices = [e for e in session.events if e.kind == "notice"]
    if errors:
        out += ["## Errors", ""] + [f"- {e.message}" for e in errors] + [""]
    if notices:
        out += ["## Notices", ""] + [f"- {e.message}" for e in notices] + [""]
    return "\n".join(out).rstrip() + "\n"


def to_html(session: StoredSession) -> str:
    md = markdown_renderer()
    title = html.escape(session_title(session))
    body = [f"<h1>{title}</h1>"]
    body += [f'<p class="meta">{html.escape(line)}</p>' for line in _meta_lines(session)]
    body.append("<details><summary>Settings</summary><pre>"
                + html.escape(json.dumps(session.settings, ensure_ascii=False, indent=2)) + "</pre></details>")
    for number, answer in enumerate(session.answers, start=1):
        body.append(f'<section class="answer" id="answer-{number}"><h2>{number}. {html.escape(answer.title)}</h2>')
        body.append(f"<blockquote>{html.escape(answer.item_text)}</blockquote>")
        if answer.random_values:
            body.append(f'<p class="stats">{html.escape(format_settings(answer.random_values))}</p>')
        body.append(md.render(answer.answer))
        body.append(f'<p class="stats">{html.escape(stats_line(answer.record()))}</p>')
        if answer.code_output:
            body.append(f"<p>Interpreter output:</p><pre>{html.escape(answer.code_output)}</pre>")
        body.append("</section>")
    for event in session.events:
        if event.kind == "error":
            body.append(f'<p class="error">[error] {html.escape(event.message)}</p>')
        elif event.kind == "notice":
            body.append(f'<p class="meta">[notice] {html.escape(event.message)}</p>')
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title><style>{PAGE_STYLE}</style>'
        "</head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def export_session(session: StoredSession, fmt: str) -> str:
    """The session in `fmt` (md, json or html)."""
    if fmt == "md":
        return to_markdown(session)
    if fmt == "json":
        return to_json(session)
    if fmt == "html":
        return to_html(session)
    raise ValueError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
