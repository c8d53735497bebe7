"""llama-cpp-python's own OpenAI-compatible server on 127.0.0.1, as the remote end of remote-model tests."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from samantha.runner import free_port

START_SECONDS = 120.0
API_KEY = "test-key-123"


@dataclass
class LlamaServer:
    process: subprocess.Popen[bytes]
    port: int
    alias: str
    api_key: str
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def ref(self, model: str | None = None) -> str:
        return f"openai+{self.base_url}#{model or self.alias}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(model: Path, log: Path, *, alias: str = "tiny", api_key: str = API_KEY, n_ctx: int = 4096) -> LlamaServer:
    """Start the server and wait until /v1/models answers (the model is loaded by then)."""
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", alias,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", "1",
        "--logits_all", "True", "--verbose", "False",
    ]
    if api_key:
        command += ["--api_key", api_key]
    handle = log.open("wb")
    process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
    server = LlamaServer(process, port, alias, api_key, log)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited ({process.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
            answer = httpx.get(f"{server.base_url}/models", headers=headers, timeout=2)
            if answer.status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"llama_cpp.server did not start in {START_SECONDS}s: {log.read_text(errors='replace')[-2000:]}")
