"""`samantha ui` as a real subprocess: serves on 127.0.0.1, refuses the network without a password,
and asks for the password when it has one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from samantha.runner import free_port
from tests.support.app_server import launch_ui, ui_process, wait_for_http

WAIT_SECONDS = 90.0


def environment(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SAMANTHA_CONFIG_DIR"] = str(tmp_path / "config")
    env.pop("SAMANTHA_PASSWORD", None)
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    return env


@pytest.fixture
def network_ui(tmp_path: Path, model_dir: Path, tiny_model: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with ui_process("--models-dir", str(model_dir), "--host", "0.0.0.0", "--password", "open sesame",
                    env=environment(tmp_path), wait=False) as started:
        yield started


def test_network_address_without_password_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "samantha.cli", "ui", "--no-browser", "--host", "0.0.0.0", "--port", str(free_port())],
        env=environment(tmp_path), capture_output=True, text=True, timeout=WAIT_SECONDS,
    )
    assert result.returncode == 2
    assert "--password" in result.stderr and "127.0.0.1" in result.stderr


def test_default_serves_on_loopback(tmp_path: Path, model_dir: Path, tiny_model: Path) -> None:
    process, base = launch_ui(  # options without the `ui` command, as start.sh passes them on
        "--models-dir", str(model_dir), env=environment(tmp_path), command=("samantha",))
    port = int(base.rsplit(":", 1)[1])
    try:
        page = wait_for_http(f"{base}/", process)
        assert page.status_code == 200 and "gradio" in page.text.lower()
        config = httpx.get(f"{base}/config", timeout=10).json()
        assert config["title"] == "Samantha"
        stored = (tmp_path / "config" / "settings.json").read_text(encoding="utf-8")
        assert str(model_dir.resolve()) in stored  # --models-dir is remembered
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    assert f"Samantha is running on http://127.0.0.1:{port}" in out.decode()
    assert "share=True" not in out.decode()  # no hint at public links
    assert process.returncode == 0  # a plain kill shuts down like Ctrl+C


def test_password_protects_a_network_address(network_ui: tuple[subprocess.Popen[bytes], str]) -> None:
    process, base = network_ui
    wait_for_http(f"{base}/", process)
    assert httpx.get(f"{base}/config", timeout=10).status_code == 401
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.post("/login", data={"username": "anyone", "password": "wrong"}).status_code >= 400
        assert client.post("/login", data={"username": "anyone", "password": "open sesame"}).status_code == 200
        assert client.get("/config").json()["title"] == "Samantha"
