"""The `samantha` command: the web app by default, `samantha run` for headless chains."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from samantha.errors import SamanthaError, user_message

if TYPE_CHECKING:  # imported when used, so `samantha --help` stays quick
    from samantha.recipes import Recipe

from samantha.app_secrets import Secrets, keep_secrets_private, take_secrets
from samantha.backends.base import Control, LoadOptions
from samantha.chain import dry_run_lines, single_pairing_problem
from samantha.events import (
    AnswerFinished,
    AnswerStarted,
    Banner,
    ChainFailed,
    ChainFinished,
    CodeRan,
    Downloading,
    Event,
    Notice,
    RunObserver,
    Token,
)
from samantha.history.cli import add_history_parser, finish_recorder, history_command, run_recorder
from samantha.model_ref import RefKind, kind_of
from samantha.prompts import PromptSyntaxError, parse_prompt_list
from samantha.remote_cli import (
    RemoteInputError,
    add_api_key_option,
    add_models_parser,
    api_key_from,
    check_remote_models,
    models_command,
)
from samantha.run_setup import PreparedRun, RunAccess, prepare_run
from samantha.run_spec import CodeOptions, DownloadOptions, LearningOptions, RunSpec
from samantha.sampling import PRESETS
from samantha.session_file import SessionFile
from samantha.settings import ALL_SETTINGS, SAMPLING_SETTINGS, ChainSettings, Sampling, SettingsError, apply_settings
from samantha.settings_schema import Setting
from samantha.starter import STARTER_FILE, STARTER_INSTALL, starter_model
from samantha.transcript import (
    answer_text_head,
    banner_text,
    code_run_text,
    prompt_block,
    stats_line,
    unlikely_picks_line,
)

EXIT_BAD_INPUT = 2
EXIT_CHAIN_ERRORS = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl+C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a tool killed by a closed pipe reports


class InputError(SamanthaError):
    """Bad command-line input; the message says what to fix."""


def _read_text(path: str, what: str) -> str:
    """A text file given on the command line, in the encodings the page's TXT loader reads; a guessed
    encoding is said on stderr."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the {what} file {path}: {exc.strerror or exc}") from None
    from samantha.documents import decode_bytes, is_binary

    if is_binary(data):
        raise InputError(f"the {what} file {path} is not a text file")
    decoded = decode_bytes(data)
    if decoded.guessed:
        print(f"samantha: note: {decoded.note(path)}", file=sys.stderr)
    return decoded.text.replace("\r\n", "\n")


