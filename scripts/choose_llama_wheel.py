"""Install the best prebuilt CPU wheel of llama-cpp-python for this Python (run by install.bat).

PyPI carries llama-cpp-python as source only, and building it on Windows needs Visual Studio's
C++ tools, which Samantha's users do not have. Prebuilt Windows CPU wheels exist on other indexes,
but for older versions than the one Samantha is pinned to (docs/windows.md lists them). So: the
pinned version when a wheel of it exists, else the newest supported version that has one, and a
source build only when the user asks for it. It says which version it installed and what that
version lacks. Only the standard library and pip are used: this runs before anything else is installed.

Usage: python choose_llama_wheel.py [--build-from-source] [--index URL]... [--platform P --python-version X.Y]
                                    [--dry-run] [-- PIP-INSTALL-OPTIONS]
(SAMANTHA_LLAMA_SOURCE_BUILD=1 is the same as --build-from-source; SAMANTHA_LLAMA_INDEX="URL ..." sets
the indexes when --index is not given. --platform and --python-version choose
for another machine, as pip download does; options after -- go to the final pip install, e.g. --target.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass

try:
    from packaging.version import InvalidVersion, Version
except ImportError:  # a fresh venv holds only pip, which carries its own copy
    from pip._vendor.packaging.version import InvalidVersion, Version

PINNED = "0.3.36"  # keep in step with pyproject.toml
OLDEST = "0.3.2"  # the oldest version the engine tests run on (scripts/bootstrap_compat.sh)
PACKAGE = "llama-cpp-python"
PYPI = "https://pypi.org/simple"
CPU_WHEELS = "https://abetlen.github.io/llama-cpp-python/whl/cpu"  # the project's own CPU wheel index
SOURCE_BUILD_ENV = "SAMANTHA_LLAMA_SOURCE_BUILD"
INDEX_ENV = "SAMANTHA_LLAMA_INDEX"  # space-separated index addresses instead of the two above (a company mirror)

# What an older version lacks, as (first version that has it, what the user misses before that).
FEATURES = (
    ("0.3.15", ("CPU weight repacking cannot be switched off (--no-repack, or after a model crashed with it): "
                "llama_model_params has no use_extra_bufts")),
)
RELEASED = {"0.3.2": "15 November 2024", "0.3.8": "12 March 2025", "0.3.16": "14 August 2025"}


@dataclass(frozen=True)
class Plan:
    """What to install: a wheel of `version`, a source build of it, or nothing (with the reason)."""

    version: str | None
    from_source: bool = False


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], check=False, capture_output=True, text=True,
                          encoding="utf-8", errors="replace")


def index_options(indexes: list[str]) -> list[str]:
    first, *more = indexes
    return ["--index-url", first] + [option for url in more for option in ("--extra-index-url", url)]


class PipTooOld(Exception):
    """An old pip (23.2, as Python 3.11 ships it) has no `pip index versions --json` and lists versions whose
    wheels do not fit the asked platform: the choice would be wrong."""


def wheel_versions(indexes: list[str], pip_options: list[str]) -> list[Version]:
    """The versions that have a wheel this Python (or the one named in pip_options) can install."""
    done = pip("index", "versions", PACKAGE, "--json", "--only-binary=:all:", "--disable-pip-version-check",
               *index_options(indexes), *pip_options)
    if "no such option: --json" in done.stderr:
        raise PipTooOld()
    # pip says "No matching distribution found" (status 1) when none fits.
    texts = json.loads(done.stdout).get("versions", []) if done.returncode == 0 else []
    found = []
    for text in texts:
        try:
            found.append(Version(text))
        except InvalidVersion:
            continue
    return found


def choose(available: list[Version], source_build: bool) -> Plan:
    """The pinned version's wheel, else the newest supported older one; newer untested versions never."""
    pinned = Version(PINNED)
    if pinned in available:
        return Plan(PINNED)
    older = [v for v in available if Version(OLDEST) <= v < pinned]
    if older:
        return Plan(str(max(older)))
    return Plan(PINNED, from_source=True) if source_build else Plan(None)


def pythons_with_wheels(indexes: list[str], platform: str) -> list[str]:
    """The Python versions (3.10 to 3.13) a supported wheel exists for on `platform`, to name in the advice."""
    return [python for python in ("3.10", "3.11", "3.12", "3.13")
            if choose(wheel_versions(indexes, ["--platform", platform, "--python-version", python]), False).version]


