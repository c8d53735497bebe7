"""Learning mode in the page: the switch, pacing and Next token, and what each step shows while it runs.

The engine records each step's candidates (samantha.learning) and waits between
tokens through a Pacer (samantha.pacing); this panel turns the switch and the
pacing choice into chain settings, keeps the tab's stepper in its TabSession, and
follows the run with a RunWatcher that feeds the candidates table, the two charts,
the unlikely picks and the coloured token view.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import gradio as gr
import pandas as pd

from samantha.chain import AnswerHook, Pacer
from samantha.events import AnswerStarted, Banner, Token
from samantha.gguf_info import GGUFError, VocabularyRangeError
from samantha.learning import TokenChoice
from samantha.pacing import PACING_CHOICES, SwitchablePacer
from samantha.ui.context import PanelContext, RunParts, RunWatcher
from samantha.ui.i18n import PORTUGUESE, tr, translate, warning_note
from samantha.ui.inputs import InputProblem
from samantha.ui.learning_view import (
    PICK_KINDS,
    STYLE,
    WAITING_HINT,
    candidates_frame,
    candidates_html,
    candidates_seed_frame,
    colour_legend_html,
    rank_frame,
    tokens_html,
    unlikely_text,
)
from samantha.ui.models_panel import model_path
from samantha.ui.session import TabSession

PART_KEY = "learning"
NEXT_TOKEN = "next token"
# While an answer streams, the token view shows the latest tokens only (the whole answer once it is done).
STREAMING_TOKENS_SHOWN = 400
VOCABULARY_ROWS = 41
BOTH_ON = "Learning mode shows every token, so it cannot run with Fast mode: turn one of them off."
NO_CANDIDATES = "The model's backend reported no candidates for these tokens, so there is nothing to show."
INTRO = (
    "**Learning mode** shows how each token is chosen: for every step the top-k candidates (k = the "
    "`top_k` setting, at most 50) with token id, text, raw logit and probability, and the probability "
    "*after the samplers* (penalties, grammar, top-k/typical/top-p/min-p, temperature; 0 = cut by them), the "
    "picked one marked \u25b6 with why it was chosen: the most probable token, a penalty or grammar that "
    "changed the favourite, or a random draw; the picks that were not the most probable token (*unlikely "
    "picks*) with their rank; and the answer "
    "token by token, coloured by probability (hover a token to see its candidates). Pacing slows the "
    "answer down; with **next token**, each click on **Next token** lets exactly one token through. "
    "Stop / next and Stop all release a waiting step at once. It cannot be combined with Fast mode."
)


def _check_pacing(pacing: str) -> None:
    if pacing not in PACING_CHOICES:
        raise InputProblem(f"unknown pacing {pacing!r}: choose one of {', '.join(PACING_CHOICES)}")


class LearningTab:
    """What one browser tab keeps for learning mode: its run's stepper, the colour toggle, the last steps shown."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pacer: SwitchablePacer | None = None
        self.colour = True
        self.steps: tuple[TokenChoice, ...] = ()
        self.model = ""  # the chain entry the steps came from (for the vocabulary view)

    def pacer(self, pacing: str) -> Pacer:
        """A fresh pacer for a new run: clicks made before it began must not let tokens through."""
        _check_pacing(pacing)
        with self._lock:
            self._pacer = SwitchablePacer(pacing)
            return self._pacer

    def no_pacer(self) -> None:
        """This tab's run is not paced (learning mode off): Next token has nothing to release."""
        with self._lock:
            self._pacer = None

    def set_pacing(self, pacing: str) -> None:
        """The Pacing choice changed: a running answer follows it from its next token."""
        _check_pacing(pacing)
        with self._lock:
            pacer = self._pacer
        if pacer is not None:
            pacer.set_choice(pacing)

    def next_token(self) -> bool:
        """Let one token through; False when this tab's run does not step token by token."""
        with self._lock:
            pacer = self._pacer
        return pacer is not None and pacer.next_token()

    def close(self) -> None:
        with self._lock:
            self._pacer = None
        self.steps = ()


