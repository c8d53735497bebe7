"""From the page's control values to a run request: every bad value is named before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from samantha.settings import Sampling
from samantha.ui.inputs import InputProblem, active_links, build_request, check_grammar, session_seed


def values(folder: Path, **changes: Any) -> dict[str, Any]:
    """What the page sends with its defaults (numbers as floats, as Gradio gives them)."""
    base: dict[str, Any] = {
        "models_dir": str(folder), "include_subfolders": False, "model_list": "a.gguf\nb.gguf\na.gguf", "links": "",
        "system": "", "previous": "", "prompt": "Hello", "responses": 1.0, "loops": 1.0,
        "feedback": False, "cumulative": False, "single": False, "reset": False, "shuffle": False,
        "random_params": False, "fast": False, "prompt_format": "auto", "user_name": "", "assistant_name": "",
        "n_ctx": 4000.0, "max_tokens": 4000.0, "top_k": 40.0, "seed": "", "temperature": 0.0, "tfs_z": 0.0,
        "top_p": 0.0, "min_p": 1.0, "typical_p": 0.0, "presence_penalty": 0.0, "frequency_penalty": 0.0,
        "repeat_penalty": 1.0, "stop": "", "threads": 0.0, "repack": False, "grammar": "",
    }
    base.update(changes)
    return base


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("a.gguf", "b.gguf"):
        (tmp_path / name).write_bytes(b"GGUF")
    return tmp_path


def test_defaults_make_the_original_deterministic_run(folder: Path) -> None:
    request = build_request(values(folder))
    settings = request.settings
    assert settings.models == (str(folder / "a.gguf"), str(folder / "b.gguf"), str(folder / "a.gguf"))
    assert settings.sampling == Sampling()
    assert settings.seed is None and request.grammar is None and request.links == ""
    assert request.load_options.n_ctx == 4000 and request.load_options.repack is False


def test_every_control_reaches_the_settings(folder: Path) -> None:
    request = build_request(values(
        folder, responses=2.0, loops=3.0, feedback=True, cumulative=True, reset=True, shuffle=True,
        random_params=True, fast=True, prompt_format="samantha", user_name=" Ana ", assistant_name="Samantha",
        n_ctx=2048.0, max_tokens=100.0, top_k=5.0, seed="42", temperature=0.7, tfs_z=0.9, top_p=0.95, min_p=0.05,
        typical_p=0.8, presence_penalty=0.1, frequency_penalty=0.2, repeat_penalty=1.1, stop='["###", "\\n\\n"]',
        threads=2.0, repack=True, grammar='root ::= "yes"',
    ))
    s = request.settings
    assert (s.responses, s.loops, s.feedback, s.cumulative, s.reset, s.shuffle, s.random_params, s.fast) == (
        2, 3, True, True, True, True, True, True)
    assert (s.prompt_format, s.user_name, s.assistant_name, s.seed) == ("samantha", "Ana", "Samantha", 42)
    assert s.sampling == Sampling(max_tokens=100, temperature=0.7, tfs_z=0.9, top_p=0.95, min_p=0.05, typical_p=0.8,
                                  top_k=5, presence_penalty=0.1, frequency_penalty=0.2, repeat_penalty=1.1,
                                  n_ctx=2048, stop=("###", "\n\n"))
    assert request.load_options.n_ctx == 2048 and request.load_options.n_threads == 2 and request.load_options.repack
    assert request.grammar == 'root ::= "yes"\n'


def test_malformed_item_settings_name_item_and_key(folder: Path) -> None:
    with pytest.raises(InputProblem) as caught:
        build_request(values(folder, prompt="first\n{temprature=0.5} second"))
    message = str(caught.value)
    assert "item 2" in message and "temprature" in message


def test_out_of_range_item_value_is_reported(folder: Path) -> None:
    with pytest.raises(InputProblem, match="top_p"):
        build_request(values(folder, prompt="{top_p=7} hi"))


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"stop": "__import__('os')"}, "stop must be a list of strings"),
        ({"temperature": 500.0}, "temperature"),
        ({"max_tokens": None}, "max_tokens is empty"),
        ({"top_k": 2.5}, "top_k must be a whole number"),
        ({"responses": 0.0}, "number of responses"),
        ({"loops": None}, "number of loops is empty"),
        ({"seed": "abc"}, "seed must be a whole number"),
        ({"grammar": "just words"}, "rule named root"),
        ({"prompt_format": "klingon"}, "unknown prompt format"),
        ({"threads": 100000.0}, "CPU threads must be at most 512"),  # so many crash llama.cpp
    ],
)
def test_bad_controls_are_named(folder: Path, changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InputProblem, match=fragment):
        build_request(values(folder, **changes))


def test_missing_model_file_is_named(folder: Path) -> None:
    with pytest.raises(InputProblem, match="model file not found: gone.gguf"):
        build_request(values(folder, model_list="a.gguf\ngone.gguf"))


def test_no_model_chosen(folder: Path) -> None:
    with pytest.raises(InputProblem, match="no model chosen: pick a model"):
        build_request(values(folder, model_list=""))


def test_empty_model_folder(tmp_path: Path) -> None:
    with pytest.raises(InputProblem, match="has no .gguf files"):
        build_request(values(tmp_path, model_list=""))


def test_missing_model_folder(tmp_path: Path) -> None:
    with pytest.raises(InputProblem, match="does not exist"):
        build_request(values(tmp_path / "gone", model_list=""))


def test_links_are_used_only_when_the_list_is_empty(folder: Path) -> None:
    link = "https://huggingface.co/r/m/resolve/main/m-Q4_K_M.gguf?download=true"
    text = f"--- skipped\n\n{link}\n"
    assert build_request(values(folder, model_list="", links=text)).links == link
    assert build_request(values(folder, links=text)).links == ""
    assert active_links("--- only a comment\n \n") == ""


def test_seed_and_grammar_helpers() -> None:
    assert session_seed("") is None and session_seed(None) is None and session_seed(7.0) == 7
    with pytest.raises(InputProblem):
        session_seed(-1)
    assert check_grammar("   ") is None
