"""Reading TXT and PDF files into the text inputs (the loading helpers).

Every failure is a DocumentError whose message names the file and says what to
do, so the UI can show it and keep working.
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass
from pathlib import Path

from samantha.errors import SamanthaError
from samantha.prompts import SEPARATOR

# Refuse files larger than this: a prompt field is not the place for them.
MAX_TEXT_BYTES = 20 * 1024 * 1024
MAX_PDF_BYTES = 200 * 1024 * 1024
# Share of control characters above which a "text" file is treated as binary.
_BINARY_CONTROL_SHARE = 0.10
_TEXT_CONTROLS = {9, 10, 12, 13}  # tab, line feed, form feed, carriage return


class DocumentError(SamanthaError, ValueError):
    """A file could not be read as the kind of document asked for."""


def _check_size(path: Path, limit: int, what: str) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if size == 0:
        raise DocumentError(f"{path.name} is empty: choose a file that has some {what} in it")
    if size > limit:
        raise DocumentError(f"{path.name} is {size / 1e6:.0f} MB; the limit for a {what} file is {limit / 1e6:.0f} MB")
    return size


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 32 and byte not in _TEXT_CONTROLS)
    return controls > _BINARY_CONTROL_SHARE * max(len(sample), 1)


@dataclass(frozen=True)
class DecodedText:
    """A text file's characters, and how sure the encoding is."""

    text: str
    encoding: str
    guessed: bool  # True when nothing in the file said its encoding and it is not valid UTF-8

    def note(self, name: str) -> str:
        """What to tell the user when the encoding was a guess (else "")."""
        if not self.guessed:
            return ""
        return (f"{name} is not UTF-8, so it was read as {self.encoding}, a guess: if some letters look wrong, "
                "save the file as UTF-8 and load it again")


# Byte-order marks, longest first: UTF-32's little-endian mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_ENCODING_NAMES = {"utf-32": "UTF-32", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-8": "UTF-8",
                   "cp1252": "Windows-1252", "latin-1": "Latin-1"}


def _bom_encoding(data: bytes) -> str | None:
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)


def decode_bytes(data: bytes) -> DecodedText:
    """A byte-order mark decides (UTF-8, UTF-16, UTF-32); else UTF-8; else Windows-1252 (the usual desktop
    encoding), else Latin-1. The last two are guesses, and say so."""
    bom = _bom_encoding(data)
    if bom is not None:
        try:
            return DecodedText(data.decode(bom), _ENCODING_NAMES[bom], guessed=False)
        except UnicodeDecodeError:
            pass  # a mark followed by something else: fall through to the guesses
    try:
        return DecodedText(data.decode("utf-8"), "UTF-8", guessed=False)
    except UnicodeDecodeError:
        pass
    try:
        return DecodedText(data.decode("cp1252"), "Windows-1252", guessed=True)
    except UnicodeDecodeError:
        return DecodedText(data.decode("latin-1"), "Latin-1", guessed=True)


def decode_text(data: bytes) -> str:
    """The characters of a text file's bytes (see decode_bytes)."""
    return decode_bytes(data).text


def is_binary(data: bytes) -> bool:
    """Whether these bytes are not text: UTF-16 and UTF-32 hold zero bytes, so a byte-order mark says text."""
    return _bom_encoding(data) is None and _looks_binary(data)


def read_text(path: str | Path) -> DecodedText:
    """A TXT file's text, line endings normalised; raises DocumentError for empty or binary files."""
    path = Path(path)
    _check_size(path, MAX_TEXT_BYTES, "text")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if is_binary(data):
        raise DocumentError(f"{path.name} is not a text file (it holds binary data); choose a .txt file")
    decoded = decode_bytes(data)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError(f"{path.name} holds only blank space: choose a file that has some text in it")
    return DecodedText(text, decoded.encoding, decoded.guessed)


def read_text_file(path: str | Path) -> str:
    """The text of a TXT file (see read_text)."""
    return read_text(path).text


def read_pdf_pages(path: str | Path) -> list[str]:
    """The text of every page of a PDF (pypdf); raises DocumentError for unreadable, locked or image-only files."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError, PyPdfError

    path = Path(path)
    _check_size(path, MAX_PDF_BYTES, "PDF")
    with path.open("rb") as handle:
        if b"%PDF" not in handle.read(1024):
            raise DocumentError(f"{path.name} is not a PDF file (no PDF header); choose a .pdf file")
    # pypdf logs every recoverable oddity of a damaged file; the error below says what matters.
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (NotImplementedError, PyPdfError) as exc:
                raise DocumentError(f"{path.name} is encrypted in a way that cannot be opened here ({exc}); save an unprotected copy") from None
            if not opened:
                raise DocumentError(f"{path.name} is password-protected: save an unprotected copy of it and load that")
        pages = [(page.extract_text() or "").replace("\r\n", "\n").strip() for page in reader.pages]
    except DocumentError:
        raise
    except FileNotDecryptedError:
        raise DocumentError(f"{path.name} is password-protected: save an unprotected copy of it and load that") from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise DocumentError(f"{path.name} could not be read as a PDF ({type(exc).__name__}: {exc}); the file may be damaged") from None
    finally:
        logger.setLevel(level)
    if not pages:
        raise DocumentError(f"{path.name} has no pages")
    if not any(pages):
        raise DocumentError(
            f"{path.name} has no text layer (it may be scanned images); run it through OCR first or paste the text"
        )
    return pages


def pdf_prompt_text(pages: list[str], one_item_per_page: bool) -> str:
    """Prompt-list text from PDF pages: one item per page (joined by `$$$`), or the whole text as one item.

    A single item needs a `$$$` too, because text without one is split by lines.
    """
    kept = [page for page in pages if page.strip()]
    if one_item_per_page and len(kept) > 1:
        return f"\n{SEPARATOR}\n".join(kept)
    return "\n\n".join(kept) + f"\n{SEPARATOR}"
