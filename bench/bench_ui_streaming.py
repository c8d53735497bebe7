"""UI streaming benchmark: does showing tokens live in a browser slow generation down?

Starts the real app on 127.0.0.1 with a realistic-shape model (random weights,
quantised with llama.cpp when possible; a smaller shape than a real model so the
run stays short), opens it in headless Chromium and runs the same chain:

- fast mode (the answer appears when done) vs live token-by-token streaming;
- live streaming into an empty transcript vs into one already 50,000 characters long.

Tokens/s come from the engine's own stats line. Prints the medians and the ratios
(streaming / fast, target >= 0.95; long / empty transcript, target about 1.0).

    .venv/bin/python bench/bench_ui_streaming.py [--tokens 400] [--runs 5] [--workdir .bench-cache]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.data_dir import private_data_dir
from samantha.app import build_app, serve
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.config import ConfigStore
from samantha.model_host import ModelHost
from samantha.runner import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LONG_TRANSCRIPT_CHARS = 50_000
PROMPT = "Write a long story about a lighthouse keeper and the sea."
RATE_RE = re.compile(r"^---------- \((\d+) tokens.*?, ([\d.]+) tokens/s", re.MULTILINE)
WAIT_SECONDS = 600.0


def make_model(workdir: Path) -> Path:
    """A realistic-shape model (smaller than the default shape), Q4_K_M when the quantiser works."""
    from samantha import tinymodel

    f16 = workdir / "bench-ui-f16.gguf"
    if not f16.exists():
        tinymodel.write_realistic_gguf(f16, n_embd=512, n_layer=8, n_head=8, n_head_kv=4, n_ff=1408,
                                       n_vocab=32000, name="bench-ui")
    quantize = getattr(tinymodel, "quantize_gguf", None)
    if quantize is None:
        return f16
    q4 = workdir / "bench-ui-Q4_K_M.gguf"
    if not q4.exists():
        try:
            quantize(f16, q4, "Q4_K_M")
        except Exception as exc:  # a benchmark still says something useful with F16
            print(f"(quantising failed, using F16: {exc})")
            return f16
    return q4


def wait_for(page, script: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(script, timeout=WAIT_SECONDS * 1000)


def run_once(page, *, fast: bool, prefill: str) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """One chain from the page; returns (answer tokens, tokens/s) from the stats line."""
    page.locator("#clear-history-button").click()
    wait_for(page, "() => document.querySelector('#transcript textarea').value === ''")
    if prefill:
        page.locator("#transcript textarea").fill(prefill)
    fast_box = page.locator("#switch-fast input")
    if fast_box.is_checked() != fast:
        page.click("#tab-chain-button")
        fast_box.set_checked(fast)
    page.locator("#start-button").click()
    wait_for(page, "() => /Done|Ended|Stopped/.test(document.querySelector('#status-box').innerText)")
    text = page.locator("#transcript textarea").input_value()
    found = RATE_RE.findall(text[len(prefill):])
    if not found:
        raise RuntimeError("no stats line in the transcript:\n" + text[-2000:])
    tokens, rate = found[-1]
    return int(tokens), float(rate)


def interleaved_rates(page, runs: int, prefill: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median tokens/s of each case, the cases taking turns so load from other programs hits them alike."""
    rates: dict[str, list[float]] = {"fast": [], "live": [], "long": []}
    for _ in range(runs):
        rates["fast"].append(run_once(page, fast=True, prefill="")[1])
        rates["live"].append(run_once(page, fast=False, prefill="")[1])
        rates["long"].append(run_once(page, fast=False, prefill=prefill)[1])
    return {case: statistics.median(values) for case, values in rates.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=400, help="tokens per answer (max_tokens)")
    parser.add_argument("--runs", type=int, default=5, help="rounds (each runs every case once); medians are reported")
    parser.add_argument("--workdir", type=Path, default=None, help="keep generated models here between runs")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium package")
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="samantha-bench-ui-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        model = make_model(workdir)
        print(f"model: {model.name} ({model.stat().st_size / 1e6:.0f} MB), {args.tokens} tokens per answer, "
              f"median of {args.runs} runs")
        host = ModelHost(LlamaProcessBackend)
        demo = build_app(host=host, config=ConfigStore(Path(scratch) / "config"), models_dir=model.parent,
                         files_dir=Path(scratch) / "files")
        url = serve(demo, port=free_port(), block=False, quiet=True)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url)
                page.wait_for_selector("#start-button")
                page.locator("#model-list textarea").fill(model.name)
                page.locator("#user-prompt textarea").fill(PROMPT)
                page.click("#tab-sampling-button")
                max_tokens = page.locator("#max-tokens input[type=number]").first
                max_tokens.fill(str(args.tokens))
                max_tokens.blur()
                tokens, _ = run_once(page, fast=True, prefill="")  # warm-up: load the model, fill caches
                long_prefill = ("This line stands for an earlier part of a long session.\n" * 1000)
                rates = interleaved_rates(page, args.runs, long_prefill[:LONG_TRANSCRIPT_CHARS])
                fast, live, live_long = rates["fast"], rates["live"], rates["long"]
                browser.close()
        finally:
            demo.close()
            host.close()
    print(f"answer length            : {tokens} tokens")
    print(f"fast mode                : {fast:8.1f} tokens/s")
    print(f"live streaming           : {live:8.1f} tokens/s")
    print(f"live, 50k-char transcript: {live_long:8.1f} tokens/s")
    print(f"streaming / fast         : {live / fast:.3f}  (target >= 0.95)")
    print(f"50k transcript / empty   : {live_long / live:.3f}  (target about 1.0: no slowdown)")
    return 0


if __name__ == "__main__":
    with private_data_dir():
        raise SystemExit(main())
