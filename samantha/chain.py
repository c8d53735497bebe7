"""The chain loop: ([models] -> respond -> ([prompts] x responses)) x loops.

`plan_steps` decides what runs in which order (pure, so `--dry-run` shows it);
`run_chain` runs the plan against a backend and yields typed events.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from samantha.backends.base import (
    Backend,
    BackendError,
    BadGrammar,
    Cancelled,
    Control,
    Generated,
    GenerationRequest,
    LoadOptions,
    Piece,
    WorkerDied,
)
from samantha.backends.read_ahead import read_ahead
from samantha.backends.threads import threads_warning
from samantha.events import (
    AnswerFinished,
    AnswerRecord,
    AnswerStarted,
    Banner,
    ChainFailed,
    ChainFinished,
    ChainStarted,
    Event,
    ModelLoaded,
    Notice,
    Token,
)
from samantha.formats import FormatError, build_messages, render
from samantha.learning import TokenChoice, display_candidates
from samantha.model_ref import display_name
from samantha.prompts import PromptItem, SystemPart, final_item_text, parse_previous, parse_prompt_list, parse_system
from samantha.sampling import draw_random_hyperparameters, format_settings, ineffective_settings
from samantha.settings import ChainSettings, Sampling
from samantha.template_probe import TEMPLATE_ADDED_KEY, template_added_text

STOP_WORD = "STOP_SAMANTHA"
# How a chain ends when every step ran but a worker died on the way: not "done", so nobody misses it.
WORKER_CRASHED = "worker crashed"
# Warn when the next cumulative step (its prompt plus an answer as long as the last) would fill this share of n_ctx.
CUMULATIVE_WARNING_SHARE = 0.75


@dataclass(frozen=True)
class Step:
    """One answer to produce."""

    loop: int
    model_position: int
    model: str
    round: int
    item: PromptItem


@dataclass(frozen=True)
class HookOutcome:
    """What a plug-in (code runner, voice, ...) adds after an answer."""

    events: tuple[Event, ...] = ()
    feedback: str | None = None  # the text to feed back instead of the answer
    stop_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class AnswerHook(Protocol):
    def after_answer(self, record: AnswerRecord, control: Control) -> HookOutcome:
        ...


class ModelPreparer(Protocol):
    """Turns a chain entry that is not a file yet (a hub link) into one, reporting progress."""

    def handles(self, ref: str) -> bool:
        ...

    def plan(self, models: Sequence[str]) -> None:
        """Hear every step's chain entry, in order, before the first step (to fetch each link only once)."""
        ...

    def prepare(self, ref: str, control: Control) -> Generator[Event, None, str]:
        ...


class Pacer(Protocol):
    """Learning mode's pacing: called after each token is shown; returns when the next may come."""

    def wait(self, control: Control) -> None:
        ...


def model_name(ref: str) -> str:
    """What to call a chain entry on screen: the file name, or the remote model's name."""
    return display_name(ref)


def _arrangeable(counts: dict[str, int], last: str | None) -> bool:
    """Whether `counts` can be laid out with no equal neighbours, not starting with `last`."""
    total = sum(counts.values())
    if not total:
        return True
    if 2 * max(counts.values()) > total + 1:
        return False
    return last is None or 2 * counts.get(last, 0) < total + 1


def shuffled_order(models: Sequence[str], rng: random.Random, last: str | None = None) -> list[str]:
    """A random order with no two identical neighbours whenever that is possible.

    Places one model at a time, choosing at random among the picks that keep the
    rest arrangeable, so it never retries and always terminates.
    """
    remaining: dict[str, int] = {}
    for model in models:
        remaining[model] = remaining.get(model, 0) + 1
    order: list[str] = []
    while remaining:
        choices = sorted(m for m in remaining if m != last) or sorted(remaining)
        rng.shuffle(choices)

        def after(pick: str, remaining: dict[str, int] = remaining) -> dict[str, int]:
            return {m: n - (m == pick) for m, n in remaining.items() if n - (m == pick) > 0}

        good = [m for m in choices if _arrangeable(after(m), m)]
        # When repeats are unavoidable, spend the most frequent model first.
        pick = good[0] if good else max(choices, key=lambda m: remaining[m])
        order.append(pick)
        remaining = after(pick)
        last = pick
    return order


def single_pairing_problem(models: int, items: int) -> str:
    """Why "single response per model" cannot pair these counts, or "" when it can.

    Model i answers item i, so a model without an item or an item without a model would be dropped
    silently; the run is refused instead, before anything loads.
    """
    if models == items or models == 0:
        return ""
    return (f"model i answers item i only, but there are {items} prompt item(s) and {models} model(s): "
            "give as many items as models, or turn single response off")


