"""Learning panel logic without a model: the switch against fast mode, the tab's pacers, the watcher's views."""

from __future__ import annotations

import html

import gradio as gr
import numpy as np
import pytest

from samantha.events import AnswerStarted, Banner, Token
from samantha.learning import CandidateRecorder, TokenChoice
from samantha.pacing import SwitchablePacer
from samantha.ui.inputs import InputProblem
from samantha.ui.learning_panel import NO_CANDIDATES, LearningPlugin, LearningTab, LearningWatcher
from samantha.ui.learning_view import WAITING_HINT
from samantha.ui.session import TabSession


def choice(token: int) -> TokenChoice:
    recorder = CandidateRecorder(3, piece=lambda i: f"t{i}")
    recorder(np.array([], dtype=np.intc), np.array([0.0, 2.0, 1.0, 3.0], dtype=np.float32))
    picked = recorder.choice(token)
    assert picked is not None
    return picked


def test_learning_is_a_chain_field_and_refused_with_fast_mode() -> None:
    plugin = LearningPlugin()
    assert plugin.chain_fields({"learning": True, "fast": False}) == {"learning": True}
    assert plugin.chain_fields({"learning": False, "fast": True}) == {"learning": False}
    with pytest.raises(InputProblem, match="cannot run with Fast mode"):
        plugin.chain_fields({"learning": True, "fast": True})


def test_each_run_gets_the_pacer_of_its_choice_and_a_fresh_stepper() -> None:
    plugin, session = LearningPlugin(), TabSession()
    parts = plugin.run_parts(session, {"learning": False, "pacing": "next token"})
    assert parts.pacer is None and parts.watcher is None
    tab = session.part("learning", LearningTab)
    assert not tab.next_token(), "no run steps token by token"
    parts = plugin.run_parts(session, {"learning": True, "pacing": "next token"})
    assert isinstance(parts.pacer, SwitchablePacer) and parts.pacer.stepping
    assert isinstance(parts.watcher, LearningWatcher)
    assert tab.next_token()
    again = plugin.run_parts(session, {"learning": True, "pacing": "next token"}).pacer
    assert isinstance(again, SwitchablePacer) and again is not parts.pacer  # old clicks stay with the old run
    delay = plugin.run_parts(session, {"learning": True, "pacing": "3 s"}).pacer
    assert isinstance(delay, SwitchablePacer) and not delay.stepping and not tab.next_token()
    tab.set_pacing("next token")  # changed while the run goes on: the running pacer follows
    assert delay.stepping and tab.next_token()
    with pytest.raises(InputProblem, match="unknown pacing"):
        plugin.run_parts(session, {"learning": True, "pacing": "2 s"})


def test_the_watcher_shows_the_current_answer_and_skips_unchanged_views() -> None:
    tab = LearningTab()
    watcher = LearningWatcher(tab)
    watcher.apply(Banner("/models/a.gguf", "a.gguf", 1, 1, 1))
    watcher.apply(AnswerStarted(1, "x"))
    table, bars, ranks, unlikely, tokens = watcher.view(False)
    assert html.escape(WAITING_HINT) in table and bars.empty and unlikely == "" and tokens == ""
    for token in (3, 1, 3):
        watcher.apply(Token(f"t{token}", choice(token)))
    table, bars, ranks, unlikely, tokens = watcher.view(False)
    assert 'data-step="3"' in table and 'data-picked="3"' in table
    assert list(ranks["position"]) == [2] and list(ranks["rank"]) == [2]
    assert unlikely.startswith("1 unlikely pick(s) in 3 tokens") and tokens.count('<span class="tok') == 3
    assert tab.steps == (choice(3), choice(1), choice(3)) and tab.model == "/models/a.gguf"
    assert watcher.view(False) == [gr.skip()] * 5, "nothing new: nothing is sent"
    watcher.apply(AnswerStarted(2, "y"))  # a new answer starts from an empty view
    assert html.escape(WAITING_HINT) in watcher.view(False)[0]
    watcher.apply(Token("plain"))
    assert html.escape(NO_CANDIDATES) in watcher.view(True)[0]
