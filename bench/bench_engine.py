"""Engine benchmark: Samantha against raw llama-cpp-python on the same file, in one run.

Writes a realistic-shape random-weight model (1024 wide, 22 layers, 32k
vocabulary), quantises it to Q4_K_M with llama.cpp's own quantiser, then prints:
decode tokens/s and time to first token for both with their default weight repacking
(on) and both with it off, the CLI's worker-side speed and peak memory, the overhead of
a chain step on an already-loaded model, and how much faster a repeated 1,000-token
prefix is read than a cold one. Each figure is the median ratio of interleaved pairs,
with its spread.

    .venv/bin/python bench/bench_engine.py [--tokens 128] [--workdir .bench-cache]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.data_dir import private_data_dir
from bench.stats import ratio_line, spread
from samantha.backends.base import Control, GenerationRequest, LoadOptions, Piece
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.events import AnswerFinished, ChainFinished
from samantha.settings import ChainSettings, Sampling
from samantha.tinymodel import quantize_gguf, write_realistic_gguf

THREADS = 2
PROMPT = "Write a long story about a lighthouse keeper and the sea."
CHAT_PROMPT = f"<|im_start|>user\n{PROMPT}<|im_end|>\n<|im_start|>assistant\n"  # what both sides read

# Raw llama-cpp-python, run in its own process so its peak memory is its own.
RAW_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, time
    import llama_cpp
    from llama_cpp import llama_cpp as lib
    path, tokens, repack, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", int(sys.argv[4])
    default = lib.llama_model_default_params
    def params():
        p = default()
        p.use_extra_bufts = repack
        return p
    lib.llama_model_default_params = params  # Llama() does not expose use_extra_bufts
    llm = llama_cpp.Llama(path, n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
    lib.llama_model_default_params = default
    prompt = llm.tokenize(sys.argv[5].encode(), add_bos=True, special=True)
    for n, token in enumerate(llm.generate(prompt, temp=0.0)):  # warm-up: page the weights in
        if n >= 8:
            break
    llm.reset()  # read the whole prompt again, as Samantha's measured run does
    start = time.perf_counter(); first = None; n = 0
    for token in llm.generate(prompt, temp=0.0, top_k=40, top_p=0.0, min_p=1.0, typical_p=0.0, repeat_penalty=1.0,
                              reset=True):
        n += 1
        if first is None:
            first = time.perf_counter()
        if n >= tokens:
            break
    end = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"ttft": first - start, "decode_tps": (n - 1) / (end - first), "tokens": n, "peak_mb": peak_kb / 1024}))
    """
)


def make_model(workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    quantised = workdir / "realistic-Q4_K_M.gguf"
    if not quantised.exists():
        f16 = workdir / "realistic-F16.gguf"
        print(f"writing {f16.name} (1024 wide, 22 layers, 32k vocabulary)…", flush=True)
        write_realistic_gguf(f16)
        print("quantising to Q4_K_M with llama.cpp…", flush=True)
        quantize_gguf(f16, quantised, "Q4_K_M", threads=THREADS)
        f16.unlink()
    return quantised


def raw_run(model: Path, tokens: int, repack: bool) -> dict | None:
    result = subprocess.run(
        [sys.executable, "-c", RAW_SCRIPT, str(model), str(tokens), "1" if repack else "0", str(THREADS), CHAT_PROMPT],
        capture_output=True, text=True, timeout=900,
    )
    if result.returncode != 0:
        return {"crashed": result.returncode}
    return json.loads(result.stdout.strip().splitlines()[-1])


def own_peak_kb(pid: int) -> int:
    """A process's own peak resident memory (Linux VmHWM), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Child processes from the kernel's per-thread lists: psutil's children() reads every process's stat,
    ~3.5 ms of CPU per call here, and called every 50 ms it took CPU from the decode being measured."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in children.read_text().split()]
        except OSError:
            pass
    return found + [grandchild for child in found for grandchild in descendants(child)]


def samantha_cli_run(model: Path, tokens: int, workdir: Path) -> dict:
    """`samantha run` as a user runs it; peak memory is the sum of each process's own peak (app + worker)."""
    session = workdir / "bench-session.json"
    command = [sys.executable, "-m", "samantha", "run", "--model", str(model), "--prompt", PROMPT, "--fast", "--no-history",
               "--threads", str(THREADS), "--set", f"max_tokens={tokens}", "--set", "n_ctx=2048", "--save", str(session)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, int] = {}
    while process.poll() is None:  # a peak only grows, so a few cheap looks a second find it
        for pid in (process.pid, *descendants(process.pid)):
            peaks[pid] = max(peaks.get(pid, 0), own_peak_kb(pid))
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.25)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"samantha run failed: {process.stderr.read() if process.stderr else ''}")
    [answer] = json.loads(session.read_text())["answers"]
    return {"wall": wall, "peak_mb": sum(peaks.values()) / 1024, "tokens": answer["answer_tokens"],
            "decode_tps": (answer["answer_tokens"] - 1) / answer["generation_seconds"]}