def _add_run_parser(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run",
        help="run a chain without the UI and print the transcript",
        description="Run ([models] -> respond -> ([prompts] x responses)) x loops headless.",
    )
    run.add_argument("--model", action="append", default=[], metavar="PATH",
                     help="a GGUF file, or a server's model as openai+http://host:port/v1#name; repeat for a chain, "
                          "in order (none and no links: the bundled starter model)")
    add_api_key_option(run)
    run.add_argument("--url", action="append", default=[], metavar="LINK", help="a Hugging Face GGUF link (resolve/blob URL or repo:file); repeat; used when no --model is given")
    run.add_argument("--urls-file", metavar="FILE", help="a TXT file of links, one per line (--- lines are ignored)")
    run.add_argument("--models-dir", metavar="DIR", help="where downloads are saved (default: the app's model folder; Downloads until you choose one)")
    run.add_argument("--keep-downloads", action="store_true", help="keep each download under its own name instead of MODEL_FOR_TESTING.gguf")
    run.add_argument("--recipe", metavar="NAME",
                     help="a ready-made chain from prompts/recipes (its prompts, switches and settings; options given "
                          "here win); --recipe list shows them")
    run.add_argument("--language", default="en", choices=("en", "pt"), help="the language of the recipe's prompts")
    run.add_argument("--prompt", default=None, metavar="TEXT", help="the user prompt list (one item per line, or items split by $$$; see the README)")
    run.add_argument("--prompt-file", metavar="FILE", help="read the user prompt list from a TXT file")
    run.add_argument("--system", default="", metavar="TEXT", help="system prompt; parts separated by $$$")
    run.add_argument("--system-file", metavar="FILE")
    run.add_argument("--previous", default="", metavar="TEXT", help="assistant previous response")
    run.add_argument("--previous-file", metavar="FILE")
    _add_setting_options(run)
    run.add_argument("--show-prompt", action="store_true",
                     help="print before each answer the exact prompt the model saw (after its chat template)")
    run.add_argument("--preset", choices=tuple(PRESETS), default=None,
                     help="deterministic (the defaults) or stochastic (the manual's maximum stochastic values); --set goes on top")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=_set_help())
    run.add_argument("--grammar-file", metavar="FILE", help="a GBNF grammar every answer must follow")
    run.add_argument("--pace", type=float, default=0.0, metavar="SECONDS", help="with --learning: wait this long after each token")
    run.add_argument("--runner", metavar="PATH", help="the runner environment folder or a Python interpreter (default: the one `samantha runner setup` made)")
    run.add_argument("--code-timeout", type=float, default=60.0, metavar="SECONDS", help="time limit for each code run")
    run.add_argument("--workdir", metavar="DIR",
                     help="working folder for code runs, kept (default: a new folder under the data folder, "
                          "removed when the run ends)")
    run.add_argument("--keep-workdir", action="store_true",
                     help="keep the default working folder of the code runs (its path is printed at the end)")
    run.add_argument("--save", metavar="FILE.json", help="write the session file as the chain runs")
    run.add_argument("--force", action="store_true",
                     help="with --save: replace an existing file that is not a Samantha session file")
    run.add_argument("--dry-run", action="store_true", help="print the planned steps without loading a model")
    run.add_argument("--no-history", action="store_true", help="do not store this run in the session history")


def _roles_hint(args: argparse.Namespace) -> str:
    """For a recipe that needs several models, what each --model is for."""
    recipe = _recipe(args)
    if recipe is None or not recipe.models:
        return ""
    return f" (recipe {recipe.name} takes one --model for each of: {', '.join(recipe.models)})"


def _set_help() -> str:
    """--set's help: every sampling setting with the values it takes."""
    keys = ", ".join(f"{item.name} ({item.range_text()})" for item in SAMPLING_SETTINGS)
    return f"a sampling setting, as in {{key=value}}; repeat for more. Settings: {keys}"


