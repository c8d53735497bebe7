"""How learning mode reads on the page: the candidates of a step, unlikely picks, charts and coloured tokens.

Pure functions over TokenChoice data (no Gradio). Chart data are pandas frames,
the form Gradio's native plots take; tables and token views are escaped HTML. Every sentence goes
through `say` (an English msgid and its values), which the panel gives as the tab's translator.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence

import pandas as pd

from samantha.learning import Candidate, TokenChoice, escape_piece, unlikely_picks, why_text

Say = Callable[..., str]


def english(text: str, /, **values: object) -> str:
    """The `say` of a page in English: the msgid with its values filled in."""
    return text.format(**values) if values else text


# Hover titles list this many candidates of each token, so long answers stay light.
TITLE_CANDIDATES = 5
UNLIKELY_SHOWN = 200
# Probabilities from 1 down to 10^-LOG_SPAN run from green through yellow to red.
LOG_SPAN = 4.0
PICK_MARK = "\u25b6 "
AT_MOST = "\u2264"
# The bar chart's colour categories: the picked token and the other candidates.
PICK_KINDS = ("picked", "other")
EMPTY_HINT = "Turn on learning mode and press Start: each step's candidates show here."
WAITING_HINT = "Waiting for the first token of this answer\u2026"
# The learning tab's look; a <style> in the tab, so the app's own CSS need not know about it.
STYLE = """<style>
table.candidates { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.candidates caption { text-align: left; padding: 4px 0; }
table.candidates th, table.candidates td { padding: 2px 10px; text-align: right; }
table.candidates td:nth-child(3) { text-align: left; }
table.candidates tr.picked { font-weight: bold; background: rgba(42, 157, 143, 0.35); }
.token-view { white-space: pre-wrap; font-family: ui-monospace, monospace; line-height: 1.7; }
.token-view .tok { border-radius: 3px; cursor: help; }
/* The hue comes from the token's probability; lightness from the theme, so text stays readable on both. */
.token-view .tok.coloured, .token-legend .swatch { background: hsl(var(--tok-hue) 75% 85%); color: #111827; }
.dark .token-view .tok.coloured, .dark .token-legend .swatch { background: hsl(var(--tok-hue) 65% 24%);
                                                               color: #f9fafb; }
.token-legend { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; font-size: 13px; }
.token-legend .swatch { border-radius: 3px; padding: 0 6px; font-family: ui-monospace, monospace; }
.token-view .tok.unlikely { text-decoration: underline dotted; }
.token-view .tok-more { opacity: 0.6; }
</style>"""


def _after_samplers(choice: TokenChoice, say: Say) -> str:
    """`; after samplers p=0.335 of 3 tokens left`, or nothing when the source cannot tell."""
    if choice.sampled_probability is None:
        return ""
    count = f"{choice.survivors:,}"
    left = say("{count} token", count=count) if choice.survivors == 1 else say("{count} tokens", count=count)
    if choice.greedy:
        # Under greedy decoding llama.cpp runs no top-k/top-p/min-p: only penalties and a grammar cut tokens,
        # so "of 49,152 tokens left" read as if sampling had happened; say what greedy did instead.
        return say("; greedy: the most probable of the {left} the penalties and grammar left", left=left)
    return say("; after samplers p={p} of {left} left", p=f"{choice.sampled_probability:.3f}", left=left)


def candidates_caption(choice: TokenChoice, step: int, say: Say = english) -> str:
    """`Step 3: picked '·the' (id 312, rank 1, p=0.912; after samplers p=1.000 of 40 tokens left): why`."""
    return say("Step {step}: picked '{text}' (id {id}, rank {rank}, p={p}{after}): {why}", step=step,
               text=escape_piece(choice.text), id=choice.token_id, rank=choice.rank, p=f"{choice.probability:.3f}",
               after=_after_samplers(choice, say), why=say(why_text(choice)))


def _sampled_cell(value: float | None) -> str:
    return "" if value is None else f"<td>{value:.4f}</td>"


def candidates_html(choice: TokenChoice | None, step: int, hint: str = EMPTY_HINT, say: Say = english) -> str:
    """The top-k table of one step: rank, id, text, raw logit, probability and, where the backend
    knows it, the probability after the samplers (0 = cut by them); the picked row marked."""
    if choice is None:
        return f'<p class="learning-empty">{html.escape(hint)}</p>'
    rows = []
    shown = False
    for rank, candidate in enumerate(choice.candidates, start=1):
        picked = candidate.token_id == choice.token_id
        shown = shown or picked
        rows.append(
            f'<tr class="{"picked" if picked else ""}"><td>{PICK_MARK if picked else ""}{rank}</td>'
            f"<td>{candidate.token_id}</td><td><code>{html.escape(escape_piece(candidate.text))}</code></td>"
            f"<td>{candidate.logit:.3f}</td><td>{candidate.probability:.4f}</td>"
            f"{_sampled_cell(candidate.sampled_probability)}</tr>"
        )
    if not shown:  # a grammar or sampling picked a token outside the top k
        rows.append(
            f'<tr class="picked outside"><td>{PICK_MARK}{choice.rank}</td><td>{choice.token_id}</td>'
            f"<td><code>{html.escape(escape_piece(choice.text))}</code></td>"
            f"<td>{choice.logit:.3f}</td><td>{choice.probability:.4f}</td>"
            f"{_sampled_cell(choice.sampled_probability)}</tr>"
        )
    after = f"<th>{html.escape(say('after samplers'))}</th>" if choice.sampled_probability is not None else ""
    heads = "".join(f"<th>{html.escape(say(name))}</th>" for name in ("rank", "id", "text", "logit", "probability"))
    return (
        f'<table class="candidates" data-step="{step}" data-picked="{choice.token_id}" data-why="{choice.why}">'
        f"<caption>{html.escape(candidates_caption(choice, step, say))}</caption>"
        f"<thead><tr>{heads}{after}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def candidates_frame(choice: TokenChoice | None) -> pd.DataFrame:
    """Bar-chart data: one bar per candidate (labelled `rank. text`), its probability, whether it was
    picked, and its probability after the samplers for the hover tooltip (NaN where unknown)."""
    if choice is None:  # typed columns, so the chart knows `pick` is a category before the first step
        return pd.DataFrame({"token": pd.Series([], dtype=str), "probability": pd.Series([], dtype=float),
                             "pick": pd.Series([], dtype=str), "after_samplers": pd.Series([], dtype=float)})
    return pd.DataFrame(
        [
            (f"{rank}. {escape_piece(c.text)}", c.probability, "picked" if c.token_id == choice.token_id else "other",
             math.nan if c.sampled_probability is None else c.sampled_probability)
            for rank, c in enumerate(choice.candidates, start=1)
        ],
        columns=["token", "probability", "pick", "after_samplers"],
    )


def candidates_seed_frame(kinds: Sequence[str] = PICK_KINDS) -> pd.DataFrame:
    """The bar chart's first value: one undrawable row (no probability) for each kind of bar, `kinds` being
    their names in every language the page speaks.

    Gradio's bar chart fixes its colour scale to the categories of the first value it draws and later
    only swaps the data: started from an empty frame, every bar got no colour at all, and started from the
    English names only, every bar of a Portuguese tab ("escolhido", "outro") got none.
    """
    blank = math.nan
    return pd.DataFrame({"token": pd.Series([" " * n for n in range(len(kinds))], dtype=str),
                         "probability": pd.Series([blank] * len(kinds), dtype=float),
                         "pick": pd.Series(list(kinds), dtype=str),
                         "after_samplers": pd.Series([blank] * len(kinds), dtype=float)})


def rank_frame(choices: Sequence[TokenChoice]) -> pd.DataFrame:
    """Rank-exception chart data: position in the answer and rank, for every pick that was not rank 1."""
    picks = unlikely_picks(list(choices))
    # Typed columns: the chart takes its axis types from its first (empty) value, and an untyped empty
    # column would make position and rank categories instead of numbers.
    return pd.DataFrame(
        {
            "position": pd.Series([position for position, _ in picks], dtype="int64"),
            "rank": pd.Series([choice.rank for _, choice in picks], dtype="int64"),
            "token": pd.Series([escape_piece(choice.text) for _, choice in picks], dtype=str),
        }
    )


def unlikely_text(choices: Sequence[TokenChoice], say: Say = english) -> str:
    """The running list of unlikely picks, one per line, with rank and what the most probable token was."""
    picks = unlikely_picks(list(choices))
    if not choices:
        return ""
    if not picks:
        return say("No unlikely picks: all {count} tokens were the most probable one.", count=len(choices))
    lines = [say("{count} unlikely pick(s) in {total} tokens:", count=len(picks), total=len(choices))]
    for position, choice in picks[-UNLIKELY_SHOWN:]:
        best = choice.candidates[0] if choice.candidates else None
        instead = say("; most probable was '{text}' p={p}", text=escape_piece(best.text),
                      p=f"{best.probability:.3f}") if best else ""
        lines.append(say("#{position} '{text}' rank {rank} (p={p}{after}){instead}: {why}", position=position,
                         text=escape_piece(choice.text), rank=choice.rank, p=f"{choice.probability:.4f}",
                         after=_after_samplers(choice, say), instead=instead, why=say(why_text(choice))))
    if len(picks) > UNLIKELY_SHOWN:
        lines.insert(1, say("(only the last {count} are listed)", count=UNLIKELY_SHOWN))
    return "\n".join(lines)


def probability_hue(probability: float) -> int:
    """A token's hue: 120 (green) when likely, through yellow, to 0 (red) when improbable (log scale)."""
    if probability <= 0 or not math.isfinite(probability):
        share = 0.0
    else:
        share = max(0.0, min(1.0, 1.0 + math.log10(probability) / LOG_SPAN))
    return round(120 * share)


def colour_legend_html() -> str:
    """What the token colours mean: one swatch per power of ten, from likely to improbable."""
    swatches = "".join(
        f'<span class="swatch" style="--tok-hue:{probability_hue(10.0 ** -power)}">'
        f"p {AT_MOST if power == int(LOG_SPAN) else '='} {10.0 ** -power:g}</span>"
        for power in range(int(LOG_SPAN) + 1)
    )
    return (f'<div class="token-legend" id="token-legend"><span>Token colours, by the probability the model '
            f"gave the picked token:</span>{swatches}<span>(dotted underline: an unlikely pick)</span></div>")


def token_title(choice: TokenChoice, say: Say = english) -> str:
    """The hover text of one token: its own probability and rank, then the best candidates."""
    lines = [say("'{text}' id {id}: p={p}, rank {rank}{after}: {why}", text=escape_piece(choice.text),
                 id=choice.token_id, p=f"{choice.probability:.4f}", rank=choice.rank,
                 after=_after_samplers(choice, say), why=say(why_text(choice)))]
    for rank, candidate in enumerate(choice.candidates[:TITLE_CANDIDATES], start=1):
        lines.append(f"{rank}. '{escape_piece(candidate.text)}' p={candidate.probability:.4f}"
                     f"{_sampled_note(candidate, say)}")
    return "\n".join(lines)


def _sampled_note(candidate: Candidate, say: Say) -> str:
    if candidate.sampled_probability is None:
        return ""
    return say(" (after samplers {p})", p=f"{candidate.sampled_probability:.4f}")


def tokens_html(choices: Sequence[TokenChoice], colour: bool = True, last: int | None = None,
                say: Say = english) -> str:
    """The answer token by token: spans with the candidates as hover title, coloured by probability if asked.

    `last` keeps only the latest tokens (while streaming, so a long answer does not resend megabytes ten
    times a second); a note says how many earlier ones are left out.
    """
    if not choices:
        return ""
    shown = choices[-last:] if last is not None and len(choices) > last else choices
    spans = []
    if len(shown) < len(choices):
        more = say("\u2026 {count} earlier tokens \u2026", count=len(choices) - len(shown))
        spans.append(f'<span class="tok-more">{html.escape(more)} </span>')
    for choice in shown:
        style = f' style="--tok-hue:{probability_hue(choice.probability)}"' if colour else ""
        classes = "tok" + (" coloured" if colour else "") + (" unlikely" if choice.unlikely else "")
        spans.append(
            f'<span class="{classes}" title="{html.escape(token_title(choice, say), quote=True)}"{style}>'
            f"{html.escape(choice.text)}</span>"
        )
    return f'<div class="token-view" data-tokens="{len(choices)}">{"".join(spans)}</div>'
