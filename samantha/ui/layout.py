"""The page: inputs, buttons and transcript up top, settings in tabs below; one function per panel.

`build_blocks` wires every control to plain handlers that read and write the
tab's TabSession; the chain itself runs in samantha.ui.streaming.
"""

from __future__ import annotations

import html
import inspect
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, Sequence

import gradio as gr

from samantha.config import ConfigStore
from samantha.settings import Sampling
from samantha.ui import assets
from samantha.ui.answer_html import answers_fragment, answers_page
from samantha.ui.collections import (
    SYSTEM_COLLECTION,
    USER_COLLECTION,
    item_label,
    read_collection,
)
from samantha.ui.context import PanelContext, UIPlugin
from samantha.ui.help import render_help
from samantha.ui.host import ModelHost
from samantha.ui.inputs import InputProblem, build_request
from samantha.ui.loaders import PDF_PER_PAGE, PDF_WHOLE, load_pdf_into_prompt, save_prompt_file, text_loader
from samantha.ui.models_panel import folder_note, render_model_card_panel, render_models_panel
from samantha.ui.session import SessionBusy, TabSession
from samantha.ui.streaming import ChainStream, LinkResolver

TITLE = "Samantha"
LINKS_NOT_WIRED = (
    "Download links are handled by the download feature, which is not available in this build: "
    "download the .gguf file into the model folder, pick it under 'Add model' and press Add."
)
FORMAT_CHOICES = [
    ("The model's own chat template", "auto"),
    ("ChatML", "chatml"),
    ("Samantha-1 sections (situation / information / thought)", "samantha"),
    ("USER: / ASSISTANT: (Vicuna, Capybara)", "user-assistant"),
    ("Raw completion (text as is)", "raw"),
]
# (key, label, minimum, maximum, step, help) for the sliders of SPEC §4.
SLIDERS = (
    ("temperature", "temperature", 0.0, 2.0, 0.05, "0 = always the most likely token (deterministic)"),
    ("tfs_z", "tfs_z", 0.0, 1.0, 0.01, "tail-free sampling; 0 = off"),
    ("top_p", "top_p", 0.0, 1.0, 0.01, "keep tokens up to this total probability; 0 = deterministic, 1 = off"),
    ("min_p", "min_p", 0.0, 1.0, 0.01, "drop tokens below min_p x the best one; 1 = deterministic, 0 = off"),
    ("typical_p", "typical_p", 0.0, 1.0, 0.01, "keep 'typical' tokens (entropy); 0 = deterministic, 1 = off"),
    ("presence_penalty", "presence_penalty", -2.0, 2.0, 0.05, "penalise tokens already present"),
    ("frequency_penalty", "frequency_penalty", -2.0, 2.0, 0.05, "penalise tokens by how often they appeared"),
    ("repeat_penalty", "repeat_penalty", 0.0, 2.0, 0.01, "1 = off; above 1 discourages repeats"),
)


def status_html(message: str, phase: str = "") -> str:
    """The status box: one escaped line in a box coloured by phase (running, waiting, done, stopped, error)."""
    if not message:
        return ""
    return f'<div class="status {html.escape(phase)}">{html.escape(message)}</div>'


def _render_inputs(ctx: PanelContext) -> dict[str, Any]:
    controls = ctx.controls
    system = controls.add("system", gr.Textbox(
        label="System prompt", lines=2, max_lines=10, elem_id="system-prompt",
        placeholder="Who the model is and what it knows. Parts separated by $$$; --- ignores a part.",
    ))
    previous = controls.add("previous", gr.Textbox(
        label="Assistant previous response", lines=1, max_lines=10, elem_id="previous-response",
        placeholder="What the model sees as its own last answer (optional).",
    ))
    prompt = controls.add("prompt", gr.Textbox(
        label="User prompt (one item per line, or items separated by $$$)", lines=5, max_lines=20,
        elem_id="user-prompt", placeholder="Type a prompt and press Enter (Shift+Enter for a new line).",
        autofocus=True,
    ))
    with gr.Row(elem_classes=["small-buttons"]):
        text_loader("TXT \u2192 system", system, "load-system-txt")
        text_loader("TXT \u2192 previous", previous, "load-previous-txt")
        text_loader("TXT \u2192 prompt", prompt, "load-prompt-txt")
        pdf = gr.UploadButton("PDF \u2192 prompt", file_types=[".pdf"], size="sm", elem_id="load-prompt-pdf",
                              min_width=80)
        save = gr.Button("Save prompt as TXT", size="sm", elem_id="save-prompt", min_width=80)
    pdf_mode = gr.Radio([PDF_PER_PAGE, PDF_WHOLE], value=PDF_PER_PAGE, label="PDF into the prompt",
                        elem_id="pdf-mode", container=False)
    saved = gr.File(label="Saved prompt", visible=False, elem_id="saved-prompt", interactive=False)
    pdf.upload(load_pdf_into_prompt, [pdf, pdf_mode], [prompt], api_visibility="private")
    save.click(lambda text: save_prompt_file(text, ctx.files_dir), [prompt], [saved], api_name="save_prompt")
    return {"system": system, "previous": previous, "prompt": prompt}


