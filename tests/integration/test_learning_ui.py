"""The learning panel in the real app (real llama.cpp, tiny model), driven through its API with gradio_client:
the switch reaches the chain, the panel's outputs follow the run, fast mode is refused, the vocabulary view works."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from samantha.gguf_info import VocabularyReader
from samantha.learning import escape_piece
from samantha.tinymodel import grammar_for_text
from samantha.ui.features import standard_plugins
from samantha.ui.learning_panel import BOTH_ON, LearningPlugin
from tests.support.app_server import serve_tiny_app

ANSWER = "zebra"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    with serve_tiny_app(tmp_path_factory, [LearningPlugin()]) as running:
        yield running.url, running.models


def start(client: Client, folder: Path, **changes: Any) -> tuple[Any, ...]:
    values = {"models_dir": str(folder), "model_list": "tiny.gguf", "prompt": "Name an animal", "max_tokens": 40,
              "top_k": 5, "grammar": grammar_for_text(ANSWER), "seed": "", "stop": "", "links": "", "system": "",
              "previous": "", "user_name": "", "assistant_name": "", "transcript": "", "learning": True,
              "pacing": "no delay", **changes}
    return tuple(client.predict(**values, api_name="/start"))


def test_the_app_ships_the_learning_plugin() -> None:
    assert any(isinstance(plugin, LearningPlugin) for plugin in standard_plugins())


def test_a_learning_run_fills_the_table_charts_unlikely_picks_and_token_view(app: tuple[str, Path]) -> None:
    url, folder = app
    client = Client(url, verbose=False)
    _transcript, status, last, _, _, table, bars, ranks, unlikely, tokens = start(client, folder)
    assert last == ANSWER and "Done" in status
    steps = int(re.search(r'data-step="(\d+)"', table).group(1))
    picked = int(re.search(r'data-picked="(\d+)"', table).group(1))
    # The token view holds the whole answer, one span per step, each with its candidates on hover.
    spans = re.findall(r'<span class="tok[^"]*" title="([^"]*)" style="--tok-hue:[^"]*">(.*?)</span>', tokens)
    assert len(spans) == steps and "".join(html.unescape(text) for _, text in spans) == ANSWER
    last_title = html.unescape(spans[-1][0]).splitlines()
    assert last_title[0].startswith(f"'{escape_piece(html.unescape(spans[-1][1]))}' id {picked}: p=")
    assert len(last_title) == 1 + 5  # top_k=5 candidates
    # The picked row is marked and holds the last token of the answer.
    picked_row = re.search(r'<tr class="picked[^"]*"><td>\u25b6 (\d+)</td><td>(\d+)</td><td><code>(.*?)</code>',
                           table)
    assert int(picked_row.group(2)) == picked and ANSWER.endswith(html.unescape(picked_row.group(3)))
    # A forced 'zebra' is not what a random model picks on its own: unlikely picks, with their ranks.
    lines = unlikely.splitlines()
    count = int(lines[0].split()[0])
    assert count >= 1 and lines[0].endswith(f"in {steps} tokens:") and len(lines) == 1 + count
    assert all(re.match(r"#\d+ '.*' rank \d+ \(p=", line) for line in lines[1:])
    assert bars and ranks  # the charts were sent (their data is checked in tests/unit/test_learning_view.py)
    off = start(client, folder, learning=False)
    assert off[2] == ANSWER
    assert all(value.get("__type__") == "update" and "value" not in value for value in off[5:]), \
        "a run without learning leaves the panel as it was"


def test_fast_mode_and_learning_are_refused_together(app: tuple[str, Path]) -> None:
    url, folder = app
    transcript, status, *_ = start(Client(url, verbose=False), folder, fast=True)
    assert BOTH_ON in html.unescape(status) and transcript == ""


def test_the_vocabulary_around_the_last_picked_token(app: tuple[str, Path]) -> None:
    url, folder = app
    client = Client(url, verbose=False)
    answer = start(client, folder)
    picked = int(re.search(r'data-picked="(\d+)"', answer[5]).group(1))
    text = client.predict("", None, "tiny.gguf", str(folder), api_name="/learning_vocabulary")
    reader = VocabularyReader(folder / "tiny.gguf")
    marked = [line for line in text.splitlines() if line.endswith("\u25c0")]
    assert marked == [f"{picked}) '{escape_piece(reader.piece(picked))}'   \u25c0"]
    assert len(text.splitlines()) == 41
    text = client.predict("3", None, "tiny.gguf", str(folder), api_name="/learning_vocabulary")
    assert text.splitlines()[0].startswith("0) ") and "3) " in text
    assert "out of range" in client.predict(str(10**6), None, "tiny.gguf", str(folder), api_name="/learning_vocabulary")
