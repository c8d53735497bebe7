"""Remembered settings: a real JSON file in a temporary config folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from samantha.config import CONFIG_DIR_ENV, AppConfig, ConfigStore, config_dir, default_models_dir


def test_defaults_when_nothing_is_stored(tmp_path: Path) -> None:
    config = ConfigStore(tmp_path).load()
    assert config == AppConfig()
    assert config.resolved_models_dir() == default_models_dir()


def test_settings_survive_a_new_store(tmp_path: Path) -> None:
    ConfigStore(tmp_path).update(models_dir=str(tmp_path), include_subfolders=True, click_sounds=False)
    again = ConfigStore(tmp_path).load()
    assert again == AppConfig(models_dir=str(tmp_path), include_subfolders=True, click_sounds=False)
    assert again.resolved_models_dir() == tmp_path


def test_damaged_file_falls_back_to_defaults_and_is_rewritten(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    store.path.write_text("{not json", encoding="utf-8")
    assert store.load() == AppConfig()
    store.update(click_sounds=False)
    assert json.loads(store.path.read_text(encoding="utf-8"))["click_sounds"] is False


def test_wrongly_typed_entries_are_ignored(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    store.path.write_text(json.dumps({"models_dir": 5, "click_sounds": "no", "include_subfolders": True}))
    assert store.load() == AppConfig(include_subfolders=True)


def test_environment_variable_moves_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "cfg"))
    assert config_dir() == tmp_path / "cfg"
    ConfigStore().update(models_dir="/somewhere")
    assert (tmp_path / "cfg" / "settings.json").is_file()
