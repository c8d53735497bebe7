"""Follows a run for the voice panel: a tone as each answer starts and ends, and each finished answer read aloud.

Speech is made in one background thread so the transcript keeps streaming; the
newest finished speech goes to the page's player (a newer answer replaces the
one playing). Stop / next and Stop all silence it: speech made for an answer
before the stop is dropped, and Stop all ends reading for the run.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import gradio as gr

from samantha.backends.base import Control
from samantha.events import AnswerFinished, AnswerStarted
from samantha.ui.context import RunWatcher
from samantha.ui.voice_tab import VoiceTab
from samantha.voice.errors import SynthesisCancelled, VoiceError
from samantha.voice.tts import SpeechResult


@dataclass(frozen=True)
class _Reading:
    title: str
    silenced: int  # the tab's silence count when the answer finished
    future: Future[SpeechResult]


def player_update(result: SpeechResult) -> Any:
    """The player showing (and, with autoplay, playing) a speech file."""
    return gr.update(value=str(result.path), visible=True)


def speech_note(what: str, result: SpeechResult) -> str:
    words = len(result.spoken_text.split())
    return f"\U0001f50a {what}: {result.duration_s:.1f} s of speech ({words} words)."


class VoiceRunWatcher(RunWatcher):
    """The voice panel's RunWatcher; outputs: the speech player and the voice status line."""

    def __init__(
        self,
        tab: VoiceTab,
        control: Control,
        *,
        read_aloud: bool,
        cues: bool,
        voice_id: str | None,
        rate: int | None,
    ) -> None:
        self._tab = tab
        self._control = control
        self._read_aloud = read_aloud
        self._cues = cues
        self._voice_id = voice_id
        self._rate = rate
        self._executor: ThreadPoolExecutor | None = None
        self._readings: list[_Reading] = []
        self._notes: list[str] = []
        self._cue_note_shown = False
        tab.cues.enabled = cues

    def on_answer_started(self, event: AnswerStarted) -> None:
        if self._cues:
            self._tab.cues.start()

    def on_answer_finished(self, event: AnswerFinished) -> None:
        if self._cues:
            self._tab.cues.end()
        record = event.record
        if self._read_aloud and record.finish_reason != "cancelled" and record.answer.strip():
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="samantha-read-aloud")
            title = f"answer {record.model_position}) {record.model_name}, item {record.item_number}"
            future = self._executor.submit(self._tab.speak, record.answer, self._voice_id, self._rate)
            self._readings.append(_Reading(title, self._tab.silenced, future))

    def view(self, finished: bool) -> list[Any]:
        if self._control.all_stopped and any(not r.future.done() for r in self._readings):
            self._tab.synth.stop()
        if finished and self._readings:
            wait([r.future for r in self._readings])
        if finished and self._executor is not None:
            self._executor.shutdown(wait=False)
        player: Any = gr.skip()
        done = [r for r in self._readings if r.future.done()]
        self._readings = [r for r in self._readings if not r.future.done()]
        for reading in done:
            try:
                result = reading.future.result()
            except SynthesisCancelled:
                continue
            except VoiceError as exc:
                self._notes.append(f"\u26a0\ufe0f Could not read {reading.title} aloud: {exc}")
                continue
            if self._control.all_stopped or reading.silenced != self._tab.silenced:
                continue  # Stop / next or Stop all came after this answer: stay silent
            player = player_update(result)
            self._notes.append(speech_note(f"Reading {reading.title}", result))
        problem = self._tab.cues.status() if self._cues else None
        if problem and not self._cue_note_shown:
            # A passing notice, not a line that stays under the transcript for the rest of the session.
            self._cue_note_shown = True
            gr.Warning(f"\U0001f507 {problem}")
        if not self._notes:
            return [player, gr.skip()]
        note, self._notes = "\n\n".join(self._notes[-2:]), []
        return [player, note]
