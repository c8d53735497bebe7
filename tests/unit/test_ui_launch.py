"""Starting the app: loopback by default, a password for any other address, clear refusals."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from samantha.app import LaunchError, build_app, is_loopback, launch, password_check, serve
from samantha.backends.scripted import ScriptedBackend
from samantha.cli import build_parser, parse_command_line
from samantha.config import ConfigStore
from samantha.model_host import ModelHost
from samantha.run_setup import models_folder


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org", ""])
def test_other_addresses(host: str) -> None:
    assert not is_loopback(host)


def test_password_check_accepts_any_user_with_the_password() -> None:
    check = password_check("s3cret")
    assert check("anyone", "s3cret") and not check("anyone", "wrong")


def test_serving_on_the_network_without_password_is_refused(tmp_path: Path) -> None:
    demo = build_app(host=ModelHost(ScriptedBackend), config=ConfigStore(tmp_path), files_dir=tmp_path)
    with pytest.raises(LaunchError, match="give a password with --password"):
        serve(demo, server_name="0.0.0.0", port=1, block=False)


def test_launch_reports_bad_options_and_exits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SAMANTHA_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("SAMANTHA_PASSWORD", raising=False)
    args = build_parser().parse_args(["ui", "--host", "0.0.0.0", "--no-browser"])
    assert launch(args) == 2
    assert "--password" in capsys.readouterr().err
    args = argparse.Namespace(host="127.0.0.1", port=7860, no_browser=True, models_dir=str(tmp_path / "nope"),
                              password=None)
    assert launch(args) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_models_dir_option_is_remembered(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "cfg")
    build_app(host=ModelHost(ScriptedBackend), config=store, models_dir=tmp_path, files_dir=tmp_path)
    assert store.load().models_dir == str(tmp_path.resolve())


def test_events_that_save_the_model_folder_settings_run_in_turn(tmp_path: Path) -> None:
    """Clicking 'Include subfolders' right after typing a folder sends a blur (old tick) and then the tick
    change; were they run side by side, the blur could save the old tick last and undo the click."""
    demo = build_app(host=ModelHost(ScriptedBackend), config=ConfigStore(tmp_path), files_dir=tmp_path)
    tick = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "include-subfolders")
    savers = [fn for fn in demo.fns.values() if tick in fn.inputs and fn.name != "on_start"]  # Start saves nothing here
    assert len(savers) >= 4  # folder field submit and blur, refresh, the tick itself, "Use this folder"
    assert {fn.concurrency_id for fn in savers} == {"model-folder-settings"}
    assert {fn.concurrency_limit for fn in savers} == {1}


@pytest.mark.parametrize(
    ("words", "port", "browser", "models_dir"),
    [
        ([], 7860, True, None),
        (["--no-browser", "--port", "7871"], 7871, False, None),  # what start.sh and the README pass on
        (["--models-dir", "/data/models"], 7860, True, "/data/models"),
        (["ui", "--port", "7862"], 7862, True, None),
    ],
)
def test_options_without_a_command_start_the_web_app(words: list[str], port: int, browser: bool,
                                                       models_dir: str | None) -> None:
    args = parse_command_line(words)
    assert (args.command, args.port, args.no_browser, args.models_dir) == ("ui", port, not browser, models_dir)


def test_commands_and_help_are_not_taken_for_the_web_app(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_command_line(["history", "list"]).command == "history"
    with pytest.raises(SystemExit) as exit_:
        parse_command_line(["--help"])
    assert exit_.value.code == 0 and "{run,runner,models,voice,history,ui}" in capsys.readouterr().out


def test_command_line_downloads_go_to_the_apps_model_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMANTHA_CONFIG_DIR", str(tmp_path / "config"))
    chosen = tmp_path / "my-models"
    ConfigStore().update(models_dir=str(chosen))  # what the page remembers
    assert models_folder(None) == chosen
    assert models_folder(str(tmp_path / "other")) == tmp_path / "other"  # --models-dir wins


@pytest.mark.parametrize("threads", ["100000", "-1", "two"])
def test_a_thread_count_llama_cpp_cannot_take_is_refused_up_front(threads: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_command_line(["run", "--model", "m.gguf", "--prompt", "x", "--threads", threads])
    assert exit_.value.code == 2 and "--threads" in capsys.readouterr().err
    assert parse_command_line(["run", "--model", "m.gguf", "--threads", "4"]).threads == 4
