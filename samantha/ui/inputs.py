"""From the page's control values to the RunSpec one Start runs.

Pure: no Gradio here. Every bad value becomes an InputProblem whose message names
the control and says what to type, checked before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from samantha.backends.base import LoadOptions
from samantha.chain import single_pairing_problem
from samantha.errors import SamanthaError
from samantha.hub import HubError, parse_links
from samantha.model_folders import ModelFolderError, ModelListError, list_models, parse_model_list, resolve_models
from samantha.model_ref import ModelRefError, RefKind, kind_of, parse_model_ref
from samantha.prompts import SKIP_MARK, PromptSyntaxError, parse_prompt_list
from samantha.run_spec import CodeOptions, DownloadOptions, LearningOptions, RunSpec, VoiceOptions
from samantha.settings import (
    CHAIN_SETTINGS,
    LOAD_SETTINGS,
    SAMPLING_SETTINGS,
    ChainSettings,
    Sampling,
    SettingsError,
    apply_settings,
)
from samantha.settings_schema import Setting

# The settings the page's own controls hold (feature panels add theirs through `chain_fields`).
PAGE_SAMPLING = tuple(item for item in SAMPLING_SETTINGS if item.control != "none")
PAGE_CHAIN = tuple(item for item in CHAIN_SETTINGS if item.panel)
# The sampling numbers and the chain switches on the page.
NUMBER_KEYS = tuple(item.name for item in PAGE_SAMPLING if item.kind in {"int", "float"})
SWITCHES = tuple(item.name for item in PAGE_CHAIN if item.kind == "bool")
_SEED = next(item for item in PAGE_CHAIN if item.name == "seed")

# How a Start without a model begins its message (the status box clears it once the chain list has one).
NO_MODEL_CHOSEN = "no model chosen"


class InputProblem(SamanthaError, ValueError):
    """A control holds something the chain cannot run with."""


def active_links(text: str) -> str:
    """The link field without blank and `---` lines; empty when nothing is to be downloaded."""
    lines = [line.strip() for line in (text or "").splitlines()]
    return "\n".join(line for line in lines if line and not line.startswith(SKIP_MARK))


def _noun(declared: Setting) -> str:
    """The control's label as the subject of a message ("number of loops", "CPU threads")."""
    label = declared.label
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _whole(declared: Setting, value: Any) -> int:
    name, minimum = _noun(declared), int(declared.low or 0)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputProblem(f"{name} is empty: type a whole number (at least {minimum})")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputProblem(f"{name} must be a whole number, got {value!r}") from None
    if number != int(number) or number < minimum:
        raise InputProblem(f"{name} must be a whole number of at least {minimum}, got {value}")
    return int(number)


def sampling_from_values(values: Mapping[str, Any]) -> Sampling:
    """The sampling controls as a checked Sampling (same rules as a `{...}` item block)."""
    raw: dict[str, Any] = {}
    for declared in PAGE_SAMPLING:
        value = values.get(declared.name)
        if declared.name in NUMBER_KEYS and (value is None or (isinstance(value, str) and not value.strip())):
            raise InputProblem(f"{declared.name} is empty: type a number (the default is {declared.default})")
        raw[declared.name] = value if value is not None else ""
    try:
        return apply_settings(Sampling(), raw)
    except SettingsError as exc:
        raise InputProblem(f"{exc.key}: {exc}") from None


def session_seed(value: Any) -> int | None:
    """The session seed; empty means a new random seed (shown in the status so the run can be repeated)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    high = int(_SEED.high or 0)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputProblem(f"seed must be a whole number or empty for a random seed, got {value!r}") from None
    if number != int(number) or not 0 <= number <= high:
        raise InputProblem(f"seed must be a whole number from 0 to {high}, or empty for a random seed, got {value}")
    return int(number)


def chain_value(declared: Setting, value: Any) -> Any:
    """One chain or load control's value, checked and typed as the setting stores it."""
    if declared.kind == "bool":
        return bool(value)
    if declared.kind == "seed":
        return session_seed(value)
    if declared.kind == "int":
        number = _whole(declared, value)
        if declared.applies == "load" and declared.high is not None and number > declared.high:
            raise InputProblem(f"{_noun(declared)} must be at most {int(declared.high)} ({declared.help}), "
                               f"got {number}")
        return number
    text = str(value or declared.default)
    return text.strip() if declared.kind == "text" else text


def check_grammar(text: str) -> str | None:
    """The GBNF grammar, or None when the field is empty; catches the commonest slip early."""
    grammar = (text or "").strip()
    if not grammar:
        return None
    if "::=" not in grammar or "root" not in grammar:
        raise InputProblem(
            "the GBNF grammar needs a rule named root, e.g. root ::= \"yes\" | \"no\"; clear the field to turn it off"
        )
    return grammar + "\n"


