"""Generated GGUF models, so tests and benchmarks run real llama.cpp without downloads.

No model can be fetched on the machines this project is tested on, so the tests
write their own: a *tiny* llama-architecture model (random weights, byte-level
SentencePiece vocabulary, ChatML template) that loads in real llama.cpp in a
blink, and a model of *realistic* shape whose decoding speed matches a real
~300M-parameter model (speed does not depend on the weights' values).
`grammar_for_text` turns any string into a GBNF grammar so the random model
can be forced to answer exactly that string through the real engine.

Vocabulary of the tiny model (ids are stable; tests may rely on them):

    0 <unk>   1 <s> (BOS)   2 </s>   3..258 <0x00>..<0xFF> (BYTE)
    259 <|im_start|>   260 <|im_end|> (EOS by default)
    261 <start_of_turn>   262 <end_of_turn>   (CONTROL)
    263..  "▁" (space), printable ASCII, Latin-1 letters, then extra pieces.

EOS is `<|im_end|>`: llama.cpp stops on it (it is the EOS id, and llama.cpp
also recognises the text as end-of-turn), and llama-cpp-python's chat handler
built from the GGUF template uses the EOS *text* as its stop string, which
must be the token that closes a ChatML turn. `</s>` would never be produced
after a ChatML answer by a real ChatML model. A Gemma-like model should pass
``eos_token="<end_of_turn>"``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from gguf import (
    MODEL_TENSOR,
    TENSOR_NAMES,
    GGUFWriter,
    LlamaFileType,
    TokenType,
)

from samantha.errors import SamanthaError

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# SmolLM2-135M-Instruct's own template, as its GGUF file holds it: it adds a system prompt when there is none.
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SMOLLM2_DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

GEMMA_LIKE_TEMPLATE = (
    "{{ bos_token }}"
    "{% if messages[0]['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}"
    "{% endif %}"
    "{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}"
    "{% if message['role'] == 'assistant' %}{% set role = 'model' %}"
    "{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
)

UNK_ID = 0
BOS_ID = 1
EOS_S_ID = 2
BYTE_BASE_ID = 3
IM_START_ID = 259
IM_END_ID = 260
START_OF_TURN_ID = 261
END_OF_TURN_ID = 262
FIRST_NORMAL_ID = 263

SPACE_PIECE = "\u2581"  # SentencePiece's visible space "▁"

_SPECIAL_PIECES: tuple[str, ...] = ("<unk>", "<s>", "</s>")
_CONTROL_PIECES: tuple[str, ...] = ("<|im_start|>", "<|im_end|>", "<start_of_turn>", "<end_of_turn>")
_EOS_CHOICES: tuple[str, ...] = ("</s>", *_CONTROL_PIECES)
_WEIGHT_STD = 0.02  # the usual initialisation scale; keeps random logits tame

Dtype = Literal["f32", "f16"]


class QuantizeError(SamanthaError, RuntimeError):
    """llama.cpp's quantiser refused or failed to write the file."""


