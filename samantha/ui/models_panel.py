"""The Models panel: model folder (typed or browsed, remembered), the chain's model list, download links,
and the model card / vocabulary view."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import gradio as gr

from samantha.config import default_models_dir
from samantha.gguf_info import GGUFError, VocabularyRangeError, read_model_card
from samantha.model_folders import (
    ModelFolderError,
    filesystem_roots,
    list_models,
    list_subfolders,
    parent_folder,
    parse_model_list,
)
from samantha.model_ref import RefKind, kind_of
from samantha.starter import STARTER_LABEL, STARTER_NOTE
from samantha.ui.assets import ENTER_OWN_CLASS
from samantha.ui.context import PanelContext
from samantha.ui.i18n import tr, warning_note
from samantha.ui.model_card_view import model_card_html

MAX_VOCABULARY_ROWS = 5000
DEFAULT_VOCABULARY_ROWS = 200


def folder_note(folder: str, include_subfolders: bool,
                starter: Path | None = None) -> tuple[list[str | tuple[str, str]], str]:
    """The models in `folder` (then the bundled starter model) and a note for the page (count, or what is wrong)."""
    choices: list[str | tuple[str, str]] = []
    try:
        listing = list_models(folder, include_subfolders)
    except ModelFolderError as exc:
        note = warning_note(exc)
    else:
        choices += listing.models
        if not listing.models:
            hint = "" if include_subfolders else ", or tick 'Include subfolders'"
            note = (
                f"\u26a0\ufe0f No .gguf files in `{listing.folder}`: choose another folder (Browse){hint}, "
                "or download a model into it."
            )
        else:
            more = " (list cut short: the folder tree is very large)" if listing.truncated else ""
            note = f"{len(listing.models)} model file(s) in `{listing.folder}`{more}"
    if starter is None:
        return choices, tr(note)
    choices.append((STARTER_LABEL, str(starter)))
    return choices, f"{tr(note)}\n\n{tr(STARTER_NOTE + ' Start with no model chosen runs it.')}"


def model_path(picked: str | None, chain_list: str, folder: str) -> Path:
    """The model the card and vocabulary views show: the picked one, else the chain's first file."""
    entry = (picked or "").strip()
    if not entry:
        files = [e for e in parse_model_list(chain_list or "") if kind_of(e) is RefKind.FILE]
        if not files:
            raise ValueError("pick a model under 'Add model' (or put one in the chain list) first")
        entry = files[0]
    path = Path(entry).expanduser()
    if not path.is_absolute():
        path = Path(folder or ".").expanduser() / path
    return path


def _subfolder_choices(folder: Path) -> list[tuple[str, str]]:
    choices = [(name, str(folder / name)) for name in list_subfolders(folder)]
    if folder.parent == folder:  # at a root: offer the other roots (drives on Windows)
        choices += [(root, root) for root in filesystem_roots() if Path(root) != folder]
    return choices


