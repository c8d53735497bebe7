"""Learning-mode maths and pacing, without a model."""

from __future__ import annotations

import threading
import time

import numpy as np

from samantha.backends.base import Control
from samantha.learning import CandidateRecorder, TokenChoice, display_candidates, escape_piece, unlikely_picks
from samantha.pacing import PACING_CHOICES, DelayPacer, StepPacer, SwitchablePacer, pacer_for


def test_recorder_top_k_probabilities_and_rank() -> None:
    recorder = CandidateRecorder(3, piece=lambda i: f"t{i}")
    logits = np.array([0.0, 3.0, 1.0, 3.0, -2.0], dtype=np.float32)
    out = recorder(np.array([], dtype=np.intc), logits)
    assert out is logits, "the recorder never changes the logits"
    choice = recorder.choice(2)
    assert [c.token_id for c in choice.candidates] == [1, 3, 2]  # ties by id
    probs = np.exp(logits - 3.0) / np.exp(logits - 3.0).sum()
    assert np.allclose([c.probability for c in choice.candidates], probs[[1, 3, 2]])
    assert choice.rank == 3 and choice.unlikely and choice.text == "t2"
    assert recorder.choice(1).rank == 1
    again = TokenChoice.from_dict(choice.to_dict())
    assert again == choice


def test_unlikely_picks_and_display_cap() -> None:
    recorder = CandidateRecorder(2, piece=str)
    recorder(np.array([], dtype=np.intc), np.array([1.0, 2.0, 3.0], dtype=np.float32))
    choices = [recorder.choice(2), recorder.choice(0), recorder.choice(1)]
    assert [(pos, c.rank) for pos, c in unlikely_picks(choices)] == [(2, 3), (3, 2)]
    assert display_candidates(40) == 40 and display_candidates(500) == 50 and display_candidates(0) == 10


def test_escape_piece_makes_whitespace_visible() -> None:
    assert escape_piece(" a\n\tb\x01") == "·a\\n\\tb\\x01"


def test_step_pacer_lets_one_token_through_per_click() -> None:
    pacer, control = StepPacer(), Control()
    passed = []

    def consume() -> None:
        for _ in range(3):
            pacer.wait(control)
            passed.append(1)

    thread = threading.Thread(target=consume)
    thread.start()
    time.sleep(0.2)
    assert passed == []
    pacer.next_token()
    deadline = time.monotonic() + 5
    while not passed and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert passed == [1]
    control.stop_next()  # releases the waiting step at once
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_delay_pacer_is_released_by_stop() -> None:
    control = Control()
    threading.Timer(0.1, control.stop_all).start()
    started = time.monotonic()
    DelayPacer(30).wait(control)
    assert time.monotonic() - started < 5


def test_pacer_choices() -> None:
    assert list(PACING_CHOICES) == ["no delay", "0.3 s", "1 s", "3 s", "10 s", "next token"]
    assert pacer_for("no delay") is None
    assert isinstance(pacer_for("1 s"), DelayPacer) and pacer_for("1 s").seconds == 1.0
    stepper = StepPacer()
    assert pacer_for("next token", stepper) is stepper


def test_switchable_pacer_follows_a_change_at_the_next_token() -> None:
    pacer, control = SwitchablePacer("next token"), Control()
    waiting = threading.Thread(target=pacer.wait, args=(control,))
    waiting.start()
    waiting.join(timeout=0.3)
    assert waiting.is_alive(), "a step waits for a click"
    pacer.set_choice("no delay")  # the waiting step goes on without a click
    waiting.join(timeout=30)
    assert not waiting.is_alive()
    assert not pacer.next_token(), "no step waits for clicks under no delay"
    pacer.wait(control)  # returns at once
    pacer.set_choice("10 s")
    slow = threading.Thread(target=pacer.wait, args=(control,))
    slow.start()
    slow.join(timeout=0.3)
    assert slow.is_alive()
    pacer.set_choice("next token")
    pacer.next_token()  # one click releases the step that was waiting out 10 s
    slow.join(timeout=30)
    assert not slow.is_alive()