def _render_collections(ctx: PanelContext, fields: dict[str, Any]) -> tuple[gr.Dataset, gr.Dataset]:
    """Clickable example prompts; both files are re-read on every click and on Refresh."""
    user_file = ctx.prompts_dir / USER_COLLECTION
    system_file = ctx.prompts_dir / SYSTEM_COLLECTION

    def samples(path: Path) -> list[list[str]]:
        return [[item_label(item)] for item in read_collection(path)] or [["(no prompts in " + path.name + ")"]]

    with gr.Accordion("Prompt collections", open=False, elem_id="collections"):
        gr.Markdown(f"Click an example to fill the field. Edit `{user_file}` and `{system_file}` "
                    "(items separated by a line `$-$-$`); Refresh shows the changes.")
        user_examples = gr.Dataset(label="User prompts", components=["textbox"], samples=samples(user_file),
                                   type="index", samples_per_page=12, elem_id="user-collection")
        system_examples = gr.Dataset(label="System prompts", components=["textbox"], samples=samples(system_file),
                                     type="index", samples_per_page=12, elem_id="system-collection")
        refresh = gr.Button("Refresh collections", size="sm", elem_id="refresh-collections")

    def pick(path: Path, index: int | None) -> tuple[Any, Any]:
        items = read_collection(path)
        refreshed = gr.Dataset(samples=samples(path))
        if index is None or not 0 <= index < len(items):
            gr.Warning(f"That example is no longer in {path.name}; the list is refreshed.")
            return gr.skip(), refreshed
        return items[index], refreshed

    user_examples.click(lambda i: pick(user_file, i), [user_examples], [fields["prompt"], user_examples],
                        api_visibility="private")
    system_examples.click(lambda i: pick(system_file, i), [system_examples], [fields["system"], system_examples],
                          api_visibility="private")
    refresh.click(lambda: (gr.Dataset(samples=samples(user_file)), gr.Dataset(samples=samples(system_file))),
                  None, [user_examples, system_examples], api_visibility="private")
    return user_examples, system_examples


