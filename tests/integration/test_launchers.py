"""The Code tab's launchers, started for real from the "launchers" runner profile (D-Tale, sqlite-web,
JupyterLab, PyInstaller): each listens on 127.0.0.1 only, serves the chosen data, and ends with Stop program
or Close Python."""

from __future__ import annotations

import json
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from runner_env import launchers_environment, runner_environment

from samantha.runner import (
    SAMPLE_CSV,
    ProcessManager,
    RunnerError,
    ToolNotInstalled,
    csv_to_sqlite,
    installed_profiles,
    launch_dtale,
    launch_jupyterlab,
    launch_sqlite_browser,
    package_script,
)
from samantha.runner.processes import is_listening


@pytest.fixture(scope="module")
def environment():
    return launchers_environment()


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.status == 200
        return response.read().decode("utf-8", "replace")


def port_of(address: str) -> int:
    return urllib.parse.urlsplit(address).port or 0


def test_the_launchers_profile_is_recorded_in_its_environment(environment) -> None:
    assert "launchers" in installed_profiles(environment.root)


def test_dtale_serves_the_sample_csv_on_localhost_and_stop_program_ends_it(environment, tmp_path: Path) -> None:
    with ProcessManager() as processes:
        info = launch_dtale(environment, processes, tmp_path, SAMPLE_CSV)
        assert info.address.startswith("http://127.0.0.1:") and info.running
        assert [p.label for p in processes.processes()] == ["D-Tale: public_spending.csv"]
        base = info.address.split("/dtale/")[0]
        loaded = json.loads(get(base + "/dtale/processes"))["data"]
        assert loaded[0]["rows"] == 60 and loaded[0]["names"].startswith("id,date,agency")
        assert not processes.stop(info.id).running
        assert processes.processes() == []
        assert not is_listening(port_of(info.address))


def test_the_sqlite_browser_shows_a_database_made_from_the_sample_csv(environment, tmp_path: Path) -> None:
    database = csv_to_sqlite(SAMPLE_CSV, tmp_path / "spending.db")
    with ProcessManager() as processes:
        info = launch_sqlite_browser(environment, processes, tmp_path, database)
        page = get(info.address + "public_spending/content/")
        assert "Beta Comercio" in page  # a supplier of the sample data, read from the database
        assert processes.close_all() >= 1  # Close Python
        assert not is_listening(port_of(info.address))


def test_jupyterlab_really_starts_and_answers_with_its_token(environment, tmp_path: Path) -> None:
    with ProcessManager() as processes:
        info = launch_jupyterlab(environment, processes, tmp_path)
        query = urllib.parse.urlsplit(info.address).query
        status = json.loads(get(f"http://127.0.0.1:{port_of(info.address)}/api/status?{query}"))
        assert "started" in status
        with pytest.raises(urllib.error.HTTPError):  # no token, no access
            get(f"http://127.0.0.1:{port_of(info.address)}/api/contents")
        processes.close_all()
        assert not is_listening(port_of(info.address))


def test_pyinstaller_packages_the_editors_code_into_the_tabs_folder(environment, tmp_path: Path) -> None:
    lines: list[str] = []
    with ProcessManager() as processes:
        program = package_script(environment, "import sys\nprint('packaged:', *sys.argv[1:])", tmp_path,
                                 name="hello", on_output=lines.append, processes=processes)
    assert program.parent == tmp_path / "dist" and program.is_file()
    done = subprocess.run([str(program), "works"], check=False, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "packaged: works"
    assert any("PyInstaller" in line for line in lines)


def test_a_launcher_missing_from_the_environment_says_how_to_install_it(tmp_path: Path) -> None:
    light = runner_environment()  # numpy and matplotlib only
    with ProcessManager() as processes, pytest.raises(ToolNotInstalled, match="--profile full"):
        launch_dtale(light, processes, tmp_path, SAMPLE_CSV)
    with pytest.raises(ToolNotInstalled, match="pip install pyinstaller"):
        package_script(light, "print(1)", tmp_path)


def test_a_file_that_is_not_a_database_is_refused_before_anything_starts(environment, tmp_path: Path) -> None:
    with ProcessManager() as processes:
        with pytest.raises(RunnerError, match="not a SQLite database"):
            launch_sqlite_browser(environment, processes, tmp_path, SAMPLE_CSV)
        with pytest.raises(RunnerError, match="There is no CSV file"):
            launch_dtale(environment, processes, tmp_path, tmp_path / "missing.csv")
        assert processes.processes() == []
