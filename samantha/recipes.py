"""Recipes: the original manual's worked examples as ready-made chains (prompts, switches and settings).

A recipe is one TOML file in `prompts/recipes/`, with its prompts in English
and Brazilian Portuguese (as the manual has them) and the chain switches and
sampling settings it needs, so one click in the page (or
`samantha run --recipe NAME`) sets everything up. Files a recipe's code reads
(the sample data set) are named in `data_files` and copied into the code's
working folder. Recipes are plain text: users can edit them or add their own.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from samantha.errors import SamanthaError
from samantha.prompts import PromptSyntaxError, parse_prompt_list
from samantha.settings import ChainSettings, Sampling, SettingsError, apply_settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LANGUAGES = ("en", "pt")
RECIPES_FOLDER = "recipes"
# Chain switches and counts a recipe may set, with their types (the rest of ChainSettings is the user's).
CHAIN_FIELDS: Mapping[str, type] = MappingProxyType({
    "responses": int,
    "loops": int,
    "feedback": bool,
    "cumulative": bool,
    "single": bool,
    "reset": bool,
    "shuffle": bool,
    "random_params": bool,
    "fast": bool,
    "run_code": bool,
    "stop_condition": bool,
    "feedback_output_only": bool,
})
# Page-only switches (they change what the page shows, not the chain).
PAGE_FIELDS: Mapping[str, type] = MappingProxyType({"hide_html_output": bool})


class RecipeError(SamanthaError, ValueError):
    """A recipe that cannot be found or read; the message names the file and what is wrong."""


def default_recipes_dir() -> Path:
    """`prompts/recipes/` next to the package (the repository or an unpacked release)."""
    return Path(__file__).resolve().parents[1] / "prompts" / RECIPES_FOLDER


@dataclass(frozen=True)
class RecipeText:
    """The three text inputs of one recipe in one language."""

    title: str
    description: str
    prompt: str
    system: str = ""
    previous: str = ""


@dataclass(frozen=True)
class Recipe:
    """One worked example: its texts per language, chain switches, sampling settings and model roles."""

    name: str
    path: Path
    texts: Mapping[str, RecipeText]
    chain: Mapping[str, Any] = field(default_factory=dict)
    page: Mapping[str, Any] = field(default_factory=dict)
    sampling: Mapping[str, Any] = field(default_factory=dict)
    models: tuple[str, ...] = ()  # what each model in the chain is for, in order ("judge", "contestant 1", ...)
    data_files: tuple[Path, ...] = ()

    def text(self, language: str = "en") -> RecipeText:
        """The recipe's texts in `language`, English when it has no such translation."""
        return self.texts.get(language) or self.texts["en"]

    def chain_settings(self, models: tuple[str, ...] = (), language: str = "en", **overrides: Any) -> ChainSettings:
        """ChainSettings for running this recipe with `models`; `overrides` win over the recipe's values."""
        text = self.text(language)
        values: dict[str, Any] = {"prompt": text.prompt, "system": text.system, "previous": text.previous,
                                  **self.chain}
        values.update(overrides)
        try:
            sampling = apply_settings(values.pop("sampling", None) or Sampling(), dict(self.sampling))
            return ChainSettings(models=models, sampling=sampling, **values)
        except SettingsError as exc:
            raise RecipeError(f"{self.path.name}: {exc}") from None

    def copy_data_files(self, workdir: Path) -> list[Path]:
        """Copy the files the recipe's code reads into `workdir` (the code's current folder); returns the copies."""
        workdir.mkdir(parents=True, exist_ok=True)
        copies = []
        for source in self.data_files:
            target = workdir / source.name
            shutil.copyfile(source, target)
            copies.append(target)
        return copies


def _typed(path: Path, section: str, values: Mapping[str, Any], allowed: Mapping[str, type]) -> dict[str, Any]:
    checked = {}
    for key, value in values.items():
        if key not in allowed:
            raise RecipeError(f"{path.name}: [{section}] has no setting {key!r}; known: {', '.join(allowed)}")
        kind = allowed[key]
        if kind is bool and not isinstance(value, bool) or kind is int and (isinstance(value, bool)
                                                                           or not isinstance(value, int)):
            raise RecipeError(f"{path.name}: [{section}] {key} must be {kind.__name__}, got {value!r}")
        checked[key] = value
    return checked


def read_recipe(path: Path) -> Recipe:
    """Read and check one recipe file; RecipeError says what is wrong in which file."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecipeError(f"cannot read the recipe {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"{path.name} is not valid TOML: {exc}") from None
    texts: dict[str, RecipeText] = {}
    for language in LANGUAGES:
        section = doc.get(language)
        if section is None:
            continue
        try:
            texts[language] = RecipeText(**section)
        except TypeError as exc:
            raise RecipeError(f"{path.name}: [{language}] {exc}") from None
        try:
            parse_prompt_list(texts[language].prompt)
        except PromptSyntaxError as exc:
            raise RecipeError(f"{path.name}: [{language}] prompt: {exc}") from None
    if "en" not in texts:
        raise RecipeError(f"{path.name} has no [en] section: every recipe needs English texts.")
    data_files = []
    for name in doc.get("data_files", []):
        source = (path.parent / name).resolve()
        if not source.is_file():
            raise RecipeError(f"{path.name}: its data file {name} is missing (looked for {source}).")
        data_files.append(source)
    return Recipe(
        name=path.stem,
        path=path,
        texts=MappingProxyType(texts),
        chain=MappingProxyType(_typed(path, "chain", doc.get("chain", {}), CHAIN_FIELDS)),
        page=MappingProxyType(_typed(path, "page", doc.get("page", {}), PAGE_FIELDS)),
        sampling=MappingProxyType(dict(doc.get("sampling", {}))),
        models=tuple(str(role) for role in doc.get("models", [])),
        data_files=tuple(data_files),
    )


def list_recipes(folder: Path | None = None) -> list[str]:
    """The names of the recipes in `folder` (default: the shipped ones), sorted."""
    folder = folder or default_recipes_dir()
    return sorted(path.stem for path in folder.glob("*.toml"))


def load_recipe(name: str, folder: Path | None = None) -> Recipe:
    """The recipe called `name`; RecipeError lists the known ones when there is none."""
    folder = folder or default_recipes_dir()
    path = folder / f"{name.strip()}.toml"
    if not name.strip() or "/" in name or "\\" in name or not path.is_file():
        known = ", ".join(list_recipes(folder)) or "none"
        raise RecipeError(f"there is no recipe {name!r} in {folder}; known recipes: {known}")
    return read_recipe(path)
