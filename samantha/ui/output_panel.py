"""The output side of the page: the chain buttons, status, transcript and answer tools, and what they do.

`render_output_panel` creates the components where the layout puts them;
`wire_output_panel` connects them once every panel has registered its controls,
because Start reads them all.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from samantha.answer_html import answers_fragment, answers_page
from samantha.ui import assets
from samantha.ui.answer_so_far import AnswerSoFar, answer_code
from samantha.ui.context import PanelContext, RunWatcher, UIPlugin, plugin_outputs, plugin_run_parts
from samantha.ui.i18n import tr
from samantha.ui.inputs import InputProblem, build_request
from samantha.ui.prompt_view import NO_PROMPT, prompt_choices, prompt_text
from samantha.ui.session import SessionBusy, TabSession
from samantha.ui.stale_messages import clear_if_about_no_model
from samantha.ui.streaming import ChainStream

LINKS_NOT_WIRED = (
    "Download links are handled by the download feature, which is not available in this build: "
    "download the .gguf file into the model folder, pick it under 'Add model' and press Add."
)


def status_html(message: str, phase: str = "") -> str:
    """The status box: one escaped line in a box coloured by phase (running, waiting, done, stopped, error),
    in the tab's language."""
    if not message:
        return ""
    return f'<div class="status {html.escape(phase)}">{html.escape(tr(message))}</div>'


@dataclass
class OutputPanel:
    """The components of the output side; hidden boxes carry the answers for the copy buttons' scripts."""

    start: gr.Button
    stop_next: gr.Button
    stop_all: gr.Button
    clear: gr.Button
    replace_button: gr.Button
    unload: gr.Button
    status: gr.HTML
    transcript: gr.Textbox
    copy_last: gr.Button
    copy_all: gr.Button
    copy_code: gr.Button
    open_last: gr.Button
    open_all: gr.Button
    last_answer: gr.Textbox
    all_answers: gr.Textbox
    last_code: gr.Textbox
    page: gr.Textbox
    answer_view: gr.HTML
    previous_now: gr.Textbox
    prompt_pick: gr.Dropdown
    prompt_seen: gr.Textbox


def render_output_panel() -> OutputPanel:
    """Create the output side in the current layout context."""
    with gr.Row(elem_classes=["small-buttons"]):
        start = gr.Button("\u25b6 Start", variant="primary", elem_id=assets.START_BUTTON_ID, min_width=90)
        stop_next = gr.Button("Stop / next", elem_id="stop-next-button", min_width=90)
        stop_all = gr.Button("Stop all", variant="stop", elem_id="stop-all-button", min_width=90)
        clear = gr.Button("Clear history", elem_id="clear-history-button", min_width=90)
        replace_button = gr.Button("Replace response", elem_id="replace-response-button", min_width=90)
        unload = gr.Button("Unload model", elem_id="unload-button", min_width=90)
    status = gr.HTML(elem_id="status-box")
    transcript = gr.Textbox(
        label="Assistant output", lines=22, max_lines=40, autoscroll=True, buttons=["copy"],
        elem_id="transcript", placeholder="The transcript of the chain appears here.",
    )
    with gr.Row(elem_classes=["small-buttons"]):
        copy_last = gr.Button("Copy last answer", size="sm", elem_id="copy-last")
        copy_all = gr.Button("Copy all answers", size="sm", elem_id="copy-all")
        copy_code = gr.Button("Copy code", size="sm", elem_id="copy-answer-code")
        open_last = gr.Button("Last answer as HTML", size="sm", elem_id="open-last")
        open_all = gr.Button("All answers as HTML", size="sm", elem_id="open-all")
    last_answer = gr.Textbox(visible=False, elem_id="last-answer")
    all_answers = gr.Textbox(visible=False, elem_id="all-answers")
    last_code = gr.Textbox(visible=False, elem_id="last-code")
    page = gr.Textbox(visible=False, elem_id="answer-page")
    answer_view = gr.HTML(elem_id="answer-view")
    with gr.Accordion("Previous response the model sees now", open=False):
        # A label even where none is shown: screen readers read it (Gradio's default is an English "Textbox").
        previous_now = gr.Textbox(label="Previous response the model sees now", show_label=False, lines=3,
                                  max_lines=10, interactive=False, elem_id="previous-now")
    with gr.Accordion("Prompt the model saw", open=False, elem_id="prompt-seen-accordion"):
        prompt_pick = gr.Dropdown(label="Answer", choices=[], value=None, elem_id="prompt-pick")
        prompt_seen = gr.Textbox(
            label="Prompt the model saw", show_label=False, lines=6, max_lines=20, interactive=False, value=NO_PROMPT,
            elem_id="prompt-seen",
        )
    return OutputPanel(
        start=start,
        stop_next=stop_next,
        stop_all=stop_all,
        clear=clear,
        replace_button=replace_button,
        unload=unload,
        status=status,
        transcript=transcript,
        copy_last=copy_last,
        copy_all=copy_all,
        copy_code=copy_code,
        open_last=open_last,
        open_all=open_all,
        last_answer=last_answer,
        all_answers=all_answers,
        last_code=last_code,
        page=page,
        answer_view=answer_view,
        previous_now=previous_now,
        prompt_pick=prompt_pick,
        prompt_seen=prompt_seen,
    )


