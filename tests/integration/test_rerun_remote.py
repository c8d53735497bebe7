"""`samantha history rerun` runs a stored session the way `samantha run` does: remote servers, hub links."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from samantha.backends.base import Control, LoadOptions
from samantha.backends.openai_remote import OpenAIRemoteBackend
from samantha.backends.router import RouterBackend
from samantha.chain import run_chain
from samantha.history.db import HistoryDB
from samantha.history.recorder import Recorder
from samantha.hub.chain_models import HubModels
from samantha.run_spec import RunSpec
from samantha.settings import ChainSettings, Sampling
from samantha.tinymodel import write_tiny_gguf
from tests.support.llama_server import API_KEY, start_server

pytest_plugins = ["tests.support.fake_hub"]  # the fake_hub fixture


def test_rerun_of_a_session_with_a_remote_model_and_a_hub_link(fake_hub, tiny_model: Path, tmp_path: Path) -> None:
    linked = write_tiny_gguf(tmp_path / "linked.gguf", seed=21, name="linked")
    fake_hub.add_file("tester/tiny-GGUF", "tiny-linked-Q8_0.gguf", linked.read_bytes())
    link = f"{fake_hub.endpoint}/tester/tiny-GGUF/resolve/main/tiny-linked-Q8_0.gguf?download=true"
    models, config = tmp_path / "models", tmp_path / "config"
    models.mkdir()
    config.mkdir()
    (config / "settings.json").write_text(json.dumps({"models_dir": str(models)}))
    server = start_server(tiny_model, tmp_path / "server.log")
    try:
        settings = ChainSettings(models=(server.ref(), link), prompt="Say hi", seed=5,
                                 sampling=Sampling(n_ctx=256, max_tokens=6))
        backend = RouterBackend(remote=lambda: OpenAIRemoteBackend(API_KEY))
        with HistoryDB() as db:
            recorder = Recorder(db, RunSpec(settings, grammar=None, load_options=LoadOptions(n_ctx=256)), source="cli")
            try:
                for event in run_chain(settings, backend, Control(), prepare=HubModels(tmp_path / "first")):
                    recorder.apply(event)
            finally:
                backend.close()
            assert not recorder.problem and recorder.session_id is not None
        environment = {**os.environ, "SAMANTHA_CONFIG_DIR": str(config), "SAMANTHA_API_KEY": API_KEY}
        rerun = subprocess.run([sys.executable, "-m", "samantha", "history", "rerun", str(recorder.session_id)],
                               capture_output=True, text=True, timeout=300, env=environment, check=False)
    finally:
        server.stop()
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "model file not found" not in rerun.stdout + rerun.stderr
    assert rerun.stdout.count("same") >= 2 and "DIFFERS" not in rerun.stdout, rerun.stdout
    assert (models / "MODEL_FOR_TESTING.gguf").is_file()  # the app's model folder, not Downloads
