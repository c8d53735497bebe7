"""What the History panel shows, as plain values: control values from a stored session, choices, the grid.

No Gradio here, so the mapping from a stored session back to the page's inputs
is tested on its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from samantha.history.db import SessionSummary, StoredSession
from samantha.history.grid import GRID_STYLE, Grid, to_html_table
from samantha.ui.inputs import NUMBER_KEYS, SWITCHES

# ChainSettings switches that feature panels own; set when a control of that name is on the page.
FEATURE_SWITCHES = ("run_code", "stop_condition", "feedback_output_only", "learning")


def session_choices(summaries: Sequence[SessionSummary]) -> list[tuple[str, int]]:
    return [(summary.label(), summary.id) for summary in summaries]


def control_values(session: StoredSession) -> dict[str, Any]:
    """The page's input values that run `session` again (its seed included), by control name."""
    settings = session.chain_settings()
    info = session.run_spec()
    sampling = settings.sampling
    values: dict[str, Any] = {
        "model_list": "" if info.links else "\n".join(settings.models),
        "links": info.links,
        "prompt": settings.prompt,
        "system": settings.system,
        "previous": settings.previous,
        "responses": settings.responses,
        "loops": settings.loops,
        "prompt_format": settings.prompt_format,
        "user_name": settings.user_name,
        "assistant_name": settings.assistant_name,
        "seed": "" if settings.seed is None else str(settings.seed),
        "stop": json.dumps(list(sampling.stop), ensure_ascii=False) if sampling.stop else "",
        "threads": info.load_options.n_threads,
        "repack": info.load_options.repack,
        "grammar": (info.grammar or "").rstrip("\n"),
    }
    values.update({key: getattr(sampling, key) for key in NUMBER_KEYS})
    values.update({key: getattr(settings, key) for key in SWITCHES + FEATURE_SWITCHES})
    return values


def grid_html(grid: Grid) -> str:
    """The grid for the page: a note on what it shows, then the table."""
    if not grid.rows or not grid.columns:
        return f"<p>Session #{grid.session_id} has no answers to compare yet.</p>"
    note = f"Session #{grid.session_id}: {len(grid.rows)} item(s) \u00d7 {len(grid.columns)} {grid.by} column(s)"
    if grid.same:
        differ = sum(not same for same in grid.same.values())
        note += f"; re-run: {differ} answer(s) differ from the stored run" if differ else \
            "; re-run: every answer is the same as the stored run"
    return f'<style>{GRID_STYLE}</style><p class="grid-note">{note}</p><div class="grid-scroll">{to_html_table(grid)}</div>'