def _render_chain_settings(ctx: PanelContext) -> None:
    controls = ctx.controls
    with gr.Row():
        controls.add("responses", gr.Number(label="Number of responses", value=1, precision=0, minimum=1,
                                            info="each model answers the whole prompt list this many times",
                                            elem_id="responses"))
        controls.add("loops", gr.Number(label="Number of loops", value=1, precision=0, minimum=1,
                                        info="the whole block repeats", elem_id="loops"))
    switches = (
        ("feedback", "Feedback loop", "each answer becomes the next previous response"),
        ("cumulative", "Cumulative response", "with feedback: add each answer to the previous response"),
        ("single", "Single response per model", "model i answers item i only"),
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


def _render_sampling(ctx: PanelContext) -> None:
    controls = ctx.controls
    defaults = Sampling()
    with gr.Row():
        controls.add("n_ctx", gr.Number(label="n_ctx (context window)", value=defaults.n_ctx, precision=0, minimum=0,
                                        info="tokens the model sees at once; 0 = the model's own; a change reloads",
                                        elem_id="n-ctx"))
        controls.add("max_tokens", gr.Number(label="max_tokens", value=defaults.max_tokens, precision=0, minimum=0,
                                             info="longest answer; 0 = as many as fit", elem_id="max-tokens"))
        controls.add("top_k", gr.Number(label="top_k", value=defaults.top_k, precision=0, minimum=0,
                                        info="keep the k most likely tokens; 1 = deterministic", elem_id="top-k"))
        controls.add("seed", gr.Textbox(label="Seed", value="", placeholder="random",
                                        info="empty = random; the status shows the seed used", elem_id="seed"))
    for row in (SLIDERS[:4], SLIDERS[4:]):
        with gr.Row():
            for key, label, low, high, step, info in row:
                controls.add(key, gr.Slider(low, high, value=getattr(defaults, key), step=step, label=label,
                                            info=info, elem_id=f"slider-{key.replace('_', '-')}", min_width=220))
    controls.add("stop", gr.Textbox(label="stop", value="", elem_id="stop-list",
                                    placeholder='["$$$", ".", ".\\n"]',
                                    info="a list of strings that end an answer (JSON or Python list; never run)"))


def _render_advanced(ctx: PanelContext) -> None:
    controls = ctx.controls
    with gr.Row():
        controls.add("threads", gr.Number(label="CPU threads", value=0, precision=0, minimum=0,
                                          info="0 = every core", elem_id="threads"))
        controls.add("repack", gr.Checkbox(
            label="Weight repacking", value=False, elem_id="repack",
            info="faster on some CPUs; crashes quantised models on others (off is safe)",
        ))
    controls.add("grammar", gr.Code(
        label="GBNF grammar (every answer must follow it; empty = off)", language=None, lines=4,
        elem_id="grammar", elem_classes=[assets.ENTER_OWN_CLASS],
    ))


def _close_session(value: Any) -> None:
    if isinstance(value, TabSession):
        value.close()


def build_blocks(
    host: ModelHost,
    config: ConfigStore,
    *,
    prompts_dir: Path,
    files_dir: Path,
    plugins: Sequence[UIPlugin] = (),
    link_resolver: LinkResolver | None = None,
) -> gr.Blocks:
    """Build the whole page around one shared model host; every tab gets its own TabSession."""
    with gr.Blocks(title=TITLE, fill_width=True) as demo:
        session = gr.State(TabSession, delete_callback=_close_session)
        ctx = PanelContext(host=host, config=config, prompts_dir=prompts_dir, files_dir=files_dir, session=session)
        controls = ctx.controls
        with gr.Row(equal_height=False):
            gr.Markdown(f"# {TITLE}\nChain open GGUF models on your CPU", elem_classes=["samantha-title"])
            sounds = gr.Checkbox(label="Click sounds", value=True, elem_id=assets.SOUNDS_CHECKBOX_ID,
                                 scale=0, min_width=140)
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=380):
                with gr.Accordion("Models", open=True, elem_id="models-panel"):
                    model_parts = render_models_panel(ctx)
                fields = _render_inputs(ctx)
                user_examples, system_examples = _render_collections(ctx, fields)
            with gr.Column(scale=7, min_width=420):
                with gr.Row(elem_classes=["small-buttons"]):
                    start = gr.Button("\u25b6 Start", variant="primary", elem_id=assets.START_BUTTON_ID, min_width=90)
                    stop_next = gr.Button("Stop / next", elem_id="stop-next-button", min_width=90)
                    stop_all = gr.Button("Stop all", variant="stop", elem_id="stop-all-button", min_width=90)
                    clear = gr.Button("Clear history", elem_id="clear-history-button", min_width=90)
                    replace = gr.Button("Replace response", elem_id="replace-response-button", min_width=90)
                    unload = gr.Button("Unload model", elem_id="unload-button", min_width=90)
                status = gr.HTML(elem_id="status-box")
                transcript = gr.Textbox(
                    label="Assistant output", lines=22, max_lines=40, autoscroll=True, buttons=["copy"],
                    elem_id="transcript", placeholder="The transcript of the chain appears here.",
                )
                with gr.Row(elem_classes=["small-buttons"]):
                    copy_last = gr.Button("Copy last answer", size="sm", elem_id="copy-last")
                    copy_all = gr.Button("Copy all answers", size="sm", elem_id="copy-all")
                    open_last = gr.Button("Last answer as HTML", size="sm", elem_id="open-last")
                    open_all = gr.Button("All answers as HTML", size="sm", elem_id="open-all")
                last_answer = gr.Textbox(visible=False, elem_id="last-answer")
                all_answers = gr.Textbox(visible=False, elem_id="all-answers")
                page = gr.Textbox(visible=False, elem_id="answer-page")
                answer_view = gr.HTML(elem_id="answer-view")
                with gr.Accordion("Previous response the model sees now", open=False):
                    previous_now = gr.Textbox(show_label=False, lines=3, max_lines=10, interactive=False,
                                              elem_id="previous-now")
        with gr.Tabs():
            with gr.Tab("Chain", elem_id="tab-chain"):
                _render_chain_settings(ctx)
            with gr.Tab("Sampling", elem_id="tab-sampling"):
                _render_sampling(ctx)
            with gr.Tab("Advanced", elem_id="tab-advanced"):
                _render_advanced(ctx)
            with gr.Tab("Model card & vocabulary", elem_id="tab-card"):
                render_model_card_panel(ctx, model_parts)
            for plugin in plugins:
                with gr.Tab(plugin.title):
                    plugin.render(ctx)
            with gr.Tab("How it works", elem_id="tab-help"):
                render_help()

        # -- the chain --------------------------------------------------
        run_outputs = [transcript, status, last_answer, all_answers, previous_now]

        def on_start(tab: TabSession, text: str, *values: Any) -> Iterator[tuple[Any, ...]]:
            named = controls.named(values)
            keep = (gr.skip(),) * 3
            try:
                request = build_request(named)
                extra: dict[str, Any] = {}
                for plugin in plugins:
                    extra.update(plugin.chain_fields(named))
                if extra:
                    request = replace(request, settings=replace(request.settings, **extra))
                if request.links and link_resolver is None:
                    raise InputProblem(LINKS_NOT_WIRED)
                control = tab.begin_run()
            except (InputProblem, SessionBusy, ValueError) as exc:
                gr.Warning(str(exc))
                yield (text, status_html(str(exc), "error"), *keep)
                return
            try:
                hooks = [hook for plugin in plugins for hook in plugin.hooks(tab, named)]
                stream = ChainStream(
                    ctx.host, tab, control, request, text or "",
                    hooks=hooks, link_resolver=link_resolver, folder=Path(str(named.get("models_dir") or ".")),
                )
            except BaseException:
                tab.end_run()
                raise
            for view in stream:
                yield (
                    view.transcript, status_html(view.status, view.phase),
                    tab.last_answer, tab.all_answers_text(), tab.previous,
                )

        # Named parameters, so the API (gradio_client) shows one argument per control.
        on_start.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
             for name in ("tab", "transcript", *controls.names)]
        )
        start.click(
            on_start, [session, transcript, *controls.components], run_outputs,
            api_name="start", show_progress="hidden", concurrency_limit=None, trigger_mode="once",
        )

        def on_stop_next(tab: TabSession) -> None:
            tab.stop_next()

        def on_stop_all(tab: TabSession) -> None:
            tab.stop_all()

        # Not queued: they must act at once, while the tab's chain is still streaming.
        stop_next.click(on_stop_next, [session], None, queue=False, api_name="stop_next", show_progress="hidden")
        stop_all.click(on_stop_all, [session], None, queue=False, api_name="stop_all", show_progress="hidden")

        def on_clear(tab: TabSession) -> tuple[Any, ...]:
            try:
                tab.clear_history()
            except SessionBusy as exc:
                gr.Warning(str(exc))
                return (gr.skip(), status_html(str(exc), "error"), gr.skip(), gr.skip(), gr.skip(), gr.skip())
            return ("", "", "", "", "", "")

        clear.click(on_clear, [session], [transcript, status, last_answer, all_answers, previous_now, answer_view],
                    queue=False, api_name="clear_history", show_progress="hidden")

        def on_replace(tab: TabSession) -> Any:
            if not tab.last_answer:
                gr.Warning("There is no answer yet to put into the previous-response field.")
                return gr.skip()
            return tab.last_answer

        replace.click(on_replace, [session], [fields["previous"]], queue=False, api_name="replace_response")

        def on_unload() -> str:
            if ctx.host.unload():
                return status_html("Model unloaded: its memory is free. The next Start loads it again.", "done")
            gr.Warning("A chain is using the model: press Stop all first, then Unload model.")
            return status_html("A chain is using the model: press Stop all first, then Unload model.", "error")

        unload.click(on_unload, None, [status], api_name="unload_model", concurrency_limit=None)

        # -- answers: copy and open ------------------------------------
        copy_last.click(None, [last_answer], None, js=assets.COPY_JS)
        copy_all.click(None, [all_answers], None, js=assets.COPY_JS)

        def answers_html(tab: TabSession, which: str) -> tuple[str, str]:
            entries = tab.answers
            if which == "last":
                entries = entries[-1:]
            if not entries:
                gr.Warning("There is no answer yet.")
                return "", ""
            title = "Last answer" if which == "last" else f"All answers ({len(entries)})"
            return answers_fragment(entries), answers_page(entries, f"{TITLE}: {title}")

        open_last.click(lambda tab: answers_html(tab, "last"), [session], [answer_view, page],
                        api_name="last_answer_html").then(None, [page], None, js=assets.OPEN_HTML_JS)
        open_all.click(lambda tab: answers_html(tab, "all"), [session], [answer_view, page],
                       api_name="all_answers_html").then(None, [page], None, js=assets.OPEN_HTML_JS)

        # -- page load: remembered settings and the current folder ---------
        def on_load() -> tuple[Any, ...]:
            config = ctx.config.load()
            folder = str(config.resolved_models_dir())
            models, note = folder_note(folder, config.include_subfolders)
            return (folder, config.include_subfolders, gr.Dropdown(choices=models, value=None), note,
                    config.click_sounds)

        demo.load(on_load, None, [model_parts["models_dir"], model_parts["include_subfolders"],
                                  model_parts["picker"], model_parts["note"], sounds],
                  api_visibility="private")
        def remember_sounds(on: bool) -> None:
            ctx.config.update(click_sounds=bool(on))

        sounds.input(remember_sounds, [sounds], None, api_visibility="private", queue=False)
    return demo
