"""Messages that go once their cause is gone: a message left on screen after the user fixed what it was
about reads as if the fix had not worked."""

from __future__ import annotations

from typing import Any

import gradio as gr

from samantha.ui.inputs import NO_MODEL_CHOSEN


def clear_if_about_no_model(status: str | None, chain_list: str | None) -> Any:
    """The status box, emptied when it says no model was chosen and the chain list now has one."""
    if (chain_list or "").strip() and NO_MODEL_CHOSEN in (status or ""):
        return ""
    return gr.skip()


def clear_when_empty(text: str | None) -> tuple[Any, Any]:
    """A repository lister's note and file list, emptied when its link field is cleared."""
    if (text or "").strip():
        return gr.skip(), gr.skip()
    return "", gr.CheckboxGroup(choices=[], value=[])


def hidden_files() -> Any:
    """Exported files of an earlier view: hidden once what they were exported from changes."""
    return gr.File(value=None, visible=False)