def render_models_panel(ctx: PanelContext) -> dict[str, Any]:
    """Build the panel; returns the components other panels wire to."""
    controls = ctx.controls
    with gr.Group():
        with gr.Row(equal_height=True):
            models_dir = controls.add("models_dir", gr.Textbox(
                label="Model folder", placeholder=str(default_models_dir()), scale=5,
                info="Every .gguf file in it is listed. Remembered between runs.",
                elem_id="models-dir", elem_classes=[ENTER_OWN_CLASS],
            ))
            with gr.Column(scale=1, min_width=110):
                browse = gr.Button("Browse\u2026", size="sm", elem_id="browse-button")
                refresh = gr.Button("Refresh", size="sm", elem_id="refresh-models")
        include_subfolders = controls.add("include_subfolders", gr.Checkbox(
            label="Include subfolders", elem_id="include-subfolders",
        ))
        note = gr.Markdown(elem_id="folder-note")
    with gr.Group(visible=False, elem_id="folder-browser") as browser:
        browse_path = gr.Textbox(label="Browsing", interactive=False, elem_id="browse-path")
        subfolder = gr.Dropdown(label="Open a subfolder", choices=[], value=None, elem_id="subfolder",
                                elem_classes=[ENTER_OWN_CLASS])
        with gr.Row():
            up = gr.Button("\u2b06 Up", size="sm")
            home = gr.Button("Home", size="sm")
            downloads = gr.Button("Downloads", size="sm")
            use = gr.Button("Use this folder", size="sm", variant="primary", elem_id="use-folder")
            close = gr.Button("Close", size="sm")
    with gr.Row(equal_height=True):
        picker = gr.Dropdown(label="Add model", choices=[], value=None, scale=5, elem_id="model-picker",
                             allow_custom_value=True, elem_classes=[ENTER_OWN_CLASS],
                             info="Pick a model (or type a path), then Add: the chain runs them in order")
        with gr.Column(scale=1, min_width=110):
            add = gr.Button("Add", size="sm", variant="primary", elem_id="add-model")
            clear = gr.Button("Clear", size="sm", elem_id="clear-models")
    model_list = controls.add("model_list", gr.Textbox(
        label="Chain models (one per line, in order; repeats allowed)", lines=2, max_lines=8,
        elem_id="model-list", placeholder="press Add to append the picked model",
    ))
    # Not shown: what Start runs when no model is chosen (empty when the starter model is not installed).
    controls.add("starter_model", gr.State(str(ctx.starter) if ctx.starter else ""))
    links = controls.add("links", gr.Textbox(
        label="Download links (Hugging Face .gguf links, one per line; --- skips a line)",
        lines=1, max_lines=6, elem_id="links",
        info="Used only when the chain list is empty.",
    ))

    # The tick as this tab last set it (None before the first click). Each event is a request of its own, and the
    # server may take two in either order: a blur of the folder field, sent as the tick is clicked, can run after
    # the tick's event and carry the old tick. So the folder events list and save the tick kept here, which only
    # the tick's own event sets, and end as the box shows whatever the order.
    ticked = gr.State(None)

    def tick_now(sent: bool, kept: bool | None) -> bool:
        return bool(sent if kept is None else kept)

    def apply_folder(folder: str, subfolders: bool) -> tuple[Any, str, str]:
        folder = (folder or "").strip() or str(default_models_dir())
        models, text = folder_note(folder, subfolders, ctx.starter)
        try:
            folder = str(Path(folder).expanduser().resolve())
            if Path(folder).is_dir():
                ctx.config.update(models_dir=folder, include_subfolders=bool(subfolders))
        except OSError:
            pass
        return gr.Dropdown(choices=models, value=None), text, folder

    folder_outputs = [picker, note, models_dir]
    # Every event that reads and saves the folder settings runs in turn (one at a time), so the tick kept in
    # `ticked` is read after any tick event the server took before.
    in_turn: dict[str, Any] = {"concurrency_id": "model-folder-settings", "concurrency_limit": 1}

    def use_typed_folder(folder: str, sent: bool, kept: bool | None) -> tuple[Any, str, str]:
        return apply_folder(folder, tick_now(sent, kept))

    models_dir.submit(use_typed_folder, [models_dir, include_subfolders, ticked], folder_outputs,
                      api_name="set_model_folder", **in_turn)
    models_dir.blur(use_typed_folder, [models_dir, include_subfolders, ticked], folder_outputs,
                    api_visibility="private", **in_turn)

    def relist(folder: str, sent: bool, kept: bool | None) -> tuple[Any, str]:
        """Like apply_folder, but leaves the folder field alone (the user may be typing in it)."""
        picked, text, _ = apply_folder(folder, tick_now(sent, kept))
        return picked, text

    def tick(folder: str, subfolders: bool) -> tuple[Any, str, bool]:
        picked, text, _ = apply_folder(folder, subfolders)
        return picked, text, bool(subfolders)

    refresh.click(relist, [models_dir, include_subfolders, ticked], [picker, note], api_visibility="private",
                  **in_turn)
    include_subfolders.input(tick, [models_dir, include_subfolders], [picker, note, ticked],
                             api_visibility="private", **in_turn)

    def open_folder(target: str) -> tuple[Any, ...]:
        try:
            path = Path(target).expanduser().resolve()
            choices = _subfolder_choices(path)
        except (ModelFolderError, OSError) as exc:
            gr.Warning(tr(str(exc)))
            return gr.skip(), gr.skip(), gr.skip()
        return gr.Group(visible=True), str(path), gr.Dropdown(choices=choices, value=None)

    browser_outputs = [browser, browse_path, subfolder]

    def start_browsing(folder: str) -> tuple[Any, ...]:
        start = Path((folder or "").strip() or default_models_dir()).expanduser()
        return open_folder(str(start if start.is_dir() else Path.home()))

    browse.click(start_browsing, [models_dir], browser_outputs, api_visibility="private")
    subfolder.input(lambda target: open_folder(target) if target else (gr.skip(),) * 3,
                    [subfolder], browser_outputs, api_visibility="private")
    up.click(lambda current: open_folder(str(parent_folder(current or "."))), [browse_path], browser_outputs,
             api_visibility="private")
    home.click(lambda: open_folder(str(Path.home())), None, browser_outputs, api_visibility="private")
    downloads.click(lambda: open_folder(str(default_models_dir())), None, browser_outputs, api_visibility="private")
    close.click(lambda: gr.Group(visible=False), None, [browser], api_visibility="private")

    def use_folder(current: str, sent: bool, kept: bool | None) -> tuple[Any, ...]:
        picked, text, folder = apply_folder(current, tick_now(sent, kept))
        return picked, text, folder, gr.Group(visible=False)

    use.click(use_folder, [browse_path, include_subfolders, ticked], [*folder_outputs, browser],
              api_visibility="private", **in_turn)

    def add_model(picked: str | None, current: str) -> Any:
        if not picked:
            gr.Warning(tr("Pick a model in 'Add model' first (the list shows the .gguf files of the model folder)."))
            return gr.skip()
        lines = [line for line in (current or "").splitlines() if line.strip()]
        return "\n".join([*lines, picked])

    # A second Add pressed while the first is still on its way runs after it (Gradio's default drops it), and
    # reads the list the first one made.
    add.click(add_model, [picker, model_list], [model_list], api_name="add_model", trigger_mode="always_last")
    clear.click(lambda: "", None, [model_list], api_visibility="private")
    return {
        "models_dir": models_dir, "include_subfolders": include_subfolders, "note": note,
        "picker": picker, "model_list": model_list, "links": links, "apply_folder": apply_folder,
    }


