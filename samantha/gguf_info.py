"""Model card and vocabulary of a GGUF file, read from its header without loading weights.

`gguf.GGUFReader` builds several numpy objects for every array element, which
takes over 10 s for a 150k-token vocabulary. The GGUF header is a simple
sequence of length-prefixed records, so this module walks it once with
`struct` over a memory map: numeric arrays are skipped by arithmetic, and
string arrays are kept as one bytes blob plus start offsets (no Python object
per token until a slice is asked for). The `gguf` package still supplies the
format's constants (value types, tensor types and their sizes, file types).
"""

from __future__ import annotations

import mmap
import struct
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gguf import (
    GGML_QUANT_SIZES,
    GGUF_DEFAULT_ALIGNMENT,
    GGMLQuantizationType,
    GGUFValueType,
    LlamaFileType,
)

from samantha.errors import SamanthaError

_MAGIC = b"GGUF"
_SUPPORTED_VERSIONS = (2, 3)
_SCALAR_FORMATS: dict[int, str] = {
    GGUFValueType.UINT8: "B",
    GGUFValueType.INT8: "b",
    GGUFValueType.UINT16: "H",
    GGUFValueType.INT16: "h",
    GGUFValueType.UINT32: "I",
    GGUFValueType.INT32: "i",
    GGUFValueType.FLOAT32: "f",
    GGUFValueType.BOOL: "?",
    GGUFValueType.UINT64: "Q",
    GGUFValueType.INT64: "q",
    GGUFValueType.FLOAT64: "d",
}
# The model card lists this many items of an array and this many characters of a string value.
METADATA_ITEMS_SHOWN = 8
METADATA_TEXT_SHOWN = 200
_SMALL_ARRAY = 1024  # arrays up to this length are decoded (per-layer head counts...); longer ones skipped
_TOKENS_KEY = "tokenizer.ggml.tokens"
_FILE_TYPE_GUESSED = 1024  # llama.cpp ORs this into general.file_type when it guessed the type


class GGUFError(SamanthaError, ValueError):
    """A file is missing, is not GGUF, or is truncated/corrupt; the message names the file."""


class VocabularyRangeError(SamanthaError, ValueError):
    """An id range that cannot be shown (negative, or start after stop)."""


@dataclass(frozen=True)
class SkippedArray:
    """A long array the reader stepped over without decoding (e.g. token scores)."""

    item_type: GGUFValueType
    count: int


@dataclass(frozen=True)
class StringTable:
    """Strings of a GGUF array as one blob plus offsets: cheap to hold, decoded on demand."""

    blob: bytes
    starts: array[int]  # array('Q'): where each string starts in blob

    def __len__(self) -> int:
        return len(self.starts)

    def raw(self, index: int) -> bytes:
        """Bytes of string `index` (each is preceded by its 8-byte length, hence the -8)."""
        end = self.starts[index + 1] - 8 if index + 1 < len(self.starts) else len(self.blob)
        return self.blob[self.starts[index]:end]

    def text(self, index: int) -> str:
        """Invalid UTF-8 survives as surrogate escapes, which `escape_piece` shows as \\xNN."""
        return self.raw(index).decode("utf-8", errors="surrogateescape")


Value = int | float | bool | str | list[Any] | SkippedArray | StringTable


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    type_id: int
    offset: int  # from the start of the data section

    @property
    def n_elements(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count

    @property
    def type_name(self) -> str:
        try:
            return GGMLQuantizationType(self.type_id).name
        except ValueError:
            return f"type {self.type_id}"

    @property
    def n_bytes(self) -> int | None:
        """Size of the data, or None for a tensor type this `gguf` package does not know."""
        try:
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(self.type_id)]
        except (ValueError, KeyError):
            return None
        return self.n_elements * type_size // block


@dataclass(frozen=True)
class GGUFHeader:
    """Everything before the tensor data: metadata values and tensor descriptions."""

    path: Path
    size_bytes: int
    version: int
    fields: dict[str, Value]
    tensors: list[TensorInfo] = field(default_factory=list)
    data_offset: int = 0


