"""Every shipped recipe, end to end through the real llama.cpp engine and the real runner venv.

Where a recipe needs the model to write exact code, a GBNF grammar forces the
tiny model's answer (as in test_code_in_chain.py); where a real answer is
enough (prompt tuning), the tiny model answers freely.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from runner_env import launchers_environment, runner_environment

from samantha.backends.base import Control
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.config import CONFIG_DIR_ENV
from samantha.events import AnswerFinished, ChainFinished, CodeRan
from samantha.recipes import list_recipes, load_recipe
from samantha.runner import CodeRunner, find_environment
from samantha.runner.chain_hook import CodeRunHook
from samantha.settings import Sampling
from samantha.tinymodel import grammar_for_text

SAMPLING = Sampling(n_ctx=2048, max_tokens=200)
SHIPPED = {"intelligence-challenge", "self-refining-prompt", "random-number-loop", "prompt-engineer-bar-chart",
           "prompt-tuning", "eda-sample-data", "installed-modules"}


def answer_with(code: str) -> str:
    return f"Here it is:\n```python\n{code}\n```"


def run_recipe(name: str, models: tuple[str, ...], *, grammar: str | None, environment=None,
               workdir: Path | None = None, language: str = "en", sampling: Sampling = SAMPLING) -> list:
    recipe = load_recipe(name)
    settings = recipe.chain_settings(models, language, sampling=sampling)
    hooks = []
    if settings.run_code:
        assert environment is not None and workdir is not None
        recipe.copy_data_files(workdir)
        hooks.append(CodeRunHook(CodeRunner(environment, workdir), stop_condition=settings.stop_condition,
                                 output_only=settings.feedback_output_only))
    backend = LlamaProcessBackend()
    try:
        return list(run_chain(settings, backend, Control(), hooks=hooks, grammar=grammar))
    finally:
        backend.close()
        for hook in hooks:
            hook.runner.close()


def records(events: list) -> list:
    return [e.record for e in events if isinstance(e, AnswerFinished)]


def runs(events: list) -> list[CodeRan]:
    return [e for e in events if isinstance(e, CodeRan)]


def test_every_manual_workflow_ships_in_english_and_portuguese() -> None:
    assert SHIPPED <= set(list_recipes())
    for name in SHIPPED:
        recipe = load_recipe(name)
        english, portuguese = recipe.text("en"), recipe.text("pt")
        assert english.prompt and portuguese.prompt and english.prompt != portuguese.prompt, name
        assert english.title and portuguese.title != english.title, name


def test_intelligence_challenge_single_response_per_model_with_cumulative_feedback(
        tiny_model: Path, tiny_model_b: Path) -> None:
    judge, contestant = str(tiny_model), str(tiny_model_b)
    events = run_recipe("intelligence-challenge", (judge, contestant, contestant, judge),
                        grammar=grammar_for_text("My answer."))
    answered = records(events)
    assert [(r.model, r.item_number) for r in answered] == [(judge, 1), (contestant, 2), (contestant, 3), (judge, 4)]
    verdict = answered[3]
    assert "You are the AI Judge. Evaluate the responses" in verdict.prompt
    assert verdict.prompt.count("My answer.") == 3  # the judge sees the question and both contestants' answers
    assert events[-1] == ChainFinished("done", 4)


def test_self_refining_prompt_feeds_the_answer_and_the_codes_output_back(tiny_model: Path, tmp_path: Path) -> None:
    events = run_recipe("self-refining-prompt", (str(tiny_model),), grammar=grammar_for_text(
        answer_with("print('bars:', 3)")), environment=runner_environment(), workdir=tmp_path)
    assert [r.stdout for r in runs(events)] == ["bars: 3\n"] * 4
    second = records(events)[1]
    assert "Refine even more the prompt" in second.prompt
    assert "Python output:\nbars: 3" in second.prompt  # answer plus the interpreter's output


def test_random_number_loop_runs_until_the_stop_condition_holds(tiny_model: Path, tmp_path: Path) -> None:
    code = "import random\ndef draw():\n    n = random.randint(1, 10)\n    print(n if n < 4 else '')\ndraw()"
    events = run_recipe("random-number-loop", (str(tiny_model),), grammar=grammar_for_text(answer_with(code)),
                        environment=runner_environment(), workdir=tmp_path)
    done = runs(events)
    assert events[-1].reason == "stop condition"
    assert done[-1].stdout.strip() in {"1", "2", "3"}
    assert all(run.stdout.strip() == "" for run in done[:-1])  # earlier draws printed '' and the loop went on
    assert len(done) < load_recipe("random-number-loop").chain["responses"]


def test_prompt_engineer_persona_ends_in_a_bar_chart(tiny_model: Path, tmp_path: Path) -> None:
    code = ("import matplotlib.pyplot as plt\nplt.bar(['a', 'b', 'c'], [3, 1, 2])\nplt.title('Bars')\n"
            "plt.savefig('bars.png')\nprint('chart saved')")
    events = run_recipe("prompt-engineer-bar-chart", (str(tiny_model),), grammar=grammar_for_text(answer_with(code)),
                        environment=runner_environment(), workdir=tmp_path)
    answered = records(events)
    assert 'PROMPT: "Create a bar chart using Python."' in answered[1].prompt
    last = runs(events)[-1]
    charts = [Path(image) for image in last.images if image.endswith(".png")]
    assert charts and charts[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_prompt_tuning_answers_the_variations_deterministically_with_a_repeat_penalty(tiny_model: Path) -> None:
    sampling = Sampling(n_ctx=1024, max_tokens=12)
    first = records(run_recipe("prompt-tuning", (str(tiny_model),), grammar=None, sampling=sampling))
    again = records(run_recipe("prompt-tuning", (str(tiny_model),), grammar=None, sampling=sampling))
    assert [r.item_text for r in first] == ["Who are you?", "Who are you", "Who are you."]
    assert all(r.settings["repeat_penalty"] == 1.5 and r.settings["temperature"] == 0 for r in first)
    assert [r.answer for r in first] == [r.answer for r in again]  # deterministic: the prompt alone changes answers


def test_eda_chain_on_the_sample_data_set(tiny_model: Path, tmp_path: Path) -> None:
    environment = launchers_environment()  # D-Tale brings pandas, which the EDA code needs
    code = ("import pandas as pd\ndf = pd.read_csv('public_spending.csv')\nprint(df.shape)\n"
            "print(df.groupby('agency')['amount_brl'].sum().sort_values(ascending=False).round(2).to_string())")
    events = run_recipe("eda-sample-data", (str(tiny_model),), grammar=grammar_for_text(answer_with(code)),
                        environment=environment, workdir=tmp_path)
    done = runs(events)
    assert len(done) == 4 and not any(run.is_error for run in done)
    assert done[0].stdout.startswith("(60, 8)\n") and "Health" in done[0].stdout
    assert "Extend the code of your previous response" in records(events)[1].prompt


@pytest.mark.skipif(not os.environ.get("SAMANTHA_TEST_FULL_RUNNER"),
                    reason="needs a runner venv with the full profile (set SAMANTHA_TEST_FULL_RUNNER to its folder)")
def test_eda_profiling_report_with_the_full_profile_shows_in_the_sandboxed_frame(tiny_model: Path,
                                                                                 tmp_path: Path) -> None:
    environment = find_environment(os.environ["SAMANTHA_TEST_FULL_RUNNER"])
    code = ("import pandas as pd\nfrom ydata_profiling import ProfileReport\n"
            "df = pd.read_csv('public_spending.csv')\n"
            "print(ProfileReport(df, minimal=True, progress_bar=False).to_html())")
    recipe = load_recipe("eda-sample-data")
    settings = recipe.chain_settings((str(tiny_model),), prompt=recipe.text().prompt.split("$$$")[-1],
                                     sampling=SAMPLING)
    recipe.copy_data_files(tmp_path)
    hook = CodeRunHook(CodeRunner(environment, tmp_path))
    backend = LlamaProcessBackend()
    try:
        events = list(run_chain(settings, backend, Control(), hooks=[hook],
                                grammar=grammar_for_text(answer_with(code))))
    finally:
        backend.close()
        hook.runner.close()
    report = runs(events)[0]
    assert not report.is_error, report.stderr[-2000:]
    assert report.view_html.startswith("<iframe sandbox=") and "ydata-profiling" in html.unescape(report.view_html)


def test_installed_modules_are_listed_and_shown_as_html(tiny_model: Path, tmp_path: Path) -> None:
    code = "import pkgutil\nprint('<br>'.join(sorted(m.name for m in pkgutil.iter_modules())))"
    events = run_recipe("installed-modules", (str(tiny_model),), grammar=grammar_for_text(answer_with(code)),
                        environment=runner_environment(), workdir=tmp_path)
    listed = runs(events)[0]
    names = listed.stdout.strip().split("<br>")
    assert "numpy" in names and "matplotlib" in names
    document = html.unescape(listed.view_html)  # the frame's srcdoc, as the browser reads it
    assert "matplotlib<br>" in document  # the <br> tags are rendered, not shown as text


def test_samantha_run_recipe_on_the_command_line(tiny_model: Path, tmp_path: Path) -> None:
    environment = runner_environment()
    grammar = tmp_path / "loop.gbnf"
    grammar.write_text(grammar_for_text(answer_with("print(2)")))
    session = tmp_path / "s.json"
    result = subprocess.run(
        [sys.executable, "-m", "samantha", "run", "--recipe", "random-number-loop", "--language", "pt",
         "--model", str(tiny_model), "--runner", str(environment.root), "--workdir", str(tmp_path / "work"),
         "--grammar-file", str(grammar), "--set", "n_ctx=1024", "--save", str(session), "--no-history"],
        capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, CONFIG_DIR_ENV: str(tmp_path / "config")},
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(session.read_text())
    assert doc["finished"] == {"reason": "stop condition", "answers": 1}  # the recipe turned on both switches
    assert doc["settings"]["run_code"] and doc["settings"]["stop_condition"]
    assert doc["answers"][0]["item_text"].startswith("Siga as instruções")


def test_an_unknown_recipe_lists_the_known_ones() -> None:
    result = subprocess.run([sys.executable, "-m", "samantha", "run", "--recipe", "nope", "--dry-run"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "no recipe 'nope'" in result.stderr and "random-number-loop" in result.stderr
