"""Downloads: hub links as chain members, a progress bar, repo listings, the token and first-run links.

The link field itself belongs to the models panel; this plugin hands the chain a
HubModels preparer (so each link downloads when the chain reaches it), shows the
Downloading events as a progress bar next to the transcript, and refreshes the
model list once a download landed in the model folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from samantha.chain import AnswerHook
from samantha.config import default_models_dir
from samantha.events import Downloading
from samantha.hub import HubError, list_repo_gguf
from samantha.hub.chain_models import HubModels
from samantha.ui.context import PanelContext, RunParts, RunWatcher
from samantha.ui.download_view import file_choices, first_run_links, listing_note, merge_links, progress_html
from samantha.ui.i18n import tr, warning_note
from samantha.ui.loaders import text_loader
from samantha.ui.models_panel import folder_note
from samantha.ui.session import TabSession
from samantha.ui.stale_messages import clear_when_empty

PART_KEY = "downloads"
TOKEN_HELP = (
    "Only for gated or private models: open the model's page on huggingface.co while logged in, accept its "
    "terms, create a read token under Settings \u2192 Access Tokens and paste it here (or set HF_TOKEN before "
    "starting Samantha). It stays in this browser tab's memory: it is never written to a file."
)
INTRO = (
    "Paste Hugging Face `.gguf` links into **Download links** (in the Models panel): each one is a chain "
    "member, downloaded when the chain reaches it, then loaded like any other model. The model list wins when "
    "both are filled. A link downloaded before is not fetched again."
)


class DownloadsTab:
    """What one browser tab keeps for downloads: the access token typed into the page (memory only)."""

    def __init__(self) -> None:
        self.token = ""

    def close(self) -> None:
        self.token = ""


class DownloadWatcher(RunWatcher):
    """Turns Downloading events into the progress bar; refreshes the model list when a run downloaded something."""

    def __init__(self, folder: Path, include_subfolders: bool) -> None:
        self._folder = folder
        self._include_subfolders = include_subfolders
        self._latest: Downloading | None = None
        self._shown: str | None = None

    @property
    def downloaded(self) -> bool:
        return self._latest is not None

    def on_downloading(self, event: Downloading) -> None:
        self._latest = event

    def view(self, finished: bool) -> list[Any]:
        bar = progress_html(self._latest)
        progress: Any = gr.skip()
        if bar != self._shown:
            self._shown = bar
            progress = gr.HTML(value=bar, visible=bool(bar))
        if not (finished and self.downloaded):
            return [progress, gr.skip(), gr.skip()]
        models, note = folder_note(str(self._folder), self._include_subfolders)
        return [progress, gr.Dropdown(choices=models), note]


class DownloadsPlugin:
    """The downloads feature as a UIPlugin (with the LivePlugin extras)."""

    title = "Downloads"

    def __init__(self, hf_token: str | None = None) -> None:
        self.outputs: Sequence[gr.components.Component] = ()
        self._hf_token = hf_token or None  # HF_TOKEN the app was started with; a token typed in the page wins
        self._progress: gr.HTML | None = None

    def render_live(self, ctx: PanelContext) -> None:
        self._progress = gr.HTML(visible=False, elem_id="download-progress")

    def render(self, ctx: PanelContext) -> None:
        links = ctx.controls["links"]
        gr.Markdown(INTRO)
        with gr.Row(equal_height=True):
            ctx.controls.add("keep_downloads", gr.Checkbox(
                label="Keep downloaded files", value=False, elem_id="keep-downloads",
                info="off: the newest download replaces MODEL_FOR_TESTING.gguf in the model folder (saves disk); "
                     "on: files keep their own names",
            ))
            with gr.Column(min_width=120, scale=0):
                text_loader("TXT \u2192 links", links, "load-links-txt")
        token = gr.Textbox(label="Hugging Face access token (optional)", type="password", value="",
                           elem_id="hf-token", info=TOKEN_HELP)
        with gr.Accordion("List a repo's GGUF files", open=True, elem_id="gguf-lister"):
            with gr.Row(equal_height=True):
                repo = gr.Textbox(label="Repository link", scale=5, elem_id="repo-link",
                                  elem_classes=["enter-own"],
                                  placeholder="https://huggingface.co/<owner>/<model>  (or its /tree/main page)")
                list_button = gr.Button("List GGUF files", size="sm", scale=1, elem_id="list-gguf")
            note = gr.Markdown(elem_id="gguf-note")
            files = gr.CheckboxGroup(label="GGUF files (quant, path, size)", choices=[], value=[],
                                     elem_id="gguf-files")
            use = gr.Button("Put the selected links in the link field", size="sm", elem_id="use-gguf-links")

        def remember_token(tab: TabSession, value: str) -> None:
            tab.part(PART_KEY, DownloadsTab).token = (value or "").strip()

        token.change(remember_token, [ctx.session, token], None, queue=False, api_visibility="private",
                     show_progress="hidden")

        def list_files(tab: TabSession, link: str) -> tuple[Any, str]:
            try:
                found = list_repo_gguf(link, token=tab.part(PART_KEY, DownloadsTab).token or self._hf_token)
            except HubError as exc:
                gr.Warning(tr(str(exc)))
                return gr.CheckboxGroup(choices=[], value=[]), warning_note(exc)
            return gr.CheckboxGroup(choices=file_choices(found), value=[]), listing_note(link, found)

        list_button.click(list_files, [ctx.session, repo], [files, note], api_name="list_gguf")
        repo.change(clear_when_empty, [repo], [note, files], queue=False, api_visibility="private",
                    show_progress="hidden")
        repo.submit(list_files, [ctx.session, repo], [files, note], api_visibility="private")

        def use_links(selected: list[str] | None, current: str) -> Any:
            if not selected:
                gr.Warning(tr("Tick one or more files in the list first."))
                return gr.skip()
            return merge_links(current, selected)

        use.click(use_links, [files, links], [links], api_name="use_gguf_links")

        def first_run() -> Any:
            config = ctx.config.load()
            suggested = first_run_links(config.resolved_models_dir(), config.include_subfolders,
                                        starter=ctx.starter is not None)
            return suggested or gr.skip()

        gr.on(triggers=None, fn=first_run, inputs=None, outputs=[links], api_visibility="private",
              show_progress="hidden")
        if self._progress is None:  # a page without a live slot shows the bar in this tab
            self._progress = gr.HTML(visible=False, elem_id="download-progress")
        self.outputs = [self._progress, ctx.parts["picker"], ctx.parts["note"]]

    def chain_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def hooks(self, session: TabSession, values: Mapping[str, Any]) -> list[AnswerHook]:
        return []

    def run_parts(self, session: TabSession, values: Mapping[str, Any]) -> RunParts:
        text = str(values.get("models_dir") or "").strip()
        folder = Path(text).expanduser() if text else default_models_dir()
        token = session.part(PART_KEY, DownloadsTab).token or self._hf_token
        return RunParts(
            prepare=HubModels(folder, keep_files=bool(values.get("keep_downloads")), token=token),
            watcher=DownloadWatcher(folder, bool(values.get("include_subfolders"))),
        )

