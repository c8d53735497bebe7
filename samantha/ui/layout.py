"""The page: models and inputs on the left, buttons and transcript on the right, settings in tabs below.

Each panel lives in its own module; `build_blocks` only arranges them, wires the
output side once every control is registered, and restores remembered settings
on page load. Later features plug in as UIPlugin tabs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from samantha.config import ConfigStore
from samantha.model_host import ModelHost
from samantha.ui import assets
from samantha.ui.context import PanelContext, UIPlugin, render_live
from samantha.ui.help import render_help
from samantha.ui.i18n import render_language_switch, wire_language_switch
from samantha.ui.input_panel import render_collections, render_inputs
from samantha.ui.models_panel import folder_note, render_model_card_panel, render_models_panel
from samantha.ui.output_panel import render_output_panel, wire_output_panel
from samantha.ui.recipes_panel import render_recipes, wire_recipes
from samantha.ui.session import TabSession
from samantha.ui.settings_panel import render_advanced, render_chain_settings, render_sampling


def _close_session(value: Any) -> None:
    if isinstance(value, TabSession):
        value.close()


def _tab_closed(demo: gr.Blocks, session: gr.State, request: gr.Request) -> None:
    """Gradio calls this when a tab's page goes away (closed, reloaded): end the programs it started."""
    holder = getattr(demo, "state_holder", None)  # Gradio's store of every tab's state
    session_hash = getattr(request, "session_hash", None)
    if holder is None or session_hash is None or session_hash not in holder:
        return
    state = holder[session_hash]
    if session._id in state:  # without creating a TabSession for a tab that never used one
        tab = state[session._id]
        if isinstance(tab, TabSession):
            tab.close_programs()


def build_blocks(
    host: ModelHost,
    config: ConfigStore,
    *,
    prompts_dir: Path,
    files_dir: Path,
    plugins: Sequence[UIPlugin] = (),
    starter: Path | None = None,
) -> gr.Blocks:
    """Build the whole page around one shared model host; every tab gets its own TabSession."""
    # No analytics: nothing about what the user does leaves the machine.
    with gr.Blocks(title=assets.APP_TITLE, fill_width=True, analytics_enabled=False) as demo:
        session = gr.State(TabSession, delete_callback=_close_session)
        ctx = PanelContext(host=host, config=config, prompts_dir=prompts_dir, files_dir=files_dir, session=session,
                           starter=starter)
        with gr.Row(equal_height=False):
            gr.Markdown(f"# {assets.APP_TITLE}\nChain open GGUF models on your CPU", elem_classes=["samantha-title"])
            # The one switch for every sound: clicks in the page and the tones as answers start and end.
            sounds = gr.Checkbox(label="Sounds", value=True, elem_id=assets.SOUNDS_CHECKBOX_ID,
                                 scale=0, min_width=140)
            ctx.parts["sounds"] = sounds
            language = render_language_switch()
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=380, elem_id="input-column"):
                with gr.Accordion("Models", open=True, elem_id="models-panel"):
                    model_parts = render_models_panel(ctx)
                ctx.parts.update(model_parts)
                fields = render_inputs(ctx)
                render_collections(ctx, fields)
                recipes = render_recipes(ctx)
            with gr.Column(scale=7, min_width=420, elem_id="output-column"):
                out = render_output_panel()
                render_live(plugins, ctx)
        with gr.Tabs():
            with gr.Tab("Chain", elem_id="tab-chain"):
                render_chain_settings(ctx)
            with gr.Tab("Sampling", elem_id="tab-sampling"):
                render_sampling(ctx)
            with gr.Tab("Advanced", elem_id="tab-advanced"):
                render_advanced(ctx)
            with gr.Tab("Model card & vocabulary", elem_id="tab-card"):
                render_model_card_panel(ctx, model_parts)
            for plugin in plugins:
                with gr.Tab(plugin.title):
                    plugin.render(ctx)
            with gr.Tab("How it works", elem_id="tab-help"):
                render_help()

        wire_recipes(ctx, recipes)  # after the tabs: a recipe also sets the Code tab's switches
        wire_output_panel(ctx, out, fields, plugins=plugins)

        def on_tab_closed(request: gr.Request) -> None:
            _tab_closed(demo, session, request)

        demo.unload(on_tab_closed)

        # -- page load: remembered settings and the current folder ---------
        def on_load() -> tuple[Any, ...]:
            config = ctx.config.load()
            folder = str(config.resolved_models_dir())
            models, note = folder_note(folder, config.include_subfolders, ctx.starter)
            return (folder, config.include_subfolders, gr.Dropdown(choices=models, value=None), note,
                    config.click_sounds)

        demo.load(on_load, None, [model_parts["models_dir"], model_parts["include_subfolders"],
                                  model_parts["picker"], model_parts["note"], sounds],
                  api_visibility="private")

        def remember_sounds(on: bool) -> None:
            ctx.config.update(click_sounds=bool(on))

        wire_language_switch(demo, language)
        sounds.input(remember_sounds, [sounds], None, api_visibility="private", queue=False)
    return demo
