"""The generated GGUF files hold what llama.cpp needs, read back with the `gguf` package's own reader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gguf
import numpy as np
import pytest

from samantha.tinymodel import (
    BOS_ID,
    BYTE_BASE_ID,
    CHATML_TEMPLATE,
    END_OF_TURN_ID,
    FIRST_NORMAL_ID,
    GEMMA_LIKE_TEMPLATE,
    IM_END_ID,
    IM_START_ID,
    SPACE_PIECE,
    UNK_ID,
    grammar_for_text,
    write_realistic_gguf,
    write_tiny_gguf,
)

REPO = Path(__file__).resolve().parents[2]


def _value(reader: gguf.GGUFReader, key: str) -> object:
    field = reader.get_field(key)
    assert field is not None, f"{key} missing"
    return field.contents()


def _tensor(reader: gguf.GGUFReader, name: str) -> gguf.ReaderTensor:
    return next(t for t in reader.tensors if t.name == name)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("tiny") / "tiny.gguf", name="tiny-test", context_length=1024)


def test_tiny_metadata_reads_back(tiny: Path) -> None:
    reader = gguf.GGUFReader(tiny)
    assert _value(reader, "general.architecture") == "llama"
    assert _value(reader, "general.name") == "tiny-test"
    assert _value(reader, "general.file_type") == gguf.LlamaFileType.ALL_F32
    assert _value(reader, "llama.context_length") == 1024
    assert _value(reader, "llama.block_count") == 2
    assert _value(reader, "llama.embedding_length") == 64
    assert _value(reader, "llama.feed_forward_length") == 128
    assert _value(reader, "llama.attention.head_count") == 4
    assert _value(reader, "llama.attention.head_count_kv") == 4
    assert _value(reader, "llama.rope.dimension_count") == 16
    assert _value(reader, "tokenizer.ggml.model") == "llama"
    assert _value(reader, "tokenizer.ggml.bos_token_id") == BOS_ID
    assert _value(reader, "tokenizer.ggml.eos_token_id") == IM_END_ID
    assert _value(reader, "tokenizer.ggml.unknown_token_id") == UNK_ID
    assert _value(reader, "tokenizer.ggml.add_bos_token") is True
    assert _value(reader, "tokenizer.chat_template") == CHATML_TEMPLATE


def test_tiny_vocabulary_layout(tiny: Path) -> None:
    reader = gguf.GGUFReader(tiny)
    tokens = _value(reader, "tokenizer.ggml.tokens")
    types = _value(reader, "tokenizer.ggml.token_type")
    scores = _value(reader, "tokenizer.ggml.scores")
    assert isinstance(tokens, list) and isinstance(types, list) and isinstance(scores, list)
    assert len(tokens) == len(types) == len(scores)
    assert tokens[:3] == ["<unk>", "<s>", "</s>"]
    assert tokens[BYTE_BASE_ID] == "<0x00>" and tokens[BYTE_BASE_ID + 255] == "<0xFF>"
    assert set(types[BYTE_BASE_ID:BYTE_BASE_ID + 256]) == {gguf.TokenType.BYTE}
    assert tokens[IM_START_ID] == "<|im_start|>" and types[IM_START_ID] == gguf.TokenType.CONTROL
    assert tokens[IM_END_ID] == "<|im_end|>" and types[IM_END_ID] == gguf.TokenType.CONTROL
    assert tokens[END_OF_TURN_ID] == "<end_of_turn>"
    assert tokens[FIRST_NORMAL_ID] == SPACE_PIECE
    for ch in "aZ09!~éãçõ":
        assert types[tokens.index(ch)] == gguf.TokenType.NORMAL
    assert len(set(tokens)) == len(tokens)
    # the embedding and output matrices match the vocabulary
    assert list(_tensor(reader, "token_embd.weight").shape) == [64, len(tokens)]
    assert list(_tensor(reader, "output.weight").shape) == [64, len(tokens)]


def test_tiny_f16_keeps_norms_f32(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "f16.gguf", dtype="f16")
    reader = gguf.GGUFReader(path)
    assert _value(reader, "general.file_type") == gguf.LlamaFileType.MOSTLY_F16
    assert _tensor(reader, "blk.0.attn_q.weight").tensor_type == gguf.GGMLQuantizationType.F16
    assert _tensor(reader, "blk.1.ffn_down.weight").tensor_type == gguf.GGMLQuantizationType.F16
    assert _tensor(reader, "blk.0.attn_norm.weight").tensor_type == gguf.GGMLQuantizationType.F32
    assert _tensor(reader, "output_norm.weight").tensor_type == gguf.GGMLQuantizationType.F32


def test_same_seed_same_weights_other_seed_other_weights(tmp_path: Path) -> None:
    a = write_tiny_gguf(tmp_path / "a.gguf", seed=7).read_bytes()
    b = write_tiny_gguf(tmp_path / "b.gguf", seed=7).read_bytes()
    c = write_tiny_gguf(tmp_path / "c.gguf", seed=8).read_bytes()
    assert a == b
    assert a != c and len(a) == len(c)


def test_grouped_query_shapes(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "gqa.gguf", n_embd=64, n_head=4, n_head_kv=2, n_ff=96, n_layer=3)
    reader = gguf.GGUFReader(path)
    assert list(_tensor(reader, "blk.2.attn_k.weight").shape) == [64, 32]
    assert list(_tensor(reader, "blk.2.attn_v.weight").shape) == [64, 32]
    assert list(_tensor(reader, "blk.2.ffn_gate.weight").shape) == [64, 96]
    assert list(_tensor(reader, "blk.2.ffn_down.weight").shape) == [96, 64]
    assert not any(t.name.startswith("blk.3.") for t in reader.tensors)


def test_extra_pieces_bring_their_prefixes(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "extra.gguf", extra_pieces=[" hello", "Olá"])
    tokens = _value(gguf.GGUFReader(path), "tokenizer.ggml.tokens")
    assert isinstance(tokens, list)
    for piece in ("▁h", "▁he", "▁hel", "▁hell", "▁hello", "Ol", "Olá"):
        assert piece in tokens
    assert " hello" not in tokens


def test_n_vocab_pads_with_unique_generated_pieces(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "big.gguf", n_vocab=5000, n_embd=16, n_head=2, n_head_kv=2, n_ff=32)
    reader = gguf.GGUFReader(path)
    tokens = _value(reader, "tokenizer.ggml.tokens")
    assert isinstance(tokens, list) and len(tokens) == 5000 == len(set(tokens))
    assert list(_tensor(reader, "token_embd.weight").shape) == [16, 5000]


def test_gemma_like_model(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "g.gguf", chat_template=GEMMA_LIKE_TEMPLATE, eos_token="<end_of_turn>")
    reader = gguf.GGUFReader(path)
    assert _value(reader, "tokenizer.ggml.eos_token_id") == END_OF_TURN_ID
    template = _value(reader, "tokenizer.chat_template")
    assert isinstance(template, str) and "raise_exception('System role not supported')" in template


def test_no_chat_template(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "raw.gguf", chat_template=None)
    assert gguf.GGUFReader(path).get_field("tokenizer.chat_template") is None


def test_templates_render_like_their_models() -> None:
    jinja2 = pytest.importorskip("jinja2")
    env = jinja2.Environment()
    chat = [{"role": "user", "content": "Hi"}]
    assert env.from_string(CHATML_TEMPLATE).render(messages=chat, add_generation_prompt=True) == (
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )

    def raise_exception(message: str) -> None:
        raise ValueError(message)

    gemma = env.from_string(GEMMA_LIKE_TEMPLATE)
    assert gemma.render(messages=chat, add_generation_prompt=True, bos_token="<s>", raise_exception=raise_exception) == (
        "<s><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n"
    )
    with pytest.raises(ValueError, match="System role not supported"):
        gemma.render(messages=[{"role": "system", "content": "S"}, *chat], bos_token="", raise_exception=raise_exception)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_embd": 60, "n_head": 8}, "multiple of n_head"),
        ({"n_head": 4, "n_head_kv": 3}, "multiple of n_head_kv"),
        ({"n_layer": 0}, "n_layer must be a positive integer"),
        ({"dtype": "q4"}, "dtype must be 'f32' or 'f16'"),
        ({"eos_token": "<eos>"}, "eos_token must be one of"),
        ({"n_vocab": 10}, "smaller than"),
    ],
)
def test_bad_arguments_say_what_is_wrong(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_tiny_gguf(tmp_path / "bad.gguf", **kwargs)  # type: ignore[arg-type]


def test_realistic_small_variant(tmp_path: Path) -> None:
    path = write_realistic_gguf(
        tmp_path / "real.gguf", n_embd=128, n_layer=3, n_head=4, n_head_kv=2, n_ff=352, n_vocab=3000
    )
    reader = gguf.GGUFReader(path)
    assert _value(reader, "general.file_type") == gguf.LlamaFileType.MOSTLY_F16
    assert _value(reader, "llama.block_count") == 3
    assert _value(reader, "llama.context_length") == 4096
    tokens = _value(reader, "tokenizer.ggml.tokens")
    assert isinstance(tokens, list) and len(tokens) == 3000
    embd = _tensor(reader, "token_embd.weight")
    assert list(embd.shape) == [128, 3000] and embd.tensor_type == gguf.GGMLQuantizationType.F16
    weights = np.asarray(_tensor(reader, "blk.0.ffn_up.weight").data, dtype=np.float32)
    assert 0.0 < float(weights.std()) < 0.1  # random, small, not constant


def test_cli_writes_a_tiny_model(tmp_path: Path) -> None:
    out = tmp_path / "demo.gguf"
    done = subprocess.run(
        [sys.executable, "-m", "samantha.tinymodel", "tiny", str(out), "--f16"],
        cwd=REPO, check=False, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    assert _value(gguf.GGUFReader(out), "general.file_type") == gguf.LlamaFileType.MOSTLY_F16


def test_cli_reports_bad_arguments(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "samantha.tinymodel", "realistic", str(tmp_path / "x.gguf"), "--n-embd", "100"],
        cwd=REPO, check=False, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "error: n_embd (100) must be a multiple of n_head (16)" in done.stderr
    assert not (tmp_path / "x.gguf").exists()


@pytest.mark.parametrize(
    ("text", "grammar"),
    [
        ("STOP_SAMANTHA", 'root ::= "STOP_SAMANTHA"\n'),
        ('say "hi"', 'root ::= "say \\"hi\\""\n'),
        ("a\\b", 'root ::= "a\\\\b"\n'),
        ("one\ntwo\r\n\tend", 'root ::= "one\\ntwo\\r\\n\\tend"\n'),
        ("```python\nprint(1)\n```", 'root ::= "```python\\nprint(1)\\n```"\n'),
        ("Ação é ótima", 'root ::= "A\\u00E7\\u00E3o \\u00E9 \\u00F3tima"\n'),
        ("bell\x07", 'root ::= "bell\\x07"\n'),
        ("emoji \U0001F600", 'root ::= "emoji \\U0001F600"\n'),
        ("[x] (y)* z? #", 'root ::= "[x] (y)* z? #"\n'),
    ],
)
def test_grammar_for_text_escapes(text: str, grammar: str) -> None:
    assert grammar_for_text(text) == grammar
    assert grammar_for_text(text).isascii()


def test_grammar_for_text_rejects_what_it_cannot_express() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        grammar_for_text("")
    with pytest.raises(ValueError, match="lone surrogate"):
        grammar_for_text("bad \ud800")
    with pytest.raises(TypeError, match="must be a str"):
        grammar_for_text(b"bytes")  # type: ignore[arg-type]
