"""RunSpec: one value for a run, stored by the history and read back in every form the history has written."""

from __future__ import annotations

from pathlib import Path

from samantha.backends.base import Control, LoadOptions
from samantha.backends.scripted import ScriptedBackend
from samantha.chain import run_chain
from samantha.events import AnswerStarted, ChainFinished, Event, RunObserver, Token
from samantha.history import HistoryDB, Recorder
from samantha.run_spec import CodeOptions, DownloadOptions, LearningOptions, RunSpec, VoiceOptions
from samantha.settings import ChainSettings, Sampling


def test_a_session_stored_before_runspec_still_reads_with_defaults_for_the_rest(tmp_path: Path) -> None:
    old_run_info = {"grammar": 'root ::= "x"\n', "load_options": {"n_ctx": 512, "n_threads": 2, "repack": False},
                    "links": "https://huggingface.co/a/b/resolve/main/c.gguf"}
    settings = {"models": ["/m/a.gguf"], "prompt": "hi", "feedback": True, "sampling": {"top_k": 7}}
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        number = db.start_session(source="ui", settings=settings, run_info=old_run_info, seed=9, steps=1, items=[])
        spec = db.session(number).run_spec()
    assert spec.settings.models == ("/m/a.gguf",) and spec.settings.feedback and spec.settings.sampling.top_k == 7
    assert spec.settings.seed == 9  # the seed the run used, so it runs again the same way
    assert spec.grammar == 'root ::= "x"\n' and spec.links.endswith("c.gguf")
    assert spec.load_options == LoadOptions(n_ctx=512, n_threads=2, repack=False)
    assert (spec.downloads, spec.code, spec.learning, spec.voice) == \
        (DownloadOptions(), CodeOptions(), LearningOptions(), VoiceOptions())


def test_the_history_stores_the_whole_runspec_and_gives_it_back(tmp_path: Path) -> None:
    spec = RunSpec(
        ChainSettings(models=("/m/a.gguf",), prompt="one", seed=4, run_code=True, sampling=Sampling(max_tokens=9)),
        load_options=LoadOptions(n_ctx=256, n_threads=1), grammar=None, links="",
        downloads=DownloadOptions(models_dir="/models", keep_files=True),
        code=CodeOptions(runner="/venv", timeout=5.0, workdir="/work", keep_workdir=True),
        learning=LearningOptions(pace=0.5), voice=VoiceOptions(read_aloud=True, voice="en", rate=150),
    )
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        recorder = Recorder(db, spec, source="cli")
        for event in run_chain(spec.settings, ScriptedBackend(answers=["a"]), Control()):
            recorder.apply(event)
        assert recorder.session_id is not None and not recorder.problem
        assert db.session(recorder.session_id).run_spec() == spec
    assert RunSpec.from_dict(spec.to_dict()) == spec


def test_stored_keys_this_version_does_not_know_are_ignored() -> None:
    spec = RunSpec.from_stored({"models": ["m"], "future_switch": True},
                               {"code": {"timeout": 3.0, "sandbox": "new"}, "load_options": {"gpu": 1}})
    assert spec.code == CodeOptions(timeout=3.0) and spec.load_options == LoadOptions()


def test_an_observer_overrides_only_the_events_it_needs() -> None:
    class Tokens(RunObserver):
        def __init__(self) -> None:
            self.seen: list[str] = []

        def on_token(self, event: Token) -> None:
            self.seen.append(event.text)

    tokens = Tokens()
    events: list[Event] = [AnswerStarted(1, "x"), Token("a"), Token("b"), ChainFinished("done", 1)]
    for event in events:
        tokens.apply(event)  # the others go to the base class's handlers, which do nothing
    assert tokens.seen == ["a", "b"]