class LearningWatcher(RunWatcher):
    """Collects the current answer's steps and renders them; unchanged views send nothing."""

    def __init__(self, tab: LearningTab) -> None:
        self._tab = tab
        self._steps: list[TokenChoice] = []
        self._plain_tokens = 0  # tokens that came without candidates (a backend that cannot report them)
        self._answer = 0
        self._shown: tuple[int, int, bool] | None = None

    def on_answer_started(self, event: AnswerStarted) -> None:
        self._answer += 1
        self._steps = []
        self._plain_tokens = 0

    def on_token(self, event: Token) -> None:
        if event.choice is not None:
            self._steps.append(event.choice)
        else:
            self._plain_tokens += 1

    def on_banner(self, event: Banner) -> None:
        self._tab.model = event.model

    def view(self, finished: bool) -> list[Any]:
        key = (self._answer, len(self._steps), finished)
        if key == self._shown:
            return [gr.skip()] * 5
        self._shown = key
        steps = tuple(self._steps)
        self._tab.steps = steps
        if not steps:
            hint = NO_CANDIDATES if self._plain_tokens else WAITING_HINT
            return [candidates_html(None, 0, tr(hint)), _picks_in_language(candidates_frame(None)), rank_frame(()),
                    "", ""]
        last = None if finished else STREAMING_TOKENS_SHOWN
        return [
            candidates_html(steps[-1], len(steps), say=tr),
            _picks_in_language(candidates_frame(steps[-1])),
            rank_frame(steps),
            unlikely_text(steps, tr),
            tokens_html(steps, self._tab.colour, last, tr),
        ]


def _picks_in_language(frame: pd.DataFrame) -> pd.DataFrame:
    """The chart legend's words (picked, other) in the tab's language; the colour map knows both."""
    frame["pick"] = frame["pick"].map(tr)
    return frame


