"""Generated models in real llama.cpp: they load, tokenise ChatML, and emit exactly what a grammar forces."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

llama_cpp = pytest.importorskip("llama_cpp")

from samantha.gguf_info import VocabularyReader, read_model_card
from samantha.tinymodel import (
    BOS_ID,
    BYTE_BASE_ID,
    CHATML_TEMPLATE,
    END_OF_TURN_ID,
    GEMMA_LIKE_TEMPLATE,
    IM_END_ID,
    IM_START_ID,
    QuantizeError,
    grammar_for_text,
    quantize_gguf,
    write_realistic_gguf,
    write_tiny_gguf,
)

REPO = Path(__file__).resolve().parents[2]
CHATML_PROMPT = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
FORCED = [
    "STOP_SAMANTHA",
    "Hello, world!",
    "line one\nline two",
    "```python\nprint(1)\n```",
    "Olá! A ação está ótima, você não acha? É só começar.",
    ' leading space, "quotes" and a back\\slash',
]

# Loads a model with CPU weight repacking off (llama.cpp crashes in decode on quantised models on
# AVX-512 machines otherwise) and reports what it generated as JSON. Runs in its own process so a
# crash fails one test instead of killing pytest.
GENERATE_SCRIPT = r'''
import contextlib, json, sys
import llama_cpp.llama_cpp as lib
from llama_cpp import Llama, LlamaGrammar

@contextlib.contextmanager
def model_params(**overrides):
    """Llama() builds its model params from this function; wrap it while the model loads."""
    original = lib.llama_model_default_params
    def patched():
        params = original()
        for name, value in overrides.items():
            setattr(params, name, value)
        return params
    lib.llama_model_default_params = patched
    try:
        yield
    finally:
        lib.llama_model_default_params = original

model, grammar_text, prompt = sys.argv[1], sys.argv[2], sys.argv[3]
with model_params(use_extra_bufts=False):
    llm = Llama(model, n_ctx=256, n_threads=2, verbose=False, seed=0)
forced = llm(prompt, grammar=LlamaGrammar.from_string(grammar_text, verbose=False), max_tokens=128, temperature=0.0)
free = llm(prompt, max_tokens=12, temperature=0.0)
print(json.dumps({
    "use_extra_bufts": bool(llm.model_params.use_extra_bufts),
    "forced": forced["choices"][0]["text"],
    "forced_finish": forced["choices"][0]["finish_reason"],
    "free_tokens": free["usage"]["completion_tokens"],
}))
'''


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tiny-llama")
    return {
        "f32": write_tiny_gguf(folder / "tiny-f32.gguf", seed=1),
        "f16": write_tiny_gguf(folder / "tiny-f16.gguf", seed=2, dtype="f16"),
    }


@pytest.fixture(scope="module", params=["f32", "f16"])
def llm(request: pytest.FixtureRequest, models: dict[str, Path]) -> Iterator[object]:
    model = llama_cpp.Llama(str(models[request.param]), n_ctx=256, n_threads=2, verbose=False, seed=0)
    try:
        yield model
    finally:
        model.close()


def test_llama_cpp_reads_what_the_model_card_reads(llm: object, models: dict[str, Path]) -> None:
    card = read_model_card(Path(llm.model_path))  # type: ignore[attr-defined]
    assert llm.n_vocab() == card.vocab_size  # type: ignore[attr-defined]
    assert llm.n_embd() == card.embedding_length  # type: ignore[attr-defined]
    metadata = llm.metadata  # type: ignore[attr-defined]
    assert int(metadata["llama.context_length"]) == card.context_length
    assert int(metadata["llama.block_count"]) == card.block_count
    assert metadata["tokenizer.chat_template"] == CHATML_TEMPLATE
    assert llm.token_bos() == BOS_ID  # type: ignore[attr-defined]
    assert llm.token_eos() == IM_END_ID  # type: ignore[attr-defined]


def test_chatml_tokenises_to_expected_ids(llm: object, models: dict[str, Path]) -> None:
    vocab = VocabularyReader(models["f32"])
    ids = {piece: token_id for token_id, piece in vocab.slice(0, len(vocab))}
    text = "<|im_start|>user\nHi there<|im_end|>\n"
    newline = BYTE_BASE_ID + ord("\n")  # no "\n" piece: byte fallback, as in Llama's vocabulary
    expected = [BOS_ID, IM_START_ID, *(ids[c] for c in "user"), newline,
                ids["H"], ids["i"], ids["\u2581"], *(ids[c] for c in "there"), IM_END_ID, newline]
    assert llm.tokenize(text.encode(), add_bos=True, special=True) == expected  # type: ignore[attr-defined]
    # Without special=True the markers are plain text, not control tokens.
    assert IM_START_ID not in llm.tokenize(text.encode(), add_bos=False, special=False)  # type: ignore[attr-defined]


def test_accented_text_round_trips(llm: object) -> None:
    text = "Olá, ação, você, é, ç"
    tokens = llm.tokenize(text.encode(), add_bos=False)  # type: ignore[attr-defined]
    assert llm.detokenize(tokens).decode() == text  # type: ignore[attr-defined]
    assert len(tokens) == len(text)  # one piece per character: Latin-1 letters are in the vocabulary


@pytest.mark.parametrize("text", FORCED)
def test_grammar_forces_exact_completion(llm: object, text: str) -> None:
    grammar = llama_cpp.LlamaGrammar.from_string(grammar_for_text(text), verbose=False)
    out = llm(CHATML_PROMPT, grammar=grammar, max_tokens=200, temperature=0.0)  # type: ignore[operator]
    assert out["choices"][0]["text"] == text
    assert out["choices"][0]["finish_reason"] == "stop"  # stopped on EOS, not on max_tokens


def test_chat_completion_uses_the_gguf_template_and_stops(llm: object) -> None:
    text = "```python\nprint('olá')\n```"
    grammar = llama_cpp.LlamaGrammar.from_string(grammar_for_text(text), verbose=False)
    reply = llm.create_chat_completion(  # type: ignore[attr-defined]
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Code?"}],
        grammar=grammar, max_tokens=200, temperature=0.0,
    )
    assert reply["choices"][0]["message"]["content"] == text
    assert reply["choices"][0]["finish_reason"] == "stop"


def test_gemma_like_model_rejects_system_role(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "gemma.gguf", chat_template=GEMMA_LIKE_TEMPLATE, eos_token="<end_of_turn>")
    model = llama_cpp.Llama(str(path), n_ctx=128, n_threads=2, verbose=False)
    try:
        assert model.token_eos() == END_OF_TURN_ID
        with pytest.raises(Exception, match="System role not supported"):
            model.create_chat_completion(
                messages=[{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"}], max_tokens=2
            )
        grammar = llama_cpp.LlamaGrammar.from_string(grammar_for_text("Oi!"), verbose=False)
        reply = model.create_chat_completion(
            messages=[{"role": "user", "content": "Hi"}], grammar=grammar, max_tokens=20, temperature=0.0
        )
        assert reply["choices"][0]["message"]["content"] == "Oi!"
        assert reply["choices"][0]["finish_reason"] == "stop"
    finally:
        model.close()


@pytest.fixture(scope="module")
def realistic_f16(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real proportions, shrunk for test speed; 256-wide so K-quants apply without fallback."""
    return write_realistic_gguf(
        tmp_path_factory.mktemp("realistic") / "small-f16.gguf",
        n_embd=256, n_layer=2, n_head=4, n_head_kv=2, n_ff=512, n_vocab=2000, context_length=2048,
    )