def iter_steps(settings: ChainSettings, items: Sequence[PromptItem], seed: int) -> Iterator[Step]:
    """Every answer the chain will produce, in order, made one at a time: a million loops cost no memory."""
    if settings.single:
        # Model i answers item i; responses repeat each pair, and loops repeat the whole single pass.
        for loop in range(1, settings.loops + 1):
            for position, (model, item) in enumerate(zip(settings.models, items), start=1):
                for round_ in range(1, settings.responses + 1):
                    yield Step(loop, position, model, round_, item)
        return
    rng = random.Random(seed ^ 0x5DEECE66D)
    last: str | None = None
    for loop in range(1, settings.loops + 1):
        models = list(settings.models)
        if settings.shuffle and len(models) >= 3:
            models = shuffled_order(models, rng, last)
        for position, model in enumerate(models, start=1):
            for round_ in range(1, settings.responses + 1):
                for item in items:
                    yield Step(loop, position, model, round_, item)
        last = models[-1] if models else None


def plan_steps(settings: ChainSettings, items: Sequence[PromptItem], seed: int) -> list[Step]:
    """Every answer the chain will produce, in order, as a list (for small plans and tests)."""
    return list(iter_steps(settings, items, seed))


def count_steps(settings: ChainSettings, items: Sequence[PromptItem]) -> int:
    """How many answers the plan holds, without making it."""
    if settings.single:
        return settings.loops * settings.responses * min(len(settings.models), len(items))
    return settings.loops * len(settings.models) * settings.responses * len(items)


def _models_to_prepare(settings: ChainSettings, items: Sequence[PromptItem], seed: int) -> list[str]:
    """The chain entries in step order over the first two loops: enough to see which come back after
    another (every later loop repeats the same models), without listing a million loops."""
    if not items:
        return []
    early = replace(settings, loops=min(settings.loops, 2), responses=1)
    return [step.model for step in iter_steps(early, items if settings.single else items[:1], seed)]


@dataclass
class _ChainRun:
    """One `run_chain` call: what it was given, and what changes as it goes."""

    settings: ChainSettings
    backend: Backend
    control: Control
    load_options: LoadOptions
    hooks: list[AnswerHook]
    grammar: str | None
    pacer: Pacer | None
    prepare: ModelPreparer | None
    system: list[SystemPart]
    seed: int
    previous: str
    answers: list[str] = field(default_factory=list)
    failed_models: set[str] = field(default_factory=set)
    finish: str = "done"
    worker_deaths: int = 0
    next_model: str | None = None  # the chain entry of the step after this one
    answer_index: int = 0
    told: set[str] = field(default_factory=set)  # notices already shown in this run (each is shown once)
    params_rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.params_rng = random.Random(self.seed)


def _effective_sampling(
    settings: ChainSettings, item: PromptItem, rng: random.Random
) -> tuple[Sampling, dict[str, float] | None]:
    sampling = settings.sampling.with_values(item.settings)
    drawn = None
    if settings.random_params:
        drawn = draw_random_hyperparameters(rng)
        sampling = sampling.with_values(drawn)
    return sampling, drawn


def _load_options(base: LoadOptions, sampling: Sampling) -> LoadOptions:
    return replace(base, n_ctx=sampling.n_ctx)


def run_chain(
    settings: ChainSettings,
    backend: Backend,
    control: Control,
    *,
    load_options: LoadOptions = LoadOptions(),
    hooks: Iterable[AnswerHook] = (),
    grammar: str | None = None,
    pacer: Pacer | None = None,
    prepare: ModelPreparer | None = None,
) -> Iterator[Event]:
    """Run a chain and yield its events; bad prompt settings raise PromptSyntaxError before anything runs."""
    items = parse_prompt_list(settings.prompt)
    seed = settings.seed if settings.seed is not None else secrets.randbelow(2**31)
    steps = iter_steps(settings, items, seed)
    run = _ChainRun(settings, backend, control, load_options, list(hooks), grammar, pacer, prepare,
                    parse_system(settings.system), seed, parse_previous(settings.previous))
    yield ChainStarted(seed=seed, steps=count_steps(settings, items), previous=run.previous)
    too_many = threads_warning(load_options.n_threads)
    if too_many:
        yield Notice(too_many)
    if prepare is not None:
        prepare.plan(_models_to_prepare(settings, items, seed))
    if not settings.models:
        yield ChainFailed("no model chosen: pick a model file (or paste a link) first")
        yield ChainFinished("error", 0)
        return
    unpaired = single_pairing_problem(len(settings.models), len(items)) if settings.single else ""
    if unpaired:
        yield ChainFailed(f"single response per model: {unpaired}")
        yield ChainFinished("error", 0)
        return

    group: tuple[int, int, str, int] | None = None
    upcoming = next(steps, None)
    while upcoming is not None:
        step, upcoming = upcoming, next(steps, None)
        run.next_model = upcoming.model if upcoming is not None else None
        if control.all_stopped:
            run.finish = "stopped"
            break
        if step.model in run.failed_models:
            continue
        if (step.loop, step.model_position, step.model, step.round) != group:
            group = (step.loop, step.model_position, step.model, step.round)
            control.clear_next()
            yield Banner(step.model, model_name(step.model), step.model_position, step.round, step.loop)
        yield from _run_step(run, step)
        if run.finish != "done":
            break
    if control.all_stopped and run.finish == "done":
        run.finish = "stopped"
    if run.finish == "done" and run.worker_deaths:
        run.finish = WORKER_CRASHED
    yield ChainFinished(run.finish, len(run.answers))


