"""Does llama.cpp's CPU weight repacking crash, or change greedy answers, on this machine?

For each quantisation llama.cpp can produce here (Q4_0, Q4_1, Q4_K_M, Q5_K_M, Q6_K,
Q8_0) of a generated model of realistic layout, and for the real models the test tier
installs, each file is loaded in a fresh raw llama-cpp-python process with repacking
on and off, and the greedy tokens of both are compared. A crash kills only that
process, so one bad combination cannot hide the others.

    .venv/bin/python bench/check_repack.py [--workdir .bench-cache] [--tokens 24]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.data_dir import private_data_dir
from bench.models import real_models
from samantha.tinymodel import quantize_gguf, write_realistic_gguf

QUANTS = ("Q4_0", "Q4_1", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0")
PROMPT = "<|im_start|>user\nName three rivers.<|im_end|>\n<|im_start|>assistant\n"

# Greedy tokens of one load, in its own process: the exit status tells a crash apart.
GREEDY = textwrap.dedent(
    """
    import json, sys
    import llama_cpp
    from llama_cpp import llama_cpp as lib
    path, tokens, repack = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
    default = lib.llama_model_default_params
    def params():
        p = default()
        p.use_extra_bufts = repack
        return p
    lib.llama_model_default_params = params  # Llama() does not expose use_extra_bufts
    llm = llama_cpp.Llama(path, n_ctx=512, n_threads=2, verbose=False)
    prompt = llm.tokenize(sys.argv[4].encode(), add_bos=True, special=True)
    out = []
    for token in llm.generate(prompt, temp=0.0, top_k=1):
        out.append(token)
        if len(out) >= tokens:
            break
    print(json.dumps(out))
    """
)


def greedy(model: Path, tokens: int, repack: bool) -> list[int] | str:
    """The greedy token ids, or a description of how the process died."""
    result = subprocess.run(
        [sys.executable, "-c", GREEDY, str(model), str(tokens), "1" if repack else "0", PROMPT],
        capture_output=True, text=True, timeout=900,
    )
    if result.returncode != 0:
        return f"died with exit status {result.returncode}: {result.stderr.strip().splitlines()[-1:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def generated_models(workdir: Path) -> list[Path]:
    """One file per quantisation of a smaller model of realistic layout (so the check stays quick)."""
    workdir.mkdir(parents=True, exist_ok=True)
    f16 = workdir / "repack-F16.gguf"
    paths = [workdir / f"repack-{quant}.gguf" for quant in QUANTS]
    if not all(path.exists() for path in paths):
        write_realistic_gguf(f16, n_embd=512, n_layer=4, n_head=8, n_head_kv=4, n_ff=1536, n_vocab=32000)
        for quant, path in zip(QUANTS, paths):
            if not path.exists():
                quantize_gguf(f16, path, quant)
        f16.unlink()
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench-cache")
    parser.add_argument("--tokens", type=int, default=24)
    args = parser.parse_args()
    failures = 0
    for model in [*generated_models(args.workdir), *real_models(args.workdir)]:
        off = greedy(model, args.tokens, repack=False)
        on = greedy(model, args.tokens, repack=True)
        if isinstance(on, str) or isinstance(off, str):
            verdict = f"repack on: {on if isinstance(on, str) else 'ran'}; off: {off if isinstance(off, str) else 'ran'}"
            failures += 1
        elif on == off:
            verdict = f"same {len(on)} greedy tokens with repacking on and off"
        else:
            same = next((i for i, (a, b) in enumerate(zip(on, off)) if a != b), min(len(on), len(off)))
            verdict = f"greedy tokens differ from token {same} on"
            failures += 1
        print(f"{model.name:40s} {verdict}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    with private_data_dir():
        raise SystemExit(main())
