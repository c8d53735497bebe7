"""Loading helpers: TXT into any text input, PDF into the user prompt, save the prompt to TXT.

A file that cannot be used gives a warning on the page and leaves the field as it was.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import gradio as gr

from samantha.documents import DocumentError, pdf_prompt_text, read_pdf_pages, read_text
from samantha.ui.i18n import tr

TEXT_FILE_TYPES = [".txt", ".md", ".csv", ".json", ".py", ".log"]
PDF_PER_PAGE = "One item per page"
PDF_WHOLE = "Whole text as one item"


def load_text_into_field(file: str | None) -> Any:
    """The file's text for a text field, or no change (and a warning) when it cannot be read."""
    if not file:
        return gr.skip()
    try:
        decoded = read_text(file)
    except DocumentError as exc:
        gr.Warning(tr(str(exc)))
        return gr.skip()
    if decoded.guessed:
        gr.Warning(tr(decoded.note(Path(file).name)))
    return decoded.text


def load_pdf_into_prompt(file: str | None, mode: str) -> Any:
    if not file:
        return gr.skip()
    try:
        pages = read_pdf_pages(file)
    except DocumentError as exc:
        gr.Warning(tr(str(exc)))
        return gr.skip()
    gr.Info(tr(f"Loaded {len(pages)} page(s) from {Path(file).name}"))
    return pdf_prompt_text(pages, one_item_per_page=(mode != PDF_WHOLE))


def prompt_file_name(name: str, stamp: str) -> str:
    """A safe file name for a saved prompt: the user's (letters, digits, spaces, - _ .), always ending in .txt."""
    stem = re.sub(r"[^\w .-]+", "_", (name or "").strip()).strip(" .")
    stem = stem[:-4] if stem.lower().endswith(".txt") else stem
    return f"{stem or f'user_prompt-{stamp}'}.txt"


def save_prompt_file(prompt: str, folder: Path, name: str = "") -> Any:
    """Write the user prompt to a TXT file named by the user, say where it went, and offer it for download.

    An existing file is never overwritten: a number is added to the name instead.
    """
    if not (prompt or "").strip():
        gr.Warning(tr("The user prompt is empty: there is nothing to save."))
        return gr.File(visible=False)
    folder.mkdir(parents=True, exist_ok=True)
    wanted = prompt_file_name(name, time.strftime("%Y%m%d-%H%M%S"))
    path = folder / wanted
    number = 1
    while path.exists():
        path = folder / f"{Path(wanted).stem}-{number}.txt"
        number += 1
    path.write_text(prompt, encoding="utf-8", newline="\n")
    gr.Info(tr(f"Prompt saved as {path}. Download it below to keep a copy elsewhere."))
    return gr.File(value=str(path), visible=True, label=f"Saved prompt: {path}")


def text_loader(label: str, target: gr.components.Component, elem_id: str) -> gr.UploadButton:
    """A small 'Load TXT' button that fills `target`."""
    button = gr.UploadButton(label, file_types=TEXT_FILE_TYPES, size="sm", elem_id=elem_id, min_width=80)
    button.upload(load_text_into_field, [button], [target], api_visibility="private")
    return button