def _run_step(run: _ChainRun, step: Step) -> Iterator[Event]:
    """Load (or download) the step's model, answer its item, run the hooks, update the feedback."""
    settings, backend, control, pacer = run.settings, run.backend, run.control, run.pacer
    sampling, drawn = _effective_sampling(settings, step.item, run.params_rng)
    model_file = step.model
    try:
        if run.prepare is not None and run.prepare.handles(step.model):
            model_file = yield from run.prepare.prepare(step.model, control)
        info = backend.load(model_file, _load_options(run.load_options, sampling), control)
    except Cancelled:
        if not control.all_stopped:
            # Stop/next while loading skips this model for this round.
            yield Notice(f"skipped {model_name(step.model)}")
        return
    except BackendError as exc:
        if getattr(exc, "fatal", True):
            run.failed_models.add(step.model)
        else:
            run.worker_deaths += 1
        yield ChainFailed(f"{model_name(step.model)}: {exc}", model=step.model, item_number=step.item.number)
        return
    if not info.reused:
        yield ModelLoaded(step.model, info.load_seconds, reused=False)
    if run.next_model is not None and run.next_model != step.model:
        read_ahead(run.next_model)  # while this model answers, the next one's file comes off the disk

    user_text = final_item_text(step.item, run.answers) if step.item.is_final else step.item.text
    messages = build_messages(run.system, run.previous, user_text)
    try:
        rendered = render(messages, settings.prompt_format, info.template,
                          user_name=settings.user_name, assistant_name=settings.assistant_name)
    except FormatError as exc:
        run.failed_models.add(step.model)
        yield ChainFailed(f"{info.name}: {exc}", model=step.model, item_number=step.item.number)
        return
    # Each model's format notice comes the first time that model answers, whatever its place in the chain.
    for message in ([f"{info.name}: {rendered.notice}"] if rendered.notice else []) + ineffective_settings(sampling):
        if message not in run.told:
            run.told.add(message)
            yield Notice(message)

    answer_seed = sampling.seed if sampling.seed is not None else (run.seed + run.answer_index) % 2**32
    sampling = replace(sampling, seed=answer_seed)
    run.answer_index += 1
    # The drawn values with the answer's seed: pasted back as item settings, they reproduce this answer.
    header = format_settings({**drawn, "seed": answer_seed}) if drawn else ""
    added = template_added_text(messages, settings.prompt_format, info.template, rendered.text)
    yield AnswerStarted(step.item.number, user_text, header, info.name, step.model_position, step.loop, step.round,
                        step.item.label, rendered.text, added)

    request = GenerationRequest(
        prompt=rendered.text,
        sampling=sampling,
        seed=answer_seed,
        grammar=run.grammar,
        reset=settings.reset or sampling.reset_model,
        candidates=display_candidates(sampling.top_k) if settings.learning else 0,
        lockstep=settings.learning and pacer is not None,
        messages=tuple(messages) if settings.prompt_format == "auto" else (),
        plain_spans=rendered.plain_spans,
        format_stops=rendered.stops,
    )
    done: Generated | None = None
    died: WorkerDied | None = None
    choices: list[TokenChoice] = []
    try:
        for out in backend.generate(request, control):
            if isinstance(out, Piece):
                if out.choice is not None:
                    choices.append(out.choice)
                if not settings.fast:
                    yield Token(out.text, out.choice)
                if pacer is not None and out.choice is not None and not control.answer_should_stop():
                    pacer.wait(control)
            else:
                done = out
    except BadGrammar as exc:
        yield ChainFailed(str(exc), model=step.model, item_number=step.item.number)
        run.finish = "error"  # every step would fail the same way
        return
    except WorkerDied as exc:
        # Keep what was written so far as the answer; the next step starts a new worker.
        died = exc
        run.worker_deaths += 1
        done = Generated(exc.partial, 0, len(choices), 0.0, 0.0, "crashed")
    except BackendError as exc:
        yield ChainFailed(f"{info.name}: {exc}", model=step.model, item_number=step.item.number)
        if getattr(exc, "fatal", False):
            run.failed_models.add(step.model)
        return
    finally:
        control.clear_next()  # Stop/next ends this answer only
    if done is None:
        return

    record = AnswerRecord(
        model=step.model,
        model_name=info.name,
        model_position=step.model_position,
        item_number=step.item.number,
        item_text=user_text,
        round=step.round,
        loop=step.loop,
        settings=sampling.to_dict(),
        random_values=drawn,
        prompt=rendered.text,
        answer=done.text,
        prompt_tokens=done.prompt_tokens,
        answer_tokens=done.answer_tokens,
        load_seconds=0.0 if info.reused else info.load_seconds,
        prompt_seconds=done.prompt_seconds,
        generation_seconds=done.generation_seconds,
        finish_reason=done.finish_reason,
        extra={
            **done.extra,
            **({"learning": [c.to_dict() for c in choices]} if choices else {}),
            **({"model_file": model_file} if model_file != step.model else {}),
            **({TEMPLATE_ADDED_KEY: added} if added else {}),
        },
        item_label=step.item.label,
    )
    feedback = done.text
    stop_reason = STOP_WORD if done.text.strip() == STOP_WORD else None
    try:
        # A cut-off answer is kept, but its code is not run: it is unfinished.
        outcomes = [hook.after_answer(record, control) for hook in run.hooks] if died is None else []
    finally:
        control.clear_next()  # a Stop/next during the code run ended that run, not the next answer
    for outcome in outcomes:
        record.extra.update(outcome.extra)
        if outcome.feedback is not None:
            feedback = outcome.feedback
        stop_reason = stop_reason or outcome.stop_reason
    if feedback != done.text:
        record.extra["fed_back"] = feedback  # what the next step sees as the previous response
    run.answers.append(done.text)
    if settings.feedback:  # the feedback rule: the one place that decides what the next step sees
        run.previous = f"{run.previous}\n\n{feedback}".strip() if settings.cumulative else feedback
    yield AnswerFinished(record, previous=run.previous)
    if died is not None:
        yield ChainFailed(f"{info.name}: {died}", model=step.model, item_number=step.item.number)
    for notice in done.notices:
        yield Notice(f"{info.name}: {notice}")
    for outcome in outcomes:
        yield from outcome.events

    if settings.feedback:
        # The next prompt holds this answer too, and the next answer needs about as much room again.
        needed = done.prompt_tokens + 2 * done.answer_tokens
        if settings.cumulative and info.n_ctx > 0 and needed > CUMULATIVE_WARNING_SHARE * info.n_ctx:
            yield Notice(
                f"cumulative response: the prompt used {done.prompt_tokens} of {info.n_ctx} context tokens and "
                f"grows by each answer (this one: {done.answer_tokens}), so the next steps will soon not fit; "
                "raise n_ctx or turn off cumulative response before it overflows"
            )
    if stop_reason:
        run.finish = stop_reason
    elif control.all_stopped:
        run.finish = "stopped"


