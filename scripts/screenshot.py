"""Make the README's screenshot: the page after SmolLM2 has answered two questions, with Gemma 3 in the folder.

The app runs as `samantha ui` in its own process, with its settings, history and model folder in a throwaway
folder, so your own are neither read nor changed. Run it after `bash test.sh`, which installs both models and
the browser:

    .venv/bin/python scripts/screenshot.py docs/screenshot.png
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

from open_when_ready import answers  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from ui_pages import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from samantha.config import CONFIG_DIR_ENV  # noqa: E402
from samantha.history.db import DATA_DIR_ENV  # noqa: E402
from samantha.runner import free_port  # noqa: E402
from samantha.starter import starter_model  # noqa: E402
from tests.support.real_models import gemma_model  # noqa: E402

WIDTH, HEIGHT = 1400, 1000
WAIT_MS = 300_000
SYSTEM = "You are a friendly tutor. Answer in two or three sentences."
QUESTIONS = "Why is the sky blue?\nWrite a haiku about the sea."


def wait_for(url: str, app: subprocess.Popen[bytes]) -> None:
    give_up = time.monotonic() + 120
    while not answers(url):
        if app.poll() is not None or time.monotonic() > give_up:
            raise SystemExit(f"the app did not answer at {url}")
        time.sleep(0.5)


def shoot(url: str, target: Path, models: list[str]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, color_scheme="dark")
        page.set_default_timeout(WAIT_MS)
        page.goto(url)
        page.locator("#start-button").wait_for()
        page.locator("#model-list textarea").fill("\n".join(models))
        page.locator("#system-prompt textarea").fill(SYSTEM)
        page.locator("#user-prompt textarea").fill(QUESTIONS)
        page.click("#start-button")
        page.wait_for_function("() => document.querySelector('#status-box').innerText.includes('Done')")
        # This machine's own notices (no speakers, say) are not part of what the picture shows.
        page.evaluate("document.querySelectorAll('.toast-close').forEach((button) => button.click())")
        page.locator(".toast-body").first.wait_for(state="detached")
        page.evaluate("window.scrollTo(0, 0)")
        page.mouse.move(0, 0)
        page.screenshot(path=str(target))
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", type=Path, help="the PNG to write, e.g. docs/screenshot.png")
    args = parser.parse_args(argv)
    starter = starter_model()
    if starter is None:
        raise SystemExit("SmolLM2 is not installed: run bash test.sh first")
    work = Path(tempfile.mkdtemp(prefix="samantha-screenshot-"))
    models = work / "Models"
    models.mkdir()
    for model in (starter, gemma_model()):
        (models / model.name).symlink_to(model)
    port = free_port()
    environ = {**os.environ, CONFIG_DIR_ENV: str(work / "config"), DATA_DIR_ENV: str(work / "data")}
    app = subprocess.Popen([sys.executable, "-m", "samantha", "ui", "--no-browser", "--port", str(port),
                            "--models-dir", str(models)], env=environ)
    try:
        wait_for(f"http://127.0.0.1:{port}/", app)
        shoot(f"http://127.0.0.1:{port}/", args.target.resolve(), [starter.name])
    finally:
        app.terminate()
        app.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
