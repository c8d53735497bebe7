"""What install.bat and open_samantha.bat run, run here for real against stand-ins.

The llama.cpp wheel is chosen by the command install.bat runs (read out of install.bat), with a
real pip in a real venv, in a folder named like a Brazilian user's (spaces and accents), against a
PEP 503 index served on 127.0.0.1 that holds empty but valid wheels named as the real publishers
name theirs (docs/windows.md). pip's own tag matching decides what fits a Windows Python, through
--platform win_amd64 --python-version X.Y: the one thing that differs from a Windows laptop.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from samantha.runner import free_port

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import choose_llama_wheel

PINNED = choose_llama_wheel.PINNED
CPS = ("cp310", "cp311", "cp312", "cp313")


def fake_wheel(folder: Path, version: str, tag: str) -> str:
    """An installable wheel of llama-cpp-python that holds only a version string."""
    name = f"llama_cpp_python-{version}-{tag}.whl"
    info = f"llama_cpp_python-{version}.dist-info"
    files = {
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: llama_cpp_python\nVersion: {version}\n",
        f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: stand-in\nRoot-Is-Purelib: false\nTag: {tag}\n",
        "llama_cpp/__init__.py": f"__version__ = {version!r}\n",
    }
    record = []
    with zipfile.ZipFile(folder / name, "w") as wheel:
        for path, text in files.items():
            digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(text.encode())}")
            wheel.writestr(path, text)
        wheel.writestr(f"{info}/RECORD", "\n".join([*record, f"{info}/RECORD,,"]) + "\n")
    return name


def fake_sdist(folder: Path, version: str) -> str:
    """A source archive that cannot build (as without Visual Studio): only asking for it is checked."""
    name = f"llama_cpp_python-{version}.tar.gz"
    with tarfile.open(folder / name, "w:gz"):
        pass
    return name


class StandInIndex:
    """A PEP 503 simple index on 127.0.0.1 that records every file pip asks for."""

    def __init__(self, folder: Path, files: dict[str, str]) -> None:
        project = folder / "simple" / "llama-cpp-python"
        project.mkdir(parents=True)
        names = [fake_sdist(project, version) if tag == "sdist" else fake_wheel(project, version, tag)
                 for version, tag in ((f.split("|")) for f in files)]
        (project / "index.html").write_text("".join(f'<a href="{n}">{n}</a><br>\n' for n in names))
        (folder / "simple" / "index.html").write_text('<a href="llama-cpp-python/">llama-cpp-python</a>')
        self.requested: list[str] = []
        requested = self.requested

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self) -> None:
                requested.append(self.path)
                super().do_GET()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/simple"

    def files_fetched(self) -> list[str]:
        return [p.rsplit("/", 1)[-1] for p in self.requested if p.endswith((".whl", ".tar.gz"))]


@pytest.fixture
def index(tmp_path: Path) -> Iterator:
    made: list[StandInIndex] = []

    def serve(*files: str) -> StandInIndex:
        made.append(StandInIndex(tmp_path / f"index{len(made)}", dict.fromkeys(files, "")))
        return made[-1]

    yield serve
    for stand_in in made:
        stand_in.server.shutdown()


@pytest.fixture(scope="module")
def user_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Samantha unpacked where a user named João Silva keeps it, with its venv made by `python -m venv`."""
    home = tmp_path_factory.mktemp("users") / "João Silva" / "Área de Trabalho" / "Samantha 1.0"
    (home / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "install.bat", home)
    shutil.copy(ROOT / "scripts" / "choose_llama_wheel.py", home / "scripts")
    venv.create(home / ".venv", with_pip=True)
    upgrade = [str(home / ".venv" / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"]
    subprocess.run(upgrade, check=True, timeout=600)  # as install.bat does first: 23.2 cannot list fitting wheels
    return home


def install_bat_command(home: Path, bat_args: tuple[str, ...]) -> list[str]:
    """The wheel-choosing command of install.bat, with its variables filled as cmd would fill them."""
    text = (home / "install.bat").read_text(encoding="ascii")
    [line] = [line for line in text.splitlines() if "choose_llama_wheel.py" in line and not line.startswith("rem")]
    llama_args = ""
    rule = re.search(r'if /i "%%~A"=="([^"]+)" set "LLAMA_ARGS=([^"]*)"', text)  # inside: for %%A in (%*) do
    if rule and any(arg.lower() == rule.group(1) for arg in bat_args):
        llama_args = rule.group(2)
    values = {"%VPY%": str(home / ".venv" / "bin" / "python"), "%SAMANTHA_HOME%": str(home),
              "%LLAMA_ARGS%": llama_args}
    command = line.split(" || ")[0]
    words = []
    for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', command):
        word = quoted or bare
        for name, value in values.items():
            word = word.replace(name, value)
        if word:
            words.append(word.replace("\\scripts\\", "/scripts/"))
    return words


def run_install_step(home: Path, stand_in: StandInIndex, python: str | None, target: Path, *bat_args: str,
                     env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Choose for a Windows `python`, or (None) for this machine, where no Windows wheel fits."""
    windows = ["--platform", "win_amd64", "--python-version", python] if python else []
    command = install_bat_command(home, bat_args) + ["--index", stand_in.url, *windows, "--", "--target", str(target)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "SAMANTHA_LLAMA"))}
    clean.update({"PIP_CONFIG_FILE": os.devnull, "PIP_NO_CACHE_DIR": "1", "PIP_NO_INPUT": "1",
                  "PYTHONUTF8": "1", **(env or {})})
    return subprocess.run(command, cwd=home, env=clean, capture_output=True, text=True, timeout=600, check=False)


def installed_version(target: Path) -> str | None:
    found = sorted(target.glob("llama_cpp_python-*.dist-info")) if target.exists() else []
    return found[0].name.removeprefix("llama_cpp_python-").removesuffix(".dist-info") if found else None


WINDOWS_RELEASES = (  # what docs/windows.md found: the project's 0.3.2 CPU wheels, later ones py3-none
    *(f"0.3.2|{cp}-{cp}-win_amd64" for cp in CPS), f"{PINNED}|sdist")


def test_the_command_is_read_out_of_install_bat_with_its_quoted_paths(user_folder: Path) -> None:
    command = install_bat_command(user_folder, ())
    assert command == [str(user_folder / ".venv" / "bin" / "python"), str(user_folder / "scripts" / "choose_llama_wheel.py")]
    assert install_bat_command(user_folder, ("--build-from-source",))[-1] == "--build-from-source"


def test_the_pinned_version_is_taken_when_its_wheel_exists(user_folder: Path, index, tmp_path: Path) -> None:
    stand_in = index(*WINDOWS_RELEASES, f"{PINNED}|py3-none-win_amd64")
    done = run_install_step(user_folder, stand_in, "3.12", tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    assert installed_version(tmp_path / "site") == PINNED
    assert f"== Installed llama-cpp-python {PINNED}." in done.stdout and "lacks" not in done.stdout
    assert stand_in.files_fetched() == [f"llama_cpp_python-{PINNED}-py3-none-win_amd64.whl"]


@pytest.mark.parametrize(("python", "version"), [("3.10", "0.3.2"), ("3.11", "0.3.2"), ("3.12", "0.3.16"),
                                                 ("3.13", "0.3.2")])
def test_without_a_pinned_wheel_the_newest_supported_wheel_for_that_python_is_taken(
        python: str, version: str, user_folder: Path, index, tmp_path: Path) -> None:
    stand_in = index(*WINDOWS_RELEASES, "0.3.16|cp312-cp312-win_amd64", "0.3.40|py3-none-win_amd64",
                     "0.3.16|cp312-cp312-manylinux_2_17_x86_64", "0.3.36|cp312-cp312-macosx_11_0_arm64")
    done = run_install_step(user_folder, stand_in, python, tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    assert installed_version(tmp_path / "site") == version
    cp = python.replace("3.", "cp3")
    assert stand_in.files_fetched() == [f"llama_cpp_python-{version}-{cp}-{cp}-win_amd64.whl"]  # not 0.3.40, no source
    assert f"== Installed llama-cpp-python {version}." in done.stdout
    assert f"Compared with {PINNED}, which Samantha is made for, this version lacks:" in done.stdout
    assert ("use_extra_bufts" in done.stdout) == (version == "0.3.2")  # 0.3.15 added it
    assert "(released 15 November 2024)" in done.stdout if version == "0.3.2" else "14 August 2025" in done.stdout


def test_no_fitting_wheel_is_a_clear_stop_that_names_the_pythons_that_have_one(
        user_folder: Path, index, tmp_path: Path) -> None:
    stand_in = index("0.3.2|cp311-cp311-win_amd64", "0.3.2|cp312-cp312-win_amd64", "0.2.90|cp313-cp313-win_amd64",
                     f"{PINNED}|sdist")
    done = run_install_step(user_folder, stand_in, "3.13", tmp_path / "site")
    assert done.returncode == 2
    assert installed_version(tmp_path / "site") is None and stand_in.files_fetched() == []
    assert f"No prebuilt CPU wheel of llama-cpp-python 0.3.2 to {PINNED} fits Python 3.13" in done.stdout
    assert "There is one for Python 3.11 or 3.12: install that Python (64-bit)" in done.stdout
    assert "install.bat --build-from-source" in done.stdout and "Desktop development with C++" in done.stdout


def test_the_indexes_can_come_from_the_environment(user_folder: Path, index, tmp_path: Path) -> None:
    """A company mirror, or a publisher docs/windows.md names, without editing install.bat."""
    stand_in = index("0.3.2|cp312-cp312-win_amd64")
    command = install_bat_command(user_folder, ()) + ["--platform", "win_amd64", "--python-version", "3.12",
                                                      "--", "--target", str(tmp_path / "site")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_NO_CACHE_DIR": "1", "SAMANTHA_LLAMA_INDEX": stand_in.url})
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert installed_version(tmp_path / "site") == "0.3.2"


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_source_build_happens_only_when_asked_and_a_failed_one_says_what_is_needed(
        how: str, user_folder: Path, index, tmp_path: Path) -> None:
    stand_in = index("0.3.2|cp312-cp312-win_amd64", f"{PINNED}|sdist")
    args, env = (("--build-from-source",), None) if how == "flag" else ((), {"SAMANTHA_LLAMA_SOURCE_BUILD": "1"})
    # For this (Linux) Python no Windows wheel fits; pip can only build for the machine it runs on.
    done = run_install_step(user_folder, stand_in, None, tmp_path / "site", *args, env=env)
    assert done.returncode == 1
    assert f"building llama-cpp-python {PINNED} from source, as asked" in done.stdout
    assert stand_in.files_fetched() == [f"llama_cpp_python-{PINNED}.tar.gz"]  # it really tried the source
    assert f"Building llama-cpp-python {PINNED} failed" in done.stdout and "Visual Studio Build Tools" in done.stdout


# open_samantha.bat's browser opener


@pytest.fixture
def browser_log(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """A BROWSER command (Python's webbrowser honours it) that writes down the address it was given."""
    log = tmp_path / "opened.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text("import sys\nopen(sys.argv[2], 'a').write(sys.argv[1] + '\\n')\n")
    env = {**os.environ, "BROWSER": f'"{sys.executable}" "{recorder}" %s "{log}"', "DISPLAY": ""}
    yield env, log


def test_the_browser_opens_once_the_page_answers_and_not_before(browser_log, tmp_path: Path) -> None:
    env, log = browser_log
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    opener = ROOT / "scripts" / "open_when_ready.py"
    waiting = subprocess.Popen([sys.executable, str(opener), url], env=env)
    try:
        check = subprocess.run([sys.executable, str(opener), "--check", url], env=env, timeout=60, check=False)
        assert check.returncode == 1 and not log.exists()  # nothing listens yet: no browser, no wait
        assert waiting.poll() is None and not log.exists()
        (tmp_path / "page").mkdir()
        (tmp_path / "page" / "index.html").write_text("Samantha")
        page = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "page"))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), page)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            assert waiting.wait(timeout=120) == 0
            assert log.read_text().split() == [url]
            again = subprocess.run([sys.executable, str(opener), "--check", url], env=env, timeout=60, check=False)
            assert again.returncode == 0 and log.read_text().split() == [url, url]  # the running page is reused
        finally:
            server.shutdown()
    finally:
        waiting.kill()


def test_a_pip_too_old_to_list_fitting_wheels_is_named_instead_of_a_wrong_choice(index, tmp_path: Path) -> None:
    """The pip a Python installer ships may predate `pip index versions --json`; then it also lists versions
    whose wheels do not fit, so the chooser stops and says how to upgrade pip rather than pick wrongly."""
    old = tmp_path / "old pip"
    venv.create(old, with_pip=True)
    python = old / "bin" / "python"
    helped = subprocess.run([str(python), "-m", "pip", "index", "versions", "--help"], capture_output=True, text=True,
                            check=True)
    if "--json" in helped.stdout:
        pytest.skip("this Python ships a pip that lists fitting wheels")
    stand_in = index("0.3.2|cp312-cp312-win_amd64", f"{PINNED}|cp312-cp312-macosx_11_0_arm64")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_NO_CACHE_DIR": "1"})
    done = subprocess.run([str(python), str(ROOT / "scripts" / "choose_llama_wheel.py"), "--index", stand_in.url,
                           "--platform", "win_amd64", "--python-version", "3.12"],
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 1 and stand_in.files_fetched() == []
    assert "This pip is too old to tell which wheels fit" in done.stdout and "-m pip install --upgrade pip" in done.stdout
