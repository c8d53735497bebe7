"""The install and start scripts name real files and commands, with the right line endings."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def llama_pin() -> str:
    [pin] = [d for d in pyproject()["project"]["dependencies"] if d.startswith("llama-cpp-python")]
    return pin


def test_windows_scripts_have_crlf_line_endings() -> None:
    for name in ("install.bat", "open_samantha.bat"):
        data = (ROOT / name).read_bytes()
        assert b"\r\n" in data
        assert data.count(b"\n") == data.count(b"\r\n"), f"{name} has a bare LF"


def test_the_llama_versions_agree_everywhere() -> None:
    """pyproject's range runs from the oldest version CI tests (.venv-compat) to the one Samantha is made for,
    which the wheel chooser and the engine's adapter name too."""
    assert llama_pin() == "llama-cpp-python>=0.3.2,<=0.3.36"
    chooser = (ROOT / "scripts" / "choose_llama_wheel.py").read_text()
    assert 'PINNED = "0.3.36"' in chooser and 'OLDEST = "0.3.2"' in chooser
    assert 'PINNED_VERSION = "0.3.36"' in (ROOT / "samantha" / "backends" / "llama_compat.py").read_text()
    assert 'COMPAT_VERSION="${SAMANTHA_COMPAT_LLAMA:-0.3.2}"' in (ROOT / "scripts" / "bootstrap_compat.sh").read_text()
    test_extra = [d for d in pyproject()["project"]["optional-dependencies"]["test"] if "llama-cpp-python" in d]
    assert test_extra == ["llama-cpp-python[server]==0.3.36"]  # the main test venv always has the pinned one


def test_open_samantha_runs_the_installed_console_script() -> None:
    text = (ROOT / "open_samantha.bat").read_text()
    assert "samantha" in pyproject()["project"]["scripts"]
    assert ".venv\\Scripts\\samantha.exe" in text
    assert 'call "%SAMANTHA_HOME%\\install.bat"' in text and (ROOT / "install.bat").exists()


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\s*(bash \S+\.sh)\s*$", readme, flags=re.M)
    assert commands[:2] == ["bash start.sh", "bash test.sh"]
    assert "bash test.sh" in (ROOT / ".ci" / "run").read_text()


def test_shell_scripts_parse() -> None:
    for script in ["start.sh", "test.sh", "scripts/bootstrap.sh", "scripts/system_packages.sh",
                   "scripts/bootstrap_compat.sh", ".ci/run"]:
        subprocess.run(["bash", "-n", str(ROOT / script)], check=True)