def lacks(version: str) -> list[str]:
    """What `version` cannot do that the pinned version can, in words for the user."""
    have = Version(version)
    missing = [what for since, what in FEATURES if have < Version(since)]
    if have < Version(PINNED):
        when = f" (released {RELEASED[version]})" if version in RELEASED else ""
        missing.append(f"its llama.cpp is older{when}: models of an architecture llama.cpp added later "
                       "(Gemma 3 needs 0.3.8 or newer, for one) do not load")
    return missing


def install(plan: Plan, indexes: list[str], pip_options: list[str]) -> bool:
    spec = f"{PACKAGE}=={plan.version}"
    binary = ["--no-binary", PACKAGE] if plan.from_source else ["--only-binary", PACKAGE]
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *binary, spec,
                           *index_options(indexes), *pip_options], check=False)
    return done.returncode == 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pip_options = argv[argv.index("--") + 1:] if "--" in argv else []
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-from-source", action="store_true",
                        help="build llama.cpp when no wheel fits (needs Visual Studio Build Tools)")
    parser.add_argument("--index", action="append", metavar="URL",
                        help=f"a package index to look in (default: ${INDEX_ENV}, else {PYPI} and {CPU_WHEELS})")
    parser.add_argument("--dry-run", action="store_true", help="only say what would be installed")
    parser.add_argument("--platform", help="choose for this platform tag (win_amd64) instead of this machine's")
    parser.add_argument("--python-version", help="choose for this Python (3.12) instead of this one")
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    source_build = args.build_from_source or os.environ.get(SOURCE_BUILD_ENV, "") not in ("", "0")
    indexes = args.index or os.environ.get(INDEX_ENV, "").split() or [PYPI, CPU_WHEELS]
    python = args.python_version or f"{sys.version_info.major}.{sys.version_info.minor}"
    target = [option for name in ("platform", "python_version") if getattr(args, name)
              for option in (f"--{name.replace('_', '-')}", getattr(args, name))]
    if target:
        pip_options = target + ["--only-binary=:all:"] + pip_options  # pip's rule for another machine's tags

    print(f"== Looking for a prebuilt CPU wheel of {PACKAGE} for Python {python} (Samantha is made for {PINNED})")
    try:
        plan = choose(wheel_versions(indexes, target), source_build)
    except PipTooOld:
        print(f"This pip is too old to tell which wheels fit: run  \"{sys.executable}\" -m pip install --upgrade pip  "
              "and then this again (install.bat does that first).")
        return 1
    if plan.version is None:
        print(f"No prebuilt CPU wheel of {PACKAGE} {OLDEST} to {PINNED} fits Python {python} on "
              f"{' or '.join(indexes)}.")
        platform = args.platform or sysconfig.get_platform().replace("-", "_").replace(".", "_")
        fitting = pythons_with_wheels(indexes, platform)
        if fitting:
            names = ", ".join(fitting[:-1]) + " or " + fitting[-1] if len(fitting) > 1 else fitting[0]
            print(f"There is one for Python {names}: install that Python (64-bit) from "
                  "https://www.python.org/downloads/windows/ and run install.bat again,")
        print(f"{'or' if fitting else 'What to do:'} build it from source: install Visual Studio Build Tools with \"Desktop development with C++\", "
              f"then run  install.bat --build-from-source  (or set {SOURCE_BUILD_ENV}=1).")
        return 2
    if plan.from_source:
        print(f"No prebuilt wheel fits Python {python}: building {PACKAGE} {plan.version} from source, as asked.")
        print("This needs Visual Studio Build Tools with \"Desktop development with C++\" and takes 10 to 30 minutes.")
    else:
        print(f"Installing {PACKAGE} {plan.version} from a prebuilt CPU wheel (no compiler needed).")
    if args.dry_run:
        return 0
    if not install(plan, indexes, pip_options):
        if plan.from_source:
            print(f"Building {PACKAGE} {plan.version} failed: the messages above say why. Check that Visual Studio "
                  "Build Tools with \"Desktop development with C++\" is installed, then run install.bat again.")
        else:
            print(f"Installing {PACKAGE} {plan.version} failed: the messages above say why (often the network). "
                  "Run install.bat again.")
        return 1
    print(f"== Installed {PACKAGE} {plan.version}.")
    missing = lacks(plan.version)
    if missing:
        print(f"Compared with {PINNED}, which Samantha is made for, this version lacks:")
        for what in missing:
            print(f"  - {what}")
        print("Samantha names a missing feature when you use it. docs/windows.md explains the versions.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
