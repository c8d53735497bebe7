"""Per-tab sessions, the shared model host and the throttled chain stream (scripted backend).

The same paths run against real llama.cpp in tests/integration/test_ui_api.py.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path

import pytest

from samantha.backends.base import Control, LoadOptions
from samantha.backends.scripted import ScriptedBackend
from samantha.events import (
    AnswerFinished,
    AnswerRecord,
    Banner,
    ChainFailed,
    ChainFinished,
    ChainStarted,
    Downloading,
    Notice,
    Token,
)
from samantha.model_host import ModelHost
from samantha.run_spec import RunSpec
from samantha.settings import ChainSettings
from samantha.transcript import banner_text, start_separator, stats_line
from samantha.transcript_writer import ERROR_MARK, NOTICE_MARK, TranscriptWriter
from samantha.ui.session import AnswerEntry, SessionBusy, TabSession
from samantha.ui.streaming import ChainStream, Throttle

WAIT = 30.0


def record(answer: str = "Hi there", **changes: object) -> AnswerRecord:
    data: dict = dict(
        model="/m/a.gguf", model_name="a.gguf", model_position=1, item_number=1, item_text="Hello", round=1, loop=1,
        settings={}, random_values=None, prompt="p", answer=answer, prompt_tokens=5, answer_tokens=2,
        load_seconds=0.5, prompt_seconds=0.1, generation_seconds=0.2, finish_reason="eos",
    )
    data.update(changes)
    return AnswerRecord(**data)


# -- TabSession ---------------------------------------------------------------

def test_session_survives_gradio_state_copies() -> None:
    session = TabSession()
    assert copy.deepcopy(session) is session


def test_one_chain_per_tab_and_stop_reaches_it() -> None:
    session = TabSession()
    assert session.stop_all() is False  # nothing runs: nothing to stop
    control = session.begin_run()
    with pytest.raises(SessionBusy, match="already running"):
        session.begin_run()
    assert session.stop_next() and control.next_requested and not control.all_stopped
    assert session.stop_all() and control.all_stopped
    with pytest.raises(SessionBusy, match="Stop all first"):
        session.clear_history()
    session.end_run()
    fresh = session.begin_run()
    assert fresh is not control and not fresh.all_stopped


def test_answers_and_clear_history() -> None:
    session = TabSession()
    session.add_answer(AnswerEntry("a.gguf", 1, 1, 1, 1, "one"))
    session.add_answer(AnswerEntry("b.gguf", 2, 1, 2, 1, "two"))
    session.set_previous("two")
    assert session.last_answer == "two" and session.all_answers_text() == "one\n\ntwo"
    assert session.answers[1].title == "2) b.gguf, item 1 (loop 1, response 2)"
    session.clear_history()
    assert session.answers == [] and session.previous == "" and session.last_answer == ""


# -- TranscriptWriter -----------------------------------------------------------

def test_transcript_uses_the_shared_banner_and_stats_lines() -> None:
    writer = TranscriptWriter(text="earlier text")
    banner = Banner("/m/a.gguf", "a.gguf", 1, 1, 1)
    done = record()
    for event in (ChainStarted(7, 1), banner, Token("Hi"), Token(" there"), AnswerFinished(done),
                  Notice("heads up"), ChainFailed("a.gguf: broken"), ChainFinished("done", 1)):
        writer.apply(event)
    # The earlier Start's text stays, and a rule with the new seed says where this Start begins.
    assert writer.text.startswith("earlier text\n\n" + start_separator(7, 1) + "\n" + banner_text(banner)
                                  + "Hi there\n" + stats_line(done))
    assert f"{NOTICE_MARK} heads up\n" in writer.text and f"{ERROR_MARK} a.gguf: broken\n" in writer.text
    assert writer.status.startswith("Done: 1 answer(s), seed 7") and "1 error(s)" in writer.status


def test_a_remote_answer_without_usage_does_not_claim_a_zero_token_prompt() -> None:
    from dataclasses import replace

    remote = replace(record(), prompt_tokens=0, extra={"remote": {"server": "http://s:8000/v1"}})
    assert "prompt in " in stats_line(remote) and "prompt 0 tokens" not in stats_line(remote)
    local = replace(record(), prompt_tokens=12)
    assert "prompt 12 tokens in " in stats_line(local)


def test_fast_mode_writes_whole_answers_only() -> None:
    writer = TranscriptWriter(fast=True)
    writer.apply(Banner("/m/a.gguf", "a.gguf", 1, 1, 1))
    writer.apply(AnswerFinished(record("Complete answer")))
    assert "Complete answer\n----------" in writer.text


# -- Throttle ----------------------------------------------------------------------

def test_throttle_allows_one_update_per_interval() -> None:
    now = [0.0]
    throttle = Throttle(0.1, clock=lambda: now[0])
    due = []
    for _ in range(100):  # 100 events 5 ms apart = 0.5 s
        due.append(throttle.due())
        now[0] += 0.005
    assert sum(due) == 5 and due[0]


def test_throttle_updates_a_long_transcript_less_often() -> None:
    now = [0.0]
    throttle = Throttle(0.1, clock=lambda: now[0])
    due = []
    for _ in range(100):  # 0.5 s with 50,000 characters on the page: one update every 0.25 s
        due.append(throttle.due(50_000))
        now[0] += 0.005
    assert sum(due) == 2 and due[0]


# -- ModelHost -----------------------------------------------------------------------

def test_host_lends_the_backend_to_one_chain_at_a_time_in_order() -> None:
    host = ModelHost(ScriptedBackend)
    first = host.acquire(Control())
    assert first is not None and host.busy
    order: list[str] = []
    positions: list[int] = []
    started = threading.Event()

    def waiter(name: str) -> None:
        started.set()
        backend = host.acquire(Control(), positions.append if name == "b" else None)
        order.append(name)
        assert backend is first
        host.release()

    b = threading.Thread(target=waiter, args=("b",))
    b.start()
    assert started.wait(WAIT)
    while host.waiting < 1:
        threading.Event().wait(0.01)
    c = threading.Thread(target=waiter, args=("c",))
    c.start()
    while host.waiting < 2:
        threading.Event().wait(0.01)
    assert host.unload() is False  # busy: a chain is using it
    host.release()
    b.join(WAIT)
    c.join(WAIT)
    assert order == ["b", "c"] and positions and positions[0] == 1
    assert host.unload() is True


def test_waiting_chain_can_be_stopped() -> None:
    host = ModelHost(ScriptedBackend)
    assert host.acquire(Control()) is not None
    control = Control()
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(host.acquire(control)))
    thread.start()
    while host.waiting < 1:
        threading.Event().wait(0.01)
    control.stop_all()
    thread.join(WAIT)
    assert result == [None] and host.waiting == 0
    host.release()
    assert host.acquire(Control()) is not None  # the line is free again


# -- ChainStream -----------------------------------------------------------------------

def request(models: tuple[str, ...], **settings: object) -> RunSpec:
    return RunSpec(ChainSettings(models=models, seed=3, **settings), LoadOptions(), None)  # type: ignore[arg-type]


def test_stream_fills_transcript_session_and_feedback() -> None:
    backend = ScriptedBackend(answers=["first answer", "second answer"])
    host = ModelHost(lambda: backend)
    session = TabSession()
    control = session.begin_run()
    stream = ChainStream(host, session, control,
                         request(("/m/a.gguf",), prompt="one\ntwo", previous="typed", feedback=True), "")
    views = list(stream)
    last = views[-1]
    assert last.finished and last.phase == "done" and not session.running
    assert "1) a.gguf" in last.transcript and "first answer" in last.transcript and "second answer" in last.transcript
    assert last.transcript.count("---------- (") == 2
    assert [a.text for a in session.answers] == ["first answer", "second answer"]
    assert session.previous == "second answer"
    assert "typed" in backend.prompts[0][1] and "first answer" in backend.prompts[1][1]


def test_stream_keeps_what_a_hook_fed_back_as_the_previous_response() -> None:
    from samantha.chain import HookOutcome

    class AppendOutput:
        def after_answer(self, record: object, control: Control) -> HookOutcome:
            return HookOutcome(feedback="answer\n\nPython output:\n42")

    backend = ScriptedBackend(answers=["answer"])
    session = TabSession()
    stream = ChainStream(ModelHost(lambda: backend), session, session.begin_run(),
                         request(("/m/a.gguf",), prompt="one", feedback=True), "", hooks=[AppendOutput()])
    list(stream)
    assert session.previous == "answer\n\nPython output:\n42"


def test_stream_reports_failures_and_keeps_transcript() -> None:
    backend = ScriptedBackend(answers=["fine"], broken={"/m/bad.gguf"})
    session = TabSession()
    control = session.begin_run()
    views = list(ChainStream(ModelHost(lambda: backend), session, control,
                             request(("/m/bad.gguf", "/m/good.gguf")), "kept"))
    last = views[-1]
    assert last.transcript.startswith("kept")
    assert f"{ERROR_MARK} bad.gguf: cannot load bad.gguf" in last.transcript and "fine" in last.transcript
    assert last.phase == "error"


def test_stream_turns_an_unexpected_exception_into_a_message() -> None:
    def explode() -> ScriptedBackend:
        raise RuntimeError("backend factory failed")

    session = TabSession()
    views = list(ChainStream(ModelHost(explode), session, session.begin_run(), request(("/m/a.gguf",)), ""))
    assert views[-1].phase == "error" and "backend factory failed" in views[-1].transcript
    assert not session.running


def test_stream_waits_in_line_and_stops_while_waiting() -> None:
    host = ModelHost(ScriptedBackend)
    assert host.acquire(Control()) is not None  # another tab's chain holds the model
    session = TabSession()
    control = session.begin_run()
    views = iter(ChainStream(host, session, control, request(("/m/a.gguf",)), ""))
    seen = next(views)
    while seen.phase != "waiting":
        seen = next(views)
    assert "Waiting for the model" in seen.status
    session.stop_all()
    rest = list(views)
    assert rest[-1].phase == "stopped" and "Stopped while waiting" in rest[-1].status
    assert not session.running
    host.release()


def test_links_without_a_download_feature_are_an_error(tmp_path: Path) -> None:
    session = TabSession()
    req = RunSpec(ChainSettings(), LoadOptions(), None, links="https://huggingface.co/a/b/resolve/main/c.gguf")
    views = list(ChainStream(ModelHost(ScriptedBackend), session, session.begin_run(), req, ""))
    assert views[-1].phase == "error" and "not available" in views[-1].transcript


class LinkPreparer:
    """A ModelPreparer that "downloads" link entries by reporting progress and naming a local file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.prepared: list[str] = []

    def handles(self, ref: str) -> bool:
        return ref.startswith("link:")

    def plan(self, models: list[str]) -> None:
        pass

    def prepare(self, ref: str, control: Control):  # type: ignore[no-untyped-def]
        self.prepared.append(ref)
        yield Downloading(ref, "m.gguf", 50, 100, 10.0, 5.0)
        return str(self.folder / "MODEL_FOR_TESTING.gguf")


class Recorder:
    """A RunWatcher that keeps every event and shows how many it saw."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def apply(self, event: object) -> None:
        self.events.append(event)

    def view(self, finished: bool) -> list[object]:
        return [len(self.events), finished]


def test_links_are_chain_members_prepared_by_the_chain_and_watchers_see_every_event(tmp_path: Path) -> None:
    backend = ScriptedBackend(answers=["downloaded model speaks"])
    session = TabSession()
    preparer, watcher = LinkPreparer(tmp_path), Recorder()
    req = RunSpec(ChainSettings(models=("link:one",), seed=1), LoadOptions(), None, links="link:one")
    views = list(ChainStream(ModelHost(lambda: backend), session, session.begin_run(), req, "",
                             prepare=preparer, watchers=[watcher]))
    assert preparer.prepared == ["link:one"] and "downloaded model speaks" in views[-1].transcript
    assert backend.loads[0][0] == str(tmp_path / "MODEL_FOR_TESTING.gguf")
    assert [type(e).__name__ for e in watcher.events][:3] == ["ChainStarted", "Banner", "Downloading"]
    assert isinstance(watcher.events[-1], ChainFinished) and views[-1].finished