def wire_output_panel(
    ctx: PanelContext,
    out: OutputPanel,
    fields: Mapping[str, Any],
    *,
    plugins: Sequence[UIPlugin] = (),
) -> None:
    """Connect the buttons: Start streams the chain; the stop buttons are not queued so they act at once."""
    # Plugins' live outputs follow the five of the chain, each plugin's in one block.
    live = [plugin_outputs(plugin) for plugin in plugins]
    run_outputs = [out.transcript, out.status, out.last_answer, out.all_answers, out.previous_now,
                   *(component for outputs in live for component in outputs)]
    unchanged = tuple(gr.skip() for outputs in live for _ in outputs)

    def live_values(watchers: Sequence[RunWatcher | None], finished: bool) -> tuple[Any, ...]:
        values: list[Any] = []
        for watcher, outputs in zip(watchers, live):
            shown = list(watcher.view(finished)) if watcher is not None else []
            values += shown if len(shown) == len(outputs) else [gr.skip()] * len(outputs)
        return tuple(values)

    def on_start(tab: TabSession, text: str, *values: Any) -> Iterator[tuple[Any, ...]]:
        named = ctx.controls.named(values)
        keep = (gr.skip(),) * 3 + unchanged
        try:
            spec = build_request(named)
            extra: dict[str, Any] = {}
            for plugin in plugins:
                extra.update(plugin.chain_fields(named))
            if extra:
                spec = spec.with_settings(**extra)
            control = tab.begin_run()
        except (InputProblem, SessionBusy, ValueError) as exc:
            gr.Warning(tr(str(exc)))
            yield (text, status_html(str(exc), "error"), *keep)
            return
        try:
            parts = [plugin_run_parts(plugin, tab, named) for plugin in plugins]
            prepare = next((part.prepare for part in parts if part.prepare is not None), None)
            if spec.links and prepare is None:
                raise InputProblem(LINKS_NOT_WIRED)
            hooks = [hook for plugin in plugins for hook in plugin.hooks(tab, named)]
            so_far = AnswerSoFar()  # the copy buttons take the answer while it is written
            stream = ChainStream(
                ctx.host, tab, control, spec, text or "",
                hooks=hooks, prepare=prepare,
                pacer=next((part.pacer for part in parts if part.pacer is not None), None),
                watchers=[so_far, *(part.watcher for part in parts if part.watcher is not None)],
            )
        except (InputProblem, ValueError) as exc:  # a plugin refused this run (e.g. no code runner)
            tab.end_run()
            if not getattr(exc, "status_only", False):  # the status box below says it already: once is enough
                gr.Warning(tr(str(exc)))
            yield (text, status_html(str(exc), "error"), *keep)
            return
        except BaseException:
            tab.end_run()
            raise
        watchers = [part.watcher for part in parts]
        for view in stream:
            last = so_far.last(tab.last_answer)
            yield (
                view.transcript, status_html(view.status, view.phase),
                last, so_far.everything(tab.all_answers_text()), tab.previous,
                *live_values(watchers, view.finished),
            )

    # Named parameters, so the API (gradio_client) shows one argument per control.
    on_start.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
         for name in ("tab", "transcript", *ctx.controls.names)]
    )
    started = out.start.click(
        on_start, [ctx.session, out.transcript, *ctx.controls.components], run_outputs,
        api_name="start", show_progress="hidden", concurrency_limit=None, trigger_mode="once",
    )

    def on_prompt_list(tab: TabSession) -> tuple[Any, str]:
        """After a run: list its answers and show the last one's prompt (a step of its own, so the
        streamed outputs of Start stay as they are)."""
        entries = tab.answers
        if not entries:
            return gr.update(choices=[], value=None), NO_PROMPT
        return gr.update(choices=prompt_choices(entries), value=len(entries)), prompt_text(entries, len(entries))

    started.then(on_prompt_list, [ctx.session], [out.prompt_pick, out.prompt_seen], api_name="prompt_list",
                 show_progress="hidden", queue=False)

    def on_stop_next(tab: TabSession) -> None:
        tab.stop_next()

    def on_stop_all(tab: TabSession) -> None:
        tab.stop_all()

    # Not queued: they must act at once, while the tab's chain is still streaming.
    out.stop_next.click(on_stop_next, [ctx.session], None, queue=False, api_name="stop_next", show_progress="hidden")
    out.stop_all.click(on_stop_all, [ctx.session], None, queue=False, api_name="stop_all", show_progress="hidden")

    def on_clear(tab: TabSession) -> tuple[Any, ...]:
        try:
            tab.clear_history()
        except SessionBusy as exc:
            gr.Warning(tr(str(exc)))
            return (gr.skip(), status_html(str(exc), "error"), *(gr.skip(),) * 6)
        return ("", "", "", "", "", "", gr.update(choices=[], value=None), NO_PROMPT)

    cleared = [out.transcript, out.status, out.last_answer, out.all_answers, out.previous_now, out.answer_view,
               out.prompt_pick, out.prompt_seen]
    out.clear.click(on_clear, [ctx.session], cleared, queue=False, api_name="clear_history", show_progress="hidden")

    def on_prompt_pick(tab: TabSession, choice: Any) -> str:
        return prompt_text(tab.answers, choice)

    out.prompt_pick.change(on_prompt_pick, [ctx.session, out.prompt_pick], [out.prompt_seen], queue=False,
                           api_name="prompt_seen", show_progress="hidden")

    def on_replace(tab: TabSession, typed: str) -> tuple[Any, Any, Any]:
        """The last answer into the previous-response field; what the user had typed there stays recoverable."""
        if not tab.last_answer:
            gr.Warning(tr("There is no answer yet to put into the previous-response field."))
            return gr.skip(), gr.skip(), gr.skip()
        if not (typed or "").strip() or typed == tab.last_answer:
            return tab.last_answer, gr.skip(), gr.skip()
        gr.Info(tr("Replaced. What you had typed there is kept: press Undo replace to put it back."))
        return tab.last_answer, typed, gr.Button(visible=True)

    out.replace_button.click(on_replace, [ctx.session, fields["previous"]],
                             [fields["previous"], fields["replaced"], fields["undo_replace"]], queue=False,
                             api_name="replace_response")

    def on_unload() -> str:
        if ctx.host.unload():
            return status_html("Model unloaded: its memory is free. The next Start loads it again.", "done")
        gr.Warning(tr("A chain is using the model: press Stop all first, then Unload model."))
        return status_html("A chain is using the model: press Stop all first, then Unload model.", "error")

    out.unload.click(on_unload, None, [out.status], api_name="unload_model", concurrency_limit=None)

    # -- messages whose cause is gone ----------------------------------------
    chain_list = ctx.parts["model_list"]
    chain_list.change(clear_if_about_no_model, [out.status, chain_list], [out.status], queue=False,
                      api_visibility="private", show_progress="hidden")
    # A new run makes the answer shown by "Last answer as HTML" an older one.
    # Cleared in the browser, at the click itself, before the run's first output arrives.
    out.start.click(None, None, [out.answer_view], js="() => ''", api_visibility="private",
                    show_progress="hidden")

    # -- answers: copy and open ------------------------------------
    out.copy_last.click(None, [out.last_answer], None, js=assets.COPY_JS)
    out.copy_all.click(None, [out.all_answers], None, js=assets.COPY_JS)
    # The last-answer box holds the answer as it is written, so its code can be copied before it ends.
    out.copy_code.click(answer_code, [out.last_answer], [out.last_code], queue=False, api_visibility="private",
                        show_progress="hidden").then(None, [out.last_code], None, js=assets.COPY_JS)

    def answers_html(tab: TabSession, which: str) -> tuple[str, str]:
        entries = tab.answers
        if which == "last":
            entries = entries[-1:]
        if not entries:
            gr.Warning(tr("There is no answer yet."))
            return "", ""
        title = "Last answer" if which == "last" else f"All answers ({len(entries)})"
        return answers_fragment(entries), answers_page(entries, f"{assets.APP_TITLE}: {title}")

    out.open_last.click(lambda tab: answers_html(tab, "last"), [ctx.session], [out.answer_view, out.page],
                    api_name="last_answer_html").then(None, [out.page], None, js=assets.OPEN_HTML_JS)
    out.open_all.click(lambda tab: answers_html(tab, "all"), [ctx.session], [out.answer_view, out.page],
                   api_name="all_answers_html").then(None, [out.page], None, js=assets.OPEN_HTML_JS)