def link_members(links: str) -> tuple[str, ...]:
    """Each active link line as a chain member, in order with repeats; every bad line reported at once.

    Remote-model entries (openai+http://...#model) may stand among the links; they need no download.
    """
    # Remote lines become skip lines, so a bad link is still reported with its own line number.
    checked: list[str] = []
    problems: list[str] = []
    for number, line in enumerate(links.splitlines(), start=1):
        try:
            remote = bool(line.strip()) and parse_model_ref(line).kind is RefKind.REMOTE
        except ModelRefError as exc:
            remote = exc.kind is RefKind.REMOTE
            if remote:
                problems.append(f"Line {number}: {exc}")
        checked.append(SKIP_MARK if remote else line)
    try:
        if hub_links(links):
            parse_links("\n".join(checked))
    except HubError as exc:
        problems.append(exc.message)
    if problems:
        raise InputProblem("download links: " + "\n".join(problems))
    return tuple(links.splitlines())


def hub_links(links: str) -> str:
    """The link lines that are downloads, without remote-model entries."""
    return "\n".join(line for line in links.splitlines() if kind_of(line) is not RefKind.REMOTE)


def chain_models(values: Mapping[str, Any]) -> tuple[tuple[str, ...], str]:
    """The chain's model references; when the list is empty, the download links are the models."""
    folder = str(values.get("models_dir") or "")
    entries = parse_model_list(str(values.get("model_list") or ""))
    if entries:
        try:
            return resolve_models(entries, folder), ""
        except ModelListError as exc:
            raise InputProblem(str(exc)) from None
    links = active_links(str(values.get("links") or ""))
    if links:
        return link_members(links), hub_links(links)
    starter = str(values.get("starter_model") or "")
    if starter:  # the bundled starter model: a new user can press Start before downloading anything
        return (starter,), ""
    try:
        listing = list_models(folder, bool(values.get("include_subfolders")))
    except ModelFolderError as exc:
        raise InputProblem(f"{NO_MODEL_CHOSEN}, and {exc}") from None
    if not listing.models:
        raise InputProblem(
            f"the model folder {listing.folder} has no .gguf files: choose another folder (Browse), "
            "tick 'Include subfolders', or download a model into it"
        )
    raise InputProblem(f"{NO_MODEL_CHOSEN}: pick a model under 'Add model', press Add, then Start")


def build_request(values: Mapping[str, Any]) -> RunSpec:
    """Check every control and return the run it asks for; raises InputProblem naming what to fix.

    `links` is set when the models are download links (the chain fetches them). Feature panels add their
    ChainSettings switches on top (UIPlugin.chain_fields).
    """
    models, links = chain_models(values)
    prompt = str(values.get("prompt") or "")
    try:
        items = parse_prompt_list(prompt)
    except PromptSyntaxError as exc:
        raise InputProblem(str(exc)) from None
    if values.get("single"):
        unpaired = single_pairing_problem(len(models), len(items))
        if unpaired:
            raise InputProblem(f"Single response per model: {unpaired}")
    sampling = sampling_from_values(values)
    load = {item.attribute: chain_value(item, values.get(item.name, item.default)) for item in LOAD_SETTINGS}
    try:
        settings = ChainSettings(
            models=models,
            prompt=prompt,
            system=str(values.get("system") or ""),
            previous=str(values.get("previous") or ""),
            sampling=sampling,
            **{item.name: chain_value(item, values.get(item.name, item.default)) for item in PAGE_CHAIN},
        )
    except SettingsError as exc:
        raise InputProblem(str(exc)) from None
    load_options = LoadOptions(n_ctx=sampling.n_ctx, **load)
    return RunSpec(settings, load_options, check_grammar(str(values.get("grammar") or "")), links,
                   **_feature_options(values))


def _feature_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """What the feature panels' controls ask of this run beyond its settings, for the history to keep.

    Read leniently: a panel checks its own values when it builds its part of the run.
    """
    rate = values.get("speech_rate")
    folder = str(values.get("models_dir") or "").strip()
    try:
        timeout = float(values.get("code_time_limit") or CodeOptions.timeout)
    except (TypeError, ValueError):
        timeout = CodeOptions.timeout
    return {
        "downloads": DownloadOptions(models_dir=folder or None, keep_files=bool(values.get("keep_downloads"))),
        "code": CodeOptions(runner=str(values.get("runner_location") or "") or None, timeout=timeout,
                            hide_view=bool(values.get("hide_html_output"))),
        "learning": LearningOptions(pacing=str(values.get("pacing") or "")),
        "voice": VoiceOptions(read_aloud=bool(values.get("read_aloud")), sound_cues=bool(values.get("sound_cues")),
                              voice=str(values.get("voice") or "") or None,
                              rate=int(rate) if isinstance(rate, (int, float)) else None),
    }

