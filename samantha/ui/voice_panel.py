"""The Voice tab and its live parts by the transcript: read aloud, offline voice commands, audio cues.

Read aloud: pyttsx3 writes speech to a WAV file (in a child process) that the
page plays and offers for download, so it works when the browser is not on the
server's speakers. Voice commands: Vosk hears the server's microphone in a
listener thread (or a clip recorded by the page's microphone); a timer asks for
each heard command and the page acts like the matching button was pressed.
Audio cues: a tone on this computer's speakers as each answer starts and ends.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from samantha.backends.base import Control
from samantha.chain import AnswerHook
from samantha.events import AnswerFinished, AnswerStarted
from samantha.ui.context import PanelContext, RunParts, RunWatcher
from samantha.ui.i18n import tr, warning_note
from samantha.ui.session import TabSession
from samantha.ui.voice_view import (
    ACTION_BUTTONS,
    LANGUAGES,
    ListenControls,
    listen_controls,
    pick_voice,
    speech_note,
    voice_choices,
)
from samantha.voice.errors import SynthesisCancelled, VoiceError
from samantha.voice.session import (
    CommandStep,
    ListenProblem,
    MicrophoneOpener,
    RecognizerFactory,
    VoiceTab,
    open_server_microphone,
    vosk_recognizer,
)
from samantha.voice.speech_text import prompt_speech_text
from samantha.voice.status import microphone_problem, model_problems
from samantha.voice.tts import SpeechEngineInfo, SpeechResult, SpeechSynthesizer
from samantha.voice.voice_setup import default_vosk_dir

PART_KEY = "voice"
POLL_SECONDS = 0.5
MIN_RATE, MAX_RATE, DEFAULT_RATE = 80, 400, 175
STOP_BUTTON_IDS = ("stop-next-button", "stop-all-button")

INTRO = (
    "**Read aloud** turns text into speech on this computer and plays it in the page (the player under the "
    "transcript also downloads it). Markdown symbols, code blocks and links are not read out."
)
COMMANDS_HELP = (
    "Say **“OK …”** or **“Samantha …”** followed by a prompt: it goes into the user prompt and the chain starts. "
    "**“Samantha stop”** / **“next”**, **“Samantha stop all”**, **“Samantha read”** (the last answer), "
    "**“Samantha clear”** act like the buttons; **“Samantha close”** stops listening. Portuguese works too: "
    "“Samantha parar”, “próximo”, “parar tudo”, “ler”, “limpar”, “fechar”. Recognition is offline (Vosk): "
    "each language needs its small model in the folder below (`samantha voice setup` fetches both)."
)
# Presses the button of a voice command's page action (the prompt is already in its field).
ACT_JS = """
(action) => {
  const ids = %s;
  const button = ids[action] ? document.getElementById(ids[action]) : null;
  if (button) button.click();
}
""" % json.dumps(ACTION_BUTTONS)
# The page records with the browser's microphone, so the browser is asked whether it has one.
BROWSER_MIC_JS = """
async () => {
  const media = navigator.mediaDevices;
  if (!media || !media.enumerateDevices) return "absent";
  try {
    const devices = await media.enumerateDevices();
    return devices.some((device) => device.kind === "audioinput") ? "present" : "absent";
  } catch (error) {
    return "";
  }
}
"""
# Stop / next and Stop all silence the page's speech.
PAUSE_JS = """
() => {
  document.querySelectorAll("#voice-player audio, #voice-player video").forEach((media) => media.pause());
  const S = (window.samantha = window.samantha || {});
  S.speechPaused = (S.speechPaused || 0) + 1;
}
"""


class VoiceCatalog:
    """The speech engine's voices, asked once per app (listing them starts a process) and kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._info: SpeechEngineInfo | None = None

    def info(self) -> SpeechEngineInfo:
        """Raises SpeechEngineError when the engine cannot start; asks again next time."""
        with self._lock:
            if self._info is None:
                self._info = SpeechSynthesizer().engine_info()
            return self._info


