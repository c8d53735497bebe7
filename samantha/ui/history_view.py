"""What the History panel shows, as plain values: control values from a stored session, choices, the grid.

No Gradio here, so the mapping from a stored session back to the page's inputs
is tested on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from samantha.history.db import SessionSummary, StoredSession
from samantha.history.grid import GRID_STYLE, Grid, to_html_table
from samantha.run_spec import RunSpec
from samantha.settings import ALL_SETTINGS, ChainSettings
from samantha.settings_schema import Setting

# Every setting a control on the page holds (feature panels' switches included), in schema order.
PAGE_SETTINGS = tuple(item for item in ALL_SETTINGS if item.control != "none")
# The run's own inputs besides its settings.
RUN_INPUTS = ("model_list", "links", "prompt", "system", "previous", "grammar")


def session_choices(summaries: Sequence[SessionSummary]) -> list[tuple[str, int]]:
    return [(summary.label(), summary.id) for summary in summaries]


def control_values(session: StoredSession) -> dict[str, Any]:
    """The page's input values that run `session` again (its seed included), by control name."""
    settings = session.chain_settings()
    info = session.run_spec()
    values: dict[str, Any] = {
        "model_list": "" if info.links else "\n".join(settings.models),
        "links": info.links,
        "prompt": settings.prompt,
        "system": settings.system,
        "previous": settings.previous,
        "grammar": (info.grammar or "").rstrip("\n"),
    }
    values.update({item.name: item.control_value(stored_value(item, settings, info)) for item in PAGE_SETTINGS})
    return values


def stored_value(declared: Setting, settings: ChainSettings, info: RunSpec) -> Any:
    """What a stored run holds for one setting: in its sampling, its load options or its chain settings."""
    holder: Any = {"sampling": settings.sampling, "load": info.load_options}.get(declared.applies, settings)
    return getattr(holder, declared.attribute)


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
