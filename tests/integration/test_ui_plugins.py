"""A feature panel plugs in: its tab renders, its control reaches Start, its hook runs after each answer
(real app, real llama.cpp, tiny model)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_client import Client

from samantha.backends.base import Control
from samantha.chain import HookOutcome
from samantha.events import AnswerRecord, Notice
from samantha.tinymodel import grammar_for_text
from samantha.ui.context import PanelContext
from samantha.ui.session import TabSession
from tests.support.app_server import serve_tiny_app


class ShoutHook:
    """Adds a notice after each answer, and feeds back the answer in capitals."""

    def after_answer(self, record: AnswerRecord, control: Control) -> HookOutcome:
        return HookOutcome(events=(Notice(f"plugin saw {record.answer!r}"),), feedback=record.answer.upper())


class ShoutPlugin:
    title = "Shout"

    def __init__(self) -> None:
        self.sessions: list[TabSession] = []

    def render(self, ctx: PanelContext) -> None:
        ctx.controls.add("shout", gr.Checkbox(label="Shout", elem_id="shout"))

    def chain_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {"feedback": True} if values.get("shout") else {}

    def hooks(self, session: TabSession, values: Mapping[str, Any]) -> list[ShoutHook]:
        self.sessions.append(session)
        return [ShoutHook()] if values.get("shout") else []


@pytest.fixture(scope="module")
def plugin_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, ShoutPlugin]]:
    plugin = ShoutPlugin()
    with serve_tiny_app(tmp_path_factory, [plugin]) as running:
        yield running.url, running.models, plugin


def test_plugin_control_hook_and_settings_reach_the_chain(plugin_app: tuple[str, Path, ShoutPlugin]) -> None:
    url, folder, plugin = plugin_app
    client = Client(url, verbose=False)
    base = {"models_dir": str(folder), "model_list": "tiny.gguf", "prompt": "a\nb", "max_tokens": 100,
            "grammar": grammar_for_text("quiet words"), "seed": "", "stop": "", "links": "", "system": "",
            "previous": "", "user_name": "", "assistant_name": "", "transcript": ""}
    transcript, _, _, _, previous_now = client.predict(**base, shout=True, api_name="/start")
    assert transcript.count("[notice] plugin saw 'quiet words'") == 2
    assert previous_now  # feedback was on (set by the plugin), so the page shows a previous response
    assert len(plugin.sessions) == 1
    transcript, *_ = client.predict(**base, shout=False, api_name="/start")
    assert "plugin saw" not in transcript
    assert plugin.sessions[1] is plugin.sessions[0]  # the same tab keeps its session