def _vocabulary_window(centre: int, size: int, rows: int = VOCABULARY_ROWS) -> tuple[int, int]:
    """Ids to show around `centre`, kept inside 0..size."""
    start = max(0, min(centre - rows // 2, size - rows))
    return start, min(size, start + rows)


class LearningPlugin:
    """Learning mode as a UIPlugin (with the LivePlugin extras)."""

    title = "Learning mode"

    def __init__(self) -> None:
        self.outputs: Sequence[gr.components.Component] = ()

    def render(self, ctx: PanelContext) -> None:
        gr.HTML(STYLE, padding=False)
        gr.Markdown(INTRO)
        with gr.Row(equal_height=True):
            learning = ctx.controls.add("learning", gr.Checkbox(
                label="Learning mode", value=False, elem_id="switch-learning", scale=1, min_width=160,
                info="record each step's candidates (not with Fast mode)",
            ))
            pacing = ctx.controls.add("pacing", gr.Radio(
                list(PACING_CHOICES), value="no delay", label="Pacing", elem_id="learning-pacing", scale=3,
            ))
            with gr.Column(scale=1, min_width=140):
                next_button = gr.Button("Next token", variant="primary", elem_id="next-token")
                colour = gr.Checkbox(label="Colour tokens by probability", value=True, elem_id="learning-colour")
        note = gr.Markdown(elem_id="learning-note")
        # The growing answer sits right under Next token, so each click's token shows where the eye is.
        tokens = gr.HTML(label="The answer token by token (hover a token for its candidates)",
                         elem_id="learning-tokens")
        gr.HTML(colour_legend_html(), padding=False, elem_id="learning-legend")
        candidates = gr.HTML(candidates_html(None, 0), elem_id="learning-candidates")
        with gr.Row():
            # Both languages' names of each kind of bar are in the colour scale from the start; the legend
            # lists the tab's own (the language switch sends them, see i18n._plot_titles).
            kinds = {name: colour for kind, colour in zip(PICK_KINDS, ("#e76f51", "#2a9d8f"))
                     for name in (kind, translate(kind, PORTUGUESE))}
            bars = gr.BarPlot(
                candidates_seed_frame(list(kinds)), x="token", y="probability", color="pick", sort="-y",
                tooltip=["token", "probability", "after_samplers"], color_map=kinds,
                colors_in_legend=list(PICK_KINDS), x_label_angle=-45, y_lim=[0, None],
                title="Candidates of the current step", label="Candidates", elem_id="learning-bars",
            )
            ranks = gr.ScatterPlot(
                rank_frame(()), x="position", y="rank", tooltip=["position", "rank", "token"],
                title="Rank exceptions over the answer (picks that were not rank 1)", label="Rank exceptions",
                elem_id="learning-ranks",
            )
        unlikely = gr.Textbox(label="Unlikely picks", lines=5, max_lines=12, interactive=False,
                              elem_id="learning-unlikely")
        with gr.Accordion("Vocabulary around a token", open=False, elem_id="learning-vocabulary"):
            gr.Markdown("The model's own token list (read from its file), around an id: the last picked token's "
                        "by default. The *Model card & vocabulary* tab pages through the whole of it.")
            with gr.Row(equal_height=True):
                centre = gr.Textbox(label="Token id (empty: the last picked one)", value="",
                                    elem_id="learning-vocab-id")
                show = gr.Button("Show vocabulary", size="sm", elem_id="learning-show-vocab")
            vocabulary = gr.Textbox(label="id) 'piece'", lines=10, max_lines=20, interactive=False,
                                    elem_id="learning-vocab")
        self.outputs = [candidates, bars, ranks, unlikely, tokens]
        self._wire(ctx, learning, pacing, next_button, colour, note, tokens, centre, show, vocabulary)

    def _wire(self, ctx: PanelContext, learning: gr.Checkbox, pacing: gr.Radio, next_button: gr.Button,
              colour: gr.Checkbox, note: gr.Markdown, tokens: gr.HTML, centre: gr.Textbox, show: gr.Button,
              vocabulary: gr.Textbox) -> None:
        if "fast" in ctx.controls:  # each switch is disabled while the other one is on
            fast = ctx.controls["fast"]
            assert isinstance(fast, gr.Checkbox)
            fast.change(lambda on: gr.Checkbox(interactive=not on), [fast], [learning], queue=False,
                        api_visibility="private", show_progress="hidden")
            learning.change(lambda on: gr.Checkbox(interactive=not on), [learning], [fast], queue=False,
                            api_visibility="private", show_progress="hidden")

        def change_pacing(session: TabSession, pacing: str) -> None:
            session.part(PART_KEY, LearningTab).set_pacing(pacing)

        # Not queued: a running answer must see the change at its next token.
        pacing.change(change_pacing, [ctx.session, pacing], None, queue=False, api_visibility="private",
                      show_progress="hidden")

        def next_token(session: TabSession) -> str:
            if session.running and session.part(PART_KEY, LearningTab).next_token():
                return ""
            return tr("\u26a0\ufe0f Nothing is waiting for a click: choose pacing **next token**, tick Learning mode "
                      "and press Start.")

        # Not queued: it must act at once, while the tab's chain is streaming.
        next_button.click(next_token, [ctx.session], [note], queue=False, api_name="next_token",
                          show_progress="hidden")

        def recolour(session: TabSession, on: bool) -> str:
            tab = session.part(PART_KEY, LearningTab)
            tab.colour = bool(on)
            return tokens_html(tab.steps, tab.colour, say=tr)

        colour.change(recolour, [ctx.session, colour], [tokens], queue=False, api_visibility="private",
                      show_progress="hidden")

        sources = [ctx.parts["picker"], ctx.parts["model_list"], ctx.parts["models_dir"]]

        def show_vocabulary(session: TabSession, wanted: Any, picked: str | None, chain_list: str,
                            folder: str) -> str:
            tab = session.part(PART_KEY, LearningTab)
            try:
                path = model_path(tab.model, "", folder) if tab.model else None
                if path is None or not path.is_file():  # no run yet, or its model was a link
                    path = model_path(picked, chain_list, folder)
                reader = ctx.vocabulary.get(path)
                if not str(wanted or "").strip():
                    if not tab.steps:
                        raise ValueError("no token picked yet: type a token id, or run learning mode first")
                    token_id = tab.steps[-1].token_id
                else:
                    try:
                        token_id = int(str(wanted).strip())
                    except ValueError:
                        raise ValueError(f"a token id is a whole number, not {str(wanted).strip()!r}") from None
                if not 0 <= token_id < len(reader):
                    raise VocabularyRangeError(f"token id {token_id} is out of range: this vocabulary has ids "
                                               f"0 to {len(reader) - 1}")
                start, stop = _vocabulary_window(token_id, len(reader))
                lines = reader.format_slice(start, stop).splitlines()
                return "\n".join(f"{line}   \u25c0" if line.startswith(f"{token_id})") else line for line in lines)
            except (GGUFError, VocabularyRangeError, ValueError, OSError, TypeError) as exc:
                return warning_note(exc)

        show.click(show_vocabulary, [ctx.session, centre, *sources], [vocabulary], api_name="learning_vocabulary")

    def chain_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        on = bool(values.get("learning"))
        if on and values.get("fast"):
            raise InputProblem(BOTH_ON)
        return {"learning": on}

    def hooks(self, session: TabSession, values: Mapping[str, Any]) -> list[AnswerHook]:
        return []

    def run_parts(self, session: TabSession, values: Mapping[str, Any]) -> RunParts:
        tab = session.part(PART_KEY, LearningTab)
        if not values.get("learning"):
            tab.no_pacer()
            return RunParts()
        return RunParts(pacer=tab.pacer(str(values.get("pacing") or "no delay")), watcher=LearningWatcher(tab))
