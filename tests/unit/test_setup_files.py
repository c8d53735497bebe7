"""The install and start scripts name real files and commands, with the right line endings."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

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


def test_install_bat_uses_the_pinned_llama_version_and_a_prebuilt_wheel_first() -> None:
    text = (ROOT / "install.bat").read_text()
    assert f'"{llama_pin()}"' in text
    prebuilt = text.index("--only-binary llama-cpp-python")
    source_build = text.index(f'pip install "{llama_pin()}" ||')
    assert prebuilt < source_build, "the source build is only the fallback"
    assert "pip install -e ." in text
    assert ".venv\\Scripts\\python.exe" in text


def test_open_samantha_runs_the_installed_console_script() -> None:
    text = (ROOT / "open_samantha.bat").read_text()
    assert "samantha" in pyproject()["project"]["scripts"]
    assert ".venv\\Scripts\\samantha.exe" in text
    assert "call install.bat" in text and (ROOT / "install.bat").exists()


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\s*(bash \S+\.sh)\s*$", readme, flags=re.M)
    assert commands[:2] == ["bash start.sh", "bash test.sh"]
    assert "bash test.sh" in (ROOT / ".ci" / "run").read_text()


def test_shell_scripts_parse() -> None:
    for script in ["start.sh", "test.sh", "scripts/bootstrap.sh", "scripts/system_packages.sh", ".ci/run"]:
        subprocess.run(["bash", "-n", str(ROOT / script)], check=True)
