"""Settings the app remembers between runs (model folder, subfolders, click sounds, code runner).

Stored as JSON in the user's config folder (platformdirs), or in the folder
named by the `SAMANTHA_CONFIG_DIR` environment variable so tests and portable
installs can keep it elsewhere. A damaged file never stops the app: it falls
back to the defaults and the next save writes a good file.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

CONFIG_DIR_ENV = "SAMANTHA_CONFIG_DIR"
CONFIG_FILE_NAME = "settings.json"
APP_NAME = "samantha"


def default_models_dir() -> Path:
    """The user's Downloads folder, or the home folder when there is none."""
    try:
        downloads = Path(platformdirs.user_downloads_dir())
    except (OSError, KeyError, ValueError):
        return Path.home()
    return downloads if downloads.is_dir() else Path.home()


def config_dir() -> Path:
    """Where the settings file lives: $SAMANTHA_CONFIG_DIR, else the platform's user config folder."""
    override = os.environ.get(CONFIG_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class AppConfig:
    """What is remembered; unknown or badly typed entries in the file are ignored."""

    models_dir: str = ""  # empty = the Downloads folder
    include_subfolders: bool = False
    click_sounds: bool = True  # the one Sounds switch: clicks in the page and the tones as answers start and end
    runner_python: str = ""  # the code runner's venv folder or interpreter; empty = the default folder
    vosk_dir: str = ""  # voice-command models (Vosk); empty = the folder `samantha voice setup` fills
    speech_voice: str = ""  # read-aloud voice id; empty = the engine's default
    speech_rate: int = 0  # read-aloud words per minute; 0 = the engine's default
    read_aloud: bool = False

    def resolved_models_dir(self) -> Path:
        return Path(self.models_dir).expanduser() if self.models_dir else default_models_dir()


class ConfigStore:
    """Reads and writes one settings file; safe to share between browser tabs (one lock)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.path: Path = (directory if directory is not None else config_dir()) / CONFIG_FILE_NAME
        self._lock = threading.RLock()

    def load(self) -> AppConfig:
        """The stored settings, or the defaults when the file is missing or unreadable."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return AppConfig()
        if not isinstance(data, dict):
            return AppConfig()
        defaults = AppConfig()
        values: dict[str, Any] = {}
        for item in fields(AppConfig):
            value = data.get(item.name)
            if isinstance(value, type(getattr(defaults, item.name))):
                values[item.name] = value
        return AppConfig(**values)

    def save(self, config: AppConfig) -> None:
        """Write atomically (temp file + replace) so a crash never leaves half a file."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(asdict(config), handle, indent=2)
                os.replace(temp, self.path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise

    def update(self, **changes: Any) -> AppConfig:
        """Load, change some fields, save, and return the new settings."""
        with self._lock:
            config = replace(self.load(), **changes)
            self.save(config)
        return config