class _Cursor:
    """Reads GGUF records from a buffer, turning every overrun into a GGUFError naming the file."""

    def __init__(self, buf: mmap.mmap, path: Path, order: str, wanted: frozenset[str]) -> None:
        self.buf = buf
        self.path = path
        self.order = order
        self.wanted = wanted
        self.pos = 0
        self.size = len(buf)

    def truncated(self, what: str) -> GGUFError:
        return GGUFError(
            f"{self.path} is truncated or corrupt: {what} runs past the end of the file "
            f"({self.size} bytes); download or convert it again"
        )

    def scalar(self, fmt: str, what: str) -> Any:
        try:
            (value,) = struct.unpack_from(self.order + fmt, self.buf, self.pos)
        except struct.error:
            raise self.truncated(what) from None
        self.pos += struct.calcsize(fmt)
        return value

    def raw_string(self, what: str) -> bytes:
        length = self.scalar("Q", what)
        end = self.pos + length
        if end > self.size:
            raise self.truncated(what)
        data = self.buf[self.pos:end]
        self.pos = end
        return data

    def string(self, what: str) -> str:
        return self.raw_string(what).decode("utf-8", errors="replace")

    def value(self, vtype: int, key: str) -> Value:
        fmt = _SCALAR_FORMATS.get(vtype)
        if fmt is not None:
            return self.scalar(fmt, f"metadata {key!r}")
        if vtype == GGUFValueType.STRING:
            return self.string(f"metadata {key!r}")
        if vtype == GGUFValueType.ARRAY:
            item_type = self.scalar("I", f"metadata {key!r}")
            count = self.scalar("Q", f"metadata {key!r}")
            return self.array(item_type, count, key)
        raise GGUFError(f"{self.path} is corrupt: metadata {key!r} has unknown value type {vtype}")

    def array(self, item_type: int, count: int, key: str) -> Value:
        fmt = _SCALAR_FORMATS.get(item_type)
        if fmt is not None:
            if count <= _SMALL_ARRAY:
                return [self.scalar(fmt, f"metadata {key!r}") for _ in range(count)]
            end = self.pos + count * struct.calcsize(fmt)
            if end > self.size:
                raise self.truncated(f"metadata {key!r}")
            self.pos = end
            return SkippedArray(GGUFValueType(item_type), count)
        if item_type == GGUFValueType.STRING:
            if count <= _SMALL_ARRAY and key not in self.wanted:
                return [self.string(f"metadata {key!r}") for _ in range(count)]
            table = self.string_table(count, key)
            if key in self.wanted:
                return table
            return SkippedArray(GGUFValueType.STRING, count)
        if item_type == GGUFValueType.ARRAY:
            return [self.value(GGUFValueType.ARRAY, key) for _ in range(count)]
        raise GGUFError(f"{self.path} is corrupt: array {key!r} has unknown item type {item_type}")

    def string_table(self, count: int, key: str) -> StringTable:
        """Walk `count` length-prefixed strings; one tight loop, no per-string objects kept."""
        unpack = struct.Struct(self.order + "Q").unpack_from
        buf, size = self.buf, self.size
        first = self.pos
        pos = first
        starts = array("Q")
        append = starts.append
        try:
            for _ in range(count):
                (length,) = unpack(buf, pos)
                pos += 8
                append(pos - first)
                pos += length
        except struct.error:
            raise self.truncated(f"metadata {key!r}") from None
        if pos > size:
            raise self.truncated(f"metadata {key!r}")
        self.pos = pos
        return StringTable(buf[first:pos], starts)