def _find_component(elem_id: str) -> Any:
    """A component already rendered in the page being built (the output panel's stop buttons)."""
    root = gr.context.Context.root_block
    blocks = getattr(root, "blocks", {}) if root is not None else {}
    return next((block for block in blocks.values() if getattr(block, "elem_id", None) == elem_id), None)


def _rate(value: Any) -> int | None:
    try:
        rate = int(value)
    except (TypeError, ValueError):
        return None
    return min(MAX_RATE, max(MIN_RATE, rate)) if rate else None


@dataclass(frozen=True)
class _Reading:
    title: str
    silenced: int  # the tab's silence count when the answer finished
    future: Future[SpeechResult]


def player_update(result: SpeechResult) -> Any:
    """The player showing (and, with autoplay, playing) a speech file."""
    return gr.update(value=str(result.path), visible=True)


class VoiceRunWatcher(RunWatcher):
    """The voice panel's RunWatcher; outputs: the sound status, the speech player, the line under the transcript.

    Why the tones are silent is said once, in the Voice tab's sound status (and a passing notice), never in the
    line under the transcript.
    """

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
        sound_status: Any = gr.skip()
        if problem and not self._cue_note_shown:
            self._cue_note_shown = True
            gr.Warning(tr(f"\U0001f507 {problem}"))
            sound_status = f"\U0001f507 {problem}"
        if not self._notes:
            return [sound_status, player, gr.skip()]
        note, self._notes = "\n\n".join(self._notes[-2:]), []
        return [sound_status, player, note]


