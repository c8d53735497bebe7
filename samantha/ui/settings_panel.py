"""Chain switches and counts, prompt format, sampling and the Advanced settings."""

from __future__ import annotations

import gradio as gr

from samantha.sampling import PRESETS
from samantha.settings import Sampling
from samantha.ui import assets
from samantha.ui.context import PanelContext

FORMAT_CHOICES = [
    ("The model's own chat template", "auto"),
    ("ChatML", "chatml"),
    ("Gemma turns (<start_of_turn>user \u2026 <end_of_turn>)", "gemma"),
    ("Samantha-1 sections (situation / information / thought)", "samantha"),
    ("USER: / ASSISTANT: (Vicuna, Capybara)", "user-assistant"),
    ("Raw completion (text as is)", "raw"),
]
# (key, label, minimum, maximum, step, help) for the sampling sliders.
SLIDERS = (
    ("temperature", "temperature", 0.0, 2.0, 0.05, "0 = always the most likely token (deterministic)"),
    ("tfs_z", "tfs_z", 0.0, 1.0, 0.01, "tail-free sampling: cut the long tail; 0 = deterministic, 1 = off"),
    ("top_p", "top_p", 0.0, 1.0, 0.01, "keep tokens up to this total probability; 0 = deterministic, 1 = off"),
    ("min_p", "min_p", 0.0, 1.0, 0.01, "drop tokens below min_p x the best one; 1 = deterministic, 0 = off"),
    ("typical_p", "typical_p", 0.0, 1.0, 0.01, "keep 'typical' tokens (entropy); 0 = deterministic, 1 = off"),
    ("presence_penalty", "presence_penalty", -2.0, 2.0, 0.05, "penalise tokens already present"),
    ("frequency_penalty", "frequency_penalty", -2.0, 2.0, 0.05, "penalise tokens by how often they appeared"),
    ("repeat_penalty", "repeat_penalty", 0.0, 2.0, 0.01, "1 = off; above 1 discourages repeats"),
)


# The whole-number boxes carry no Gradio minimum: Samantha checks them itself and names the field in its
# message (Gradio's own check says only "Value -1 is less than minimum value 0").


def render_chain_settings(ctx: PanelContext) -> None:
    controls = ctx.controls
    with gr.Row():
        controls.add("responses", gr.Number(label="Number of responses", value=1, precision=0,
                                            info="each model answers the whole prompt list this many times",
                                            elem_id="responses"))
        controls.add("loops", gr.Number(label="Number of loops", value=1, precision=0,
                                        info="the whole block repeats", elem_id="loops"))
    switches = (
        ("feedback", "Feedback loop", "each answer becomes the next previous response"),
        ("cumulative", "Cumulative response", "with feedback: add each answer to the previous response"),
        ("single", "Single response per model",
         "model i answers item i only (as many items as models); responses and loops repeat it"),
        ("reset", "Reset model", "clear the model's state before each item (exact reproducibility)"),
        ("shuffle", "Shuffle models", "with 3+ models: a new order each loop"),
        ("random_params", "Random hyperparameters", "draw temperature, top_p, ... for each answer"),
        ("fast", "Fast mode", "show each answer only when it is done"),
    )
    with gr.Row():
        for key, label, info in switches:
            controls.add(key, gr.Checkbox(label=label, info=info, elem_id=f"switch-{key.replace('_', '-')}",
                                          min_width=200))
    with gr.Row():
        fmt = controls.add("prompt_format", gr.Dropdown(
            FORMAT_CHOICES, value="auto", label="Prompt format", elem_id="prompt-format",
            elem_classes=[assets.ENTER_OWN_CLASS], scale=2,
        ))
        user_name = controls.add("user_name", gr.Textbox(label="User's name (Samantha-1 format)", visible=False,
                                                         elem_id="user-name"))
        assistant_name = controls.add("assistant_name", gr.Textbox(
            label="Assistant's name (Samantha-1 format)", visible=False, elem_id="assistant-name"))
    fmt.change(lambda f: (gr.Textbox(visible=f == "samantha"),) * 2, [fmt], [user_name, assistant_name],
               api_visibility="private", queue=False)


def render_sampling(ctx: PanelContext) -> None:
    controls = ctx.controls
    defaults = Sampling()
    with gr.Row():
        presets = {name: gr.Button(name.capitalize(), size="sm", elem_id=f"preset-{name}", min_width=120)
                   for name in PRESETS}
        gr.Markdown(
            "**Deterministic**: the same answer every time (the defaults). **Stochastic**: the manual's maximum "
            "stochastic values (temperature 2, tfs_z 1, top_p 1, min_p 0, typical_p 1, top_k 40), where every "
            "setting can act; then move one setting toward its deterministic value to see what it does.",
            elem_id="preset-help",
        )
    with gr.Row():
        controls.add("n_ctx", gr.Number(label="n_ctx (context window)", value=defaults.n_ctx, precision=0,
                                        info="tokens the model sees at once; 0 = the model's own; a change reloads",
                                        elem_id="n-ctx"))
        controls.add("max_tokens", gr.Number(label="max_tokens", value=defaults.max_tokens, precision=0,
                                             info="longest answer; 0 = as many as fit", elem_id="max-tokens"))
        controls.add("top_k", gr.Number(label="top_k", value=defaults.top_k, precision=0,
                                        info="keep the k most likely tokens; 1 = deterministic", elem_id="top-k"))
        controls.add("seed", gr.Textbox(label="Seed", value="", placeholder="random",
                                        info="empty = random; the status shows the seed used", elem_id="seed"))
    for row in (SLIDERS[:4], SLIDERS[4:]):
        with gr.Row():
            for key, label, low, high, step, info in row:
                controls.add(key, gr.Slider(low, high, value=getattr(defaults, key), step=step, label=label,
                                            info=info, elem_id=f"slider-{key.replace('_', '-')}", min_width=220))
    keys = list(PRESETS["deterministic"])
    for name, button in presets.items():
        values = PRESETS[name]
        button.click(lambda values=values: tuple(values[key] for key in keys), None, [controls[key] for key in keys],
                     api_visibility="private", queue=False)
    controls.add("stop", gr.Textbox(label="stop", value="", elem_id="stop-list",
                                    placeholder='["$$$", ".", ".\\n"]',
                                    info="a list of strings that end an answer (JSON or Python list; never run)"))


def render_advanced(ctx: PanelContext) -> None:
    controls = ctx.controls
    with gr.Row():
        controls.add("threads", gr.Number(label="CPU threads", value=0, precision=0,
                                          info="0 = every core", elem_id="threads"))
        controls.add("repack", gr.Checkbox(
            label="Weight repacking", value=True, elem_id="repack",
            info="faster; a file that crashes llama.cpp with it is loaded again without it, and remembered",
        ))
    controls.add("grammar", gr.Code(
        label="GBNF grammar (every answer must follow it; empty = off)", language=None, lines=4,
        elem_id="grammar", elem_classes=[assets.ENTER_OWN_CLASS],
    ))