def read_header(path: Path, *, wanted_arrays: frozenset[str] = frozenset({_TOKENS_KEY})) -> GGUFHeader:
    """Parse metadata and tensor descriptions; long arrays not in `wanted_arrays` are skipped."""
    path = Path(path)
    if path.is_dir():
        raise GGUFError(f"{path} is a folder, not a GGUF file; choose a .gguf file inside it")
    try:
        size = path.stat().st_size
        if size == 0:
            raise GGUFError(f"{path} is not a GGUF file: it is empty; download or convert it again")
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _parse(buf, path, size, wanted_arrays)
    except (OverflowError, MemoryError):  # a length field far beyond anything a file can hold
        raise GGUFError(f"{path} is corrupt: its header holds impossible sizes; download the file again") from None
    except FileNotFoundError:
        raise GGUFError(f"{path}: no such file; check the path or the model folder") from None
    except PermissionError:
        raise GGUFError(f"{path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise GGUFError(f"{path}: cannot read it ({exc.strerror or exc})") from exc


def _parse(buf: mmap.mmap, path: Path, size: int, wanted: frozenset[str]) -> GGUFHeader:
    head = buf[:4]
    if head != _MAGIC:
        raise GGUFError(
            f"{path} is not a GGUF file (it starts with {head!r}, not {_MAGIC!r}); "
            "choose a .gguf model file"
        )
    order = "<"
    cursor = _Cursor(buf, path, order, wanted)
    cursor.pos = 4
    version = cursor.scalar("I", "the header")
    if version & 0xFFFF == 0:  # a file written on a big-endian machine
        order = ">"
        version = int.from_bytes(version.to_bytes(4, "little"), "big")
        cursor.order = order
    if version not in _SUPPORTED_VERSIONS:
        raise GGUFError(
            f"{path} uses GGUF version {version}, which this reader does not support "
            f"(supported: {', '.join(map(str, _SUPPORTED_VERSIONS))}); convert it with a current llama.cpp"
        )
    tensor_count = cursor.scalar("Q", "the header")
    kv_count = cursor.scalar("Q", "the header")
    if tensor_count > size or kv_count > size:
        raise GGUFError(f"{path} is corrupt: its header claims {tensor_count} tensors and {kv_count} values")

    fields: dict[str, Value] = {}
    for _ in range(kv_count):
        key = cursor.string("a metadata key")
        vtype = cursor.scalar("I", f"metadata {key!r}")
        fields[key] = cursor.value(vtype, key)

    tensors: list[TensorInfo] = []
    for _ in range(tensor_count):
        name = cursor.string("a tensor description")
        n_dims = cursor.scalar("I", f"tensor {name!r}")
        if n_dims > 8:
            raise GGUFError(f"{path} is corrupt: tensor {name!r} claims {n_dims} dimensions")
        shape = tuple(cursor.scalar("Q", f"tensor {name!r}") for _ in range(n_dims))
        type_id = cursor.scalar("I", f"tensor {name!r}")
        offset = cursor.scalar("Q", f"tensor {name!r}")
        tensors.append(TensorInfo(name, shape, type_id, offset))

    alignment = fields.get("general.alignment", GGUF_DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise GGUFError(f"{path} is corrupt: general.alignment is {alignment!r}, not a power of two")
    data_offset = -(-cursor.pos // alignment) * alignment
    sized = [(t.offset + t.n_bytes, t.name) for t in tensors if t.n_bytes is not None]
    if sized:
        data_end, last = max(sized)
        if data_offset + data_end > size:
            raise GGUFError(
                f"{path} is truncated: tensor {last!r} ends at byte {data_offset + data_end} but the file "
                f"has {size} bytes; download it again"
            )
    return GGUFHeader(path, size, version, fields, tensors, data_offset)


def _int_or_none(value: Value | None) -> int | None:
    """Per-layer values (lists) are summarised by their maximum."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return int(max(value))
    return None


def _str_or_none(value: Value | None) -> str | None:
    return value if isinstance(value, str) else None


def quantization_name(file_type: int) -> str:
    """'Q4_K_M' for llama.cpp's file type 15, as llama.cpp spells it."""
    try:
        name = LlamaFileType(file_type & ~_FILE_TYPE_GUESSED).name
    except ValueError:
        return f"file type {file_type}"
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def _dominant_tensor_type(tensors: list[TensorInfo]) -> str:
    """The tensor type holding most weights of the matrices (fallback when general.file_type is missing)."""
    totals: dict[str, int] = {}
    for tensor in tensors:
        if len(tensor.shape) >= 2:
            totals[tensor.type_name] = totals.get(tensor.type_name, 0) + tensor.n_elements
    if not totals:
        return "unknown"
    return max(totals.items(), key=lambda item: item[1])[0]


def _human_size(n_bytes: int) -> str:
    if n_bytes < 1000:
        return f"{n_bytes} bytes"
    for scale, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "KB")):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit} ({n_bytes:,} bytes)"
    raise AssertionError("unreachable")


def _human_count(n: int) -> str:
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= scale:
            return f"{n / scale:.2f}{suffix}"
    return str(n)


