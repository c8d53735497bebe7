"""Hub links as chain members: the real download code against the local hub stand-in, then real llama.cpp."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from samantha.backends.base import Control
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.events import AnswerFinished, Banner, ChainFailed, ChainFinished, Downloading, ModelLoaded, Notice
from samantha.hub.chain_models import HubModels, comes_back_after_another, is_hub_link
from samantha.settings import ChainSettings, Sampling
from samantha.tinymodel import write_tiny_gguf

pytest_plugins = ["tests.support.fake_hub"]  # the fake_hub fixture

SAMPLING = Sampling(n_ctx=256, max_tokens=5)


def serve_models(fake_hub, tmp_path: Path) -> tuple[str, str]:
    one = write_tiny_gguf(tmp_path / "one.gguf", seed=11, name="one")
    two = write_tiny_gguf(tmp_path / "two.gguf", seed=12, name="two")
    fake_hub.add_file("tester/tiny-GGUF", "tiny-one-Q8_0.gguf", one.read_bytes())
    fake_hub.add_file("tester/tiny-GGUF", "sub/tiny-two-F32.gguf", two.read_bytes())
    return (
        f"{fake_hub.endpoint}/tester/tiny-GGUF/resolve/main/tiny-one-Q8_0.gguf?download=true",
        "tester/tiny-GGUF:sub/tiny-two-F32.gguf",
    )


def run(settings: ChainSettings, models_dir: Path, keep: bool = False, control: Control | None = None) -> list:
    backend = LlamaProcessBackend()
    try:
        return list(run_chain(settings, backend, control or Control(), prepare=HubModels(models_dir, keep_files=keep)))
    finally:
        backend.close()


def test_links_download_then_answer_and_are_not_fetched_again(fake_hub, tmp_path: Path) -> None:
    first, _ = serve_models(fake_hub, tmp_path)
    models = tmp_path / "models"
    events = run(ChainSettings(models=(first,), prompt="hi", loops=2, sampling=SAMPLING), models)
    assert any(isinstance(e, Downloading) for e in events)
    records = [e.record for e in events if isinstance(e, AnswerFinished)]
    assert len(records) == 2 and records[0].model == first
    assert records[0].extra["model_file"] == str(models / "MODEL_FOR_TESTING.gguf")
    assert [e.model_name for e in events if isinstance(e, Banner)][0] == "tiny-one-Q8_0.gguf"
    assert len(fake_hub.file_requests("tiny-one-Q8_0.gguf")) == 1
    again = run(ChainSettings(models=(first,), prompt="hi", sampling=SAMPLING), models)
    assert all(e.done == e.total for e in again if isinstance(e, Downloading)), "at most a finished bar"
    assert len([e for e in again if isinstance(e, AnswerFinished)]) == 1
    assert len(fake_hub.file_requests("tiny-one-Q8_0.gguf")) == 1


def test_two_links_replace_model_for_testing_and_the_backend_reloads(fake_hub, tmp_path: Path) -> None:
    first, second = serve_models(fake_hub, tmp_path)
    events = run(ChainSettings(models=(first, second), prompt="hi", sampling=SAMPLING), tmp_path / "models")
    assert sum(isinstance(e, ModelLoaded) for e in events) == 2
    assert [Path(e.record.extra["model_file"]).name for e in events if isinstance(e, AnswerFinished)] == [
        "MODEL_FOR_TESTING.gguf", "MODEL_FOR_TESTING.gguf"]
    assert sorted(p.name for p in (tmp_path / "models").glob("*.gguf")) == ["MODEL_FOR_TESTING.gguf"]


def test_keep_downloads_keeps_the_original_names(fake_hub, tmp_path: Path) -> None:
    first, second = serve_models(fake_hub, tmp_path)
    run(ChainSettings(models=(first, second), prompt="hi", sampling=SAMPLING), tmp_path / "models", keep=True)
    assert sorted(p.name for p in (tmp_path / "models").glob("*.gguf")) == ["tiny-one-Q8_0.gguf", "tiny-two-F32.gguf"]


def test_keep_downloads_never_replaces_the_users_own_file_of_that_name(fake_hub, tmp_path: Path) -> None:
    first, _ = serve_models(fake_hub, tmp_path)
    models = tmp_path / "models"
    models.mkdir()
    mine = models / "tiny-one-Q8_0.gguf"
    mine.write_bytes(b"GGUF my own fine-tune, not from the hub")
    for _ in range(2):  # the second run finds the free name again instead of downloading once more
        events = run(ChainSettings(models=(first,), prompt="hi", sampling=SAMPLING), models, keep=True)
        assert [e for e in events if isinstance(e, AnswerFinished)], [e for e in events if isinstance(e, ChainFailed)]
    assert mine.read_bytes() == b"GGUF my own fine-tune, not from the hub"
    saved = models / "tiny-one-Q8_0-2.gguf"
    assert saved.read_bytes()[:4] == b"GGUF" and saved.stat().st_size > 1000
    record = next(e.record for e in events if isinstance(e, AnswerFinished))
    assert record.extra["model_file"] == str(saved)
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("Samantha did not download" in n and "tiny-one-Q8_0-2.gguf" in n for n in notices), notices
    assert len(fake_hub.file_requests("tiny-one-Q8_0.gguf")) == 1


def test_a_bad_link_is_reported_and_the_chain_goes_on(fake_hub, tmp_path: Path) -> None:
    first, _ = serve_models(fake_hub, tmp_path)
    missing = f"{fake_hub.endpoint}/tester/tiny-GGUF/resolve/main/absent.gguf"
    events = run(ChainSettings(models=(missing, first), prompt="hi", sampling=SAMPLING), tmp_path / "models")
    [error] = [e for e in events if isinstance(e, ChainFailed)]
    assert "absent.gguf" in error.message or "not found" in error.message.lower()
    assert len([e for e in events if isinstance(e, AnswerFinished)]) == 1


def test_stop_all_cancels_a_download_within_a_second(fake_hub, tmp_path: Path) -> None:
    first, _ = serve_models(fake_hub, tmp_path)
    fake_hub.stall(after=1000, seconds=30)
    control = Control()
    stopped_at: list[float] = []

    def stop_when_downloading() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list((tmp_path / "models").rglob("*.part")):
            time.sleep(0.05)
        time.sleep(0.3)
        stopped_at.append(time.monotonic())
        control.stop_all()

    threading.Thread(target=stop_when_downloading, daemon=True).start()
    events = run(ChainSettings(models=(first,), prompt="hi", sampling=SAMPLING), tmp_path / "models", control=control)
    assert time.monotonic() - stopped_at[0] < 1.0
    assert events[-1] == ChainFinished("stopped", 0)
    assert not (tmp_path / "models" / "MODEL_FOR_TESTING.gguf").exists()


def test_is_hub_link() -> None:
    assert is_hub_link("https://huggingface.co/a/b/resolve/main/c.gguf?download=true")
    assert is_hub_link("owner/repo:file.gguf")
    assert not is_hub_link("openai+http://127.0.0.1:8080/v1#m")
    assert not is_hub_link("/models/local.gguf")


def test_samantha_run_url(fake_hub, tmp_path: Path) -> None:
    first, second = serve_models(fake_hub, tmp_path)
    links = tmp_path / "links.txt"
    links.write_text(f"--- {first}\n{second}\n")
    result = subprocess.run(
        [sys.executable, "-m", "samantha", "run", "--url", first, "--urls-file", str(links), "--prompt", "hi",
         "--models-dir", str(tmp_path / "models"), "--set", "max_tokens=3", "--set", "n_ctx=256"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "1) tiny-one-Q8_0.gguf" in result.stdout and "2) tiny-two-F32.gguf" in result.stdout
    assert "downloading tiny-one-Q8_0.gguf" in result.stderr
    bad = subprocess.run([sys.executable, "-m", "samantha", "run", "--url", "https://example.org/x.txt", "--prompt", "hi"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Line 1" in bad.stderr


def test_a_chain_that_comes_back_to_a_link_downloads_each_link_once(fake_hub, tmp_path: Path) -> None:
    first, second = serve_models(fake_hub, tmp_path)
    models = tmp_path / "models"
    events = run(ChainSettings(models=(first, second), prompt="hi", loops=3, sampling=SAMPLING), models)
    assert len([e for e in events if isinstance(e, AnswerFinished)]) == 6
    assert len(fake_hub.file_requests("tiny-one-Q8_0.gguf")) == 1  # not once per loop
    assert len(fake_hub.file_requests("tiny-two-F32.gguf")) == 1
    assert sorted(p.name for p in models.glob("*.gguf")) == ["tiny-one-Q8_0.gguf", "tiny-two-F32.gguf"]
    [notice] = [e for e in events if isinstance(e, Notice) and "comes back" in e.message]
    assert "2 downloaded model(s)" in notice.message and str(models) in notice.message


def test_only_links_needed_again_after_another_count() -> None:
    assert comes_back_after_another(["a", "a", "b", "b"]) == []  # one after the other: MODEL_FOR_TESTING serves
    assert comes_back_after_another(["a", "b", "a", "b"]) == ["a", "b"]
    assert comes_back_after_another(["a", "b", "c", "b"]) == ["b"]


def test_stop_all_ends_a_download_whose_hub_does_not_answer(fake_hub, tmp_path: Path) -> None:
    first, _ = serve_models(fake_hub, tmp_path)
    fake_hub.head_delay = 20.0  # the hub takes the request and says nothing
    control = Control()
    threading.Timer(0.5, control.stop_all).start()
    started = time.monotonic()
    events = run(ChainSettings(models=(first,), prompt="hi", sampling=SAMPLING), tmp_path / "models", control=control)
    assert time.monotonic() - started < 5, "Stop all must not wait for the hub's answer"
    assert events[-1] == ChainFinished("stopped", 0)
    fake_hub.head_delay = 0.0
