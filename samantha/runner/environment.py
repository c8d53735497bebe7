"""The separate interpreter that runs model-written code, and the environment variables it sees.

The runner environment is a plain virtual environment with a data-analysis
stack; any existing interpreter can be used instead. Code never runs
in the app's own interpreter, and gets only an allow-listed set of environment
variables so the app's tokens and secrets stay out of its reach.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from samantha.runner.errors import RunnerNotFound, RunnerSetupError

# What `samantha runner setup` installs, by profile. "light" is enough for the chain's charts and tables;
# "full" is the data-analysis toolbox the original app's manual works with (its EDA, scraping, charting and
# packaging examples stop at ModuleNotFoundError without it); "launchers" is the smallest set that starts
# every launcher of the Code tab, so CI can test each of them without installing the whole toolbox.
LIGHT_PACKAGES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "matplotlib",
    "scipy",
    "scikit-learn",
    "seaborn",
    "plotly",
    "jupyterlab",
)
FULL_PACKAGES: tuple[str, ...] = (
    "pandas",
    "numpy",
    "scipy",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "altair",  # Vega-Altair
    "plotly",
    "bokeh",
    "dash",
    "streamlit",
    "ydata-profiling",
    "sweetviz",
    "dtale",  # D-Tale
    "networkx",
    "pyvis",
    "sqlalchemy",
    "beautifulsoup4",
    "pymupdf",
    "requests",
    "openpyxl",
    "pipdeptree",
    "jupyterlab",
    "pyinstaller",
    "sqlite-web",  # the SQLite browser launcher
)
LAUNCHER_PACKAGES: tuple[str, ...] = ("dtale", "sqlite-web", "jupyterlab", "pyinstaller")
PROFILES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"light": LIGHT_PACKAGES, "full": FULL_PACKAGES, "launchers": LAUNCHER_PACKAGES}
)
DEFAULT_PROFILE = "light"
DEFAULT_PACKAGES = LIGHT_PACKAGES
# Written into the venv after a profile's install, so the page can say which profile it holds.
PROFILE_MARKER = "samantha-profile.txt"
SETUP_COMMAND = "samantha runner setup"
ENVIRONMENT_FOLDER = ".runner-venv"

# Variables passed through to code (compared upper-case: Windows names are case-insensitive).
ALLOWED_VARIABLES: frozenset[str] = frozenset(
    {
        # everywhere
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TERM",
        "TMPDIR",
        "TEMP",
        "TMP",
        # Windows: the system will not start Python (or sockets, or fonts) without some of these
        "SYSTEMROOT",
        "SYSTEMDRIVE",
        "WINDIR",
        "COMSPEC",
        "PATHEXT",
        "USERPROFILE",
        "HOMEDRIVE",
        "HOMEPATH",
        "APPDATA",
        "LOCALAPPDATA",
        "PROGRAMDATA",
        "PROGRAMFILES",
        "PROGRAMFILES(X86)",
        "PROGRAMW6432",
        "COMMONPROGRAMFILES",
        "USERNAME",
        "OS",
        "NUMBER_OF_PROCESSORS",
        "PROCESSOR_ARCHITECTURE",
    }
)
# The locale categories POSIX and glibc define, by name: a prefix would also pass LC_SECRET_TOKEN.
LOCALE_VARIABLES: frozenset[str] = frozenset(
    f"LC_{name}" for name in ("ALL", "CTYPE", "COLLATE", "MESSAGES", "MONETARY", "NUMERIC", "TIME", "ADDRESS",
                              "IDENTIFICATION", "MEASUREMENT", "NAME", "PAPER", "TELEPHONE")
)

# Set for every run: output arrives as it is printed, in UTF-8, and matplotlib never opens a window.
RUN_VARIABLES: Mapping[str, str] = {
    "PYTHONUNBUFFERED": "1",
    "PYTHONIOENCODING": "utf-8",
    "MPLBACKEND": "Agg",
}


def default_environment_dir() -> Path:
    """Where `samantha runner setup` creates the environment when no path is configured.

    Next to the project (a source checkout, as install.bat makes) or, for an
    installed package, in the user's home folder.
    """
    project = Path(__file__).resolve().parents[2]
    if (project / "pyproject.toml").is_file():
        return project / ENVIRONMENT_FOLDER
    return Path.home() / ".samantha" / "runner-venv"


def interpreter_in(venv: Path) -> Path:
    """The Python executable inside virtual environment folder `venv`."""
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _app_venv_bin() -> Path | None:
    """The app's own venv script folder, which must not come first on the code's PATH."""
    if sys.prefix == sys.base_prefix:
        return None
    return Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin")


def minimal_environment(
    bin_dir: Path | None = None,
    extra: Mapping[str, str] | None = None,
    source: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment variables code runs with: an allow-list of `source`, nothing secret.

    `bin_dir` (the runner's script folder) goes first on PATH, like an activated
    venv, so `pip` or `streamlit` called by the code are the runner's own; the
    app's venv is taken off PATH. `extra` is added last (e.g. a PORT).
    """
    source = os.environ if source is None else source
    env = {
        key: value
        for key, value in source.items()
        if key.upper() in ALLOWED_VARIABLES or key.upper() in LOCALE_VARIABLES
    }
    path_key = next((key for key in env if key.upper() == "PATH"), "PATH")
    entries = [entry for entry in env.get(path_key, "").split(os.pathsep) if entry]
    app_bin = _app_venv_bin()
    if app_bin is not None:
        entries = [entry for entry in entries if Path(entry) != app_bin]
    if bin_dir is not None:
        entries = [str(bin_dir)] + [entry for entry in entries if Path(entry) != bin_dir]
    env[path_key] = os.pathsep.join(entries)
    env.update(RUN_VARIABLES)
    if extra:
        env.update(extra)
    return env


