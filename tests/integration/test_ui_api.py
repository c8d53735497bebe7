"""The real app (real llama.cpp worker, tiny generated models) driven through its API with gradio_client.

Covers what needs no browser: a chain run returns the transcript with banner and
stats line; bad input returns a message and leaves the app working; stop,
history, replace, unload, model card and vocabulary.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

gradio_client = pytest.importorskip("gradio_client")

from samantha.settings import Sampling  # noqa: E402
from samantha.tinymodel import SMOLLM2_DEFAULT_SYSTEM, SMOLLM2_TEMPLATE, grammar_for_text, write_tiny_gguf  # noqa: E402
from tests.support.app_server import serve_app  # noqa: E402

WAIT_SECONDS = 120.0
FORCED = "Love is a fire that burns in the chest."


def start_values(folder: Path, **changes: Any) -> dict[str, Any]:
    """Every Start argument, with the page's defaults."""
    defaults = Sampling()
    values: dict[str, Any] = {
        "transcript": "", "models_dir": str(folder), "include_subfolders": False, "model_list": "", "links": "",
        "system": "", "previous": "", "prompt": "Hello", "responses": 1, "loops": 1,
        "feedback": False, "cumulative": False, "single": False, "reset": False, "shuffle": False,
        "random_params": False, "fast": False, "prompt_format": "auto", "user_name": "", "assistant_name": "",
        "n_ctx": 2048, "max_tokens": 200, "top_k": defaults.top_k, "seed": "",
        "temperature": defaults.temperature, "tfs_z": defaults.tfs_z, "top_p": defaults.top_p, "min_p": defaults.min_p,
        "typical_p": defaults.typical_p, "presence_penalty": defaults.presence_penalty,
        "frequency_penalty": defaults.frequency_penalty, "repeat_penalty": defaults.repeat_penalty,
        "stop": "", "threads": 0, "repack": False, "grammar": "",
    }
    values.update(changes)
    return values


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ui-models")
    tiny = write_tiny_gguf(folder / "tiny-chatml.gguf", seed=1, name="tiny-chatml")
    write_tiny_gguf(folder / "long-context.gguf", seed=1, name="long", context_length=65536)
    write_tiny_gguf(folder / "smollm-template.gguf", seed=4, chat_template=SMOLLM2_TEMPLATE, eos_token="<|im_end|>",
                    name="smollm-like")
    data = tiny.read_bytes()
    (folder / "broken.gguf").write_bytes(data[: len(data) // 3])
    return folder


@pytest.fixture(scope="module")
def app_url(models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_app(models, tmp_path_factory.mktemp("ui-app")) as running:
        yield running.url


@pytest.fixture
def client(app_url: str) -> Any:
    """A new client is a new browser tab: its own session."""
    return gradio_client.Client(app_url, verbose=False)


def run(client: Any, folder: Path, **changes: Any) -> tuple[Any, ...]:
    return client.predict(**start_values(folder, **changes), api_name="/start")


def test_chain_returns_banner_answer_and_stats(client: Any, models: Path) -> None:
    transcript, status, last, all_answers, *_ = run(
        client, models, model_list="tiny-chatml.gguf", prompt="Write a sentence about love",
        grammar=grammar_for_text(FORCED),
    )
    assert transcript.startswith("=" * 42 + "\n1) tiny-chatml.gguf  (loop 1, response 1)\n" + "=" * 42 + "\n")
    assert FORCED + "\n---------- (" in transcript and "tokens/s" in transcript
    assert last == FORCED and all_answers == FORCED
    assert "Done: 1 answer(s)" in status


def test_each_answer_shows_the_prompt_its_model_saw(client: Any, models: Path) -> None:
    run(client, models, model_list="tiny-chatml.gguf", prompt="first item\nsecond item", system="Be brief",
        grammar=grammar_for_text("Two words."))
    pick, seen = client.predict(api_name="/prompt_list")  # what the page runs after Start
    # After the run the view lists every answer and shows the last one's prompt: the template's turns around
    # the system text and the item.
    assert pick["value"] == 2 and [title for title, _ in pick["choices"]] == [
        "#1 \u00b7 1) tiny-chatml.gguf, item 1 (loop 1, response 1)",
        "#2 \u00b7 1) tiny-chatml.gguf, item 2 (loop 1, response 1)",
    ]
    assert seen == ("<|im_start|>system\nBe brief<|im_end|>\n<|im_start|>user\nsecond item<|im_end|>\n"
                    "<|im_start|>assistant\n")
    first = client.predict(1, api_name="/prompt_seen")
    assert first.endswith("<|im_start|>user\nfirst item<|im_end|>\n<|im_start|>assistant\n")
    assert "did not type" not in first


def test_the_prompt_view_says_what_the_models_template_added(client: Any, models: Path) -> None:
    run(client, models, model_list="smollm-template.gguf", prompt="hi", grammar=grammar_for_text("Yo."))
    _, seen = client.predict(api_name="/prompt_list")
    assert seen.startswith("Note: the model's own chat template added text you did not type: "
                           f"\u201c{SMOLLM2_DEFAULT_SYSTEM}\u201d")
    assert seen.endswith(f"<|im_start|>system\n{SMOLLM2_DEFAULT_SYSTEM}<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
                         "<|im_start|>assistant\n")


def test_single_response_refuses_unpaired_items_before_running(client: Any, models: Path) -> None:
    transcript, status, *_ = run(client, models, transcript="kept", model_list="tiny-chatml.gguf", prompt="a\nb",
                                 single=True)
    assert transcript == "kept" and 'class="status error"' in status
    assert "Single response per model: model i answers item i only, but there are 2 prompt item(s) and 1 model(s)" \
        in status


def test_fast_mode_writes_whole_answers(client: Any, models: Path) -> None:
    transcript, status, last, *_ = run(client, models, model_list="tiny-chatml.gguf", fast=True, prompt="a\nb",
                                       grammar=grammar_for_text("Whole answer."))
    assert transcript.count("Whole answer.\n---------- (") == 2 and "Done: 2 answer(s)" in status


def test_two_models_chain_feedback_and_replace_response(client: Any, models: Path) -> None:
    transcript, _, last, all_answers, previous_now, *_ = run(
        client, models, model_list="tiny-chatml.gguf\nlong-context.gguf", prompt="one", feedback=True,
        grammar=grammar_for_text("same words"),
    )
    assert "1) tiny-chatml.gguf" in transcript and "2) long-context.gguf" in transcript
    assert transcript.count("---------- (") == 2 and all_answers == "same words\n\nsame words"
    assert previous_now == "same words"
    assert client.predict("typed by the user", api_name="/replace_response") == "same words"


def test_transcript_is_kept_and_clear_history_empties_it(client: Any, models: Path) -> None:
    first, *_ = run(client, models, model_list="tiny-chatml.gguf", grammar=grammar_for_text("first"))
    second, *_ = run(client, models, transcript=first, model_list="tiny-chatml.gguf",
                     grammar=grammar_for_text("second"))
    assert second.startswith(first) and "second" in second[len(first):]
    cleared = client.predict(api_name="/clear_history")
    assert cleared[0] == "" and cleared[2] == "" and cleared[3] == ""
    kept = client.predict("typed", api_name="/replace_response")  # no answer yet: a warning, the field unchanged
    assert kept == {"__type__": "update"}


def test_malformed_settings_give_a_message_and_keep_the_transcript(client: Any, models: Path) -> None:
    transcript, status, *_ = run(client, models, transcript="kept so far", model_list="tiny-chatml.gguf",
                                 prompt="fine\n{temprature=2} bad")
    assert transcript == "kept so far"
    assert "Prompt item 2" in status and "temprature" in status and 'class="status error"' in status
    # the app keeps working
    transcript, status, *_ = run(client, models, model_list="tiny-chatml.gguf", grammar=grammar_for_text("ok"))
    assert "Done" in status


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"model_list": "no-such-model.gguf"}, "model file not found: no-such-model.gguf"),
        ({"model_list": ""}, "no model chosen"),
        ({"model_list": "tiny-chatml.gguf", "stop": "__import__('os').system('echo hacked')"},
         "stop must be a list of strings"),
        ({"model_list": "", "links": "https://huggingface.co/a/b/resolve/main/c.gguf"}, "download feature"),
        ({"model_list": "tiny-chatml.gguf", "threads": -1}, "threads must be a whole number of at least 0"),
        ({"model_list": "tiny-chatml.gguf", "n_ctx": -5}, "n_ctx"),
        ({"model_list": "tiny-chatml.gguf", "responses": 0}, "number of responses"),
        ({"model_list": "tiny-chatml.gguf", "loops": 100000000}, "use at most 1,000,000"),
    ],
)
def test_bad_input_messages(client: Any, models: Path, changes: dict[str, Any], fragment: str) -> None:
    transcript, status, *_ = run(client, models, transcript="before", **changes)
    assert transcript == "before" and fragment in status