@pytest.mark.parametrize(("qtype", "file_type"), [("Q4_K_M", 15), ("Q8_0", 7)])
def test_quantised_model_generates_in_subprocess(realistic_f16: Path, tmp_path: Path, qtype: str, file_type: int) -> None:
    out = quantize_gguf(realistic_f16, tmp_path / f"small-{qtype}.gguf", qtype)
    card = read_model_card(out)
    assert (card.quantization, card.file_type) == (qtype, file_type)
    assert card.size_bytes < realistic_f16.stat().st_size
    assert card.vocab_size == 2000 and card.chat_template == CHATML_TEMPLATE

    script = tmp_path / "generate.py"
    script.write_text(GENERATE_SCRIPT)
    text = "Quantised, and still exact: ação!"
    done = subprocess.run(
        [sys.executable, str(script), str(out), grammar_for_text(text), CHATML_PROMPT],
        check=False, capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert done.returncode == 0, f"generation process failed ({done.returncode}): {done.stderr[-2000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["use_extra_bufts"] is False
    assert result["forced"] == text
    assert result["forced_finish"] == "stop"
    assert result["free_tokens"] > 0


def test_quantize_rejects_unknown_type(realistic_f16: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown quantisation type 'Q9_X'; choose one of: .*Q4_K_M"):
        quantize_gguf(realistic_f16, tmp_path / "x.gguf", "Q9_X")
    assert not (tmp_path / "x.gguf").exists()


def test_quantize_reports_bad_input(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        quantize_gguf(tmp_path / "missing.gguf", tmp_path / "out.gguf")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + b"\xff" * 100)
    with pytest.raises(QuantizeError, match=r"could not quantise .*junk\.gguf to Q8_0"):
        quantize_gguf(junk, tmp_path / "junk-q8.gguf", "q8_0")
    assert not (tmp_path / "junk-q8.gguf").exists()


def test_cli_writes_a_quantised_realistic_model(tmp_path: Path) -> None:
    out = tmp_path / "bench.gguf"
    done = subprocess.run(
        [sys.executable, "-m", "samantha.tinymodel", "realistic", str(out), "--quantize", "Q4_K_M",
         "--n-embd", "256", "--n-layer", "2", "--n-head", "4", "--n-head-kv", "2", "--n-ff", "512",
         "--n-vocab", "2000"],
        check=False, capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert read_model_card(out).quantization == "Q4_K_M"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.gguf"]  # the F16 intermediate is gone


def test_cli_rejects_unknown_quantisation(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "samantha.tinymodel", "realistic", str(tmp_path / "x.gguf"), "--quantize", "Q3_Z"],
        check=False, capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert done.returncode == 2
    assert "unknown quantisation type 'Q3_Z'" in done.stderr
    assert list(tmp_path.iterdir()) == []
