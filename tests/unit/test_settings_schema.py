"""A setting is declared once: the CLI, the item settings, the page, Reopen and the README all follow it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from samantha.backends.base import Control, LoadOptions
from samantha.backends.scripted import ScriptedBackend
from samantha.chain import run_chain
from samantha.cli import InputError, build_parser, settings_from_args
from samantha.history import HistoryDB, Recorder
from samantha.prompts import PromptSyntaxError, parse_prompt_list
from samantha.run_spec import RunSpec
from samantha.settings import (
    ALL_SETTINGS,
    CHAIN_SETTINGS,
    LOAD_SETTINGS,
    SAMPLING_SETTINGS,
    ChainSettings,
    readme_table,
)
from samantha.settings_schema import README_END, README_START, Setting
from samantha.ui.history_panel import control_values_names
from samantha.ui.history_view import control_values
from samantha.ui.inputs import build_request

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_table_is_the_one_the_schema_makes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.partition(README_START)[2].partition(README_END)[0].strip()
    assert shown == readme_table(), "the README's settings table is stale: run scripts/settings_table.py"


def test_every_setting_has_a_unique_name_in_its_group_and_a_default_in_its_range() -> None:
    for group in (CHAIN_SETTINGS, SAMPLING_SETTINGS, LOAD_SETTINGS):
        names = [item.name for item in group]
        assert len(names) == len(set(names))
    for item in ALL_SETTINGS:
        if item.low is not None and item.default is not None:
            assert item.low <= item.default <= (item.high if item.high is not None else item.default)
        assert item.label and item.help, item.name


def other_value(item: Setting) -> Any:
    """A valid value that is not the setting's default."""
    if item.kind == "bool":
        return not item.default
    if item.kind == "choice":
        return next(value for _, value in item.choices if value != item.default)
    if item.kind == "text":
        return "Ada"
    if item.kind == "stop":
        return ("###",)
    if item.kind == "seed":
        return 5
    if item.kind == "int":
        return int(item.default) + 1
    high = item.slider_high if item.slider_high is not None else item.high
    return round(((item.low or 0.0) + (high or 1.0)) / 2 + 0.05, 2)


def model_folder(tmp_path: Path) -> Path:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + bytes(100))
    return model


def stored_and_reopened(tmp_path: Path, settings: ChainSettings, load: LoadOptions) -> tuple[Any, dict[str, Any]]:
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        recorder = Recorder(db, RunSpec(settings, load), source="ui")
        for event in run_chain(settings, ScriptedBackend(answers=["a"] * 4), Control()):
            recorder.apply(event)
        stored = db.session(recorder.session_id or 0)
    return stored, control_values(stored)


@pytest.mark.parametrize("item", [item for item in ALL_SETTINGS if item.control != "none"], ids=lambda item: item.name)
def test_each_page_setting_round_trips_through_reopen(item: Setting, tmp_path: Path) -> None:
    """A stored non-default value comes back into its control, and those controls rebuild the same run."""
    model = model_folder(tmp_path)
    value = other_value(item)
    settings = ChainSettings(models=(str(model),), prompt="hi", seed=3)
    if item.applies == "sampling":
        settings = replace(settings, sampling=replace(settings.sampling, **{item.name: value}))
    elif item.applies == "chain":
        settings = replace(settings, **{item.name: value})
    load = LoadOptions(n_ctx=settings.sampling.n_ctx)  # the page's n_ctx is also the load option
    if item.applies == "load":
        load = replace(load, **{item.attribute: value})
    stored, values = stored_and_reopened(tmp_path, settings, load)
    assert item.name in control_values_names()
    assert values[item.name] == item.control_value(value)
    request = build_request({**values, "models_dir": str(tmp_path)})
    if item.control == "feature":  # its panel adds it to the run (chain_fields); the page's own controls do not
        assert request.settings == replace(stored.chain_settings(), **{item.name: item.default})
    else:
        assert request.settings == stored.chain_settings() and request.load_options == load


@pytest.mark.parametrize("item", [item for item in ALL_SETTINGS if item.flag], ids=lambda item: item.name)
def test_each_flagged_setting_is_a_run_option(item: Setting, tmp_path: Path) -> None:
    value = other_value(item)
    flag = item.flag or ""
    words = [flag] if value is True else [f"--no-{flag[2:]}"] if value is False else [flag, str(value)]
    args = build_parser().parse_args(["run", "--model", "m.gguf", *words])
    assert getattr(args, item.dest) == value
    if item.applies == "chain":
        assert getattr(settings_from_args(args), item.name) == value


