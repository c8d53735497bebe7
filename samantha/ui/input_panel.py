"""The three text inputs with their TXT/PDF loaders, and the prompt collections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from samantha.prompt_collections import SYSTEM_COLLECTION, USER_COLLECTION, item_label, read_collection
from samantha.ui.context import PanelContext
from samantha.ui.i18n import tr
from samantha.ui.loaders import PDF_PER_PAGE, PDF_WHOLE, load_pdf_into_prompt, save_prompt_file, text_loader


def render_inputs(ctx: PanelContext) -> dict[str, Any]:
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
    save_name = gr.Textbox(label="File name for Save prompt", placeholder="user_prompt.txt (empty: a dated name)",
                           max_lines=1, elem_id="save-prompt-name", elem_classes=["enter-own"])
    pdf_mode = gr.Radio([PDF_PER_PAGE, PDF_WHOLE], value=PDF_PER_PAGE, label="PDF into the prompt",
                        elem_id="pdf-mode", container=False)
    saved = gr.File(label="Saved prompt", visible=False, elem_id="saved-prompt", interactive=False)
    pdf.upload(load_pdf_into_prompt, [pdf, pdf_mode], [prompt], api_visibility="private")
    save.click(lambda text, name: save_prompt_file(text, ctx.files_dir, name), [prompt, save_name], [saved],
               api_name="save_prompt")
    # Replace response keeps what the user had typed in the previous-response field here, to put back.
    undo_replace = gr.Button("Undo replace", size="sm", visible=False, elem_id="undo-replace")
    replaced = gr.State("")
    undo_replace.click(lambda kept: (kept, gr.Button(visible=False)), [replaced], [previous, undo_replace],
                       api_name="undo_replace", queue=False)
    return {"system": system, "previous": previous, "prompt": prompt, "undo_replace": undo_replace,
            "replaced": replaced}


def render_collections(ctx: PanelContext, fields: dict[str, Any]) -> tuple[gr.Dataset, gr.Dataset]:
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
            gr.Warning(tr(f"That example is no longer in {path.name}; the list is refreshed."))
            return gr.skip(), refreshed
        return items[index], refreshed

    user_examples.click(lambda i: pick(user_file, i), [user_examples], [fields["prompt"], user_examples],
                        api_visibility="private")
    system_examples.click(lambda i: pick(system_file, i), [system_examples], [fields["system"], system_examples],
                          api_visibility="private")
    refresh.click(lambda: (gr.Dataset(samples=samples(user_file)), gr.Dataset(samples=samples(system_file))),
                  None, [user_examples, system_examples], api_visibility="private")
    return user_examples, system_examples
