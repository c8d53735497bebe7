"""Plain settings objects shared by the engine, the CLI and the UI.

Sampling defaults are the original program's deterministic ones, so a
fresh install gives the same answer every time until the user asks otherwise.
"""

from __future__ import annotations

import ast
import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from samantha.errors import SamanthaError

# Keys an item may set in its leading `{...}` block and `--set` takes.
SAMPLING_KEYS = (
    "max_tokens",
    "temperature",
    "tfs_z",
    "top_p",
    "min_p",
    "typical_p",
    "top_k",
    "presence_penalty",
    "frequency_penalty",
    "repeat_penalty",
    "seed",
    "n_ctx",
    "stop",
    "reset_model",
)


class SettingsError(SamanthaError, ValueError):
    """A setting has an unknown name or a value it cannot take."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Sampling:
    """How one answer is generated; every field has a real effect."""

    max_tokens: int = 4000
    temperature: float = 0.0
    tfs_z: float = 0.0
    top_p: float = 0.0
    min_p: float = 1.0
    typical_p: float = 0.0
    top_k: int = 40
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    repeat_penalty: float = 1.0
    seed: int | None = None
    n_ctx: int = 4000
    stop: tuple[str, ...] = ()
    reset_model: bool = False

    def with_values(self, values: dict[str, Any]) -> Sampling:
        """Return a copy with `values` (already validated) applied."""
        return replace(self, **values)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data


# Limits a value must respect; (minimum, maximum or None).
_RANGES: dict[str, tuple[float, float | None]] = {
    "max_tokens": (0, None),
    "temperature": (0.0, 100.0),
    "tfs_z": (0.0, 1.0),
    "top_p": (0.0, 1.0),
    "min_p": (0.0, 1.0),
    "typical_p": (0.0, 1.0),
    "top_k": (0, None),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
    "repeat_penalty": (0.0, 10.0),
    "seed": (0, 2**32 - 1),
    "n_ctx": (0, 16_777_216),  # 16M tokens: beyond any model's context; larger only makes llama.cpp grind
}
_INT_KEYS = {"max_tokens", "top_k", "seed", "n_ctx"}


def _shortened(text: str, limit: int = 80) -> str:
    """The user's text in a message, cut so a pasted megabyte does not become the message."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} characters)"


def parse_stop(text: str) -> tuple[str, ...]:
    """Parse a stop list such as `["$$$", ".", ".\\n"]` without ever evaluating code.

    Accepts JSON or a Python literal list/tuple of strings, or a single quoted
    string; an empty text means no stop strings.
    """
    text = text.strip()
    if not text:
        return ()
    value: Any
    problem = f"stop must be a list of strings such as [\"\\n\", \"###\"], got {_shortened(text)}"
    try:
        value = json.loads(text)
    except RecursionError as exc:  # thousands of nested brackets
        raise SettingsError("stop", problem) from exc
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
            raise SettingsError("stop", problem) from exc
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SettingsError("stop", problem)
    return tuple(v for v in value if v)


def _parse_bool(key: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(key, f"{key} must be true or false, got {text!r}")


def coerce_setting(key: str, raw: Any) -> Any:
    """Turn a raw value (text from the prompt or CLI, or a number) into a checked setting value."""
    if key not in SAMPLING_KEYS:
        known = ", ".join(SAMPLING_KEYS)
        raise SettingsError(key, f"unknown setting {key!r}; known settings: {known}")
    if key == "stop":
        if isinstance(raw, (list, tuple)):
            return parse_stop(json.dumps(list(raw)))
        return parse_stop(str(raw))
    if key == "reset_model":
        return raw if isinstance(raw, bool) else _parse_bool(key, str(raw))
    if key == "seed" and (raw is None or str(raw).strip().lower() in {"", "none", "random"}):
        return None
    text = str(raw).strip()
    try:
        number = float(text)
    except ValueError:
        raise SettingsError(key, f"{key} must be a number, got {text!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise SettingsError(key, f"{key} must be a finite number, got {text!r}")
    low, high = _RANGES[key]
    if number < low or (high is not None and number > high):
        span = f"{low}..{high}" if high is not None else f">= {low}"
        raise SettingsError(key, f"{key} must be in {span}, got {text}")
    if key in _INT_KEYS:
        if number != int(number):
            raise SettingsError(key, f"{key} must be a whole number, got {text}")
        return int(number)
    return number


def apply_settings(base: Sampling, values: dict[str, Any]) -> Sampling:
    """Validate raw `values` and return `base` with them applied."""
    return base.with_values({key: coerce_setting(key, value) for key, value in values.items()})


FORMATS = ("auto", "chatml", "gemma", "samantha", "user-assistant", "raw")


# Loops and responses are bounded so a typo (100000000) is an input error, not a run that never ends.
MAX_REPEATS = 1_000_000


@dataclass(frozen=True)
class ChainSettings:
    """Everything one chain run needs besides the models' own files."""

    models: tuple[str, ...] = ()
    prompt: str = ""
    system: str = ""
    previous: str = ""
    responses: int = 1
    loops: int = 1
    feedback: bool = False
    cumulative: bool = False
    single: bool = False
    reset: bool = False
    shuffle: bool = False
    random_params: bool = False
    fast: bool = False
    prompt_format: str = "auto"
    user_name: str = ""  # Samantha-1 format: `person (name)` instead of `user`
    assistant_name: str = ""  # Samantha-1 format: `me (name)` instead of `assistant`
    seed: int | None = None
    sampling: Sampling = field(default_factory=Sampling)
    # Plug-in switches that later features read; kept here so one object describes a run.
    run_code: bool = False
    stop_condition: bool = False
    feedback_output_only: bool = False
    learning: bool = False

    def __post_init__(self) -> None:
        if self.responses < 1 or self.loops < 1:
            raise SettingsError("responses", "number of responses and loops must be at least 1")
        for key, value in (("loops", self.loops), ("responses", self.responses)):
            if value > MAX_REPEATS:
                raise SettingsError(key, f"{value:,} {key} would never finish: use at most {MAX_REPEATS:,} "
                                         "(Stop all ends a long run whenever you like)")
        if self.learning and self.fast:
            raise SettingsError("learning", "learning mode shows every token, so it cannot be combined with fast mode")
        if self.prompt_format not in FORMATS:
            raise SettingsError("format", f"unknown prompt format {self.prompt_format!r}; choose one of {', '.join(FORMATS)}")

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "sampling"}
        data["models"] = list(self.models)
        data["sampling"] = self.sampling.to_dict()
        return data