def test_a_folder_named_like_a_model_is_called_a_folder(client: Any, models: Path, tmp_path: Path) -> None:
    folder = tmp_path / "x.gguf"
    folder.mkdir()
    transcript, status, *_ = run(client, models, transcript="before", model_list=str(folder))
    assert transcript == "before"
    assert "a folder is not a model file" in status and "x.gguf" in status and "not found" not in status


def test_empty_model_folder(client: Any, tmp_path: Path) -> None:
    _, status, *_ = run(client, tmp_path)
    assert "has no .gguf files" in status


def test_broken_gguf_is_reported_and_the_chain_goes_on(client: Any, models: Path) -> None:
    transcript, status, last, *_ = run(client, models, model_list="broken.gguf\ntiny-chatml.gguf",
                                       grammar=grammar_for_text("still here"))
    assert "[error] broken.gguf" in transcript and "1) broken.gguf" in transcript
    assert "2) tiny-chatml.gguf" in transcript and last == "still here"
    assert "1 error(s)" in status


def test_stop_all_ends_a_streaming_chain(app_url: str, models: Path) -> None:
    tab = gradio_client.Client(app_url, verbose=False)
    job = tab.submit(**start_values(models, model_list="long-context.gguf", n_ctx=60000, max_tokens=0,
                                    prompt="one\ntwo", grammar='root ::= "la " root\n'), api_name="/start")
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        outputs = job.outputs()
        if outputs and outputs[-1][0].count("la ") > 20:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the answer never started streaming")
    tab.predict(api_name="/stop_all")
    transcript, status, *_ = job.result(timeout=WAIT_SECONDS)
    assert "Stopped" in status
    assert transcript.count("---------- (") == 1 and ", stopped" in transcript  # item two never ran


