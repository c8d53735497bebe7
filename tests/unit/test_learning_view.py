"""How learning mode reads on the page: the candidates table, chart data, unlikely picks and coloured tokens."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from samantha.learning import WHY_DRAW, WHY_SETTINGS, WHY_TOP, WHY_UNKNOWN, CandidateRecorder, TokenChoice
from samantha.ui.learning_view import (
    EMPTY_HINT,
    PICK_MARK,
    candidates_caption,
    candidates_frame,
    candidates_html,
    probability_hue,
    rank_frame,
    token_title,
    tokens_html,
    unlikely_text,
)

PIECES = {0: "<b>", 1: " the", 2: "\n", 3: "cat", 4: "&", 5: "\t"}
LOGITS = np.array([1.0, 4.0, 2.0, 3.0, 0.0, -1.0], dtype=np.float32)


def steps(picks: list[int], k: int = 3) -> list[TokenChoice]:
    """Real recorder output: the same logits each step, the given tokens picked."""
    recorder = CandidateRecorder(k, piece=PIECES.__getitem__)
    recorder(np.array([], dtype=np.intc), LOGITS)
    out = [recorder.choice(token) for token in picks]
    assert all(choice is not None for choice in out)
    return [choice for choice in out if choice is not None]


def rows(table: str) -> list[list[str]]:
    body = table.split("<tbody>")[1]
    return [re.findall(r"<td>(.*?)</td>", row) for row in body.split("</tr>") if "<td>" in row]


def test_candidates_table_lists_id_escaped_text_logit_probability_and_marks_the_pick() -> None:
    [choice] = steps([3])
    table = candidates_html(choice, 7)
    probabilities = np.exp(LOGITS - 4) / np.exp(LOGITS - 4).sum()
    assert rows(table) == [
        ["1", "1", "<code>\u00b7the</code>", "4.000", f"{probabilities[1]:.4f}"],
        [f"{PICK_MARK}2", "3", "<code>cat</code>", "3.000", f"{probabilities[3]:.4f}"],
        ["3", "2", "<code>\\n</code>", "2.000", f"{probabilities[2]:.4f}"],
    ]
    assert table.count('class="picked"') == 1 and 'data-picked="3"' in table and 'data-step="7"' in table
    assert "Step 7: picked &#x27;cat&#x27; (id 3, rank 2" in table


def test_a_pick_outside_the_top_k_gets_its_own_marked_row_with_its_true_rank() -> None:
    [choice] = steps([0])  # '<b>' has the 4th highest logit; only 3 candidates are kept
    table = candidates_html(choice, 1)
    assert [row[:3] for row in rows(table)][-1] == [f"{PICK_MARK}4", "0", "<code>&lt;b&gt;</code>"]
    assert "<code><b></code>" not in table  # the piece is escaped, never markup
    assert 'class="picked outside"' in table


def test_empty_table_shows_a_hint() -> None:
    assert html.escape(EMPTY_HINT) in candidates_html(None, 0)
    assert "Waiting" in candidates_html(None, 0, "Waiting for the first token")


def test_bar_chart_frame_has_one_bar_per_candidate_in_rank_order_and_the_pick_coloured() -> None:
    [choice] = steps([2])
    frame = candidates_frame(choice)
    assert list(frame["token"]) == ["1. \u00b7the", "2. cat", "3. \\n"]
    assert list(frame["pick"]) == ["other", "other", "picked"]
    assert frame["probability"].is_monotonic_decreasing
    assert frame["after_samplers"].isna().all()  # this step has no view of the samplers
    assert candidates_frame(None).empty
    assert list(candidates_frame(None).columns) == ["token", "probability", "pick", "after_samplers"]
    sampled = candidates_frame(sampled_step(3, survivors=[1, 3], greedy=True))
    assert list(sampled["after_samplers"]) == [1.0, 0.0, 0.0]


def test_rank_chart_and_unlikely_list_hold_only_the_picks_that_were_not_rank_one() -> None:
    choices = steps([1, 3, 1, 0, 1])
    frame = rank_frame(choices)
    assert list(frame["position"]) == [2, 4] and list(frame["rank"]) == [2, 4]
    assert list(frame["token"]) == ["cat", "<b>"]
    text = unlikely_text(choices)
    lines = text.splitlines()
    assert lines[0] == "2 unlikely pick(s) in 5 tokens:"
    assert lines[1].startswith("#2 'cat' rank 2 (p=") and "most probable was '\u00b7the'" in lines[1]
    assert lines[2].startswith("#4 '<b>' rank 4 (p=")
    assert unlikely_text(steps([1, 1])) == "No unlikely picks: all 2 tokens were the most probable one."
    assert unlikely_text([]) == "" and rank_frame([]).empty


def test_colour_runs_from_green_for_likely_to_red_for_improbable() -> None:
    assert probability_hue(1.0) == 120 and probability_hue(0.01) == 60
    assert probability_hue(1e-4) == 0 and probability_hue(1e-9) == 0
    assert probability_hue(0.0) == 0 and probability_hue(float("nan")) == 0


def test_token_view_escapes_text_colours_by_probability_and_shows_candidates_on_hover() -> None:
    choices = steps([1, 0, 4])
    view = tokens_html(choices)
    spans = re.findall(r'<span class="(tok[^"]*)" title="([^"]*)" style="--tok-hue:([^"]*)">(.*?)</span>', view)
    assert [span[3] for span in spans] == [" the", "&lt;b&gt;", "&amp;"]
    assert [span[0] for span in spans] == ["tok coloured", "tok coloured unlikely", "tok coloured unlikely"]
    assert [span[2] for span in spans] == [str(probability_hue(c.probability)) for c in choices]
    title = html.unescape(spans[1][1])
    assert title == token_title(choices[1])
    assert title.splitlines()[0].startswith("'<b>' id 0: p=") and "rank 4" in title
    assert title.splitlines()[1:] == [f"{i}. '{t}' p={p:.4f}" for i, t, p in
                                      [(n, c.text.replace(" ", "\u00b7").replace("\n", "\\n"), c.probability)
                                       for n, c in enumerate(choices[1].candidates, start=1)]]
    assert "style=" not in tokens_html(choices, colour=False) and "title=" in tokens_html(choices, colour=False)
    assert tokens_html([]) == ""


def test_token_view_can_show_only_the_latest_tokens() -> None:
    choices = steps([1, 3, 2, 1, 3])
    view = tokens_html(choices, last=2)
    assert view.count('<span class="tok') == 3  # a note and two tokens
    assert "3 earlier tokens" in view and 'data-tokens="5"' in view
    assert tokens_html(choices, last=10).count('<span class="tok') == 5


def sampled_step(pick: int, survivors: list[int], greedy: bool, temperature: float = 1.0) -> TokenChoice:
    """A step as the real backend reports it: raw logits, then what reached the final pick."""
    recorder = CandidateRecorder(3, piece=PIECES.__getitem__, greedy=greedy)
    recorder(np.array([], dtype=np.intc), LOGITS)
    final = np.full(LOGITS.size, -np.inf, dtype=np.float32)
    final[survivors] = LOGITS[survivors] / temperature
    recorder.observe_final(np.arange(LOGITS.size, dtype=np.intc), final)
    choice = recorder.choice(pick)
    assert choice is not None
    return choice


def test_after_the_samplers_a_draw_is_weighed_among_the_survivors_only() -> None:
    choice = sampled_step(3, survivors=[1, 3], greedy=False, temperature=0.5)
    weights = np.exp(np.array([4.0, 3.0]) / 0.5)
    expected = weights / weights.sum()
    assert choice.survivors == 2 and choice.sampled_top == 1
    assert choice.sampled_probability == pytest.approx(expected[1])
    assert [c.sampled_probability for c in choice.candidates] == pytest.approx([expected[0], expected[1], 0.0])
    assert choice.why == WHY_DRAW
    table = candidates_html(choice, 2)
    assert "<th>after samplers</th>" in table and 'data-why="draw"' in table
    assert [row[5] for row in rows(table)] == [f"{expected[0]:.4f}", f"{expected[1]:.4f}", "0.0000"]
    assert "after samplers p=0.119 of 2 tokens left): drawn at random among 2 tokens" in html.unescape(table)
    assert "drawn at random among 2 tokens left by the samplers" in unlikely_text([choice])


def test_greedy_after_a_penalty_or_grammar_names_the_settings_as_the_reason() -> None:
    choice = sampled_step(3, survivors=[0, 2, 3, 4], greedy=True)  # token 1, the raw favourite, was removed
    assert choice.rank == 2 and choice.sampled_top == 3 and choice.sampled_probability == 1.0
    assert [c.sampled_probability for c in choice.candidates] == [0.0, 1.0, 0.0]
    assert choice.why == WHY_SETTINGS
    assert "penalties or a grammar changed the most probable token" in token_title(choice)
    top = sampled_step(1, survivors=[0, 1, 2, 3, 4, 5], greedy=True)
    assert top.why == WHY_TOP and top.sampled_probability == 1.0 and top.survivors == 6


def test_without_a_final_view_the_step_says_only_what_the_raw_logits_say() -> None:
    [choice] = steps([3])
    assert choice.sampled_probability is None and choice.survivors is None and choice.why == WHY_UNKNOWN
    assert "after samplers" not in candidates_html(choice, 1)
    assert TokenChoice.from_dict(sampled_step(3, [1, 3], greedy=False).to_dict()).why == WHY_DRAW
    old = {k: v for k, v in choice.to_dict().items() if k not in ("sampled_probability", "survivors", "sampled_top")}
    old["candidates"] = [{k: v for k, v in c.items() if k != "sampled_probability"} for c in old["candidates"]]
    assert TokenChoice.from_dict(old) == choice  # sessions stored before this field still open


def test_greedy_caption_says_greedy_took_the_top_of_the_tokens_left_instead_of_a_sampling_share() -> None:
    top = sampled_step(1, survivors=[0, 1, 2, 3, 4, 5], greedy=True)
    assert top.greedy
    caption = candidates_caption(top, 1)
    assert "greedy: the most probable of the 6 tokens the penalties and grammar left" in caption
    assert "tokens left)" not in caption
    drawn = sampled_step(3, survivors=[1, 3], greedy=False, temperature=0.5)
    assert not drawn.greedy and "after samplers p=0.119 of 2 tokens left" in candidates_caption(drawn, 1)