@dataclass(frozen=True)
class ModelCard:
    """What the UI shows about a model file, read without loading weights."""

    path: Path
    file_name: str
    size_bytes: int
    gguf_version: int
    architecture: str
    name: str | None
    context_length: int | None
    block_count: int | None
    embedding_length: int | None
    head_count: int | None
    head_count_kv: int | None
    vocab_size: int | None
    file_type: int | None
    quantization: str  # "Q4_K_M"; from general.file_type, else the dominant tensor type
    chat_template: str | None
    tokenizer_model: str | None
    bos_token_id: int | None
    eos_token_id: int | None
    bos_token: str | None
    eos_token: str | None
    parameter_count: int
    tensor_count: int
    # Every metadata key of the header with its value as short text (long arrays abbreviated).
    metadata: tuple[tuple[str, str], ...] = ()

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs in display order; missing values show as an em dash."""

        def show(value: object) -> str:
            if value is None:
                return "\u2014"
            if isinstance(value, int) and not isinstance(value, bool):
                return f"{value:,}"
            return str(value)

        def token(text: str | None, token_id: int | None) -> str:
            if token_id is None:
                return "\u2014"
            return f"'{escape_piece(text)}' (id {token_id})" if text is not None else f"id {token_id}"

        template = "none" if self.chat_template is None else f"yes ({len(self.chat_template):,} characters)"
        return [
            ("File", self.file_name),
            ("Size on disk", _human_size(self.size_bytes)),
            ("Name", show(self.name)),
            ("Architecture", self.architecture),
            ("Quantisation", self.quantization),
            ("Parameters", _human_count(self.parameter_count)),
            ("Context length", show(self.context_length)),
            ("Layers", show(self.block_count)),
            ("Embedding length", show(self.embedding_length)),
            ("Heads", show(self.head_count)),
            ("KV heads", show(self.head_count_kv)),
            ("Vocabulary size", show(self.vocab_size)),
            ("Tokenizer", show(self.tokenizer_model)),
            ("BOS token", token(self.bos_token, self.bos_token_id)),
            ("EOS token", token(self.eos_token, self.eos_token_id)),
            ("Chat template", template),
        ]

    def to_markdown(self) -> str:
        """A two-column table, then the chat template in a code block (tables cannot hold newlines)."""

        def cell(text: str) -> str:
            return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")

        lines = ["| Field | Value |", "| --- | --- |"]
        lines += [f"| {label} | {cell(value)} |" for label, value in self.rows()]
        if self.chat_template is not None:
            fence = "```"
            while fence in self.chat_template:
                fence += "`"
            lines += ["", "**Chat template**", "", f"{fence}jinja", self.chat_template, fence]
        return "\n".join(lines) + "\n"


def read_model_card(path: Path) -> ModelCard:
    """Read a GGUF file's model card; raises GGUFError (naming the file) for missing/bad files."""
    header = read_header(path)
    fields = header.fields
    arch = _str_or_none(fields.get("general.architecture")) or "unknown"

    def arch_int(suffix: str) -> int | None:
        return _int_or_none(fields.get(f"{arch}.{suffix}"))

    tokens = fields.get(_TOKENS_KEY)
    vocab_size: int | None
    if isinstance(tokens, (StringTable, SkippedArray)):
        vocab_size = len(tokens) if isinstance(tokens, StringTable) else tokens.count
    elif isinstance(tokens, list):
        vocab_size = len(tokens)
    else:
        vocab_size = arch_int("vocab_size")

    def token_text(token_id: int | None) -> str | None:
        if token_id is None or not 0 <= token_id < (vocab_size or 0):
            return None
        if isinstance(tokens, StringTable):
            return tokens.text(token_id)
        if isinstance(tokens, list):
            return str(tokens[token_id])
        return None

    file_type = _int_or_none(fields.get("general.file_type"))
    quantization = quantization_name(file_type) if file_type is not None else _dominant_tensor_type(header.tensors)
    bos_id = _int_or_none(fields.get("tokenizer.ggml.bos_token_id"))
    eos_id = _int_or_none(fields.get("tokenizer.ggml.eos_token_id"))
    return ModelCard(
        path=header.path,
        file_name=header.path.name,
        size_bytes=header.size_bytes,
        gguf_version=header.version,
        architecture=arch,
        name=_str_or_none(fields.get("general.name")),
        context_length=arch_int("context_length"),
        block_count=arch_int("block_count"),
        embedding_length=arch_int("embedding_length"),
        head_count=arch_int("attention.head_count"),
        head_count_kv=arch_int("attention.head_count_kv"),
        vocab_size=vocab_size,
        file_type=file_type,
        quantization=quantization,
        chat_template=_str_or_none(fields.get("tokenizer.chat_template")),
        tokenizer_model=_str_or_none(fields.get("tokenizer.ggml.model")),
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        bos_token=token_text(bos_id),
        eos_token=token_text(eos_id),
        parameter_count=sum(t.n_elements for t in header.tensors),
        tensor_count=len(header.tensors),
        metadata=tuple((key, metadata_text(value)) for key, value in fields.items()),
    )


