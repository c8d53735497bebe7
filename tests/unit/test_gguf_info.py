"""Model card and vocabulary view, read from real GGUF files written at test time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import gguf
import numpy as np
import pytest

from samantha.gguf_info import (
    GGUFError,
    VocabularyRangeError,
    VocabularyReader,
    escape_piece,
    quantization_name,
    read_header,
    read_model_card,
)
from samantha.tinymodel import (
    BOS_ID,
    CHATML_TEMPLATE,
    FIRST_NORMAL_ID,
    IM_END_ID,
    write_realistic_gguf,
    write_tiny_gguf,
)


def _write_gguf(
    path: Path,
    *,
    tokens: Sequence[str | bytes] = (),
    metadata: dict[str, object] | None = None,
    tensors: dict[str, tuple[np.ndarray, gguf.GGMLQuantizationType | None]] | None = None,
    endianess: gguf.GGUFEndian = gguf.GGUFEndian.LITTLE,
) -> Path:
    """A hand-made GGUF file, for the cases the model writer never produces."""
    writer = gguf.GGUFWriter(path, arch="llama", endianess=endianess)
    for key, value in (metadata or {}).items():
        if isinstance(value, str):
            writer.add_string(key, value)
        else:
            assert isinstance(value, int)
            writer.add_uint32(key, value)
    if tokens:
        writer.add_token_list(list(tokens))  # type: ignore[arg-type]
    for name, (data, raw_dtype) in (tensors or {}).items():
        writer.add_tensor(name, data, raw_dtype=raw_dtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("tiny") / "tiny.gguf", name="tiny-card", context_length=1024)


@pytest.fixture(scope="module")
def vocab_150k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 150k-token vocabulary (the size of Qwen's) on a minimal model body."""
    return write_tiny_gguf(
        tmp_path_factory.mktemp("big") / "vocab150k.gguf",
        n_vocab=150_000, n_layer=1, n_embd=8, n_head=1, n_head_kv=1, n_ff=8, dtype="f16",
        extra_pieces=["tab\there", "new\nline", "it's", "back\\slash", "ideo\u3000space", "nul\x00"],
    )


def test_model_card_of_tiny_model(tiny: Path) -> None:
    card = read_model_card(tiny)
    assert card.path == tiny
    assert card.file_name == "tiny.gguf"
    assert card.size_bytes == tiny.stat().st_size
    assert card.gguf_version == 3
    assert card.architecture == "llama"
    assert card.name == "tiny-card"
    assert card.context_length == 1024
    assert card.block_count == 2
    assert card.embedding_length == 64
    assert card.head_count == 4
    assert card.head_count_kv == 4
    assert card.file_type == 0
    assert card.quantization == "F32"
    assert card.chat_template == CHATML_TEMPLATE
    assert card.tokenizer_model == "llama"
    assert (card.bos_token_id, card.bos_token) == (BOS_ID, "<s>")
    assert (card.eos_token_id, card.eos_token) == (IM_END_ID, "<|im_end|>")
    n_vocab = card.vocab_size
    assert n_vocab is not None and n_vocab > FIRST_NORMAL_ID
    per_layer = 4 * 64 * 64 + 3 * 64 * 128 + 2 * 64
    assert card.parameter_count == 2 * n_vocab * 64 + 2 * per_layer + 64
    assert card.tensor_count == 2 + 2 * 9 + 1


def test_model_card_of_realistic_shape(tmp_path: Path) -> None:
    path = write_realistic_gguf(
        tmp_path / "real.gguf", n_embd=128, n_layer=3, n_head=8, n_head_kv=2, n_ff=256, n_vocab=4000,
        context_length=8192,
    )
    card = read_model_card(path)
    assert (card.block_count, card.embedding_length, card.head_count, card.head_count_kv) == (3, 128, 8, 2)
    assert card.vocab_size == 4000
    assert card.context_length == 8192
    assert card.quantization == "F16"
    assert card.file_type == 1


def test_markdown_table_for_the_ui(tiny: Path) -> None:
    text = read_model_card(tiny).to_markdown()
    lines = text.splitlines()
    assert lines[:2] == ["| Field | Value |", "| --- | --- |"]
    assert "| Architecture | llama |" in lines
    assert "| Context length | 1,024 |" in lines
    assert "| Layers | 2 |" in lines
    assert "| Quantisation | F32 |" in lines
    assert "| EOS token | '<\\|im_end\\|>' (id 260) |" in lines  # pipes escaped inside a table cell
    assert f"| Size on disk | {tiny.stat().st_size / 1e3:.1f} KB ({tiny.stat().st_size:,} bytes) |" in lines
    # the template follows the table verbatim, in a fence
    assert "```jinja\n" + CHATML_TEMPLATE + "\n```" in text


