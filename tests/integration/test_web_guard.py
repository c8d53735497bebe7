"""The web app refuses other host names (DNS rebinding), other sites' pages and password guessing:
real HTTP requests against the real app, with the real code runner behind /run_code."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from gradio_client import Client
from runner_env import runner_environment

from samantha.app import LaunchError, build_app, serve
from samantha.config import ConfigStore
from samantha.model_host import ModelHost
from samantha.runner import RunnerEnvironment, free_port
from samantha.ui.code_panel import CodePlugin
from samantha.web_guard import FREE_LOGIN_FAILURES
from tests.support.app_server import RunningApp, serve_app

EVIL = "evil.example"


def start(tmp_path_factory: pytest.TempPathFactory, password: str | None = None) -> AbstractContextManager[RunningApp]:
    return serve_app(tmp_path_factory.mktemp("guard-models"), tmp_path_factory.mktemp("guard-app"), [CodePlugin()],
                     password=password)


@pytest.fixture(scope="module")
def environment() -> RunnerEnvironment:
    return runner_environment()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with start(tmp_path_factory) as running:
        yield running.url.rstrip("/")


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_a_foreign_host_name_is_refused_and_loopback_names_are_served(app: str) -> None:
    port = port_of(app)
    for name in (f"{EVIL}:{port}", EVIL, "192.168.1.20", "localhost.evil.example"):
        response = httpx.get(f"{app}/config", headers={"Host": name}, timeout=30)
        assert response.status_code == 403, name
        assert "DNS rebinding" in response.text and "http://127.0.0.1" in response.text
        assert response.headers["content-type"].startswith("text/plain")
    for name in (f"127.0.0.1:{port}", f"localhost:{port}", f"127.0.0.2:{port}", f"[::1]:{port}", "LOCALHOST"):
        assert httpx.get(f"{app}/config", headers={"Host": name}, timeout=30).status_code == 200, name


def call_run_code(app: str, code: str, where: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{app}/gradio_api/call/run_code", headers=headers, timeout=30,
                      json={"data": [code, where, 60, False]})


def test_run_code_from_a_rebinding_or_foreign_page_does_not_run(app: str, environment: RunnerEnvironment,
                                                                tmp_path: Path) -> None:
    port = port_of(app)
    where = str(environment.root)
    forged = [
        {"Host": f"{EVIL}:{port}", "Origin": f"http://{EVIL}:{port}"},  # DNS rebinding: same origin, foreign name
        {"Host": f"127.0.0.1:{port}", "Origin": f"http://{EVIL}"},  # a page elsewhere posting to Samantha
        {"Host": f"127.0.0.1:{port}", "Origin": "null"},  # a sandboxed frame or a local file
        {"Host": f"127.0.0.1:{port}", "Origin": f"http://127.0.0.1:{port + 1}"},  # another local server's page
        {"Host": f"127.0.0.1:{port}", "Sec-Fetch-Site": "cross-site"},
    ]
    for number, headers in enumerate(forged):
        marker = tmp_path / f"ran-{number}"
        response = call_run_code(app, f"open({str(marker)!r}, 'w').close()", where, headers)
        assert response.status_code == 403, headers
        assert "refused" in response.text
    # Samantha's own page (same origin) and programs (no Origin) still run code: afterwards, nothing forged ran.
    own = tmp_path / "own-page"
    response = call_run_code(app, f"open({str(own)!r}, 'w').close()", where,
                             {"Host": f"127.0.0.1:{port}", "Origin": f"http://127.0.0.1:{port}",
                              "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200
    event = response.json()["event_id"]
    result = httpx.get(f"{app}/gradio_api/call/run_code/{event}", timeout=120).text
    assert "event: complete" in result and own.is_file()
    _, printed, _, _ = Client(app, verbose=False).predict("print(6 * 7)", where, 60, False, api_name="/run_code")
    assert printed == "42" or printed.get("value") == "42"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["own-page"]


def test_uploads_from_another_site_are_refused(app: str, tmp_path: Path) -> None:
    port = port_of(app)
    files = {"files": ("note.txt", b"hello", "text/plain")}
    for headers in ({"Origin": f"http://{EVIL}"}, {"Sec-Fetch-Site": "cross-site"}, {"Host": f"{EVIL}:{port}"}):
        response = httpx.post(f"{app}/gradio_api/upload", files=files, headers=headers, timeout=30)
        assert response.status_code == 403, headers
    own = httpx.post(f"{app}/gradio_api/upload", files=files, timeout=30,
                     headers={"Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200 and Path(own.json()[0]).read_bytes() == b"hello"


def test_a_short_password_is_refused_at_start(tmp_path_factory: pytest.TempPathFactory) -> None:
    demo = build_app(host=ModelHost(lambda: None), config=ConfigStore(tmp_path_factory.mktemp("short")),  # type: ignore[arg-type,return-value]
                     files_dir=tmp_path_factory.mktemp("short-files"))
    with pytest.raises(LaunchError, match="at least 8"):
        serve(demo, server_name="0.0.0.0", port=free_port(), block=False, quiet=True, password="1234567")


def test_wrong_passwords_are_limited_per_client(tmp_path_factory: pytest.TempPathFactory) -> None:
    password = "correct horse battery"
    with start(tmp_path_factory, password=password) as running:
        url = running.url.rstrip("/")
        statuses = []
        started = time.monotonic()
        with httpx.Client(base_url=url, timeout=30) as client:
            for attempt in range(200):
                response = client.post("/login", data={"username": "x", "password": f"guess-{attempt}"})
                statuses.append(response.status_code)
            seconds = time.monotonic() - started
            checked = statuses.count(400)  # tries that reached the password check
            print(f"200 wrong logins: {checked} checked, {statuses.count(429)} refused, {seconds:.2f} s")
            assert checked <= FREE_LOGIN_FAILURES + 1 and statuses.count(429) >= 200 - checked
            refused = client.post("/login", data={"username": "x", "password": password})
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1  # even the right one waits
            assert "wait" in refused.text and "wrong passwords" in refused.text
