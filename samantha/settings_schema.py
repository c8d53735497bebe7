"""What a user setting is: one declaration that every place showing or reading settings derives from.

A setting is declared once, on the field that stores it (`settings.Sampling`, `settings.ChainSettings`) or,
for load options, in `settings.LOAD_SETTINGS`. Validation, the `samantha run` flags and their help, the page's
controls, the `{key=value}` item settings, Reopen from history and the README's settings table all read these
declarations, so a new setting cannot be forgotten by one of them. Labels and help stay plain English strings:
the page passes them through its translation function.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import Field, dataclass, field, fields
from typing import Any, Literal

Kind = Literal["int", "float", "bool", "seed", "stop", "choice", "text"]
Applies = Literal["sampling", "load", "chain"]
# Which control shows the setting on the page: "feature" = a feature panel draws it, "none" = no control.
Control = Literal["number", "slider", "checkbox", "textbox", "dropdown", "feature", "none"]
# Where the page draws the control: a panel, then a row and column inside it.
Panel = Literal["chain", "sampling", "advanced", ""]

README_START = "<!-- settings table: generated from the settings schema (samantha.settings.readme_table) -->"
README_END = "<!-- end of the settings table -->"


@dataclass(frozen=True)
class Setting:
    """One setting: its name, type, range, default, wording, and where it shows."""

    name: str  # the field it fills, the `{key=value}` key, the page's control name
    kind: Kind
    default: Any
    label: str
    help: str
    applies: Applies = "chain"
    low: float | None = None
    high: float | None = None
    control: Control = "none"
    panel: Panel = ""
    place: tuple[int, int] = (0, 0)  # (row, column) in its panel
    slider_high: float | None = None  # a slider's end when the useful range is narrower than the valid one
    step: float = 1.0
    flag: str | None = None  # its `samantha run` option; a sampling setting without one is set with --set
    choices: tuple[tuple[str, str], ...] = ()  # (label, value) of a dropdown
    placeholder: str = ""
    shown: bool = True  # drawn visible from the start (another control may show it)
    elem: str = ""  # the page element id when it is not derived from the name
    field_name: str = ""  # the attribute it is stored in when that differs from `name`

    @property
    def item(self) -> bool:
        """Whether an item may set it in its leading `{key=value}` block (and `--set` takes it)."""
        return self.applies == "sampling"

    @property
    def attribute(self) -> str:
        return self.field_name or self.name

    @property
    def elem_id(self) -> str:
        """The control's element id, as the page's tests and styles know it."""
        if self.elem:
            return self.elem
        dashed = self.name.replace("_", "-")
        prefix = {"slider": "slider-", "checkbox": "switch-", "feature": "switch-"}.get(self.control, "")
        return prefix + dashed

    @property
    def dest(self) -> str:
        """The argparse attribute its flag fills."""
        return (self.flag or "").lstrip("-").replace("-", "_")

    def control_value(self, value: Any) -> Any:
        """A stored value as its control shows it (Reopen puts it back)."""
        if self.kind == "stop":
            return json.dumps(list(value), ensure_ascii=False) if value else ""
        if self.kind == "seed":
            return "" if value is None else str(value)
        return value

    def range_text(self) -> str:
        """The valid values in words, for --help and the README."""
        if self.kind == "bool":
            return "true / false"
        if self.kind == "choice":
            return " / ".join(value for _, value in self.choices)
        if self.kind == "stop":
            return '["\\n", "###"]'
        if self.low is None:
            return "text"
        low, high = _number(self.low), _number(self.high) if self.high is not None else None
        span = f"{low} to {high}" if high is not None else f"{low} or more"
        return f"{span}, or empty for random" if self.kind == "seed" else span


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def setting(default: Any, label: str, help: str, kind: Kind, **options: Any) -> Any:
    """A dataclass field that declares its setting; the name is filled in from the field (`settings_of`)."""
    declared = Setting(name="", kind=kind, default=default, label=label, help=help, **options)
    if kind == "stop":
        return field(default=tuple(default), metadata={"setting": declared})
    return field(default=default, metadata={"setting": declared})


def settings_of(cls: type) -> tuple[Setting, ...]:
    """The settings a dataclass declares on its fields, in field order."""
    found: list[Setting] = []
    for item in fields(cls):
        declared = _declared(item)
        if declared is not None:
            found.append(Setting(**{**declared.__dict__, "name": item.name}))
    return tuple(found)


def _declared(item: Field[Any]) -> Setting | None:
    value = item.metadata.get("setting")
    return value if isinstance(value, Setting) else None


def by_name(settings: Iterable[Setting]) -> dict[str, Setting]:
    return {item.name: item for item in settings}


def markdown_table(settings: Iterable[Setting]) -> str:
    """The README table: one row per setting, in declaration order."""
    rows = ["| setting | on the page | values | default | command line | what it does |", "|---|---|---|---|---|---|"]
    for item in settings:
        if item.item:
            flag = f"`--set {item.name}=…`, or `{{{item.name}=…}}` before an item"
        elif item.kind == "bool" and item.default:
            flag = f"`{item.flag}` / `--no-{(item.flag or '').lstrip('-')}`"
        else:
            flag = f"`{item.flag}`" if item.flag else ""
        default = item.control_value(item.default) if item.kind in {"stop", "seed"} else item.default
        shown = "empty" if default == "" else str(default).lower() if isinstance(default, bool) else str(default)
        page = "" if item.control == "none" else item.label
        values = f"`{item.range_text()}`" if item.kind == "stop" else item.range_text()
        rows.append(f"| `{item.name}` | {page} | {values} | {shown} | {flag} | {item.help} |")
    return "\n".join(rows)
