"""Recipes on the page: pick one of the manual's worked examples and apply its prompts, switches and settings
in one click (the engine side is `samantha.recipes`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from samantha.recipes import (
    CHAIN_FIELDS,
    PAGE_FIELDS,
    Recipe,
    RecipeError,
    default_recipes_dir,
    list_recipes,
    load_recipe,
)
from samantha.runner.workspace import CodeTab
from samantha.settings import SAMPLING_SETTINGS, Sampling
from samantha.ui.code_view import PART_KEY
from samantha.ui.context import PanelContext
from samantha.ui.i18n import tr, warning_note
from samantha.ui.session import TabSession

LANGUAGE_CHOICES = [("English", "en"), ("Português (Brasil)", "pt")]
TEXT_FIELDS = ("system", "previous", "prompt")
# Sampling controls a recipe resets to the defaults unless it sets them, so its answers do not depend on what
# was tried before; the context size, answer length, seed and stop list stay the user's. Taken from the settings
# schema, so a new sampling control is reset too.
KEPT_SAMPLING = ("n_ctx", "max_tokens", "stop")
SAMPLING_FIELDS = tuple(item.name for item in SAMPLING_SETTINGS if item.control != "none" and item.name not in KEPT_SAMPLING)


@dataclass
class RecipeParts:
    picker: gr.Dropdown
    language: gr.Radio
    apply: gr.Button
    about: gr.Markdown


def recipes_folder(ctx: PanelContext) -> Path:
    """The page's recipes: `recipes/` in its prompts folder when there is one, else the shipped ones."""
    own = ctx.prompts_dir / "recipes"
    return own if own.is_dir() else default_recipes_dir()


def recipe_choices(folder: Path) -> list[tuple[str, str]]:
    choices = []
    for name in list_recipes(folder):
        try:
            choices.append((load_recipe(name, folder).text().title, name))
        except RecipeError:
            choices.append((f"{name} (cannot be read)", name))
    return choices


def describe(recipe: Recipe, language: str) -> str:
    """What the recipe does and what it needs from the user (the models, in order)."""
    text = recipe.text(language)
    lines = [f"**{text.title}**: {text.description}"]
    if recipe.models:
        lines.append("Models, in this order: " + ", ".join(f"{i}. {role}" for i, role in enumerate(recipe.models, 1)))
    if recipe.data_files:
        lines.append("Its data (" + ", ".join(path.name for path in recipe.data_files)
                     + ") is copied into the Code tab's working folder.")
    return "  \n".join(lines)


def render_recipes(ctx: PanelContext) -> RecipeParts:
    """The recipe picker (wired by `wire_recipes` once every control exists)."""
    folder = recipes_folder(ctx)
    with gr.Accordion("Recipes (the manual's worked examples)", open=False, elem_id="recipes"):
        gr.Markdown(f"One click sets the prompts, switches and settings of a worked example. Recipes are TOML files "
                    f"in `{folder}`.")
        with gr.Row(equal_height=True):
            picker = gr.Dropdown(choices=recipe_choices(folder), value=None, label="Recipe", scale=4,
                                 elem_id="recipe-picker", elem_classes=["enter-own"])
            language = gr.Radio(LANGUAGE_CHOICES, value="en", label="Language of its prompts", scale=2,
                                elem_id="recipe-language")
        apply = gr.Button("Apply recipe", size="sm", elem_id="apply-recipe")
        about = gr.Markdown(elem_id="recipe-about")
    return RecipeParts(picker, language, apply, about)


def wire_recipes(ctx: PanelContext, parts: RecipeParts) -> None:
    """Apply writes every control a recipe governs: its values, or the defaults for what it leaves out."""
    folder = recipes_folder(ctx)
    names = [name for name in (*TEXT_FIELDS, *CHAIN_FIELDS, *PAGE_FIELDS, *SAMPLING_FIELDS) if name in ctx.controls]
    defaults = Sampling()

    def values_for(recipe: Recipe, language: str) -> dict[str, Any]:
        text = recipe.text(language)
        values: dict[str, Any] = {"system": text.system, "previous": text.previous, "prompt": text.prompt}
        values.update({key: (1 if kind is int else False) for key, kind in CHAIN_FIELDS.items()})
        values.update({key: False for key in PAGE_FIELDS})
        values.update(recipe.chain)
        values.update(recipe.page)
        values.update({key: getattr(defaults, key) for key in SAMPLING_FIELDS})
        values.update({key: value for key, value in recipe.sampling.items() if key in SAMPLING_FIELDS})
        return values

    def apply(tab: TabSession, name: str | None, language: str) -> list[Any]:
        if not name:
            gr.Warning(tr("Choose a recipe in the list first."))
            return [gr.skip()] * (len(names) + 1)
        try:
            recipe = load_recipe(name, folder)
        except RecipeError as exc:
            gr.Warning(tr(str(exc)))
            return [gr.skip()] * len(names) + [warning_note(exc)]
        values = values_for(recipe, language or "en")
        note = describe(recipe, language or "en")
        if recipe.data_files:
            workdir = tab.part(PART_KEY, CodeTab).workdir
            recipe.copy_data_files(workdir)
            note += f" (`{workdir}`)"
        gr.Info(tr(f"Recipe applied: {recipe.text(language).title}"))
        return [values[name] for name in names] + [note]

    parts.apply.click(apply, [ctx.session, parts.picker, parts.language],
                      [ctx.controls[name] for name in names] + [parts.about], api_name="apply_recipe")
    def preview(name: str | None, language: str) -> str:
        if not name:
            return ""
        try:
            return describe(load_recipe(name, folder), language or "en")
        except RecipeError as exc:
            return warning_note(exc)

    parts.picker.change(preview, [parts.picker, parts.language], [parts.about], api_visibility="private",
                        queue=False)
