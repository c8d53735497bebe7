"""Chain switches and counts, prompt format, sampling and the Advanced settings, drawn from the settings schema."""

from __future__ import annotations

from itertools import groupby
from typing import Any, cast

import gradio as gr

from samantha.sampling import PRESETS
from samantha.settings import ALL_SETTINGS
from samantha.settings_schema import Setting
from samantha.ui import assets
from samantha.ui.context import PanelContext


def control(declared: Setting) -> gr.components.Component:
    """The page control a setting declares: its label, help, range and default come from the schema."""
    common: dict[str, Any] = {"label": declared.label, "info": declared.help, "elem_id": declared.elem_id}
    value = declared.control_value(declared.default)
    if declared.control == "slider":
        low = declared.low or 0.0
        high = declared.slider_high if declared.slider_high is not None else declared.high or low
        return gr.Slider(low, high, value=value, step=declared.step, min_width=220, **common)
    if declared.control == "number":
        # No Gradio minimum: Samantha checks the value itself and names the field in its message
        # (Gradio's own check says only "Value -1 is less than minimum value 0").
        return gr.Number(value=value, precision=0 if declared.kind == "int" else None, **common)
    if declared.control == "checkbox":
        return gr.Checkbox(value=value, min_width=200, **common)
    if declared.control == "dropdown":
        return gr.Dropdown(list(declared.choices), value=value, elem_classes=[assets.ENTER_OWN_CLASS], scale=2,
                           **common)
    return gr.Textbox(value=value, placeholder=declared.placeholder or None, visible=declared.shown, **common)


def render_settings(ctx: PanelContext, panel: str) -> None:
    """Every setting the schema places in `panel`, row by row."""
    placed = sorted((item for item in ALL_SETTINGS if item.panel == panel), key=lambda item: item.place)
    for _, row in groupby(placed, key=lambda item: item.place[0]):
        with gr.Row():
            for declared in row:
                ctx.controls.add(declared.name, control(declared))


def render_chain_settings(ctx: PanelContext) -> None:
    render_settings(ctx, "chain")
    controls = ctx.controls
    fmt = cast(gr.Dropdown, controls["prompt_format"])
    names = [controls["user_name"], controls["assistant_name"]]
    fmt.change(lambda f: (gr.Textbox(visible=f == "samantha"),) * 2, [fmt], names,
               api_visibility="private", queue=False)


def render_sampling(ctx: PanelContext) -> None:
    controls = ctx.controls
    with gr.Row():
        presets = {name: gr.Button(name.capitalize(), size="sm", elem_id=f"preset-{name}", min_width=120)
                   for name in PRESETS}
        gr.Markdown(
            "**Deterministic**: the same answer every time (the defaults). **Stochastic**: the manual's maximum "
            "stochastic values (temperature 2, tfs_z 1, top_p 1, min_p 0, typical_p 1, top_k 40), where every "
            "setting can act; then move one setting toward its deterministic value to see what it does.",
            elem_id="preset-help",
        )
    render_settings(ctx, "sampling")
    keys = list(PRESETS["deterministic"])
    for name, button in presets.items():
        values = PRESETS[name]
        button.click(lambda values=values: tuple(values[key] for key in keys), None, [controls[key] for key in keys],
                     api_visibility="private", queue=False)


def render_advanced(ctx: PanelContext) -> None:
    controls = ctx.controls
    render_settings(ctx, "advanced")
    controls.add("grammar", gr.Code(
        label="GBNF grammar (every answer must follow it; empty = off)", language=None, lines=4,
        elem_id="grammar", elem_classes=[assets.ENTER_OWN_CLASS],
    ))