def dry_run_lines(settings: ChainSettings) -> Iterator[str]:
    """The planned steps as text, one at a time, without loading any model (`samantha run --dry-run`).

    The settings of items that share them and the names of models are described once, not once per
    step: a 200,000-line prompt list prints in about the time it takes to parse.
    """
    items = parse_prompt_list(settings.prompt)
    seed = settings.seed if settings.seed is not None else secrets.randbelow(2**31)  # as run_chain draws it
    if settings.shuffle or settings.random_params:
        # The order (and the drawn values) depend on the seed: name it, so `--seed` gives the run this plan.
        yield f"session seed {seed}" + ("" if settings.seed is not None else f" (drawn now: add --seed {seed} to run this plan)")
    defaults = Sampling().to_dict()
    settings_text: dict[str, str] = {}
    names: dict[str, str] = {}

    def describe_settings(item: PromptItem) -> str:
        key = repr(sorted(item.settings.items()))
        if key not in settings_text:
            values = settings.sampling.with_values(item.settings).to_dict()
            changed = {k: v for k, v in values.items() if v != defaults[k]}
            settings_text[key] = format_settings(changed) if changed else "{}"
        return settings_text[key]

    for number, step in enumerate(iter_steps(settings, items, seed), start=1):
        name = names.setdefault(step.model, model_name(step.model))
        text = step.item.text.replace("\n", "\\n")
        extra = " [[final: + all answers so far]]" if step.item.is_final else ""
        yield (f"{number}. loop {step.loop}, model {step.model_position} {name}, round {step.round}, "
               f"item {step.item.number}: {text!r}{extra} settings {describe_settings(step.item)}")
    if settings.random_params:
        yield "(random hyperparameters are drawn per answer when the chain runs)"
