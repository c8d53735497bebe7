"""The comparison grid: prompt items as rows; models, rounds or random-setting draws as columns.

Each cell holds the answers that fall in it with their stats; a re-run marks each
answer as the same as, or different from, the stored one. Exports as Markdown,
HTML and CSV.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from samantha.history.db import StoredAnswer, StoredSession
from samantha.sampling import format_settings
from samantha.transcript import rate_text

GROUPINGS = ("model", "round", "draw")
GRID_FORMATS = ("md", "html", "csv")


@dataclass(frozen=True)
class Row:
    number: int
    text: str


@dataclass
class Grid:
    """`cells[(row, column)]` lists the answers of that item under that column, in order."""

    session_id: int
    by: str
    columns: list[str]
    rows: list[Row]
    cells: dict[tuple[int, int], list[StoredAnswer]] = field(default_factory=dict)
    same: Mapping[int, bool] = field(default_factory=dict)  # answer id -> same as the stored run (re-runs)
    several_models: bool = False

    def cell(self, row: int, column: int) -> list[StoredAnswer]:
        return self.cells.get((row, column), [])


def build_grid(session: StoredSession, by: str = "model", same: Mapping[int, bool] | None = None) -> Grid:
    """Arrange a session's answers; `by` is model, round (loop and response) or draw (k-th answer to an item)."""
    if by not in GROUPINGS:
        raise ValueError(f"compare by {by!r}? choose one of {', '.join(GROUPINGS)}")
    rows = [Row(item.number, item.text) for item in session.items]
    known = {row.number for row in rows}
    for answer in session.answers:
        if answer.item_number not in known:
            known.add(answer.item_number)
            rows.append(Row(answer.item_number, answer.item_text))
    rows.sort(key=lambda row: row.number)
    row_of = {row.number: index for index, row in enumerate(rows)}
    refs = {a.model_ref for a in session.answers}
    grid = Grid(session.id, by, [], rows, same=dict(same or {}), several_models=len(refs) > 1)
    keys: dict[object, int] = {}
    labels: list[str] = []
    seen_per_item: dict[int, int] = {}
    for answer in session.answers:
        key: object
        if by == "model":
            key, label = answer.model_ref, answer.model_name
        elif by == "round":
            key = (answer.loop, answer.round)
            label = f"loop {answer.loop}, response {answer.round}"
        else:
            seen_per_item[answer.item_number] = seen_per_item.get(answer.item_number, 0) + 1
            key = seen_per_item[answer.item_number]
            label = f"draw {key}"
        if key not in keys:
            keys[key] = len(labels)
            labels.append(label)
        grid.cells.setdefault((row_of[answer.item_number], keys[key]), []).append(answer)
    grid.columns = _unique(labels)
    return grid


def _unique(labels: list[str]) -> list[str]:
    """Two different files with one name get numbered columns."""
    counts: dict[str, int] = {}
    out = []
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
        out.append(label if counts[label] == 1 and labels.count(label) == 1 else f"{label} ({counts[label]})")
    return out


def stats_text(answer: StoredAnswer) -> str:
    seconds = answer.prompt_seconds + answer.generation_seconds
    text = f"{answer.answer_tokens} tokens, {seconds:.1f}s, {rate_text(answer.answer_tokens, answer.generation_seconds)}"
    if answer.finish_reason not in ("eos", "stop"):
        text += f", {answer.finish_reason}"
    return text


def _labels(grid: Grid, answer: StoredAnswer) -> list[str]:
    """What heads an answer inside a cell besides its text: its model, its draw, its re-run mark."""
    heads = []
    if grid.by != "model" and grid.several_models:
        heads.append(answer.model_name)
    if grid.by == "model" and (answer.round > 1 or answer.loop > 1):
        heads.append(f"response {answer.round}, loop {answer.loop}")
    if answer.random_values:
        heads.append(format_settings(answer.random_values))
    if answer.id in grid.same:
        heads.append("same as stored" if grid.same[answer.id] else "DIFFERS from stored")
    return heads


def cell_text(grid: Grid, row: int, column: int) -> str:
    """A cell as plain text (CSV): each answer with its heads and stats."""
    parts = []
    for answer in grid.cell(row, column):
        heads = _labels(grid, answer)
        lines = ([f"[{'; '.join(heads)}]"] if heads else []) + [answer.answer, f"({stats_text(answer)})"]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def row_title(row: Row) -> str:
    return f"{row.number}. {row.text}"


def to_csv(grid: Grid) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["item", *grid.columns])
    for index, row in enumerate(grid.rows):
        writer.writerow([row_title(row), *(cell_text(grid, index, c) for c in range(len(grid.columns)))])
    return out.getvalue()


def _md_cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def to_markdown(grid: Grid) -> str:
    head = f"Session #{grid.session_id} compared by {grid.by}"
    lines = [f"## {head}", "", "| item | " + " | ".join(_md_cell(c) for c in grid.columns) + " |",
             "|---" * (len(grid.columns) + 1) + "|"]
    for index, row in enumerate(grid.rows):
        cells = [_md_cell(cell_text(grid, index, c)) for c in range(len(grid.columns))]
        lines.append(f"| {_md_cell(row_title(row))} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_html_table(grid: Grid) -> str:
    """The grid as an HTML table (escaped text), for the page and the HTML export."""
    out = ['<table class="compare-grid"><thead><tr><th>item</th>']
    out += [f"<th>{html.escape(c)}</th>" for c in grid.columns]
    out.append("</tr></thead><tbody>")
    for index, row in enumerate(grid.rows):
        out.append(f'<tr><th class="item">{html.escape(row_title(row))}</th>')
        for column in range(len(grid.columns)):
            answers = grid.cell(index, column)
            marks = [grid.same.get(a.id) for a in answers]
            state = " differs" if False in marks else (" same" if marks and all(m is True for m in marks) else "")
            out.append(f'<td class="cell{state}">')
            for answer in answers:
                heads = _labels(grid, answer)
                if heads:
                    out.append(f'<div class="heads">{html.escape("; ".join(heads))}</div>')
                out.append(f'<div class="answer">{html.escape(answer.answer)}</div>')
                out.append(f'<div class="stats">{html.escape(stats_text(answer))}</div>')
            out.append("</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


GRID_STYLE = """
.compare-grid { border-collapse: collapse; width: 100%; }
.compare-grid th, .compare-grid td { border: 1px solid #444; padding: .4rem .6rem; vertical-align: top; text-align: left; }
.compare-grid .answer { white-space: pre-wrap; }
.compare-grid .stats, .compare-grid .heads { color: #9aa0a6; font-size: .85em; }
.compare-grid td.differs { outline: 2px solid #e57373; } .compare-grid td.same .heads { color: #81c784; }
"""


def to_html(grid: Grid) -> str:
    title = html.escape(f"Samantha session #{grid.session_id} compared by {grid.by}")
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title><style>'
        "body { font: 15px/1.5 system-ui, sans-serif; margin: 1.5rem; background: #0f1117; color: #e6e6e6; }"
        f"{GRID_STYLE}</style></head><body><h1>{title}</h1>\n{to_html_table(grid)}\n</body></html>\n"
    )


def export_grid(grid: Grid, fmt: str) -> str:
    if fmt == "md":
        return to_markdown(grid)
    if fmt == "html":
        return to_html(grid)
    if fmt == "csv":
        return to_csv(grid)
    raise ValueError(f"unknown grid format {fmt!r}: choose one of {', '.join(GRID_FORMATS)}")