def render_model_card_panel(ctx: PanelContext, parts: dict[str, Any]) -> None:
    """Model card (GGUF header only, no weights loaded) and the vocabulary by id range."""
    with gr.Row():
        card_button = gr.Button("Show model card", elem_id="show-card", size="sm")
    card = gr.HTML(elem_id="model-card")
    with gr.Row(equal_height=True):
        start = gr.Number(label="First token id", value=0, precision=0, minimum=0, elem_id="vocab-start")
        count = gr.Number(label=f"How many (up to {MAX_VOCABULARY_ROWS})", value=DEFAULT_VOCABULARY_ROWS,
                          precision=0, minimum=1, maximum=MAX_VOCABULARY_ROWS, elem_id="vocab-count")
        vocab_button = gr.Button("Show tokens", size="sm", elem_id="show-vocab")
    vocabulary = gr.Textbox(label="Vocabulary: id) 'piece'", lines=12, max_lines=24, buttons=["copy"],
                            elem_id="vocabulary")
    sources = [parts["picker"], parts["model_list"], parts["models_dir"]]

    def show_card(picked: str | None, chain_list: str, folder: str) -> str:
        try:
            path = model_path(picked, chain_list, folder)
            return model_card_html(read_model_card(path))
        except (ValueError, OSError) as exc:  # GGUFError is a ValueError
            return f"\u26a0\ufe0f {html.escape(str(exc))}"

    def show_vocabulary(picked: str | None, chain_list: str, folder: str, first: Any, how_many: Any) -> str:
        try:
            path = model_path(picked, chain_list, folder)
            first_id = int(first or 0)
            rows = max(1, min(int(how_many or DEFAULT_VOCABULARY_ROWS), MAX_VOCABULARY_ROWS))
            reader = ctx.vocabulary.get(path)
            text = reader.format_slice(first_id, first_id + rows)
            if not text:
                return f"(no tokens from id {first_id}: this vocabulary has ids 0 to {len(reader) - 1})"
            return text
        except (GGUFError, VocabularyRangeError, ValueError, OSError) as exc:
            return warning_note(exc)

    card_button.click(show_card, sources, [card], api_name="model_card")
    vocab_button.click(show_vocabulary, [*sources, start, count], [vocabulary], api_name="vocabulary")
