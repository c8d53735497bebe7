"""Chain logic on the scripted backend; the real engine is covered in tests/integration."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from samantha.backends.base import Control, LoadOptions
from samantha.backends.scripted import ScriptedBackend
from samantha.chain import HookOutcome, plan_steps, run_chain, shuffled_order
from samantha.events import (
    AnswerFinished,
    AnswerStarted,
    Banner,
    ChainFailed,
    ChainFinished,
    ChainStarted,
    Notice,
    Token,
)
from samantha.prompts import PromptSyntaxError, parse_prompt_list
from samantha.settings import ChainSettings, Sampling


def run(settings: ChainSettings, backend: ScriptedBackend, control: Control | None = None, **kwargs):
    return list(run_chain(settings, backend, control or Control(), **kwargs))


def answers(events) -> list[str]:
    return [e.record.answer for e in events if isinstance(e, AnswerFinished)]


def user_turns(backend: ScriptedBackend) -> list[str]:
    """The last user turn of each ChatML prompt sent."""
    return [p.rsplit("<|im_start|>user\n", 1)[1].split("<|im_end|>")[0] for _, p in backend.prompts]


def previous_turns(backend: ScriptedBackend) -> list[str]:
    out = []
    for _, prompt in backend.prompts:
        parts = prompt.split("<|im_start|>assistant\n")
        out.append(parts[1].split("<|im_end|>")[0] if len(parts) > 2 else "")
    return out


def test_order_models_rounds_items_loops() -> None:
    backend = ScriptedBackend(respond=lambda model, prompt: f"{model}")
    settings = ChainSettings(models=("a.gguf", "b.gguf"), prompt="p1\np2", responses=2, loops=2, seed=1)
    events = run(settings, backend)
    banners = [(e.model, e.round, e.loop) for e in events if isinstance(e, Banner)]
    assert banners == [
        ("a.gguf", 1, 1), ("a.gguf", 2, 1), ("b.gguf", 1, 1), ("b.gguf", 2, 1),
        ("a.gguf", 1, 2), ("a.gguf", 2, 2), ("b.gguf", 1, 2), ("b.gguf", 2, 2),
    ]
    assert user_turns(backend) == ["p1", "p2"] * 8
    assert isinstance(events[0], ChainStarted) and events[0].seed == 1
    assert events[-1] == ChainFinished("done", 16)


def test_same_model_is_never_reloaded_but_n_ctx_change_reloads() -> None:
    backend = ScriptedBackend()
    settings = ChainSettings(models=("a.gguf", "a.gguf"), prompt="x\ny\n{n_ctx=512} z", loops=2)
    run(settings, backend)
    # a (n_ctx 4000) -> a (512) -> a (4000) ... : reload only when the options change.
    assert [opts.n_ctx for _, opts in backend.loads] == [4000, 512, 4000, 512, 4000, 512, 4000, 512]
    backend = ScriptedBackend()
    run(ChainSettings(models=("a.gguf", "a.gguf"), prompt="x\ny", loops=3), backend)
    assert len(backend.loads) == 1


def test_feedback_replaces_previous_response() -> None:
    backend = ScriptedBackend(answers=["one", "two", "three"])
    settings = ChainSettings(models=("m.gguf",), prompt="go", previous="typed", responses=3, feedback=True)
    run(settings, backend)
    assert previous_turns(backend) == ["typed", "one", "two"]


def test_without_feedback_the_typed_previous_is_used_every_step() -> None:
    backend = ScriptedBackend(answers=["one", "two"])
    run(ChainSettings(models=("m.gguf",), prompt="go", previous="typed", responses=2), backend)
    assert previous_turns(backend) == ["typed", "typed"]


def test_cumulative_feedback_appends() -> None:
    backend = ScriptedBackend(answers=["one", "two", "three"])
    settings = ChainSettings(models=("m.gguf",), prompt="go", previous="typed", responses=3, feedback=True, cumulative=True)
    run(settings, backend)
    assert previous_turns(backend) == ["typed", "typed\n\none", "typed\n\none\n\ntwo"]


def test_cumulative_warns_before_overflow() -> None:
    backend = ScriptedBackend(answers=["w " * 40] * 5, n_ctx_train=100)
    settings = ChainSettings(models=("m.gguf",), prompt="go", responses=4, feedback=True, cumulative=True,
                             sampling=Sampling(n_ctx=100))
    events = run(settings, backend)
    assert any(isinstance(e, Notice) and "cumulative" in e.message for e in events)
    assert any(isinstance(e, ChainFailed) and "n_ctx" in e.message for e in events)
    assert isinstance(events[-1], ChainFinished)


def test_cumulative_warns_while_the_next_prompt_still_fits() -> None:
    """Prompts of 3 and then 61 tokens fit n_ctx 100; the third cannot: the warning must come before it."""
    backend = ScriptedBackend(answers=["w" + " w" * 54] * 4, n_ctx_train=100)
    settings = ChainSettings(models=("m.gguf",), prompt="go", responses=4, feedback=True, cumulative=True,
                             sampling=Sampling(n_ctx=100))
    events = run(settings, backend)
    warned = next(i for i, e in enumerate(events) if isinstance(e, Notice) and "cumulative" in e.message)
    failed = next(i for i, e in enumerate(events) if isinstance(e, ChainFailed))
    finished = [i for i, e in enumerate(events) if isinstance(e, AnswerFinished)]
    assert warned < finished[1] < failed  # warned after the first answer, while the second still fitted


def test_final_item_receives_all_answers_so_far() -> None:
    backend = ScriptedBackend(answers=["Amor.", "Vida.", "Summary"])
    run(ChainSettings(models=("m.gguf",), prompt="love\nlife\n[[Summarise:]]"), backend)
    assert user_turns(backend)[2] == "Summarise:\n\nAmor.\n\nVida."


def test_single_response_per_model_pairs_model_i_with_item_i() -> None:
    backend = ScriptedBackend(respond=lambda model, prompt: model)
    settings = ChainSettings(models=("a.gguf", "b.gguf"), prompt="p1\np2", single=True)
    events = run(settings, backend)
    assert [m for m, _ in backend.prompts] == ["a.gguf", "b.gguf"]
    assert user_turns(backend) == ["p1", "p2"]
    assert answers(events) == ["a.gguf", "b.gguf"]


def test_single_response_honours_responses_and_loops() -> None:
    backend = ScriptedBackend(respond=lambda model, prompt: model)
    settings = ChainSettings(models=("a.gguf", "b.gguf"), prompt="p1\np2", single=True, responses=2, loops=3)
    events = run(settings, backend)
    # Each pair answers twice (responses), and the whole single pass runs three times (loops).
    assert [(m, turn) for (m, _), turn in zip(backend.prompts, user_turns(backend))] == [
        ("a.gguf", "p1"), ("a.gguf", "p1"), ("b.gguf", "p2"), ("b.gguf", "p2")] * 3
    finished = [e.record for e in events if isinstance(e, AnswerFinished)]
    assert [(r.loop, r.round) for r in finished[:4]] == [(1, 1), (1, 2), (1, 1), (1, 2)]
    assert {r.loop for r in finished[8:]} == {3}


def test_single_response_refuses_unpaired_models_or_items() -> None:
    backend = ScriptedBackend()
    events = run(ChainSettings(models=("a.gguf", "b.gguf", "c.gguf"), prompt="p1\np2", single=True), backend)
    [error] = [e for e in events if isinstance(e, ChainFailed)]
    assert "2 prompt item(s) and 3 model(s)" in error.message and backend.prompts == []
    assert isinstance(events[-1], ChainFinished) and events[-1].reason == "error"


def test_single_response_uses_each_items_own_settings() -> None:
    backend = ScriptedBackend()
    run(ChainSettings(models=("a.gguf", "b.gguf"), prompt="{temperature=0.5} p1\n{top_k=3} p2", single=True), backend)
    assert backend.requests[0].sampling.temperature == 0.5 and backend.requests[0].sampling.top_k == 40
    assert backend.requests[1].sampling.temperature == 0.0 and backend.requests[1].sampling.top_k == 3


def test_reset_switch_and_item_reset() -> None:
    backend = ScriptedBackend()
    run(ChainSettings(models=("m.gguf",), prompt="a\n{reset_model=true} b"), backend)
    assert [r.reset for r in backend.requests] == [False, True]
    backend = ScriptedBackend()
    run(ChainSettings(models=("m.gguf",), prompt="a\nb", reset=True), backend)
    assert [r.reset for r in backend.requests] == [True, True]


def test_stop_samantha_ends_the_chain() -> None:
    backend = ScriptedBackend(answers=["fine", "STOP_SAMANTHA", "never"])
    events = run(ChainSettings(models=("m.gguf",), prompt="go", responses=3), backend)
    assert answers(events) == ["fine", "STOP_SAMANTHA"]
    assert events[-1].reason == "STOP_SAMANTHA"


def test_stop_all_and_stop_next() -> None:
    control = Control()
    backend = ScriptedBackend(answers=["one two three four five"] * 4)
    out = []
    for event in run_chain(ChainSettings(models=("m.gguf",), prompt="a\nb\nc"), backend, control):
        out.append(event)
        if isinstance(event, Token) and len([e for e in out if isinstance(e, Token)]) == 2:
            control.stop_next()
    assert answers(out) == ["one two", "one two three four five", "one two three four five"]
    assert [e.record.finish_reason for e in out if isinstance(e, AnswerFinished)][0] == "cancelled"

    control = Control()
    out = []
    for event in run_chain(ChainSettings(models=("m.gguf",), prompt="a\nb\nc"), ScriptedBackend(answers=["x y z"] * 3), control):
        out.append(event)
        if isinstance(event, Token):
            control.stop_all()
    assert answers(out) == ["x"]
    assert out[-1].reason == "stopped"


def test_broken_model_reports_and_the_chain_goes_on() -> None:
    backend = ScriptedBackend(respond=lambda model, prompt: "ok", broken={"bad.gguf"})
    events = run(ChainSettings(models=("bad.gguf", "good.gguf"), prompt="x", loops=2), backend)
    errors = [e for e in events if isinstance(e, ChainFailed)]
    assert len(errors) == 1 and "bad.gguf" in errors[0].message
    assert [m for m, _ in backend.prompts] == ["good.gguf", "good.gguf"]


def test_prompt_too_long_is_reported_and_next_item_runs() -> None:
    backend = ScriptedBackend(n_ctx_train=50)
    events = run(ChainSettings(models=("m.gguf",), prompt=("word " * 60) + "\nshort", sampling=Sampling(n_ctx=50)), backend)
    assert any(isinstance(e, ChainFailed) and "n_ctx" in e.message for e in events)
    assert len(answers(events)) == 1


def test_malformed_settings_raise_before_anything_runs() -> None:
    backend = ScriptedBackend()
    with pytest.raises(PromptSyntaxError):
        run(ChainSettings(models=("m.gguf",), prompt="ok\n{temprature=2} bad"), backend)
    assert backend.loads == [] and backend.prompts == []


def test_no_model_is_a_clear_error() -> None:
    events = run(ChainSettings(prompt="x"), ScriptedBackend())
    assert isinstance(events[1], ChainFailed) and "no model" in events[1].message


def test_random_hyperparameters_are_in_range_shown_and_reproducible() -> None:
    def draws(seed: int):
        backend = ScriptedBackend()
        events = run(ChainSettings(models=("m.gguf",), prompt="a", responses=5, random_params=True, seed=seed), backend)
        headers = [e.header for e in events if isinstance(e, AnswerStarted)]
        return [e.record.random_values for e in events if isinstance(e, AnswerFinished)], headers, backend

    values, headers, backend = draws(7)
    for drawn, header, request in zip(values, headers, backend.requests):
        assert 0.1 <= drawn["temperature"] <= 1.0 and 0.1 <= drawn["tfs_z"] <= 1.0
        assert 0.1 <= drawn["top_p"] <= 1.0 and 0.1 <= drawn["min_p"] <= 1.0 and 0.1 <= drawn["typical_p"] <= 1.0
        assert 0.0 <= drawn["presence_penalty"] <= 0.3 and 0.0 <= drawn["frequency_penalty"] <= 0.3
        assert 1.0 <= drawn["repeat_penalty"] <= 1.2
        assert header.startswith("{temperature=") and str(drawn["temperature"]) in header
        assert request.sampling.temperature == drawn["temperature"]
    assert draws(7)[0] == values
    assert draws(8)[0] != values
    assert len({tuple(v.values()) for v in values}) == 5


def test_answer_seeds_derive_from_session_seed_unless_item_sets_one() -> None:
    backend = ScriptedBackend()
    run(ChainSettings(models=("m.gguf",), prompt="a\nb\n{seed=99} c", seed=10), backend)
    assert [r.seed for r in backend.requests] == [10, 11, 99]


def test_fast_mode_yields_no_tokens_but_full_answers() -> None:
    events = run(ChainSettings(models=("m.gguf",), prompt="a", fast=True), ScriptedBackend(answers=["one two"]))
    assert not any(isinstance(e, Token) for e in events)
    assert answers(events) == ["one two"]


def test_hooks_can_replace_feedback_and_stop() -> None:
    class Hook:
        def after_answer(self, record, control):
            if record.answer == "stop now":
                return HookOutcome(stop_reason="stop condition")
            return HookOutcome(feedback=record.answer + " + output", extra={"code": "ran"})

    backend = ScriptedBackend(answers=["first", "second", "stop now", "never"])
    events = run(ChainSettings(models=("m.gguf",), prompt="go", responses=4, feedback=True), backend, hooks=[Hook()])
    assert previous_turns(backend) == ["", "first + output", "second + output"]
    assert events[-1].reason == "stop condition"
    first_extra = [e.record.extra for e in events if isinstance(e, AnswerFinished)][0]
    assert first_extra == {"code": "ran", "fed_back": "first + output"}  # the UI shows what was really fed back


def test_shuffle_orders_differ_per_loop_and_avoid_neighbours() -> None:
    settings = ChainSettings(models=("a", "b", "c", "d"), prompt="x", loops=6, shuffle=True, seed=3)
    steps = plan_steps(settings, parse_prompt_list("x"), 3)
    orders = [tuple(s.model for s in steps[i * 4:(i + 1) * 4]) for i in range(6)]
    assert all(sorted(o) == ["a", "b", "c", "d"] for o in orders)
    assert len(set(orders)) > 1
    two = plan_steps(ChainSettings(models=("a", "b"), prompt="x", loops=3, shuffle=True), parse_prompt_list("x"), 3)
    assert [s.model for s in two] == ["a", "b"] * 3  # fewer than 3 models: no shuffle


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from("abcde"), min_size=0, max_size=12), st.integers(0, 2**16), st.sampled_from([None, "a", "b"]))
def test_shuffle_never_hangs_and_avoids_identical_neighbours_when_possible(models, seed, last) -> None:
    order = shuffled_order(models, random.Random(seed), last)
    assert Counter(order) == Counter(models)
    repeats = sum(1 for x, y in zip([last] + order, order) if x == y)
    counts = Counter(models)
    total = len(models)
    if counts and 2 * max(counts.values()) <= total + 1 and not (last and 2 * counts.get(last, 0) >= total + 1):
        assert repeats == 0


def test_load_options_carry_threads_and_repack() -> None:
    backend = ScriptedBackend()
    run(ChainSettings(models=("m.gguf",), prompt="x"), backend, load_options=LoadOptions(n_threads=3, repack=True))
    assert backend.loads[0][1] == LoadOptions(n_ctx=4000, n_threads=3, repack=True)