@dataclass(frozen=True)
class RunnerEnvironment:
    """An interpreter that runs code: the runner venv, or any Python the user picked."""

    python: Path
    root: Path | None = None  # the venv folder, when the interpreter belongs to one

    @property
    def bin_dir(self) -> Path:
        return self.python.parent

    def child_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment variables for a process of this interpreter (see `minimal_environment`)."""
        own = {"VIRTUAL_ENV": str(self.root)} if self.root is not None else {}
        return minimal_environment(self.bin_dir, {**own, **(extra or {})})

    def has_module(self, name: str, timeout: float = 60.0) -> bool:
        """Whether `import name` would find a module in this interpreter (without importing it)."""
        probe = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(sys.argv[1]) else 1)"
        try:
            done = subprocess.run(
                [str(self.python), "-c", probe, name],
                check=False,
                env=self.child_env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0

    def version(self, timeout: float = 60.0) -> str:
        """The interpreter's version, e.g. "3.11.7"; raises RunnerNotFound when it does not start."""
        return _probe_version(self.python, timeout)


def _probe_version(python: Path, timeout: float) -> str:
    try:
        done = subprocess.run(
            [str(python), "-c", "import platform; print(platform.python_version())"],
            check=False,
            env=minimal_environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RunnerNotFound(
            f"The Python interpreter {python} does not start ({error}). Choose another one."
        ) from error
    if done.returncode != 0:
        raise RunnerNotFound(
            f"The Python interpreter {python} does not start: {done.stderr.strip()[-500:]} Choose another one."
        )
    return done.stdout.strip()


def _missing_message(location: Path) -> str:
    return (
        f"The code runner environment does not exist yet ({location}). "
        f"Create it with `{SETUP_COMMAND}` (on Windows, install.bat does it)."
    )  # the caller adds where to name an existing interpreter instead: --runner, or the Code tab's field


class RunnerMissing(RunnerNotFound):
    """Nothing usable at `location` yet: the page and the CLI each say how to create it in their own words."""

    def __init__(self, location: Path) -> None:
        super().__init__(_missing_message(location))
        self.location = location


def find_environment(location: Path | str | None = None) -> RunnerEnvironment:
    """The runner environment at `location`: a venv folder or a Python executable.

    None means the default folder. Raises RunnerNotFound, naming the command that
    creates it, when nothing usable is there.
    """
    path = Path(location).expanduser() if location is not None and str(location).strip() else default_environment_dir()
    path = path.absolute()  # code runs in its own folder, so a relative path would point elsewhere (no resolve:
    # a venv's python is a symlink, and following it would leave the venv)
    if path.is_dir():
        python = interpreter_in(path)
        if not python.is_file():
            raise RunnerMissing(path)
        return RunnerEnvironment(python=python, root=path)
    if path.is_file():
        root = path.parent.parent
        return RunnerEnvironment(python=path, root=root if (root / "pyvenv.cfg").is_file() else None)
    raise RunnerMissing(path)


def use_interpreter(python: Path | str) -> RunnerEnvironment:
    """An existing interpreter chosen instead of the runner venv, checked that it starts."""
    environment = find_environment(python)
    environment.version()
    return environment


def _stream(command: Sequence[str], on_output: Callable[[str], None] | None, what: str) -> None:
    """Run an installer command, passing each output line on; raise with the output's tail on failure."""
    tail: deque[str] = deque(maxlen=40)
    try:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as error:
        raise RunnerSetupError(f"Could not {what}: {error}") from error
    assert process.stdout is not None
    with process:
        for line in process.stdout:
            tail.append(line.rstrip("\n"))
            if on_output is not None:
                on_output(line.rstrip("\n"))
    if process.returncode != 0:
        details = "\n".join(tail)
        raise RunnerSetupError(f"Could not {what} (exit status {process.returncode}):\n{details}")


def create_environment(
    target: Path | str | None = None,
    packages: Sequence[str] = DEFAULT_PACKAGES,
    *,
    base_python: Path | str | None = None,
    pip_args: Sequence[str] = (),
    on_output: Callable[[str], None] | None = None,
    profile: str | None = None,
) -> RunnerEnvironment:
    """Create (or complete) the runner venv at `target` and install `packages` into it.

    Safe to run again: an existing venv is kept and only missing packages are
    installed. `base_python` is the interpreter the venv is made from (default:
    the app's). Installer output goes line by line to `on_output`. This is the
    user's own setup command, so pip sees the full environment (proxies, indexes).
    `profile` names the profile the packages came from; it is recorded in the venv
    once they are installed, so the page can say which toolbox is there.
    """
    root = Path(target).expanduser() if target is not None else default_environment_dir()
    python = interpreter_in(root)
    if not python.is_file():
        if root.exists() and not root.is_dir():
            raise RunnerSetupError(f"{root} is a file; choose a folder for the code runner environment.")
        base = str(base_python) if base_python is not None else sys.executable
        if on_output is not None:
            on_output(f"Creating the code runner environment in {root}")
        hint = " On Debian/Ubuntu, install the python3-venv package first." if os.name != "nt" else ""
        try:
            _stream([base, "-m", "venv", str(root)], on_output, f"create a virtual environment in {root}.{hint}")
        except RunnerSetupError as error:
            raise RunnerSetupError(f"{error}{hint}") from error
        if not python.is_file():
            raise RunnerSetupError(f"Creating the virtual environment in {root} left no {python}.{hint}")
    wanted = [package for package in packages if package.strip()]
    if wanted:
        if on_output is not None:
            on_output(f"Installing into the code runner environment: {', '.join(wanted)}")
        _stream(
            [str(python), "-m", "pip", "install", "--prefer-binary", *pip_args, *wanted],
            on_output,
            f"install {', '.join(wanted)} into {root}",
        )
    if profile is not None:
        _record_profile(root, profile)
    return RunnerEnvironment(python=python, root=root)


def profile_packages(name: str) -> tuple[str, ...]:
    """The packages of profile `name`; RunnerSetupError lists the profiles when there is no such one."""
    try:
        return PROFILES[name.strip().lower()]
    except KeyError:
        raise RunnerSetupError(
            f"There is no runner profile {name!r}: choose one of {', '.join(PROFILES)}."
        ) from None


def _record_profile(root: Path, profile: str) -> None:
    """Remember in the venv which profiles were installed into it (a later "full" on top of "light" adds up)."""
    marker = root / PROFILE_MARKER
    known = installed_profiles(root)
    if profile not in known:
        known.append(profile)
    marker.write_text("\n".join(known) + "\n", encoding="utf-8")


def installed_profiles(root: Path | None) -> list[str]:
    """The profiles `samantha runner setup` installed into the venv at `root`, oldest first ([] when unknown)."""
    if root is None:
        return []
    try:
        text = (root / PROFILE_MARKER).read_text(encoding="utf-8")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip() in PROFILES]


def installed_packages(environment: RunnerEnvironment, timeout: float = 60.0) -> list[tuple[str, str]]:
    """(name, version) of every distribution installed in the runner's interpreter, sorted by name.

    Read with importlib.metadata inside that interpreter (much faster than `pip list`,
    and it works where pip is missing). An interpreter that does not start gives [].
    """
    probe = (
        "import importlib.metadata as m, json\n"
        "print(json.dumps(sorted({(d.metadata['Name'] or '', d.version) for d in m.distributions()})))"
    )
    try:
        done = subprocess.run(
            [str(environment.python), "-c", probe],
            check=False,
            env=environment.child_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0:
        return []
    pairs = [(str(name), str(version)) for name, version in json.loads(done.stdout) if name]
    return sorted(pairs, key=lambda pair: pair[0].lower())
