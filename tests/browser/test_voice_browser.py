"""The voice panel in headless Chromium against the real app (real llama.cpp, real eSpeak NG): read the last
answer into a playable audio element, a spoken command (recorded speech, recogniser stand-in) that fills the
prompt and presses Start, Stop all silencing the speech, listening controls that cannot work turned off with the
reason drawn next to them, and one switch for sounds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from feature_app import open_feature_tab
from ui_pages import WAIT_MS, field, set_grammar, status, transcript, wait_for_page, wait_until

from samantha.tinymodel import grammar_for_text
from samantha.ui.voice_panel import VoicePlugin
from tests.support.app_server import RunningApp, serve_app
from tests.support.voice_standins import ScriptedVoice, fake_vosk_model, speak_to_wav

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="eSpeak NG is not installed"),
]

ANSWER = "The **capital** of France is Paris, a city on the river Seine."
HEARD_PROMPT = "what is the capital of france"


@pytest.fixture(scope="module")
def app(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    work = tmp_path_factory.mktemp("voice-browser")
    recording = speak_to_wav(work / "commands.wav", [f"OK, {HEARD_PROMPT}?", "Samantha close"])
    scripted = ScriptedVoice(recording, [f"ok {HEARD_PROMPT}", "samantha close"])
    plugin = VoicePlugin(recognizers=scripted.recognizer, microphone=scripted.microphone)
    with serve_app(ui_models, work, [plugin]) as running:
        yield running


def player_duration(page: Any) -> float:
    value = page.evaluate(
        "() => { const a = document.querySelector('#voice-player audio'); return a ? a.duration : 0; }"
    )
    return float(value or 0)


def use_vosk_folder(page: Any, folder: Path) -> None:
    open_feature_tab(page, "Voice")
    # The voice tab fills in the remembered folder when the page loads (and its status line with it);
    # typed before that arrives, the folder would be replaced by the one the previous test left.
    wait_until(lambda: page.locator("#voice-listen-status").inner_text().strip() != "", "the voice tab to load")
    box = field(page, "vosk-dir")
    box.fill(str(folder))


def test_read_last_answer_plays_speech_and_stop_all_pauses_it(feature_tab: Any) -> None:
    page = feature_tab()
    field(page, "model-list").fill("tiny-chatml.gguf")
    set_grammar(page, grammar_for_text(ANSWER))
    prompt = field(page, "user-prompt")
    prompt.fill("Where is Paris?")
    prompt.press("Enter")
    wait_until(lambda: "Done" in status(page), "the chain to finish")
    assert ANSWER in transcript(page)

    open_feature_tab(page, "Voice")
    page.click("#voice-read-last")
    wait_until(lambda: "Reading the last answer" in page.locator("#voice-note").inner_text(), "the speech")
    wait_until(lambda: player_duration(page) > 0, "the audio element to load")
    assert 2.0 < player_duration(page) < 20.0  # eleven words at 175 words per minute, symbols not read
    page.click("#stop-all-button")
    wait_until(lambda: page.evaluate("() => window.samantha.speechPaused || 0") >= 1, "the speech to be paused")
    assert page.evaluate("() => document.querySelector('#voice-player audio').paused")


def test_a_spoken_command_fills_the_prompt_and_presses_start(feature_tab: Any, app: RunningApp, tmp_path: Path) -> None:
    page = feature_tab()
    field(page, "model-list").fill("tiny-chatml.gguf")
    set_grammar(page, grammar_for_text(ANSWER))
    use_vosk_folder(page, fake_vosk_model(tmp_path / "vosk"))
    page.click("#voice-listen")
    wait_until(lambda: ANSWER in transcript(page), "the spoken prompt's answer")
    assert field(page, "user-prompt").input_value() == HEARD_PROMPT
    listen_status = page.locator("#voice-listen-status")
    wait_until(lambda: "Stopped listening (close command)" in listen_status.inner_text(), "the close command")


def recorder_buttons(page: Any) -> int:
    """How many Record buttons the page's microphone shows (none while it is turned off)."""
    return int(page.locator("#voice-page-mic button", has_text="Record").count())


