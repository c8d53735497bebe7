"""Plain settings objects shared by the engine, the CLI and the UI, each field declaring its setting.

A field's `setting(...)` declaration (see settings_schema.py) is the only place its range, default, label
and help are written: validation here, the CLI flags, the page's controls, the item settings, Reopen and
the README table all read it. Sampling defaults are the original program's deterministic ones, so a
fresh install gives the same answer every time until the user asks otherwise.
"""

from __future__ import annotations

import ast
import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from samantha.errors import SamanthaError
from samantha.settings_schema import Setting, by_name, markdown_table, setting, settings_of

_SLIDER: dict[str, Any] = {"applies": "sampling", "control": "slider", "panel": "sampling"}


def _chain_row(row: int, column: int) -> dict[str, Any]:
    return {"panel": "chain", "place": (row, column)}


def _switch(column: int) -> dict[str, Any]:
    """A chain switch: a checkbox in the switches row."""
    return {"control": "checkbox", "panel": "chain", "place": (1, column)}


class SettingsError(SamanthaError, ValueError):
    """A setting has an unknown name or a value it cannot take."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


# More llama.cpp threads than this crash it (it allocates per-thread state); no CPU needs them.
MAX_THREADS = 512
# Loops and responses are bounded so a typo (100000000) is an input error, not a run that never ends.
MAX_REPEATS = 1_000_000


@dataclass(frozen=True)
class Sampling:
    """How one answer is generated; every field has a real effect, and each declares its setting."""

    max_tokens: int = setting(4000, "max_tokens", "longest answer; 0 = as many as fit", "int", low=0,
                              applies="sampling", control="number", panel="sampling", place=(1, 1))
    temperature: float = setting(0.0, "temperature", "0 = always the most likely token (deterministic)", "float",
                                 low=0.0, high=100.0, slider_high=2.0, step=0.05, **_SLIDER, place=(2, 0))
    tfs_z: float = setting(0.0, "tfs_z", "tail-free sampling: cut the long tail; 0 = deterministic, 1 = off",
                           "float", low=0.0, high=1.0, step=0.01, **_SLIDER, place=(2, 1))
    top_p: float = setting(0.0, "top_p", "keep tokens up to this total probability; 0 = deterministic, 1 = off",
                           "float", low=0.0, high=1.0, step=0.01, **_SLIDER, place=(2, 2))
    min_p: float = setting(1.0, "min_p", "drop tokens below min_p x the best one; 1 = deterministic, 0 = off",
                           "float", low=0.0, high=1.0, step=0.01, **_SLIDER, place=(2, 3))
    typical_p: float = setting(0.0, "typical_p", "keep 'typical' tokens (entropy); 0 = deterministic, 1 = off",
                               "float", low=0.0, high=1.0, step=0.01, **_SLIDER, place=(3, 0))
    top_k: int = setting(40, "top_k", "keep the k most likely tokens; 1 = deterministic", "int", low=0,
                         applies="sampling", control="number", panel="sampling", place=(1, 2))
    presence_penalty: float = setting(0.0, "presence_penalty", "penalise tokens already present", "float",
                                      low=-2.0, high=2.0, step=0.05, **_SLIDER, place=(3, 1))
    frequency_penalty: float = setting(0.0, "frequency_penalty", "penalise tokens by how often they appeared",
                                       "float", low=-2.0, high=2.0, step=0.05, **_SLIDER, place=(3, 2))
    repeat_penalty: float = setting(1.0, "repeat_penalty", "1 = off; above 1 discourages repeats", "float",
                                    low=0.0, high=10.0, slider_high=2.0, step=0.01, **_SLIDER, place=(3, 3))
    seed: int | None = setting(None, "seed", "this answer's sampling seed; empty or random = drawn from the "
                               "session seed", "seed", low=0, high=2**32 - 1, applies="sampling")
    n_ctx: int = setting(4000, "n_ctx (context window)",
                         "tokens the model sees at once; 0 = the model's own; a change reloads", "int",
                         low=0, high=16_777_216,  # 16M tokens: beyond any model's context; larger only makes llama.cpp grind
                         applies="sampling", control="number", panel="sampling", place=(1, 0))
    stop: tuple[str, ...] = setting((), "stop", "a list of strings that end an answer (JSON or Python list; never run)",
                                    "stop", applies="sampling", control="textbox", panel="sampling", place=(4, 0),
                                    placeholder='["$$$", ".", ".\\n"]', elem="stop-list")
    reset_model: bool = setting(False, "reset_model", "clear the model's state before this item", "bool",
                                applies="sampling")

    def with_values(self, values: dict[str, Any]) -> Sampling:
        """Return a copy with `values` (already validated) applied."""
        return replace(self, **values)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data


SAMPLING_SETTINGS = settings_of(Sampling)
# Keys an item may set in its leading `{...}` block and `--set` takes.
SAMPLING_KEYS = tuple(item.name for item in SAMPLING_SETTINGS)
_SAMPLING = by_name(SAMPLING_SETTINGS)


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
    declared = _SAMPLING[key]
    if declared.kind == "stop":
        if isinstance(raw, (list, tuple)):
            return parse_stop(json.dumps(list(raw)))
        return parse_stop(str(raw))
    if declared.kind == "bool":
        return raw if isinstance(raw, bool) else _parse_bool(key, str(raw))
    if declared.kind == "seed" and (raw is None or str(raw).strip().lower() in {"", "none", "random"}):
        return None
    return check_number(declared, str(raw).strip())


def check_number(declared: Setting, text: str) -> int | float:
    """`text` as the setting's number, inside its range; the message names the setting and what it needs."""
    key = declared.name
    try:
        number = float(text)
    except ValueError:
        raise SettingsError(key, f"{key} must be a number, got {text!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise SettingsError(key, f"{key} must be a finite number, got {text!r}")
    low, high = declared.low if declared.low is not None else float("-inf"), declared.high
    if number < low or (high is not None and number > high):
        span = f"{low}..{high}" if high is not None else f">= {low}"
        raise SettingsError(key, f"{key} must be in {span}, got {text}")
    if declared.kind in {"int", "seed"}:
        if number != int(number):
            raise SettingsError(key, f"{key} must be a whole number, got {text}")
        return int(number)
    return number


def apply_settings(base: Sampling, values: dict[str, Any]) -> Sampling:
    """Validate raw `values` and return `base` with them applied."""
    return base.with_values({key: coerce_setting(key, value) for key, value in values.items()})


FORMAT_CHOICES = (
    ("The model's own chat template", "auto"),
    ("ChatML", "chatml"),
    ("Gemma turns (<start_of_turn>user \u2026 <end_of_turn>)", "gemma"),
    ("Samantha-1 sections (situation / information / thought)", "samantha"),
    ("USER: / ASSISTANT: (Vicuna, Capybara)", "user-assistant"),
    ("Raw completion (text as is)", "raw"),
)
FORMATS = tuple(value for _, value in FORMAT_CHOICES)


@dataclass(frozen=True)
class ChainSettings:
    """Everything one chain run needs besides the models' own files."""

    models: tuple[str, ...] = ()
    prompt: str = ""
    system: str = ""
    previous: str = ""
    responses: int = setting(1, "Number of responses", "each model answers the whole prompt list this many times",
                             "int", low=1, high=MAX_REPEATS, control="number", **_chain_row(0, 0), flag="--responses")
    loops: int = setting(1, "Number of loops", "the whole block repeats", "int", low=1, high=MAX_REPEATS,
                         control="number", **_chain_row(0, 1), flag="--loops")
    feedback: bool = setting(False, "Feedback loop", "each answer becomes the next previous response", "bool",
                             **_switch(0), flag="--feedback")
    cumulative: bool = setting(False, "Cumulative response", "with feedback: add each answer to the previous response",
                               "bool", **_switch(1), flag="--cumulative")
    single: bool = setting(False, "Single response per model", "model i answers item i only (as many items as "
                           "models); responses and loops repeat it", "bool", **_switch(2), flag="--single")
    reset: bool = setting(False, "Reset model", "clear the model's state before each item (exact reproducibility)",
                          "bool", **_switch(3), flag="--reset")
    shuffle: bool = setting(False, "Shuffle models", "with 3+ models: a new order each loop", "bool", **_switch(4),
                            flag="--shuffle")
    random_params: bool = setting(False, "Random hyperparameters", "draw temperature, top_p, ... for each answer",
                                  "bool", **_switch(5), flag="--random-params")
    fast: bool = setting(False, "Fast mode", "show each answer only when it is done", "bool", **_switch(6),
                         flag="--fast")
    prompt_format: str = setting("auto", "Prompt format", "auto = the model's own chat template", "choice",
                                 choices=FORMAT_CHOICES, control="dropdown", **_chain_row(2, 0), flag="--format")
    # Samantha-1 format: `person (name)` instead of `user`, `me (name)` instead of `assistant`
    user_name: str = setting("", "User's name (Samantha-1 format)", "Samantha-1 format: the user's speaker name",
                             "text", control="textbox", shown=False, **_chain_row(2, 1), flag="--user-name")
    assistant_name: str = setting("", "Assistant's name (Samantha-1 format)",
                                  "Samantha-1 format: the model's speaker name", "text", control="textbox",
                                  shown=False, **_chain_row(2, 2), flag="--assistant-name")
    seed: int | None = setting(None, "Seed", "the session seed, which reproduces shuffles, random values and "
                               "sampling; empty = a random one, shown in the status", "seed", low=0, high=2**31 - 1,
                               control="textbox", panel="sampling", place=(1, 3), placeholder="random",
                               flag="--seed")
    sampling: Sampling = field(default_factory=Sampling)
    # Switches that feature panels draw (code runner, learning); kept here so one object describes a run.
    run_code: bool = setting(False, "Run code automatically", "after each answer, run its Python blocks in the "
                             "runner environment", "bool", control="feature", flag="--run-code")
    stop_condition: bool = setting(False, "Stop condition", "with code runs: stop the chain when a run prints "
                                   "something that is not an error", "bool", control="feature",
                                   flag="--stop-condition")
    feedback_output_only: bool = setting(False, "Feedback interpreter output only", "with feedback and code runs: "
                                         "the model sees the code's output instead of its answer plus the output",
                                         "bool", control="feature", flag="--output-only")
    learning: bool = setting(False, "Learning mode", "record every token's top candidates (not with Fast mode)",
                             "bool", control="feature", flag="--learning")

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


CHAIN_SETTINGS = settings_of(ChainSettings)
LOAD_SETTINGS = (
    Setting("threads", "int", 0, "CPU threads", "0 = every core", applies="load", low=0, high=MAX_THREADS,
            control="number", panel="advanced", place=(0, 0), flag="--threads", field_name="n_threads"),
    Setting("repack", "bool", True, "Weight repacking", "faster; a file that crashes llama.cpp with it is loaded "
            "again without it, and remembered", applies="load", control="checkbox", panel="advanced", place=(0, 1),
            flag="--repack", elem="repack"),
)
# Every setting, in the order the README lists them.
ALL_SETTINGS = CHAIN_SETTINGS + SAMPLING_SETTINGS + LOAD_SETTINGS


def readme_table() -> str:
    """The README's settings table (tests/unit/test_settings_schema.py checks the README carries it)."""
    return markdown_table(ALL_SETTINGS)