def _processes_mapping(model: Path) -> list[Any]:
    """This process's children that hold `model` in memory (llama.cpp maps the file it loaded)."""
    import psutil

    holders = []
    for child in psutil.Process().children(recursive=True):
        try:
            if any(Path(m.path) == model for m in child.memory_maps()):
                holders.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return holders


def test_unload_model(client: Any, models: Path) -> None:
    """Unload model ends the worker that holds the model, so its memory really goes back to the system."""
    import psutil

    model = models / "tiny-chatml.gguf"
    _, status, *_ = run(client, models, model_list=model.name, grammar=grammar_for_text("loaded"))
    assert "Done" in status
    [worker] = _processes_mapping(model)
    assert worker.memory_info().rss > 1_000_000  # llama.cpp and the model live in it
    assert "Model unloaded" in client.predict(api_name="/unload_model")
    gone, alive = psutil.wait_procs([worker], timeout=WAIT_SECONDS)
    assert gone == [worker] and not alive  # the process, and with it all its memory, is gone
    assert _processes_mapping(model) == []
    _, status, *_ = run(client, models, model_list=model.name, grammar=grammar_for_text("again"))
    assert "Done" in status and len(_processes_mapping(model)) == 1  # the next Start loads it again


def test_model_card_and_vocabulary(client: Any, models: Path, tmp_path: Path) -> None:
    card = client.predict("tiny-chatml.gguf", "", str(models), api_name="/model_card")
    assert "<th>Architecture</th><td>llama</td>" in card and "tiny-chatml.gguf" in card
    vocab = client.predict("tiny-chatml.gguf", "", str(models), 259, 2, api_name="/vocabulary")
    assert vocab == "259) '<|im_start|>'\n260) '<|im_end|>'"
    big = write_tiny_gguf(tmp_path / "big-vocab.gguf", n_vocab=150_000, name="big")
    tail = client.predict(big.name, "", str(tmp_path), 149_998, 5000, api_name="/vocabulary")
    assert tail.splitlines()[0].startswith("149998) ") and len(tail.splitlines()) == 2
    missing = client.predict("gone.gguf", "", str(tmp_path), api_name="/model_card")
    assert "gone.gguf" in missing


def test_save_prompt_gives_a_text_file(client: Any) -> None:
    saved = client.predict("line one\n$$$\nline two", "", api_name="/save_prompt")  # "": a dated name
    saved = saved["value"] if isinstance(saved, dict) else saved  # the page also makes the file visible
    assert Path(saved).read_text(encoding="utf-8") == "line one\n$$$\nline two"


def test_answers_as_html_escape_model_html(client: Any, models: Path) -> None:
    run(client, models, model_list="tiny-chatml.gguf", grammar=grammar_for_text("**bold** <b>raw</b>"))
    fragment, page = client.predict(api_name="/last_answer_html")
    assert "<strong>bold</strong>" in fragment and "&lt;b&gt;raw&lt;/b&gt;" in fragment
    assert page.startswith("<!DOCTYPE html>")