def metadata_text(value: Value, shown: int = METADATA_ITEMS_SHOWN, length: int = METADATA_TEXT_SHOWN) -> str:
    """A metadata value as one short line: scalars as they are, long strings cut, arrays as their first
    items and their length (a vocabulary has 150,000 of them; the card must stay readable)."""
    if isinstance(value, StringTable):
        items: list[str] = [repr(value.text(index)) for index in range(min(shown, len(value)))]
        return _array_text(items, len(value), "string")
    if isinstance(value, SkippedArray):
        return f"[{value.count:,} {value.item_type.name.lower()} values]"
    if isinstance(value, list):
        return _array_text([metadata_text(item, shown, length) if isinstance(item, list) else repr(item)
                            for item in value[:shown]], len(value), "")
    text = str(value)
    if len(text) > length:
        return f"{text[:length]}\u2026 ({len(text):,} characters)"
    return text


def _array_text(items: list[str], count: int, kind: str) -> str:
    more = f", \u2026 {count:,} {kind + ' ' if kind else ''}values in all" if count > len(items) else ""
    return f"[{', '.join(items)}{more}]"


_NAMED_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def escape_piece(piece: str) -> str:
    """Make every character visible: \\n, \\t, control and odd whitespace as escapes; bad UTF-8 as \\xNN.

    An ordinary space stays a space (the quotes around a piece show it).
    """
    out: list[str] = []
    for ch in piece:
        named = _NAMED_ESCAPES.get(ch)
        if named is not None:
            out.append(named)
        elif ch == " " or ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            if 0xDC80 <= code <= 0xDCFF:  # a byte that was not valid UTF-8 (surrogateescape)
                out.append(f"\\x{code - 0xDC00:02x}")
            elif code <= 0xFF:
                out.append(f"\\x{code:02x}")
            elif code <= 0xFFFF:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    return "".join(out)


class VocabularyReader:
    """A model's token list, loaded once; slices of ids are decoded only when asked for."""

    def __init__(self, path: Path) -> None:
        header = read_header(path, wanted_arrays=frozenset({_TOKENS_KEY}))
        tokens = header.fields.get(_TOKENS_KEY)
        if not isinstance(tokens, StringTable):
            raise GGUFError(f"{header.path} has no token list ({_TOKENS_KEY}); it cannot show a vocabulary")
        self.path: Path = header.path
        self.tokenizer_model: str | None = _str_or_none(header.fields.get("tokenizer.ggml.model"))
        self._table = tokens

    def __len__(self) -> int:
        return len(self._table)

    def piece(self, token_id: int) -> str:
        """The stored text of one token (raises VocabularyRangeError for an id out of range)."""
        if not isinstance(token_id, int) or not 0 <= token_id < len(self):
            raise VocabularyRangeError(f"token id {token_id!r} is out of range; ids run from 0 to {len(self) - 1}")
        return self._table.text(token_id)

    def _bounds(self, start: int, stop: int) -> tuple[int, int]:
        if not isinstance(start, int) or not isinstance(stop, int):
            raise VocabularyRangeError(f"start and stop must be whole numbers, got {start!r} and {stop!r}")
        if start < 0 or stop < start:
            raise VocabularyRangeError(
                f"cannot show ids {start}..{stop}: choose 0 <= start <= stop "
                f"(this vocabulary has ids 0 to {len(self) - 1})"
            )
        return min(start, len(self)), min(stop, len(self))

    def slice(self, start: int, stop: int) -> list[tuple[int, str]]:
        """(id, piece) for ids start..stop-1; a range past the end is clamped to it."""
        lo, hi = self._bounds(start, stop)
        return [(i, self._table.text(i)) for i in range(lo, hi)]

    def iter_lines(self, start: int, stop: int) -> Iterator[str]:
        for token_id, piece in self.slice(start, stop):
            yield f"{token_id}) '{escape_piece(piece)}'"

    def format_slice(self, start: int, stop: int) -> str:
        """Lines `id) 'piece'` with invisible characters escaped, for the vocabulary view."""
        return "\n".join(self.iter_lines(start, stop))