@pytest.mark.parametrize("item", SAMPLING_SETTINGS, ids=lambda item: item.name)
def test_each_sampling_setting_is_an_item_setting_and_a_set_option(item: Setting) -> None:
    value = other_value(item)
    text = json.dumps(list(value)) if item.kind == "stop" else str(value)
    [parsed] = parse_prompt_list(f"{{{item.name}={text}}} hi")
    assert parsed.settings == {item.name: value}
    args = build_parser().parse_args(["run", "--model", "m.gguf", "--set", f"{item.name}={text}"])
    assert getattr(settings_from_args(args).sampling, item.name) == value
    if item.high is not None:
        with pytest.raises(PromptSyntaxError, match=item.name):
            parse_prompt_list(f"{{{item.name}={item.high * 2 + 1}}} hi")
        args = build_parser().parse_args(["run", "--model", "m.gguf", "--set", f"{item.name}={item.high * 2 + 1}"])
        with pytest.raises(InputError, match=f"--set {item.name}"):
            settings_from_args(args)


# Run against a copy of the package whose Sampling declares one more field: nothing else is edited.
NEW_SETTING = ('    xtc_probability: float = setting(0.0, "xtc_probability", "a setting added by a test", "float", '
               'low=0.0, high=1.0, step=0.01, **_SLIDER, place=(5, 0))\n')
PROBE = textwrap.dedent("""
    import contextlib, io, json, sys
    from pathlib import Path
    import gradio as gr
    from samantha.backends.base import Control, LoadOptions
    from samantha.backends.scripted import ScriptedBackend
    from samantha.chain import run_chain
    from samantha.cli import InputError, build_parser, settings_from_args
    from samantha.history import HistoryDB, Recorder
    from samantha.prompts import PromptSyntaxError, parse_prompt_list
    from samantha.ui.context import Controls
    from samantha.ui.history_panel import control_values_names
    from samantha.ui.history_view import control_values
    from samantha.ui.inputs import build_request
    from samantha.ui.settings_panel import render_sampling

    folder = Path(sys.argv[1])
    out = {}
    run_help = io.StringIO()
    with contextlib.redirect_stdout(run_help), contextlib.suppress(SystemExit):
        build_parser().parse_args(["run", "--help"])
    out["help"] = "xtc_probability (0 to 1)" in " ".join(run_help.getvalue().split())
    cli = settings_from_args(build_parser().parse_args(["run", "--model", "m.gguf", "--set", "xtc_probability=0.25"]))
    out["cli"] = cli.sampling.xtc_probability
    try:
        settings_from_args(build_parser().parse_args(["run", "--model", "m.gguf", "--set", "xtc_probability=3"]))
    except InputError as exc:
        out["cli_refused"] = str(exc)
    out["item"] = parse_prompt_list("{xtc_probability=0.5} hi")[0].settings
    try:
        parse_prompt_list("{xtc_probability=7} hi")
    except PromptSyntaxError as exc:
        out["item_refused"] = str(exc)
    ctx = type("Ctx", (), {"controls": Controls()})()
    with gr.Blocks():
        render_sampling(ctx)
    slider = ctx.controls["xtc_probability"]
    out["control"] = [type(slider).__name__, slider.label, slider.minimum, slider.maximum, slider.value]
    page = {"models_dir": str(folder), "model_list": "m.gguf", "prompt": "hi", "n_ctx": 4000, "max_tokens": 4000,
            "top_k": 40, "temperature": 0, "tfs_z": 0, "top_p": 0, "min_p": 1, "typical_p": 0, "presence_penalty": 0,
            "frequency_penalty": 0, "repeat_penalty": 1, "xtc_probability": 0.75}
    request = build_request(page)
    with HistoryDB(folder / "h.sqlite3") as db:
        recorder = Recorder(db, request, source="ui")
        for event in run_chain(request.settings, ScriptedBackend(answers=["a"]), Control()):
            recorder.apply(event)
        values = control_values(db.session(recorder.session_id or 0))
    out["reopen"] = values["xtc_probability"]
    out["reopen_named"] = "xtc_probability" in control_values_names()
    out["rerun_same"] = build_request({**values, "models_dir": str(folder)}).settings.sampling == request.settings.sampling
    print(json.dumps(out))
""")


def test_a_setting_declared_once_reaches_the_cli_the_items_the_page_and_reopen(tmp_path: Path) -> None:
    """Adding a sampling setting is one declaration: flag help, item settings, validation, control and Reopen follow."""
    package = tmp_path / "copy" / "samantha"
    shutil.copytree(ROOT / "samantha", package, ignore=shutil.ignore_patterns("__pycache__"))
    settings_py = package / "settings.py"
    source = settings_py.read_text(encoding="utf-8")
    anchor = "    reset_model: bool = setting("
    assert anchor in source
    settings_py.write_text(source.replace(anchor, NEW_SETTING + anchor), encoding="utf-8")
    model_folder(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(package.parent), "SAMANTHA_CONFIG_DIR": str(tmp_path / "config")}
    result = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["help"] and out["cli"] == 0.25 and "xtc_probability must be in 0.0..1.0" in out["cli_refused"]
    assert out["item"] == {"xtc_probability": 0.5} and "xtc_probability" in out["item_refused"]
    assert out["control"] == ["Slider", "xtc_probability", 0.0, 1.0, 0.0]
    assert out["reopen"] == 0.75 and out["reopen_named"] and out["rerun_same"]
