"""Learning mode's memory through the real engine: recording candidates keeps one step's logits only.

With `logits_all`, llama.cpp and llama-cpp-python reserve a float per token of
the vocabulary for every position of the context (n_ctx x n_vocab x 4 bytes).
Learning mode reads each step's logits through a logits processor instead, so
the worker's memory must not grow with n_ctx that way. The same measure, taken
on a plain `Llama(logits_all=True)`, shows that it would catch the difference.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from samantha.backends.base import Control, GenerationRequest, LoadOptions, Piece
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.settings import Sampling
from samantha.tinymodel import write_tiny_gguf

VOCAB = 32000
SMALL, LARGE = 512, 8192
LOGITS_ALL_GROWTH = (LARGE - SMALL) * VOCAB * 4  # what logits_all would add between the two sizes (~980 MB)
PROMPT = "<|im_start|>user\nTell me<|im_end|>\n<|im_start|>assistant\n"

REFERENCE = """
import sys, llama_cpp
llm = llama_cpp.Llama(sys.argv[1], n_ctx=int(sys.argv[2]), logits_all=True, verbose=False)
llm.eval(llm.tokenize(sys.argv[3].encode(), add_bos=True, special=True))
status = open("/proc/self/status").read().splitlines()
print(next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmPeak:")))
"""


@pytest.fixture(scope="module")
def wide_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model with a real-size vocabulary, so n_ctx x vocabulary is large enough to see."""
    path = tmp_path_factory.mktemp("wide") / "wide-vocab.gguf"
    return write_tiny_gguf(path, seed=3, name="wide", n_vocab=VOCAB, context_length=LARGE)


def peak_virtual_bytes(pid: int) -> int:
    """The worker's peak address space (VmPeak): it counts reserved buffers even before they are written."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmPeak:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmPeak in /proc")


def learning_peak(model: Path, n_ctx: int) -> int:
    backend = LlamaProcessBackend()
    try:
        backend.load(str(model), LoadOptions(n_ctx=n_ctx), Control())
        request = GenerationRequest(PROMPT, Sampling(n_ctx=n_ctx, max_tokens=6, top_k=40), 1, candidates=40)
        pieces = [out for out in backend.generate(request, Control()) if isinstance(out, Piece)]
        assert any(piece.choice is not None and len(piece.choice.candidates) == 40 for piece in pieces)
        pid = backend.worker_pid
        assert pid is not None
        return peak_virtual_bytes(pid)
    finally:
        backend.close()


def logits_all_peak(model: Path, n_ctx: int) -> int:
    result = subprocess.run([sys.executable, "-c", REFERENCE, str(model), str(n_ctx), PROMPT],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[-1])


def test_learning_memory_does_not_grow_as_n_ctx_times_vocabulary(wide_model: Path) -> None:
    growth = learning_peak(wide_model, LARGE) - learning_peak(wide_model, SMALL)
    assert growth < LOGITS_ALL_GROWTH / 4, f"learning mode grew by {growth / 2**20:.0f} MB from n_ctx {SMALL} to {LARGE}"
    # The measure sees logits_all: the same model and sizes with it grow by about n_ctx x vocabulary.
    reference = logits_all_peak(wide_model, LARGE) - logits_all_peak(wide_model, SMALL)
    assert reference > LOGITS_ALL_GROWTH * 0.75