def samantha_backend_run(model: Path, tokens: int, repack: bool) -> dict:
    """Decode speed and time to first token as the app sees them: measured in the app process.

    Each sample has a worker of its own, warmed up as the raw run is, and ended afterwards: the app never
    has two models in memory, and a second resident worker took a few percent from the one measured."""
    backend = LlamaProcessBackend()
    try:
        backend.load(str(model), LoadOptions(n_ctx=2048, n_threads=THREADS, repack=repack), Control())
        _generate(backend, 8)  # warm-up: page the weights in
        return _generate(backend, tokens)
    finally:
        backend.close()


def _generate(backend: LlamaProcessBackend, tokens: int) -> dict:
    request = GenerationRequest(CHAT_PROMPT, Sampling(max_tokens=tokens, n_ctx=2048), seed=1, reset=True)
    start = time.perf_counter()
    first = None
    pieces = 0
    for out in backend.generate(request, Control()):
        if isinstance(out, Piece):
            pieces += 1
            if first is None:
                first = time.perf_counter()
        else:
            done = out
    end = time.perf_counter()
    assert first is not None
    return {"ttft": first - start, "decode_tps": (done.answer_tokens - 1) / (end - first), "tokens": done.answer_tokens}


def step_overhead(backend: LlamaProcessBackend, model: Path, steps: int = 12) -> float:
    """Wall time of a same-model chain step beyond the model's own prompt reading and generation."""
    prompt = "\n".join(f"Question {i}: name a colour." for i in range(steps))
    settings = ChainSettings(models=(str(model),), prompt=prompt, fast=True,
                             sampling=Sampling(n_ctx=2048, max_tokens=2))
    load = LoadOptions(n_ctx=2048, n_threads=THREADS)
    backend.load(str(model), load, Control())
    started = time.perf_counter()
    model_seconds = 0.0
    count = 0
    for event in run_chain(settings, backend, Control(), load_options=load):
        if isinstance(event, AnswerFinished):
            model_seconds += event.record.prompt_seconds + event.record.generation_seconds
            count += 1
        elif isinstance(event, ChainFinished):
            break
    wall = time.perf_counter() - started
    return (wall - model_seconds) / count


def prefix_reuse(backend: LlamaProcessBackend, model: Path) -> tuple[float, float]:
    """Seconds to read a 1,000-token prefix cold, and again with a new tail."""
    backend.load(str(model), LoadOptions(n_ctx=2048, n_threads=THREADS), Control())
    prefix = "<|im_start|>system\n" + " ".join(f"fact{i}" for i in range(175)) + "<|im_end|>\n"
    cold_prompt = prefix + "<|im_start|>user\nfirst question<|im_end|>\n<|im_start|>assistant\n"
    warm_prompt = prefix + "<|im_start|>user\nsecond question<|im_end|>\n<|im_start|>assistant\n"
    cold = list(backend.generate(GenerationRequest(cold_prompt, Sampling(max_tokens=1, n_ctx=2048), 1, reset=True), Control()))[-1]
    warm = list(backend.generate(GenerationRequest(warm_prompt, Sampling(max_tokens=1, n_ctx=2048), 1), Control()))[-1]
    print(f"  prefix prompt: {cold.prompt_tokens} tokens; warm run read {warm.extra['evaluated_prompt_tokens']} of them")
    return cold.prompt_seconds, warm.prompt_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench-cache")
    args = parser.parse_args()
    model = make_model(args.workdir)
    print(f"model: {model.name}, {model.stat().st_size / 2**20:.0f} MB; {THREADS} threads; {args.tokens} tokens; "
          f"{args.repeats} interleaved pairs per figure\n")

    pairs: dict[bool, tuple[list[dict], list[dict]]] = {True: ([], []), False: ([], [])}
    cli_runs, cli_raw = [], []
    for _ in range(args.repeats):  # interleaved, so machine noise hits both sides alike
        for repack, (raw, ours) in pairs.items():
            raw.append(raw_run(model, args.tokens, repack=repack))
            ours.append(samantha_backend_run(model, args.tokens, repack))
        cli_raw.append(raw_run(model, args.tokens, repack=True))
        cli_runs.append(samantha_cli_run(model, args.tokens, args.workdir))
    backend = LlamaProcessBackend()
    try:
        overhead = [step_overhead(backend, model) * 1000 for _ in range(args.repeats)]
        cold, warm = prefix_reuse(backend, model)
    finally:
        backend.close()

    for repack, (raw, ours) in pairs.items():
        name = "default (repacking on)" if repack else "both repacking off"
        print(ratio_line(f"decode tokens/s, {name}", [r["decode_tps"] for r in ours], [r["decode_tps"] for r in raw],
                         ">= 1.00" if repack else ">= 0.98"))
        print(ratio_line(f"time to first token, {name}", [r["ttft"] for r in ours], [r["ttft"] for r in raw]))
    print(ratio_line("decode tokens/s, samantha run (CLI)", [r["decode_tps"] for r in cli_runs],
                     [r["decode_tps"] for r in cli_raw], ">= 0.98"))
    print(ratio_line("peak memory MB, samantha run (app+worker)", [r["peak_mb"] for r in cli_runs],
                     [r["peak_mb"] for r in cli_raw]))
    print(f"same-model chain step overhead beyond prompt reading (ms): {spread(overhead)}  target < 5")
    print(f"1,000-token prefix: cold {cold:.3f}s, repeated {warm:.3f}s, speed-up {cold / warm:.1f}x")
    return 0


if __name__ == "__main__":
    with private_data_dir():
        raise SystemExit(main())
