"""Recipe files: what a bad one says, and how a recipe turns into chain settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from samantha.recipes import RecipeError, list_recipes, load_recipe, read_recipe
from samantha.runner import PROFILES, RunnerSetupError, profile_packages
from samantha.settings import Sampling


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_recipe_becomes_chain_settings_and_explicit_values_win(tmp_path: Path) -> None:
    write(tmp_path, "mine", '[chain]\nfeedback = true\nresponses = 3\n[sampling]\nrepeat_penalty = 1.5\n'
                            '[en]\ntitle = "T"\ndescription = "D"\nprompt = "one\\ntwo"\n'
                            '[pt]\ntitle = "T pt"\ndescription = "D pt"\nprompt = "um\\ndois"\n')
    assert list_recipes(tmp_path) == ["mine"]
    recipe = load_recipe("mine", tmp_path)
    settings = recipe.chain_settings(("m.gguf",), "pt", sampling=Sampling(n_ctx=1024))
    assert settings.prompt == "um\ndois" and settings.feedback and settings.responses == 3
    assert settings.sampling.repeat_penalty == 1.5 and settings.sampling.n_ctx == 1024
    assert recipe.chain_settings((), responses=1).responses == 1
    assert recipe.text("xx").title == "T"  # no such translation: English


@pytest.mark.parametrize(("text", "words"), [
    ("[en]\ntitle = 'T'\ndescription = 'D'\nprompt = 'x'\n[chain]\nfedback = true\n", "no setting 'fedback'"),
    ("[en]\ntitle = 'T'\ndescription = 'D'\nprompt = 'x'\n[chain]\nresponses = 'many'\n", "responses must be int"),
    ("[pt]\ntitle = 'T'\ndescription = 'D'\nprompt = 'x'\n", "has no [en] section"),
    ("[en]\ntitle = 'T'\nprompt = 'x'\n", "description"),
    ("[en\n", "is not valid TOML"),
    ("data_files = ['gone.csv']\n[en]\ntitle = 'T'\ndescription = 'D'\nprompt = 'x'\n", "gone.csv is missing"),
    ("[en]\ntitle = 'T'\ndescription = 'D'\nprompt = 'x'\n[sampling]\ntemperature = 'hot'\n", "bad.toml"),
])
def test_a_bad_recipe_file_says_what_is_wrong_and_where(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path, "bad", text)
    with pytest.raises(RecipeError, match="bad.toml") as caught:
        read_recipe(path).chain_settings(())
    assert words in str(caught.value)


def test_an_unknown_recipe_lists_the_known_ones(tmp_path: Path) -> None:
    write(tmp_path, "known", "[en]\ntitle = 'T'\ndescription = 'D'\nprompt = 'x'\n")
    with pytest.raises(RecipeError, match="known recipes: known"):
        load_recipe("../known", tmp_path)


def test_profiles_hold_the_manuals_toolbox() -> None:
    assert set(PROFILES) == {"light", "full", "launchers"}
    full = set(profile_packages("FULL"))
    for package in ("pandas", "altair", "bokeh", "dash", "streamlit", "ydata-profiling", "sweetviz", "dtale",
                    "pyvis", "sqlalchemy", "beautifulsoup4", "pymupdf", "openpyxl", "pipdeptree", "jupyterlab",
                    "pyinstaller", "sqlite-web"):
        assert package in full
    assert set(profile_packages("launchers")) <= full
    with pytest.raises(RunnerSetupError, match="choose one of light, full, launchers"):
        profile_packages("huge")
