"""A stored session goes back into the page's inputs: the values rebuild the very same run request."""

from __future__ import annotations

from pathlib import Path

from samantha.backends.base import Control, LoadOptions
from samantha.backends.scripted import ScriptedBackend
from samantha.chain import run_chain
from samantha.history import HistoryDB, Recorder
from samantha.history.grid import build_grid
from samantha.run_spec import RunSpec
from samantha.settings import ChainSettings, Sampling
from samantha.ui.history_view import control_values, grid_html
from samantha.ui.inputs import build_request


def test_control_values_rebuild_the_stored_request(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + bytes(100))
    settings = ChainSettings(
        models=(str(model), str(model)), prompt="{temperature=0.5} one\ntwo", system="be brief", previous="hi",
        responses=2, loops=1, feedback=True, reset=True, prompt_format="chatml", seed=None,
        sampling=Sampling(n_ctx=512, max_tokens=30, top_k=7, stop=("\n\n", "###"), repeat_penalty=1.1),
    )
    info = RunSpec(settings, grammar='root ::= "x"\n', load_options=LoadOptions(n_ctx=512, n_threads=2, repack=True))
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        recorder = Recorder(db, info, source="ui")
        for event in run_chain(settings, ScriptedBackend(answers=["a b"] * 8), Control()):
            recorder.apply(event)
        stored = db.session(recorder.session_id or 0)
        values = control_values(stored)
        request = build_request({**values, "models_dir": str(tmp_path)})
        assert request.settings == stored.chain_settings()
        assert request.settings.seed == stored.summary.seed is not None  # the seed the run drew, not "random"
        assert request.grammar == info.grammar and request.load_options == info.load_options
        page = grid_html(build_grid(stored, "round"))
        assert "2 item(s) \u00d7 2 round column(s)" in page and page.count("a b") == 8
