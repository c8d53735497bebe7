"""Reading TXT and PDF files into the text inputs (SPEC §2, loading helpers).

Every failure is a DocumentError whose message names the file and says what to
do, so the UI can show it and keep working.
"""

from __future__ import annotations

import logging
from pathlib import Path

from samantha.prompts import SEPARATOR

# Refuse files larger than this: a prompt field is not the place for them.
MAX_TEXT_BYTES = 20 * 1024 * 1024
MAX_PDF_BYTES = 200 * 1024 * 1024
# Share of control characters above which a "text" file is treated as binary.
_BINARY_CONTROL_SHARE = 0.10
_TEXT_CONTROLS = {9, 10, 12, 13}  # tab, line feed, form feed, carriage return


class DocumentError(ValueError):
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


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, the usual encodings of a TXT file on the desktop."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def read_text_file(path: str | Path) -> str:
    """The text of a TXT file, line endings normalised; raises DocumentError for empty or binary files."""
    path = Path(path)
    _check_size(path, MAX_TEXT_BYTES, "text")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if _looks_binary(data):
        raise DocumentError(f"{path.name} is not a text file (it holds binary data); choose a .txt file")
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError(f"{path.name} holds only blank space: choose a file that has some text in it")
    return text


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