def test_markdown_without_template(tmp_path: Path) -> None:
    card = read_model_card(write_tiny_gguf(tmp_path / "raw.gguf", chat_template=None))
    assert card.chat_template is None
    assert "| Chat template | none |" in card.to_markdown()
    assert "```" not in card.to_markdown()


def test_quantisation_falls_back_to_dominant_tensor_type(tmp_path: Path) -> None:
    weights = np.random.default_rng(0).standard_normal((64, 256), dtype=np.float32)
    q8 = gguf.quants.quantize(weights, gguf.GGMLQuantizationType.Q8_0)
    path = _write_gguf(
        tmp_path / "nofiletype.gguf",
        tensors={
            "blk.0.ffn_up.weight": (q8, gguf.GGMLQuantizationType.Q8_0),
            "blk.0.ffn_norm.weight": (np.ones(256, dtype=np.float32), None),
        },
    )
    card = read_model_card(path)
    assert card.file_type is None
    assert card.quantization == "Q8_0"
    assert card.parameter_count == 64 * 256 + 256
    assert card.vocab_size is None and card.bos_token is None and card.chat_template is None


@pytest.mark.parametrize(("file_type", "name"), [(15, "Q4_K_M"), (7, "Q8_0"), (1, "F16"), (0, "F32"), (1024 + 18, "Q6_K"), (999, "file type 999")])
def test_quantization_names(file_type: int, name: str) -> None:
    assert quantization_name(file_type) == name


def test_vocabulary_slice_and_format(tiny: Path) -> None:
    vocab = VocabularyReader(tiny)
    card = read_model_card(tiny)
    assert len(vocab) == card.vocab_size
    assert vocab.slice(0, 4) == [(0, "<unk>"), (1, "<s>"), (2, "</s>"), (3, "<0x00>")]
    assert vocab.format_slice(259, 261) == "259) '<|im_start|>'\n260) '<|im_end|>'"
    assert vocab.piece(FIRST_NORMAL_ID) == "\u2581"


def test_vocabulary_ranges_clamp_or_explain(tiny: Path) -> None:
    vocab = VocabularyReader(tiny)
    n = len(vocab)
    assert [i for i, _ in vocab.slice(n - 2, n + 100)] == [n - 2, n - 1]
    assert vocab.slice(n + 5, n + 10) == []
    assert vocab.slice(7, 7) == []
    with pytest.raises(VocabularyRangeError, match=f"choose 0 <= start <= stop .*ids 0 to {n - 1}"):
        vocab.slice(-1, 5)
    with pytest.raises(VocabularyRangeError, match="choose 0 <= start <= stop"):
        vocab.slice(10, 5)
    with pytest.raises(VocabularyRangeError, match="whole numbers"):
        vocab.slice("0", 5)  # type: ignore[arg-type]
    with pytest.raises(VocabularyRangeError, match=f"ids run from 0 to {n - 1}"):
        vocab.piece(n)


def test_150k_vocabulary_opens_and_slices(vocab_150k: Path) -> None:
    vocab = VocabularyReader(vocab_150k)
    assert len(vocab) == 150_000
    lines = vocab.format_slice(149_000, 150_000).splitlines()
    assert len(lines) == 1000
    assert lines[0].startswith("149000) '") and lines[-1].startswith("149999) '")
    card = read_model_card(vocab_150k)
    assert card.vocab_size == 150_000
    assert card.eos_token == "<|im_end|>"


def test_escaping_makes_every_character_visible(vocab_150k: Path) -> None:
    vocab = VocabularyReader(vocab_150k)
    shown = {piece: line for (_, piece), line in zip(vocab.slice(0, 2000), vocab.format_slice(0, 2000).splitlines())}
    assert shown["tab\there"].endswith(") 'tab\\there'")
    assert shown["new\nline"].endswith(") 'new\\nline'")
    assert shown["it's"].endswith(") 'it\\'s'")
    assert shown["back\\slash"].endswith(") 'back\\\\slash'")
    assert shown["ideo\u3000space"].endswith(") 'ideo\\u3000space'")
    assert shown["nul\x00"].endswith(") 'nul\\x00'")
    assert all("\n" not in line and "\t" not in line for line in shown.values())


