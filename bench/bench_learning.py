"""Learning-mode benchmark: time per token with candidates recorded vs normal, and memory vs n_ctx.

Uses the realistic Q4_K_M model that bench_engine.py writes (it writes it if missing), or
`--model gemma` (Gemma 3 270M, a 262k vocabulary) / `--model PATH`. Prints the per-token time
ratio as the median of interleaved pairs with its spread (target <= 1.2), and the extra peak
memory learning mode needs at two context sizes (it must not grow with n_ctx x vocabulary).

    .venv/bin/python bench/bench_learning.py [--tokens 64] [--model gemma]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_engine import THREADS, make_model

from bench.data_dir import private_data_dir
from bench.models import real_models
from bench.stats import ratio_line
from samantha.backends.base import Control, GenerationRequest, LoadOptions, Piece
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.settings import Sampling

CHATML = "<|im_start|>user\nWrite about the sea.<|im_end|>\n<|im_start|>assistant\n"
GEMMA = "<start_of_turn>user\nWrite about the sea.<end_of_turn>\n<start_of_turn>model\n"


def peak_rss_mb(pid: int) -> float:
    """The worker's peak resident memory (Linux: VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seconds_per_token(backend: LlamaProcessBackend, tokens: int, candidates: int, prompt: str = CHATML) -> float:
    request = GenerationRequest(prompt, Sampling(max_tokens=tokens, n_ctx=0), 1, reset=True, candidates=candidates)
    first = None
    for out in backend.generate(request, Control()):
        if isinstance(out, Piece) and first is None:
            first = time.perf_counter()
        elif not isinstance(out, Piece):
            done = out
    return (time.perf_counter() - first) / max(done.answer_tokens - 1, 1)


def peak_for(model: Path, n_ctx: int, candidates: int, tokens: int, threads: int) -> float:
    backend = LlamaProcessBackend()
    try:
        backend.load(str(model), LoadOptions(n_ctx=n_ctx, n_threads=threads), Control())
        seconds_per_token(backend, tokens, candidates)
        return peak_rss_mb(backend.worker_pid)
    finally:
        backend.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench-cache")
    parser.add_argument("--model", default="", help="'gemma', 'smollm2' or a GGUF path (default: the generated model)")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--no-memory", action="store_true", help="only the time ratio (the memory runs load 4 more times)")
    args = parser.parse_args()
    if args.model in ("gemma", "smollm2"):
        model = next(m for m in real_models(args.workdir) if args.model in m.name.lower())
    else:
        model = Path(args.model) if args.model else make_model(args.workdir)
    prompt = GEMMA if "gemma" in model.name.lower() else CHATML
    print(f"model: {model.name}; {args.threads} threads; {args.tokens} tokens; {args.repeats} interleaved pairs")

    backend = LlamaProcessBackend()
    normal, learning = [], []
    try:
        backend.load(str(model), LoadOptions(n_ctx=2048, n_threads=args.threads), Control())
        seconds_per_token(backend, 8, 0, prompt)  # warm-up
        for _ in range(args.repeats):  # interleaved, so machine noise hits both alike
            normal.append(seconds_per_token(backend, args.tokens, 0, prompt))
            learning.append(seconds_per_token(backend, args.tokens, 40, prompt))
    finally:
        backend.close()
    print(ratio_line("ms per token, learning / normal", [s * 1000 for s in learning], [s * 1000 for s in normal],
                     "<= 1.2", names=("learning", "normal")), flush=True)
    if args.no_memory:
        return 0
    for n_ctx in (1024, 8192):
        base = peak_for(model, n_ctx, 0, args.tokens, args.threads)
        with_learning = peak_for(model, n_ctx, 40, args.tokens, args.threads)
        print(f"peak worker memory   n_ctx {n_ctx:5d}: normal {base:6.0f} MB, learning {with_learning:6.0f} MB, "
              f"extra {with_learning - base:+5.0f} MB")
    print("(logits_all would need n_ctx x 32000 x 4 bytes: 125 MB at 1024, 1000 MB at 8192)")
    return 0


if __name__ == "__main__":
    with private_data_dir():
        raise SystemExit(main())
