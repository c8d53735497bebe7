"""The "Remote servers" tab: list an OpenAI-compatible server's models and add them to the chain.

The API key box is a password field whose value lives in the page only; each
Start hands it to that run's Control for the server typed here, and it is never
written to settings, session files or the transcript.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

from samantha.backends.openai_errors import RemoteError
from samantha.backends.openai_refs import RemoteRefError, make_ref, server_url
from samantha.backends.openai_remote import OpenAIRemoteBackend, key_name
from samantha.chain import AnswerHook
from samantha.ui.context import PanelContext, RunParts
from samantha.ui.i18n import tr, warning_note
from samantha.ui.session import TabSession

URL_HINT = "e.g. http://127.0.0.1:8080/v1 (llama-server) or http://127.0.0.1:8000/v1 (vLLM)"


def list_server_models(url: str, api_key: str, environ: Mapping[str, str] | None = None) -> tuple[list[str], str]:
    """The server's model names and a one-line note for the page (or what is wrong).

    Without a key typed in the page, the key comes from `environ` (SAMANTHA_API_KEY / OPENAI_API_KEY)."""
    backend = OpenAIRemoteBackend(api_key or None, environ=environ)
    try:
        base = server_url(url)
        listing = backend.list_models(base, backend.api_key(base))
    except (RemoteRefError, RemoteError) as exc:
        return [], warning_note(exc)
    finally:
        backend.close()
    if not listing.models:
        return [], warning_note(tr("{base} serves no models.", base=base))
    return listing.ids, tr("{count} model(s) on `{base}` ({kind}). Pick one, then Add to chain.",
                           count=len(listing.ids), base=base, kind=listing.kind.name)


def add_to_chain(url: str, model: str | None, current: str) -> str:
    """The chain's model list with the `openai+URL#model` entry appended; ValueError says what is missing."""
    if not model:
        raise ValueError("Press List models and pick a model first (or type its name).")
    entry = make_ref(url, model.strip())
    lines = [line for line in (current or "").splitlines() if line.strip()]
    return "\n".join([*lines, entry])


class RemotePlugin:
    """Remote servers tab (a UIPlugin)."""

    title = "Remote servers"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ  # where keys are looked up by name; None: os.environ

    def render(self, ctx: PanelContext) -> None:
        gr.Markdown(
            "Chain models served by **llama.cpp's `llama-server`**, **vLLM**, Ollama or LM Studio with your local "
            "files. A remote entry looks like `openai+http://127.0.0.1:8080/v1#model-name`; you can also type it "
            "in the chain list yourself."
        )
        url = ctx.controls.add("remote_url", gr.Textbox(label="Server address", placeholder=URL_HINT,
                                                         elem_id="remote-url"))
        key = ctx.controls.add("remote_api_key", gr.Textbox(
            label="API key (optional)", type="password", elem_id="remote-api-key",
            info="Kept in this page only and sent only to the server above. Without it, SAMANTHA_API_KEY or "
                 "OPENAI_API_KEY is used when set.",
        ))
        with gr.Row(equal_height=True):
            listing = gr.Button("List models", size="sm", elem_id="remote-list")
            model = gr.Dropdown(label="Model", choices=[], value=None, allow_custom_value=True, scale=4,
                                elem_id="remote-model")
            add = gr.Button("Add to chain", size="sm", variant="primary", elem_id="remote-add")
        note = gr.Markdown(elem_id="remote-note")

        def on_list(address: str, api_key: str) -> tuple[Any, str]:
            names, text = list_server_models(address, api_key, self._environ)
            return gr.Dropdown(choices=names, value=names[0] if len(names) == 1 else None), text

        listing.click(on_list, [url, key], [model, note], api_name="remote_models")
        model_list = ctx.parts["model_list"]

        def on_add(address: str, picked: str | None, current: str) -> Any:
            try:
                return add_to_chain(address, picked, current)
            except (ValueError, RemoteRefError) as exc:
                gr.Warning(tr(str(exc)))
                return gr.skip()

        add.click(on_add, [url, model, model_list], [model_list], api_name="remote_add")

    def chain_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def hooks(self, session: TabSession, values: Mapping[str, Any]) -> list[AnswerHook]:
        return []

    def run_parts(self, session: TabSession, values: Mapping[str, Any]) -> RunParts:
        """Give this run the typed key for the typed server (the run's Control holds it, in memory only)."""
        api_key = str(values.get("remote_api_key") or "").strip()
        address = str(values.get("remote_url") or "").strip()
        if api_key:
            if not address:
                raise ValueError("Remote servers: an API key was typed but no server address; type the address it is for")
            try:
                session.control.give_secret(key_name(server_url(address)), api_key)
            except RemoteRefError as exc:
                raise ValueError(f"Remote servers: {exc}") from None
        return RunParts()