def test_escape_piece_rules() -> None:
    assert escape_piece("a b") == "a b"
    assert escape_piece("\u2581the") == "\u2581the"
    assert escape_piece("é😀") == "é😀"
    assert escape_piece("\r\x1b\x7f\u200b") == "\\r\\x1b\\x7f\\u200b"
    assert escape_piece("\U000e0001") == "\\U000e0001"


def test_invalid_utf8_pieces_show_their_bytes(tmp_path: Path) -> None:
    path = _write_gguf(tmp_path / "bytes.gguf", tokens=["ok", b"\xff\xfe", b"caf\xc3\xa9", "x"])
    vocab = VocabularyReader(path)
    assert vocab.format_slice(0, 4) == "0) 'ok'\n1) '\\xff\\xfe'\n2) 'café'\n3) 'x'"


def test_big_endian_file(tmp_path: Path) -> None:
    path = _write_gguf(
        tmp_path / "be.gguf", tokens=["<unk>", "hello"], metadata={"llama.context_length": 512},
        endianess=gguf.GGUFEndian.BIG,
    )
    assert VocabularyReader(path).slice(0, 2) == [(0, "<unk>"), (1, "hello")]
    assert read_model_card(path).context_length == 512


def test_long_numeric_arrays_are_skipped_not_decoded(vocab_150k: Path) -> None:
    header = read_header(vocab_150k)
    scores = header.fields["tokenizer.ggml.scores"]
    assert getattr(scores, "count", None) == 150_000
    assert header.fields["llama.block_count"] == 1


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.gguf"
    for reader in (read_model_card, VocabularyReader):
        with pytest.raises(GGUFError, match=r"nowhere\.gguf: no such file"):
            reader(path)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(GGUFError, match="is a folder, not a GGUF file"):
        read_model_card(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"")
    with pytest.raises(GGUFError, match=r"empty\.gguf is not a GGUF file: it is empty"):
        read_model_card(path)


def test_not_a_gguf_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.gguf"
    path.write_text("<html>404 not found</html>")
    for reader in (read_model_card, VocabularyReader):
        with pytest.raises(GGUFError, match=r"notes\.gguf is not a GGUF file \(it starts with b'<htm'"):
            reader(path)


@pytest.mark.parametrize("keep", [6, 30, 200, 3000])
def test_truncated_header(tiny: Path, tmp_path: Path, keep: int) -> None:
    path = tmp_path / "cut.gguf"
    path.write_bytes(tiny.read_bytes()[:keep])
    with pytest.raises(GGUFError, match=r"cut\.gguf is truncated"):
        read_model_card(path)


def test_truncated_tensor_data(tiny: Path, tmp_path: Path) -> None:
    data = tiny.read_bytes()
    path = tmp_path / "partial-download.gguf"
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(GGUFError, match=r"partial-download\.gguf is truncated: tensor '.*' ends at byte .* download it again"):
        read_model_card(path)


def test_unsupported_version(tiny: Path, tmp_path: Path) -> None:
    data = bytearray(tiny.read_bytes())
    data[4:8] = (9).to_bytes(4, "little")
    path = tmp_path / "future.gguf"
    path.write_bytes(bytes(data))
    with pytest.raises(GGUFError, match=r"future\.gguf uses GGUF version 9"):
        read_model_card(path)


def test_corrupt_value_type(tmp_path: Path) -> None:
    path = _write_gguf(tmp_path / "odd.gguf", metadata={"general.name": "x"})
    data = bytearray(path.read_bytes())
    # the first key/value is general.architecture = "llama": its type follows the key string
    key_end = 24 + 8 + len("general.architecture")
    assert int.from_bytes(data[key_end:key_end + 4], "little") == gguf.GGUFValueType.STRING
    data[key_end:key_end + 4] = (77).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(GGUFError, match=r"odd\.gguf is corrupt: metadata 'general.architecture' has unknown value type 77"):
        read_model_card(path)


def test_file_without_tokens_has_no_vocabulary(tmp_path: Path) -> None:
    path = _write_gguf(tmp_path / "notokens.gguf")
    with pytest.raises(GGUFError, match=r"notokens\.gguf has no token list"):
        VocabularyReader(path)


def test_an_impossible_string_length_is_corruption(tmp_path: Path) -> None:
    path = _write_gguf(tmp_path / "huge.gguf", tokens=["aaaa", "bbbb", "cccc"])
    data = bytearray(path.read_bytes())
    first = data.index(b"aaaa") - 8  # the token's length field
    data[first:first + 8] = (2**64 - 16).to_bytes(8, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(GGUFError, match=r"huge\.gguf is (truncated or )?corrupt"):
        read_model_card(path)