class VoicePlugin:
    """Voice and sound as a UIPlugin (with the LivePlugin extras: a player and a status line by the transcript).

    `recognizers` and `microphone` are the real Vosk model and sounddevice microphone unless a caller (a test,
    another recogniser) passes its own; `microphone_check` says why that microphone cannot be used (None: it can),
    by default the system's default input device for the real microphone, and nothing for one passed in.
    """

    title = "Voice"

    def __init__(
        self,
        *,
        recognizers: RecognizerFactory = vosk_recognizer,
        microphone: MicrophoneOpener = open_server_microphone,
        microphone_check: Callable[[], str | None] | None = None,
    ) -> None:
        self._recognizers = recognizers
        self._microphone = microphone
        if microphone_check is None:
            microphone_check = microphone_problem if microphone is open_server_microphone else _no_problem
        self._microphone_check = microphone_check
        self._catalog = VoiceCatalog()
        self._speech_dir = Path(".")
        self._player: gr.Audio | None = None
        self._note: gr.Markdown | None = None
        self.outputs: Sequence[gr.components.Component] = ()

    def voice_tab(self, session: TabSession) -> VoiceTab:
        """This tab's voice state (made on first use, closed with the tab)."""
        return session.part(PART_KEY, lambda: VoiceTab(self._speech_dir, self._recognizers, self._microphone))

    # -- page ---------------------------------------------------------------
    def render_live(self, ctx: PanelContext) -> None:
        self._player = gr.Audio(label="Speech", type="filepath", autoplay=True, interactive=False, visible=False,
                                buttons=["download"], elem_id="voice-player",
                                # the browser's own player: a plain <audio> element that Stop can pause
                                waveform_options=gr.WaveformOptions(show_recording_waveform=False))
        self._note = gr.Markdown(elem_id="voice-note")

    def render(self, ctx: PanelContext) -> None:
        self._speech_dir = ctx.files_dir / "speech"
        if self._player is None or self._note is None:  # a page without a live slot shows them in this tab
            self.render_live(ctx)
        player, note = self._player, self._note
        assert player is not None and note is not None
        prompt = ctx.controls["prompt"]

        gr.Markdown(INTRO)
        with gr.Row(equal_height=True):
            voice = ctx.controls.add("voice", gr.Dropdown(
                label="Voice (language)", choices=[], value="", allow_custom_value=True, scale=3, elem_id="voice-picker",
                info="the voices installed on this computer",
            ))
            rate = ctx.controls.add("speech_rate", gr.Slider(
                MIN_RATE, MAX_RATE, value=DEFAULT_RATE, step=5, label="Speaking rate (words per minute)", scale=2,
                elem_id="speech-rate",
            ))
        engine = gr.Markdown(elem_id="voice-engine")
        with gr.Row(elem_classes=["small-buttons"]):
            read_prompt = gr.Button("Read user prompt", size="sm", elem_id="voice-read-prompt")
            read_last = gr.Button("Read last answer", size="sm", elem_id="voice-read-last")
            read_all = gr.Button("Read all answers", size="sm", elem_id="voice-read-all")
        with gr.Row(equal_height=True):
            read_aloud = ctx.controls.add("read_aloud", gr.Checkbox(
                label="Read each answer aloud", value=False, elem_id="read-aloud",
                info="each finished answer is spoken in the player; Stop / next silences it",
            ))
        # The page's one Sounds switch also plays a tone on this computer's speakers as each answer starts and ends.
        sounds = ctx.parts.get("sounds")
        if sounds is not None:
            ctx.controls.add("sound_cues", sounds)
        sound_status = gr.Markdown(elem_id="voice-sound-status")
        self.outputs = [sound_status, player, note]  # the Start API's last two: the player and its line

        with gr.Accordion("Voice commands", open=True, elem_id="voice-commands"):
            gr.Markdown(COMMANDS_HELP)
            with gr.Row(equal_height=True):
                folder = gr.Textbox(label="Vosk model folder", scale=4, elem_id="vosk-dir",
                                    placeholder=str(default_vosk_dir()),
                                    info="holds the unzipped vosk-model-small-en-us / -pt folders; remembered")
                language = gr.Radio(list(LANGUAGES), value="English", label="Command language", scale=2,
                                    elem_id="voice-language")
            with gr.Row(elem_classes=["small-buttons"]):
                listen = gr.Button("Start listening", size="sm", variant="primary", elem_id="voice-listen")
                stop_listening = gr.Button("Stop listening", size="sm", elem_id="voice-stop-listening")
                check = gr.Button("Check again", size="sm", elem_id="voice-check")
            listen_status = gr.Markdown(elem_id="voice-listen-status")
            page_mic = gr.Audio(sources=["microphone"], type="numpy", label="Or speak through this page's microphone",
                                elem_id="voice-page-mic")
            action = gr.Textbox(visible=False, elem_id="voice-action")
            browser_mic = gr.Textbox(visible=False, elem_id="voice-browser-mic")
            timer = gr.Timer(POLL_SECONDS, active=False)

        # -- read aloud -------------------------------------------------------
        def read(tab: TabSession, which: str, prompt_text: str, voice_id: str | None, speed: Any) -> tuple[Any, str]:
            if which == "prompt":
                text, what = prompt_speech_text(prompt_text), "Reading the user prompt"
                empty = "The user prompt is empty: type a prompt first."
            elif which == "last":
                text, what = tab.last_answer, "Reading the last answer"
                empty = "There is no answer yet: press Start first."
            else:
                count = len(tab.answers)
                text, what = tab.all_answers_text(), f"Reading all {count} answer(s)"
                empty = "There are no answers yet: press Start first."
            if not text.strip():
                gr.Warning(tr(empty))
                return gr.skip(), warning_note(empty)
            try:
                result = self.voice_tab(tab).speak(text, voice_id, _rate(speed))
            except SynthesisCancelled:
                return gr.skip(), "Reading aloud was stopped."
            except (VoiceError, ValueError) as exc:
                gr.Warning(tr(str(exc)))
                return gr.skip(), warning_note(exc)
            return player_update(result), speech_note(what, result)

        read_inputs = [ctx.session, prompt, voice, rate]
        def reader(which: str) -> Any:
            def handler(tab: TabSession, prompt: str, voice: str | None, rate: Any) -> tuple[Any, str]:
                return read(tab, which, prompt, voice, rate)

            return handler

        for button, which in ((read_prompt, "prompt"), (read_last, "last"), (read_all, "all")):
            button.click(reader(which), read_inputs, [player, note], api_name=f"voice_read_{which}",
                         concurrency_limit=None)

        def silence(tab: TabSession) -> None:
            self.voice_tab(tab).silence()

        for elem_id in STOP_BUTTON_IDS:
            button = _find_component(elem_id)
            if button is not None:
                button.click(None, None, None, js=PAUSE_JS)
                button.click(silence, [ctx.session], None, queue=False, api_visibility="private",
                             show_progress="hidden")

        # -- voice commands ---------------------------------------------------
        def model_dir(text: str | None) -> Path:
            value = (text or "").strip()
            return Path(value).expanduser() if value else default_vosk_dir()

        def availability(text: str | None, lang: str, browser: str | None) -> ListenControls:
            language_code = LANGUAGES.get(lang, "en")
            return listen_controls(model_problems(model_dir(text), [language_code]), self._microphone_check(),
                                   browser or "")

        def show_controls(text: str | None, lang: str, browser: str | None) -> tuple[Any, Any, str]:
            """Turn off each listening control that cannot work and say why in the status line."""
            found = availability(text, lang, browser)
            return gr.Button(interactive=found.listen), gr.Audio(interactive=found.page_mic), tr(found.message)

        def step_outputs(step: CommandStep) -> tuple[Any, ...]:
            return (
                step.prompt if step.prompt is not None else gr.skip(),
                step.action,
                step.message or gr.skip(),
                gr.Timer(active=step.listening),
            )

        def on_listen(tab: TabSession, text: str, lang: str) -> tuple[Any, Any]:
            ctx.config.update(vosk_dir=(text or "").strip())
            try:
                message = self.voice_tab(tab).start_listening(model_dir(text), LANGUAGES.get(lang, "en"))
            except ListenProblem as exc:
                gr.Warning(tr("Voice commands cannot listen yet: the Voice tab says what is missing."))
                return str(exc), gr.Timer(active=False)
            return message, gr.Timer(active=True)

        listen.click(on_listen, [ctx.session, folder, language], [listen_status, timer], api_name="voice_listen")

        def on_stop_listening(tab: TabSession) -> tuple[str, Any]:
            voice_state = self.voice_tab(tab)
            if not voice_state.listening:
                return "Not listening.", gr.skip()
            voice_state.stop_listening()
            return "Stopping…", gr.skip()  # the timer reports once the listener has ended

        stop_listening.click(on_stop_listening, [ctx.session], [listen_status, timer], api_name="voice_stop_listening",
                             queue=False)

        step_targets = [prompt, action, listen_status, timer]

        def on_tick(tab: TabSession) -> tuple[Any, ...]:
            return step_outputs(self.voice_tab(tab).next_step())

        timer.tick(on_tick, [ctx.session], step_targets, api_name="voice_poll", show_progress="hidden",
                   queue=False).then(None, [action], None, js=ACT_JS)

        def on_clip(tab: TabSession, clip: Any, text: str, lang: str) -> tuple[Any, ...]:
            if clip is None:
                return gr.skip(), "", gr.skip(), gr.skip(), gr.skip()
            sample_rate, data = clip
            voice_state = self.voice_tab(tab)
            try:
                heard = voice_state.recognise_clip(sample_rate, data, model_dir(text), LANGUAGES.get(lang, "en"))
            except ListenProblem as exc:
                gr.Warning(tr("Voice commands cannot listen yet: the Voice tab says what is missing."))
                return gr.skip(), "", str(exc), gr.skip(), None
            except ValueError as exc:
                gr.Warning(tr(str(exc)))
                return gr.skip(), "", warning_note(exc), gr.skip(), None
            step = voice_state.next_step()
            if not heard:
                message = "Nothing was recognised in the recording: speak closer to the microphone and try again."
            elif step.message:
                message = f"Heard “{heard}”. {step.message}"
            else:
                message = f"Heard “{heard}”: not a command (start with “OK” or “Samantha”)."
            return (*step_outputs(CommandStep(step.prompt, step.action, message,
                                              step.listening or voice_state.listening)), None)

        page_mic.stop_recording(on_clip, [ctx.session, page_mic, folder, language], [*step_targets, page_mic],
                                api_name="voice_clip").then(None, [action], None, js=ACT_JS)

        def on_check(text: str, lang: str) -> str:
            ctx.config.update(vosk_dir=(text or "").strip())
            return availability(text, lang, "").message

        availability_targets = [listen, page_mic, listen_status]
        check.click(on_check, [folder, language], [listen_status], api_name="voice_check").then(
            None, None, [browser_mic], js=BROWSER_MIC_JS).then(
            show_controls, [folder, language, browser_mic], availability_targets, api_visibility="private")
        folder.submit(on_check, [folder, language], [listen_status], api_visibility="private").then(
            show_controls, [folder, language, browser_mic], availability_targets, api_visibility="private")
        # A new folder or language is checked at once: a folder that holds the model turns listening back on.
        for changed in (folder.change, language.change):
            changed(show_controls, [folder, language, browser_mic], availability_targets, api_visibility="private",
                    show_progress="hidden")

        # -- remembered settings ------------------------------------------------
        voice.input(lambda v: ctx.config.update(speech_voice=v or ""), [voice], None, api_visibility="private",
                    queue=False)
        rate.release(lambda r: ctx.config.update(speech_rate=_rate(r) or 0), [rate], None, api_visibility="private",
                     queue=False)
        read_aloud.input(lambda on: ctx.config.update(read_aloud=bool(on)), [read_aloud], None,
                         api_visibility="private", queue=False)

        def retry_cues(tab: TabSession, on: bool) -> None:
            if on:
                self.voice_tab(tab).cues.reset()  # a device plugged in since is tried again

        if sounds is not None:
            sounds.input(retry_cues, [ctx.session, sounds], None, api_visibility="private", queue=False)

        def on_load(browser: str | None) -> tuple[Any, ...]:
            config = ctx.config.load()
            folder_text = config.vosk_dir or str(default_vosk_dir())
            try:
                info = self._catalog.info()
            except VoiceError as exc:
                engine_note = f"\u26a0\ufe0f Read aloud is not available: {exc}"
                picker = gr.Dropdown(choices=[], value=None)
                speed: Any = gr.skip()
            else:
                choices = voice_choices(info.voices)
                picker = gr.Dropdown(choices=choices, value=pick_voice(choices, config.speech_voice, info.default_voice))
                speed = _rate(config.speech_rate) or _rate(info.default_rate) or DEFAULT_RATE
                engine_note = f"Speech engine: {info.driver}, {len(choices)} voice(s) installed."
            return (picker, speed, tr(engine_note), config.read_aloud, folder_text,
                    *show_controls(folder_text, "English", browser))

        # The browser answers first, so every later check (this one, and each change of folder) knows its microphone.
        gr.on(triggers=None, fn=None, js=BROWSER_MIC_JS, outputs=[browser_mic], api_visibility="private",
              show_progress="hidden").then(
            on_load, [browser_mic], [voice, rate, engine, read_aloud, folder, *availability_targets],
            api_visibility="private", show_progress="hidden")

    # -- chain ----------------------------------------------------------------
    def chain_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def hooks(self, session: TabSession, values: Mapping[str, Any]) -> list[AnswerHook]:
        return []

    def run_parts(self, session: TabSession, values: Mapping[str, Any]) -> RunParts:
        read_aloud = bool(values.get("read_aloud"))
        cues = bool(values.get("sound_cues"))
        if not (read_aloud or cues):
            return RunParts()
        voice_state = self.voice_tab(session)
        return RunParts(watcher=VoiceRunWatcher(
            voice_state, session.control, read_aloud=read_aloud, cues=cues,
            voice_id=values.get("voice") or None, rate=_rate(values.get("speech_rate")),
        ))


def _no_problem() -> str | None:
    """The check for a microphone passed in by the caller: it is taken to be there."""
    return None