def test_without_a_vosk_model_listening_is_off_and_the_panel_says_what_is_missing(
        feature_tab: Any, tmp_path: Path) -> None:
    page = feature_tab()
    empty = tmp_path / "no-models"
    use_vosk_folder(page, empty)
    listen_status = page.locator("#voice-listen-status")
    wait_until(lambda: str(empty) in listen_status.inner_text(), "the status of the new folder")
    text = listen_status.inner_text()
    assert "cannot listen yet" in text
    assert f"No English voice-command model in {empty}" in text and "samantha voice setup" in text
    assert page.locator("#voice-listen").is_disabled()
    assert recorder_buttons(page) == 0  # the page's recorder is off too: it needs the model as well

    use_vosk_folder(page, fake_vosk_model(tmp_path / "vosk"))  # the model arrives: both come back
    wait_until(lambda: page.locator("#voice-listen").is_enabled(), "Start listening to be on again")
    assert "cannot listen yet" not in listen_status.inner_text()


def test_a_browser_without_a_microphone_turns_the_pages_recorder_off_and_says_why(
        browser: Any, app: RunningApp, tmp_path: Path) -> None:
    """The page records with the browser's microphone, so the browser's answer decides, not the server's devices."""
    app.config.update(models_dir=str(app.models.resolve()), click_sounds=False)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script("navigator.mediaDevices.enumerateDevices = async () => [];")  # no microphone here
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(app.url)
        page.wait_for_selector("#start-button")
        use_vosk_folder(page, fake_vosk_model(tmp_path / "vosk"))
        listen_status = page.locator("#voice-listen-status")
        wait_until(lambda: "this browser reports no microphone" in listen_status.inner_text(), "the reason")
        assert "The page's microphone is off" in listen_status.inner_text()
        assert recorder_buttons(page) == 0
        assert page.locator("#voice-listen").is_enabled()  # this computer's microphone (a stand-in) still listens
    finally:
        context.close()


def test_one_switch_for_sounds(feature_tab: Any) -> None:
    """Clicks in the page and the tones as answers start and end: one "Sounds" switch, none in the Voice tab."""
    page = feature_tab()
    open_feature_tab(page, "Voice")
    labels = page.locator("label:has(input[type=checkbox])").all_inner_texts()
    assert [label.strip() for label in labels if "sound" in label.lower()] == ["Sounds"]
    assert page.locator("#sound-cues").count() == 0


def test_the_pages_microphone_records_a_command_that_starts_the_chain(
    browser: Any, app: RunningApp, tmp_path: Path
) -> None:
    """Chromium's fake microphone plays the recorded commands into the page's recorder."""
    from ui_pages import CHROMIUM, CHROMIUM_ARGS

    recording = speak_to_wav(tmp_path / "clip.wav", [f"OK, {HEARD_PROMPT}?", "Samantha close"])
    fake_microphone = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                       f"--use-file-for-fake-audio-capture={recording}"]
    chromium = browser.browser_type.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + fake_microphone)
    try:
        app.config.update(models_dir=str(app.models.resolve()), click_sounds=False)
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        context.grant_permissions(["microphone"], origin=app.url.rstrip("/"))
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(app.url)
        wait_for_page(page)
        field(page, "model-list").fill("tiny-chatml.gguf")
        set_grammar(page, grammar_for_text(ANSWER))
        use_vosk_folder(page, fake_vosk_model(tmp_path / "vosk"))
        page.locator("#voice-page-mic button", has_text="Record").first.click()
        stop = page.locator("#voice-page-mic button", has_text="Stop").first
        stop.wait_for()
        page.wait_for_timeout(6000)  # the fake device plays the recording (about 4 s) while recording
        stop.click()
        try:
            wait_until(lambda: ANSWER in transcript(page), "the answer to the recorded prompt")
        except AssertionError as exc:  # say what the voice panel heard, so a failure can be understood
            heard = page.locator("#voice-listen-status").inner_text()
            raise AssertionError(f"{exc}; the voice panel says: {heard!r}; prompt: "
                                 f"{field(page, 'user-prompt').input_value()!r}; status: {status(page)!r}") from exc
        assert field(page, "user-prompt").input_value() == HEARD_PROMPT
    finally:
        chromium.close()
