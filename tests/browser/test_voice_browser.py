"""The voice panel in headless Chromium against the real app (real llama.cpp, real eSpeak NG): read the last
answer into a playable audio element, a spoken command (recorded speech, recogniser stand-in) that fills the
prompt and presses Start, Stop all silencing the speech, and the message when no Vosk model is there."""

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


def test_without_a_vosk_model_the_panel_says_what_is_missing(feature_tab: Any, tmp_path: Path) -> None:
    page = feature_tab()
    empty = tmp_path / "no-models"
    use_vosk_folder(page, empty)
    page.click("#voice-listen")
    listen_status = page.locator("#voice-listen-status")
    wait_until(lambda: "cannot listen yet" in listen_status.inner_text(), "the missing-model message")
    text = listen_status.inner_text()
    assert f"No 'en' voice-command model in {empty}" in text and "samantha voice setup" in text


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