def _setting_type(declared: Setting) -> Callable[[str], int]:
    """An argparse type for a whole-number setting: its range is checked now, so bad input never runs."""

    def whole(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a whole number is needed, got {text!r}") from None
        low, high = int(declared.low or 0), declared.high
        if number < low or (high is not None and number > high):
            span = f"{low} up to {int(high)}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"use {span} ({declared.help}), got {number}")
        return number

    return whole


def _add_setting_options(run: argparse.ArgumentParser) -> None:
    """One option for each chain and load setting that has a flag, made from its declaration."""
    for declared in ALL_SETTINGS:
        if declared.flag is None:
            continue
        help_text = f"{declared.label}: {declared.help}".replace("%", "%%")
        if declared.kind == "bool" and declared.default:
            run.add_argument(declared.flag, action=argparse.BooleanOptionalAction, default=True,
                             help=f"{help_text} (on by default)")
        elif declared.kind == "bool":
            run.add_argument(declared.flag, action="store_true", help=help_text)
        elif declared.kind in {"int", "seed"}:
            # A load option's range is checked here; ChainSettings checks the chain's own (naming the option).
            kind = _setting_type(declared) if declared.applies == "load" else int
            run.add_argument(declared.flag, type=kind, default=declared.default, metavar="N", help=help_text)
        elif declared.kind == "choice":
            run.add_argument(declared.flag, default=declared.default, help=help_text,
                             choices=[value for _, value in declared.choices])
        else:
            run.add_argument(declared.flag, default=declared.default, help=help_text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="samantha", description="Samantha: chain open GGUF models on your CPU.")
    subparsers = parser.add_subparsers(dest="command")
    _add_run_parser(subparsers)
    runner = subparsers.add_parser("runner", help="the separate environment that runs the Python models write")
    runner_commands = runner.add_subparsers(dest="runner_command", required=True)
    setup = runner_commands.add_parser("setup", help="create (or complete) the runner environment")
    setup.add_argument("--path", help="where to create it (default: .runner-venv next to the app)")
    setup.add_argument("--python", help="the Python that creates it (default: this one)")
    setup.add_argument("--profile", default=None, metavar="NAME",
                       help="light (the default: charts and tables), full (the manual's data-analysis toolbox), "
                            "or launchers (D-Tale, sqlite-web, JupyterLab, PyInstaller only)")
    setup.add_argument("--packages", nargs="*", help="packages to install instead of a profile's")
    add_models_parser(subparsers)
    voice = subparsers.add_parser("voice", help="offline voice commands (Vosk)")
    voice_commands = voice.add_subparsers(dest="voice_command", required=True)
    voice_setup = voice_commands.add_parser("setup", help="download the small English and Portuguese Vosk models")
    voice_setup.add_argument("--model-dir", help="where the models go (default: your Samantha data folder)")
    add_history_parser(subparsers)
    ui = subparsers.add_parser("ui", help="start the web app (the default)")
    ui.add_argument("--no-browser", action="store_true")
    ui.add_argument("--port", type=int, default=7860)
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--models-dir", default=None, help="the folder of .gguf files (remembered; default Downloads)")
    ui.add_argument(
        "--password",
        default=None,
        help="required with a --host other than 127.0.0.1; or set SAMANTHA_PASSWORD (safer: not in the process list)",
    )
    return parser


def _recipe(args: argparse.Namespace) -> Recipe | None:
    """The --recipe named on the command line, or None; an unknown name is an input error listing the known ones."""
    if not getattr(args, "recipe", None):
        return None
    from samantha.recipes import RecipeError, load_recipe

    try:
        return load_recipe(args.recipe)
    except RecipeError as exc:
        raise InputError(str(exc)) from None


def _recipe_values(args: argparse.Namespace, recipe: Recipe) -> dict[str, Any]:
    """The recipe's switches and counts for the options the user left at their defaults (the user's win)."""
    defaults = build_parser().parse_args(["run"])
    option_names = {item.name: item.dest for item in ALL_SETTINGS if item.flag}
    values: dict[str, Any] = {}
    for key, value in recipe.chain.items():
        option = option_names.get(key, key)
        if getattr(args, option) == getattr(defaults, option):
            values[key] = value
    return values


def settings_from_args(args: argparse.Namespace) -> ChainSettings:
    """Turn `run` arguments into ChainSettings, reporting bad input as InputError."""
    recipe = _recipe(args)
    text = recipe.text(args.language) if recipe is not None else None
    prompt = args.prompt or (text.prompt if text is not None else "")
    if args.prompt_file:
        prompt = _read_text(args.prompt_file, "prompt")
    system = _read_text(args.system_file, "system prompt") if args.system_file else args.system
    previous = _read_text(args.previous_file, "previous response") if args.previous_file else args.previous
    if text is not None:
        system = system or text.system
        previous = previous or text.previous
    values: dict[str, str] = {str(key): str(value) for key, value in (recipe.sampling.items() if recipe else ())}
    for pair in args.set:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InputError(f"--set takes key=value, got {pair!r}")
        values[key.strip()] = value.strip()
    models = tuple(args.model) or _links_from_args(args) or _starter_models()
    switches = _recipe_values(args, recipe) if recipe is not None else {}
    try:
        sampling = apply_settings(Sampling().with_values(PRESETS[args.preset]) if args.preset else Sampling(), values)
        settings = ChainSettings(
            models=models,
            prompt=prompt,
            system=system,
            previous=previous,
            sampling=sampling,
            **{item.name: getattr(args, item.dest) for item in ALL_SETTINGS if item.flag and item.applies == "chain"},
        )
        return replace(settings, **switches) if switches else settings
    except SettingsError as exc:
        option = f"--set {exc.key}" if exc.key in values else "--" + exc.key.replace("_", "-")
        raise InputError(f"{option}: {exc}") from None


def _starter_models() -> tuple[str, ...]:
    """The bundled starter model as the chain, when no model and no link was given (empty when not installed)."""
    path = starter_model()
    return (str(path),) if path is not None else ()


def _links_from_args(args: argparse.Namespace) -> tuple[str, ...]:
    """Hub links from --url and --urls-file, checked now so a bad line is an input error."""
    from samantha.hub import HubError, parse_links

    texts = ["\n".join(args.url)]
    if args.urls_file:  # parsed on its own, so a bad line is reported with its line number in the file
        texts.append(_read_text(args.urls_file, "links"))
    links: list[str] = []
    for text, source in zip(texts, ("--url", args.urls_file)):
        if not text.strip():
            continue
        try:
            links += [link.text for link in parse_links(text)]
        except HubError as exc:
            raise InputError(f"{source}: {exc}") from None
    return tuple(links)


def _progress_text(event: Downloading) -> str:
    from samantha.hub.errors import human_size

    share = f"{100 * event.done / event.total:5.1f}% of {human_size(event.total)}" if event.total else human_size(event.done)
    left = f", {event.seconds_left:.0f}s left" if event.seconds_left is not None else ""
    return f"\rdownloading {event.filename}: {share} at {human_size(event.rate)}/s{left}   "


def _run_inputs(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """The files a `samantha run` reads, which its --save must never replace."""
    named = [("prompt file", args.prompt_file), ("system prompt file", args.system_file),
             ("previous response file", args.previous_file), ("grammar file", args.grammar_file),
             ("links file", args.urls_file)]
    inputs = [(what, Path(path)) for what, path in named if path]
    inputs += [("model file", Path(model)) for model in args.model if kind_of(model) is RefKind.FILE]
    from samantha.history.db import default_db_path

    return inputs + [("history database", default_db_path())]


def _session_file(path: str, spec: RunSpec, args: argparse.Namespace, err: TextIO) -> SessionFile:
    """The --save file, written once now so a path that cannot be written is said before anything runs."""
    from samantha.safe_output import OutputRefused, check_output_path
    from samantha.session_file import is_session_file

    try:
        check_output_path(Path(path), option="--save", inputs=_run_inputs(args), force=args.force,
                          replaceable=is_session_file)
    except OutputRefused as exc:
        raise InputError(str(exc)) from None
    session = SessionFile(Path(path), spec, warn=lambda problem: print(f"samantha: warning: {problem}", file=err))
    try:
        session.save()
    except OSError as exc:
        raise InputError(f"cannot write the session file {path}: {exc.strerror or exc}; choose another --save path") \
            from None
    return session


def spec_from_args(args: argparse.Namespace, settings: ChainSettings | None = None) -> RunSpec:
    """Everything `samantha run` was asked for, as the RunSpec the one run path takes (`settings`: already read)."""
    return RunSpec(
        settings=settings if settings is not None else settings_from_args(args),
        load_options=LoadOptions(n_threads=args.threads, repack=args.repack),
        grammar=_read_text(args.grammar_file, "grammar") if args.grammar_file else None,
        downloads=DownloadOptions(models_dir=args.models_dir, keep_files=args.keep_downloads),
        code=CodeOptions(runner=args.runner, timeout=args.code_timeout, workdir=args.workdir,
                         keep_workdir=args.keep_workdir),
        learning=LearningOptions(pace=args.pace),
    )


class _Printer(RunObserver):
    """The transcript on stdout, progress and messages on stderr; counts the errors for the exit status."""

    def __init__(self, out: TextIO, err: TextIO, spec: RunSpec, show_prompt: bool) -> None:
        self.out, self.err, self.fast, self.show_prompt = out, err, spec.settings.fast, show_prompt
        self.errors = 0

    def apply(self, event: Event) -> None:
        super().apply(event)
        self.out.flush()

    def on_banner(self, event: Banner) -> None:
        self.out.write(banner_text(event))

    def on_answer_started(self, event: AnswerStarted) -> None:
        self.out.write(answer_text_head(event))
        if self.show_prompt:
            self.out.write(prompt_block(event.prompt, event.template_added))

    def on_token(self, event: Token) -> None:
        self.out.write(event.text)

    def on_answer_finished(self, event: AnswerFinished) -> None:
        if self.fast:
            self.out.write(event.record.answer)
        self.out.write("\n" + stats_line(event.record) + "\n")
        if "learning" in event.record.extra:
            self.out.write(unlikely_picks_line(event.record) + "\n")
        self.out.write("\n")

    def on_downloading(self, event: Downloading) -> None:
        self.err.write(_progress_text(event))
        if event.total and event.done >= event.total:
            self.err.write("\n")

    def on_code_ran(self, event: CodeRan) -> None:
        self.out.write(code_run_text(event) + "\n\n")

    def on_notice(self, event: Notice) -> None:
        print(f"samantha: {event.message}", file=self.err)

    def on_failed(self, event: ChainFailed) -> None:
        self.errors += 1
        print(f"samantha: error: {event.message}", file=self.err)

    def on_finished(self, event: ChainFinished) -> None:
        if event.reason != "done":
            print(f"samantha: chain ended: {event.reason}", file=self.err)


def _print_recipes(out: TextIO) -> int:
    from samantha.recipes import list_recipes, load_recipe

    for name in list_recipes():
        recipe = load_recipe(name)
        roles = f" (models: {', '.join(recipe.models)})" if recipe.models else ""
        print(f"{name}: {recipe.text().title}{roles}", file=out)
    return 0


def run_command(args: argparse.Namespace, out: TextIO, err: TextIO, secrets: Secrets | None = None) -> int:
    secrets = secrets if secrets is not None else Secrets()
    if args.recipe == "list":
        return _print_recipes(out)
    try:
        settings = settings_from_args(args)
        if settings.single:
            unpaired = single_pairing_problem(len(settings.models), len(parse_prompt_list(settings.prompt)))
            if unpaired:
                raise InputError(f"--single: {unpaired}")
        if args.dry_run:
            for line in dry_run_lines(settings):
                print(line, file=out)
            return 0
        if not settings.models:
            raise InputError(f"no model: give at least one --model PATH (or install the starter model: {STARTER_INSTALL})"
                             + _roles_hint(args))
        if not args.model and not (args.url or args.urls_file):
            print(f"samantha: no --model given: using the bundled starter model {STARTER_FILE} "
                  "(tiny, for trying things out)", file=err)
        if args.model and (args.url or args.urls_file):
            print("samantha: both --model and links were given: the model list wins (as in the UI)", file=err)
        files = [m for m in args.model if kind_of(m) is RefKind.FILE]
        folders = [m for m in files if Path(m).is_dir()]
        if folders:
            raise InputError("a folder is not a model file: " + ", ".join(folders) + " (name a .gguf file in it)")
        missing = [m for m in files if not Path(m).is_file()]
        if missing:
            raise InputError("model file not found: " + ", ".join(missing))
        spec = spec_from_args(args, settings)  # reads the grammar file, which a dry run does not need
        session = _session_file(args.save, spec, args, err) if args.save else None
        check_remote_models(settings.models)
        access = RunAccess(environ=secrets.environ(), api_key=api_key_from(args, secrets.environ()),
                           hf_token=secrets.hf_token)
        run = _prepare(spec, access)
        recipe = _recipe(args)
        if recipe is not None and run.workdir is not None:
            workdir = run.workdir.path
            copies = recipe.copy_data_files(workdir)
            if copies:
                print(f"samantha: recipe data copied to {workdir}: " + ", ".join(copy.name for copy in copies),
                      file=err)
    except (InputError, PromptSyntaxError, RemoteInputError) as exc:
        print(f"samantha: {exc}", file=err)
        return EXIT_BAD_INPUT

    control = Control()
    recorder = run_recorder(args.no_history, spec, err)
    printer = _Printer(out, err, spec, args.show_prompt)
    observers: list[RunObserver] = [o for o in (session, recorder) if o is not None]
    interrupted = False
    previous_handler = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        control.stop_all()
        print("\nsamantha: stopping…", file=err)

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        for _event in run.events(control, [*observers, printer]):
            pass
    except PromptSyntaxError as exc:
        print(f"samantha: {exc}", file=err)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (`samantha run … | head`): stop quietly, like other command-line tools.
        control.stop_all()
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        try:
            kept = run.close()
        finally:
            finish_recorder(recorder, err)
        if kept:
            print(f"samantha: {kept}", file=err)
    if interrupted:
        return EXIT_INTERRUPTED  # a script can tell the run was cut short
    failed_save = session is not None and session.failed  # the user asked for a file they did not get
    return EXIT_CHAIN_ERRORS if printer.errors or failed_save else 0


def _prepare(spec: RunSpec, access: RunAccess) -> PreparedRun:
    """The run's parts; a code runner that cannot work is bad input."""
    from samantha.runner import RunnerError, RunnerNotFound

    try:
        return prepare_run(spec, access=access)
    except RunnerNotFound as exc:
        raise InputError(f"{exc} Or name an existing venv folder or Python interpreter with --runner PATH.") from None
    except (RunnerError, ValueError) as exc:
        raise InputError(str(exc)) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's own flush at exit does not fail on the closed pipe again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def runner_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from samantha.runner import DEFAULT_PROFILE, RunnerError, create_environment, profile_packages

    if args.packages and args.profile:
        print("samantha: give either --profile or --packages, not both", file=err)
        return EXIT_BAD_INPUT
    try:
        profile = None if args.packages else str(args.profile or DEFAULT_PROFILE)
        packages = tuple(args.packages) if profile is None else profile_packages(profile)
    except RunnerError as exc:
        print(f"samantha: {exc}", file=err)
        return EXIT_BAD_INPUT
    environment = create_environment(  # a RunnerError is said by main
        Path(args.path) if args.path else None,
        packages,
        base_python=args.python,
        on_output=lambda line: print(line, file=out, flush=True),
        profile=profile,
    )
    print(f"runner environment ready: {environment.python}", file=out)
    return 0


def parse_command_line(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, where options without a command are the web app's: `samantha --port 7861`."""
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or (words[0].startswith("-") and words[0] not in ("-h", "--help")):
        words = ["ui", *words]
    return build_parser().parse_args(words)


def main(argv: Sequence[str] | None = None) -> int:
    """The `samantha` command. Started as a program (argv None), it first takes its secrets out of its
    environment block and command line, re-executing itself without them (see app_secrets)."""
    if argv is None:
        secrets, words = keep_secrets_private(sys.argv[1:])
    else:
        secrets, words = take_secrets(argv, os.environ)
    try:
        return _dispatch(parse_command_line(words), secrets)
    except BrokenPipeError:  # `samantha history show 3 | head`: the reader has what it wanted
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except SamanthaError as exc:  # the one place a Samantha error no command answered becomes words; bugs keep
        print(f"samantha: {user_message(exc)}", file=sys.stderr)  # their traceback
        return EXIT_CHAIN_ERRORS


def _dispatch(args: argparse.Namespace, secrets: Secrets) -> int:
    if args.command == "run":
        return run_command(args, sys.stdout, sys.stderr, secrets)
    if args.command == "runner":
        return runner_command(args, sys.stdout, sys.stderr)
    if args.command == "models":
        return models_command(args, sys.stdout, sys.stderr, secrets.environ())
    if args.command == "history":
        return history_command(args, sys.stdout, sys.stderr, secrets.hf_token, secrets.environ())
    if args.command == "voice":
        from samantha.voice import voice_setup

        return voice_setup(sys.stdout, sys.stderr, Path(args.model_dir) if args.model_dir else None)
    from samantha.app import launch  # the UI pulls in Gradio; only load it when asked

    return launch(args, secrets)


if __name__ == "__main__":
    raise SystemExit(main())
