"""Chain benchmark: 2 real models x 3 loops with feedback and a ~2,000-token document in the system prompt.

Runs the same chain twice in interleaved repeats: with each model's context kept while the
other model answers (the default), and without (every return reads the whole prompt again).
Prints the prompt tokens llama.cpp read on returning to a model, as a share of those prompts,
and the chain's wall time, as medians with their spread.

    .venv/bin/python bench/bench_chain.py [--repeats 3] [--tokens 24]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.data_dir import private_data_dir
from bench.models import real_models
from bench.stats import ratio_line, spread
from samantha.backends.base import Control
from samantha.backends.kv_states import StateStore
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.events import AnswerFinished, ChainFailed
from samantha.settings import ChainSettings, Sampling

SENTENCES = (
    "The municipal budget of the town allocates funds to schools, roads and clinics.",
    "Each contract above a threshold must be published with its supplier and amount.",
    "Auditors compare invoices with delivered goods and flag payments without receipts.",
)


def document(words: int = 1500) -> str:
    """About 2,000 tokens of plain prose, as a PDF loaded into the system prompt would give."""
    text: list[str] = []
    while sum(len(s.split()) for s in text) < words:
        text.append(SENTENCES[len(text) % len(SENTENCES)] + f" (clause {len(text) + 1})")
    return "information: " + " ".join(text)


def run_once(models: list[Path], keep: bool, tokens: int) -> tuple[float, int, int]:
    """Wall seconds, and prompt tokens read / held on the steps that return to a model."""
    settings = ChainSettings(
        models=tuple(str(m) for m in models), prompt="Summarise the document in one sentence.",
        system=document(), feedback=True, loops=3, fast=True, sampling=Sampling(n_ctx=4096, max_tokens=tokens),
    )
    backend = LlamaProcessBackend(StateStore() if keep else StateStore(cap_bytes=0))
    started = time.perf_counter()
    try:
        events = list(run_chain(settings, backend, Control()))
    finally:
        backend.close()
    wall = time.perf_counter() - started
    errors = [e.message for e in events if isinstance(e, ChainFailed)]
    if errors:
        raise SystemExit(f"the chain failed: {errors}")
    records = [e.record for e in events if isinstance(e, AnswerFinished)]
    returning = records[len(models):]  # every step after each model's first answer
    read = sum(r.extra["evaluated_prompt_tokens"] for r in returning)
    return wall, read, sum(r.prompt_tokens for r in returning)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench-cache")
    args = parser.parse_args()
    models = real_models(args.workdir)
    if len(models) < 2:
        raise SystemExit("needs both real models (bash test.sh installs them)")
    kept, fresh = [], []
    for _ in range(args.repeats):  # interleaved, so machine noise hits both alike
        kept.append(run_once(models, True, args.tokens))
        fresh.append(run_once(models, False, args.tokens))
    print(f"{' -> '.join(m.name for m in models)}, 3 loops, feedback, {args.tokens} tokens per answer")
    for name, runs in (("context kept", kept), ("context not kept", fresh)):
        shares = [read / held for _, read, held in runs]
        print(f"{name:18s} prompt tokens read on returning: {runs[0][1]} of {runs[0][2]}, "
              f"share {spread(shares)}")
    print(ratio_line("chain wall time (s)", [w for w, _, _ in kept], [w for w, _, _ in fresh],
                     names=("kept", "not kept")))
    return 0


if __name__ == "__main__":
    with private_data_dir():
        raise SystemExit(main())
