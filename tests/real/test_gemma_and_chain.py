"""Gemma 3 270M (no chat template, a base model) alone and in a feedback chain with SmolLM2."""

from __future__ import annotations

from pathlib import Path

from samantha.learning import TokenChoice
from samantha.sampling import PRESETS
from tests.support.real_models import TEMPLATE_TOKEN_TEXTS, answers, notices, run, sampling

QUESTION = "What is the capital of France?"


def test_a_gemma_file_without_template_gets_gemma_turns_and_a_notice(backend, gemma: Path) -> None:
    events = run(backend, models=(str(gemma),), prompt=QUESTION, sampling=sampling(max_tokens=24))
    (record,) = answers(events)
    assert record.prompt == f"<start_of_turn>user\n{QUESTION}<end_of_turn>\n<start_of_turn>model\n"
    assert any("no chat template" in n and "gemma3" in n and "<start_of_turn>" in n for n in notices(events))
    assert not any(text in record.answer for text in TEMPLATE_TOKEN_TEXTS)


def test_user_assistant_format_stops_where_the_model_starts_the_next_turn(backend, gemma: Path) -> None:
    (record,) = answers(run(backend, models=(str(gemma),), prompt=QUESTION, prompt_format="user-assistant",
                            sampling=sampling(max_tokens=200)))
    assert "Paris" in record.answer
    assert record.finish_reason in ("stop", "eos")
    assert record.answer_tokens < 50
    assert "USER:" not in record.answer and "ASSISTANT:" not in record.answer


def test_forced_gemma_format_on_smollm2_never_shows_the_markers(backend, smollm2: Path) -> None:
    """SmolLM2 has no Gemma tokens: the forced markers are text to it, and its answer ends before writing one."""
    (record,) = answers(run(backend, models=(str(smollm2),), prompt=QUESTION, prompt_format="gemma",
                            sampling=sampling(max_tokens=60)))
    assert not any(text in record.answer for text in TEMPLATE_TOKEN_TEXTS)


def test_learning_mode_on_gemmas_vocabulary(backend, gemma: Path) -> None:
    (record,) = answers(run(backend, models=(str(gemma),), prompt=QUESTION, prompt_format="user-assistant",
                            learning=True, sampling=sampling(max_tokens=8, **PRESETS["stochastic"])))
    for data in record.extra["learning"]:
        step = TokenChoice.from_dict(data)
        assert sum(c.probability for c in step.candidates) <= 1.0 + 1e-6
        assert step.token_id in [c.token_id for c in step.candidates]
        assert step.sampled_probability is not None and 0 < step.sampled_probability <= 1


def test_feedback_chain_smollm2_gemma_smollm2(backend, smollm2: Path, gemma: Path) -> None:
    events = run(backend, models=(str(smollm2), str(gemma), str(smollm2)), prompt=QUESTION,
                 system="You are a helpful assistant.", feedback=True, sampling=sampling(max_tokens=24))
    first, second, third = answers(events)
    assert [r.model_name for r in (first, second, third)] == [smollm2.name, gemma.name, smollm2.name]
    assert first.answer.strip() in second.prompt  # each answer is the next step's previous response
    assert second.answer.strip()[:20] in third.prompt
    for record in (first, second, third):
        assert record.answer.strip()
        assert not any(text in record.answer for text in TEMPLATE_TOKEN_TEXTS)
    # Gemma answers second, yet its format notice is shown (the first time it answers in the run).
    assert any(n.startswith(gemma.name) and "no chat template" in n for n in notices(events))
