"""Real models: Samantha's defaults against raw llama-cpp-python's defaults, on SmolLM2-135M and Gemma 3 270M.

For each model, interleaved repeats (raw, Samantha, raw, Samantha ...) each load the file
afresh and answer one prompt greedily; the table gives decode tokens/s, time to first
token and load time, each as the median ratio of the pairs with its spread. Raw runs
`Llama(path)` with nothing but the context size and `verbose=False`, as a user of the
library would; Samantha runs its worker with its own defaults (the app's settings).

    .venv/bin/python bench/bench_real.py [--repeats 5] [--tokens 64]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.data_dir import private_data_dir
from bench.models import real_models
from bench.stats import ratio_line
from samantha.backends.base import Control, GenerationRequest, LoadOptions, Piece
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.settings import Sampling

N_CTX = 2048
QUESTION = "Write a short story about a lighthouse keeper."

RAW_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    started = time.perf_counter()
    import llama_cpp
    path, tokens, prompt_text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    llm = llama_cpp.Llama(path, n_ctx=int(sys.argv[4]), verbose=False)
    loaded = time.perf_counter()
    prompt = llm.tokenize(prompt_text.encode(), add_bos=True, special=True)
    start = time.perf_counter(); first = None; n = 0
    for token in llm.generate(prompt, temp=0.0, top_k=40, top_p=1.0, min_p=0.0, repeat_penalty=1.0):
        n += 1
        if first is None:
            first = time.perf_counter()
        if n >= tokens or token == llm.token_eos():
            break
    end = time.perf_counter()
    print(json.dumps({"load": loaded - started, "ttft": first - start, "decode_tps": (n - 1) / (end - first)}))
    """
)


def chat_prompt(model: Path) -> str:
    """The question in the model's own turn markers (Gemma has no template in its file)."""
    if "gemma" in model.name.lower():
        return f"<start_of_turn>user\n{QUESTION}<end_of_turn>\n<start_of_turn>model\n"
    return f"<|im_start|>user\n{QUESTION}<|im_end|>\n<|im_start|>assistant\n"


def raw_run(model: Path, tokens: int) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-c", RAW_SCRIPT, str(model), str(tokens), chat_prompt(model), str(N_CTX)],
                            capture_output=True, text=True, timeout=900, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def samantha_run(model: Path, tokens: int) -> dict[str, float]:
    """A fresh worker with the app's default load options, as the first answer of a chain sees it."""
    backend = LlamaProcessBackend()
    try:
        started = time.perf_counter()
        backend.load(str(model), LoadOptions(n_ctx=N_CTX), Control())
        loaded = time.perf_counter()
        request = GenerationRequest(chat_prompt(model), Sampling(max_tokens=tokens, n_ctx=N_CTX), seed=1, reset=True)
        start = time.perf_counter()
        first = None
        done = None
        for out in backend.generate(request, Control()):
            if isinstance(out, Piece):
                first = first or time.perf_counter()
            else:
                done = out
        end = time.perf_counter()
    finally:
        backend.close()
    assert first is not None and done is not None
    return {"load": loaded - started, "ttft": first - start, "decode_tps": (done.answer_tokens - 1) / (end - first)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench-cache")
    args = parser.parse_args()
    for model in real_models(args.workdir):
        raw_run(model, 8)  # warm-up: the file into the page cache
        raw, ours = [], []
        for _ in range(args.repeats):
            raw.append(raw_run(model, args.tokens))
            ours.append(samantha_run(model, args.tokens))
        print(f"\n{model.name} ({model.stat().st_size / 2**20:.0f} MB), {args.tokens} tokens, {args.repeats} pairs")
        print(ratio_line("decode tokens/s", [r["decode_tps"] for r in ours], [r["decode_tps"] for r in raw], ">= 1.00"))
        print(ratio_line("time to first token (s)", [r["ttft"] for r in ours], [r["ttft"] for r in raw]))
        print(ratio_line("load time (s)", [r["load"] for r in ours], [r["load"] for r in raw]))
    return 0


if __name__ == "__main__":
    with private_data_dir():
        raise SystemExit(main())