@dataclass(frozen=True)
class _Shape:
    """Hyper-parameters of a llama-architecture model, checked once."""

    n_vocab: int
    n_embd: int
    n_layer: int
    n_head: int
    n_head_kv: int
    n_ff: int
    context_length: int

    def __post_init__(self) -> None:
        for field in ("n_vocab", "n_embd", "n_layer", "n_head", "n_head_kv", "n_ff", "context_length"):
            value = getattr(self, field)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{field} must be a positive integer, got {value!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        if self.n_head % self.n_head_kv:
            raise ValueError(f"n_head ({self.n_head}) must be a multiple of n_head_kv ({self.n_head_kv})")
        if (self.n_embd // self.n_head) % 2:
            raise ValueError(f"head size n_embd/n_head ({self.n_embd // self.n_head}) must be even for RoPE")

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def n_embd_kv(self) -> int:
        return self.head_dim * self.n_head_kv


@dataclass(frozen=True)
class _Vocab:
    tokens: list[str]
    scores: list[float]
    types: list[int]


def _base_pieces() -> list[str]:
    """Single characters that make ordinary (also Portuguese) text tokenise without byte fallback."""
    ascii_chars = [chr(c) for c in range(0x21, 0x7F)]
    latin1 = [chr(c) for c in range(0xA1, 0x100) if chr(c).isprintable() and c != 0xAD]
    return [SPACE_PIECE, *ascii_chars, *latin1]


def _to_spm(piece: str) -> str:
    return piece.replace(" ", SPACE_PIECE)


def _generated_piece(index: int) -> str:
    """A deterministic word-like piece (base-26 letters), every other one with a leading space."""
    letters = ""
    n = index
    while True:
        letters = chr(ord("a") + n % 26) + letters
        n = n // 26 - 1
        if n < 0:
            break
    return (SPACE_PIECE if index % 2 else "") + letters


def _build_vocab(extra_pieces: Sequence[str], n_vocab: int | None) -> _Vocab:
    """Special, byte, control and normal tokens; extra pieces bring their prefixes so SPM merges reach them."""
    tokens: list[str] = list(_SPECIAL_PIECES)
    types: list[int] = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [TokenType.BYTE] * 256
    tokens += _CONTROL_PIECES
    types += [TokenType.CONTROL] * len(_CONTROL_PIECES)
    scores = [0.0] * len(tokens)
    seen = set(tokens)

    def add(piece: str) -> None:
        if piece and piece not in seen:
            seen.add(piece)
            tokens.append(piece)
            types.append(TokenType.NORMAL)
            scores.append(float(len(piece)))  # SPM merges the best-scored pair first: prefer long pieces

    for piece in _base_pieces():
        add(piece)
    for raw in extra_pieces:
        if not isinstance(raw, str):
            raise TypeError(f"extra_pieces must be strings, got {raw!r}")
        piece = _to_spm(raw)
        for end in range(1, len(piece) + 1):
            add(piece[:end])
    if n_vocab is not None:
        if n_vocab < len(tokens):
            raise ValueError(f"n_vocab={n_vocab} is smaller than the {len(tokens)} pieces the model needs")
        index = 0
        while len(tokens) < n_vocab:
            add(_generated_piece(index))
            index += 1
    return _Vocab(tokens, scores, [int(t) for t in types])


def _tensor_plan(shape: _Shape, dtype: npt.DTypeLike) -> list[tuple[str, tuple[int, ...], np.dtype]]:
    """Names, numpy shapes (rows = output features) and dtypes; norms stay F32 as llama.cpp expects."""
    mat = np.dtype(dtype)
    f32 = np.dtype(np.float32)

    def name(tensor: MODEL_TENSOR, bid: int | None = None) -> str:
        return TENSOR_NAMES[tensor].format(bid=bid) + ".weight"

    plan: list[tuple[str, tuple[int, ...], np.dtype]] = [
        (name(MODEL_TENSOR.TOKEN_EMBD), (shape.n_vocab, shape.n_embd), mat),
    ]
    for bid in range(shape.n_layer):
        plan += [
            (name(MODEL_TENSOR.ATTN_NORM, bid), (shape.n_embd,), f32),
            (name(MODEL_TENSOR.ATTN_Q, bid), (shape.n_embd, shape.n_embd), mat),
            (name(MODEL_TENSOR.ATTN_K, bid), (shape.n_embd_kv, shape.n_embd), mat),
            (name(MODEL_TENSOR.ATTN_V, bid), (shape.n_embd_kv, shape.n_embd), mat),
            (name(MODEL_TENSOR.ATTN_OUT, bid), (shape.n_embd, shape.n_embd), mat),
            (name(MODEL_TENSOR.FFN_NORM, bid), (shape.n_embd,), f32),
            (name(MODEL_TENSOR.FFN_GATE, bid), (shape.n_ff, shape.n_embd), mat),
            (name(MODEL_TENSOR.FFN_DOWN, bid), (shape.n_embd, shape.n_ff), mat),
            (name(MODEL_TENSOR.FFN_UP, bid), (shape.n_ff, shape.n_embd), mat),
        ]
    plan += [
        (name(MODEL_TENSOR.OUTPUT_NORM), (shape.n_embd,), f32),
        (name(MODEL_TENSOR.OUTPUT), (shape.n_vocab, shape.n_embd), mat),
    ]
    return plan


def _random_tensors(
    plan: Sequence[tuple[str, tuple[int, ...], np.dtype]], seed: int
) -> Iterator[npt.NDArray[np.generic]]:
    """One tensor at a time, so a large model is never held in memory whole."""
    rng = np.random.default_rng(seed)
    for _name, tshape, dtype in plan:
        if len(tshape) == 1:
            yield np.ones(tshape, dtype=dtype)
        else:
            # Uniform noise with the usual std: five times faster to draw than normal noise.
            values = rng.random(tshape, dtype=np.float32)
            values -= 0.5
            values *= _WEIGHT_STD * 2 * np.sqrt(3)
            yield values.astype(dtype, copy=False)


def _write_model(
    path: Path,
    *,
    shape: _Shape,
    vocab: _Vocab,
    dtype: Dtype,
    name: str,
    chat_template: str | None,
    eos_token: str,
    seed: int,
) -> Path:
    if dtype not in ("f32", "f16"):
        raise ValueError(f"dtype must be 'f32' or 'f16', got {dtype!r}; quantise afterwards with quantize_gguf()")
    if eos_token not in _EOS_CHOICES:
        raise ValueError(f"eos_token must be one of {list(_EOS_CHOICES)}, got {eos_token!r}")
    path = Path(path)
    np_dtype = np.dtype(np.float16 if dtype == "f16" else np.float32)
    plan = _tensor_plan(shape, np_dtype)

    writer = GGUFWriter(path, arch="llama")
    try:
        writer.add_name(name)
        writer.add_file_type(LlamaFileType.MOSTLY_F16 if dtype == "f16" else LlamaFileType.ALL_F32)
        writer.add_context_length(shape.context_length)
        writer.add_embedding_length(shape.n_embd)
        writer.add_block_count(shape.n_layer)
        writer.add_feed_forward_length(shape.n_ff)
        writer.add_head_count(shape.n_head)
        writer.add_head_count_kv(shape.n_head_kv)
        writer.add_rope_dimension_count(shape.head_dim)
        writer.add_rope_freq_base(10000.0)
        writer.add_layer_norm_rms_eps(1e-5)
        writer.add_vocab_size(shape.n_vocab)

        writer.add_tokenizer_model("llama")
        writer.add_token_list(vocab.tokens)
        writer.add_token_scores(vocab.scores)
        writer.add_token_types(vocab.types)
        writer.add_unk_token_id(UNK_ID)
        writer.add_bos_token_id(BOS_ID)
        writer.add_eos_token_id(vocab.tokens.index(eos_token))
        writer.add_add_bos_token(True)
        writer.add_add_eos_token(False)
        # No invented leading space after special tokens: ChatML text tokenises as written.
        writer.add_add_space_prefix(False)
        if chat_template:
            writer.add_chat_template(chat_template)

        for tname, tshape, tdtype in plan:
            nbytes = int(np.prod(tshape)) * tdtype.itemsize
            writer.add_tensor_info(tname, tshape, tdtype, nbytes)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for tensor in _random_tensors(plan, seed):
            writer.write_tensor_data(tensor)
    finally:
        writer.close()
    return path


def write_tiny_gguf(
    path: Path,
    *,
    n_layer: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    n_head_kv: int = 4,
    n_ff: int = 128,
    context_length: int = 2048,
    chat_template: str | None = CHATML_TEMPLATE,
    extra_pieces: Sequence[str] = (),
    seed: int = 0,
    dtype: Dtype = "f32",
    name: str = "tiny",
    eos_token: str = "<|im_end|>",
    n_vocab: int | None = None,
) -> Path:
    """Write a tiny random llama model with a byte-level SentencePiece vocabulary; returns `path`.

    Spaces in `extra_pieces` are stored as "▁". `n_vocab` pads the vocabulary
    with generated word-like pieces (to test large vocabularies cheaply).
    """
    vocab = _build_vocab(extra_pieces, n_vocab)
    shape = _Shape(len(vocab.tokens), n_embd, n_layer, n_head, n_head_kv, n_ff, context_length)
    return _write_model(
        path, shape=shape, vocab=vocab, dtype=dtype, name=name,
        chat_template=chat_template, eos_token=eos_token, seed=seed,
    )


def write_realistic_gguf(
    path: Path,
    *,
    n_embd: int = 1024,
    n_layer: int = 22,
    n_head: int = 16,
    n_head_kv: int = 4,
    n_ff: int = 2816,
    n_vocab: int = 32000,
    context_length: int = 4096,
    seed: int = 0,
    name: str = "realistic",
) -> Path:
    """Write an F16 model of real shape (random weights, padded vocabulary) for speed benchmarks."""
    vocab = _build_vocab((), n_vocab)
    shape = _Shape(n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, context_length)
    return _write_model(
        path, shape=shape, vocab=vocab, dtype="f16", name=name,
        chat_template=CHATML_TEMPLATE, eos_token="<|im_end|>", seed=seed,
    )


def quantize_types() -> list[str]:
    """Names `quantize_gguf` accepts, as llama.cpp spells them (needs llama-cpp-python)."""
    import llama_cpp

    names = ["F32"]
    names += [n.removeprefix("LLAMA_FTYPE_MOSTLY_") for n in dir(llama_cpp) if n.startswith("LLAMA_FTYPE_MOSTLY_")]
    return sorted(names)


def quantize_gguf(
    src: Path, dst: Path, qtype: str = "Q4_K_M", threads: int = 2, *, verbose: bool = False
) -> Path:
    """Quantise `src` into `dst` with llama.cpp's own quantiser (runs in this process); returns `dst`.

    llama.cpp logs every tensor it converts; unless `verbose`, only its errors are shown.
    """
    import ctypes
    import logging

    import llama_cpp

    src, dst = Path(src), Path(dst)
    key = qtype.strip().upper()
    known = quantize_types()
    if key not in known:
        raise ValueError(f"unknown quantisation type {qtype!r}; choose one of: {', '.join(known)}")
    ftype = int(getattr(llama_cpp, "LLAMA_FTYPE_ALL_F32" if key == "F32" else f"LLAMA_FTYPE_MOSTLY_{key}"))
    if not src.is_file():
        raise FileNotFoundError(f"cannot quantise {src}: no such file")
    if src.resolve() == dst.resolve():
        raise ValueError(f"cannot quantise {src} onto itself; choose another output path")
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.nthread = threads
    params.ftype = ftype
    existed = dst.exists()
    # llama-cpp-python routes llama.cpp's log through this logger; its level decides what is printed.
    logger = logging.getLogger("llama-cpp-python")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.ERROR)
    try:
        status = llama_cpp.llama_model_quantize(
            str(src).encode("utf-8"), str(dst).encode("utf-8"), ctypes.byref(params)
        )
    finally:
        logger.setLevel(level)
    if status != 0 or not dst.is_file():
        if not existed:
            dst.unlink(missing_ok=True)
        raise QuantizeError(f"llama.cpp could not quantise {src} to {key} (status {status}); is it a valid GGUF model?")
    return dst


def _gbnf_char(ch: str) -> str:
    code = ord(ch)
    if ch == '"':
        return '\\"'
    if ch == "\\":
        return "\\\\"
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return "\\t"
    if 0x20 <= code < 0x7F:
        return ch
    if code < 0x80:
        return f"\\x{code:02X}"
    if 0xD800 <= code <= 0xDFFF:
        raise ValueError(f"text contains a lone surrogate U+{code:04X}; pass valid Unicode text")
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def grammar_for_text(text: str) -> str:
    """A GBNF grammar (llama.cpp syntax) whose only sentence is exactly `text`.

    Everything outside printable ASCII is written as an escape, so the grammar
    itself is plain ASCII and survives any transport.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text:
        raise ValueError("text must not be empty: an empty answer needs no grammar (stop at once instead)")
    return 'root ::= "' + "".join(_gbnf_char(ch) for ch in text) + '"\n'


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m samantha.tinymodel",
        description="Write a generated GGUF model (random weights) for tests, demos and benchmarks.",
    )
    sub = parser.add_subparsers(dest="kind", required=True)
    tiny = sub.add_parser("tiny", help="a tiny ChatML model (loads in a blink)")
    tiny.add_argument("out", type=Path)
    tiny.add_argument("--f16", action="store_true", help="F16 weights instead of F32")
    tiny.add_argument("--context-length", type=int, default=2048)
    real = sub.add_parser("realistic", help="a model of real shape (F16, ~300M parameters by default)")
    real.add_argument("out", type=Path)
    real.add_argument("--quantize", metavar="QTYPE", help="quantise with llama.cpp, e.g. Q4_K_M or Q8_0")
    real.add_argument("--threads", type=int, default=2)
    real.add_argument("--n-embd", type=int, default=1024)
    real.add_argument("--n-layer", type=int, default=22)
    real.add_argument("--n-head", type=int, default=16)
    real.add_argument("--n-head-kv", type=int, default=4)
    real.add_argument("--n-ff", type=int, default=2816)
    real.add_argument("--n-vocab", type=int, default=32000)
    args = parser.parse_args(argv)

    try:
        if args.kind == "tiny":
            out = write_tiny_gguf(args.out, dtype="f16" if args.f16 else "f32", context_length=args.context_length)
        else:
            dims = {
                "n_embd": args.n_embd, "n_layer": args.n_layer, "n_head": args.n_head,
                "n_head_kv": args.n_head_kv, "n_ff": args.n_ff, "n_vocab": args.n_vocab,
            }
            if args.quantize:
                if args.quantize.strip().upper() not in quantize_types():
                    raise ValueError(f"unknown quantisation type {args.quantize!r}; "
                                     f"choose one of: {', '.join(quantize_types())}")
                f16 = args.out.with_name(args.out.name + ".f16.tmp")
                try:
                    write_realistic_gguf(f16, **dims)
                    out = quantize_gguf(f16, args.out, args.quantize, args.threads)
                finally:
                    f16.unlink(missing_ok=True)
            else:
                out = write_realistic_gguf(args.out, **dims)
    except (ValueError, OSError, QuantizeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
