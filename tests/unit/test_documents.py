"""TXT and PDF loading: real files written in the test, every failure a clear DocumentError."""

from __future__ import annotations

from pathlib import Path

import pytest

from samantha.documents import DocumentError, pdf_prompt_text, read_pdf_pages, read_text, read_text_file
from samantha.prompts import parse_prompt_list


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page (what pypdf can extract)."""
    objects: list[bytes] = []
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    font_ref = 3 + 2 * count
    for index, text in enumerate(pages):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * index} 0 R "
            f"/Resources << /Font << /F1 {font_ref} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_text_file_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "prompt.txt"
    path.write_bytes("\ufeffOlá mundo\r\nsegunda linha\r\n".encode("utf-8"))
    assert read_text_file(path) == "Olá mundo\nsegunda linha\n"


def test_text_file_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("coração – “aspas”".encode("cp1252"))
    assert read_text_file(path) == "coração – “aspas”"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_are_read_by_their_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "notepad.txt"
    text = "Olá, coração\r\n你好 — second line"
    bom = {"utf-16-be": b"\xfe\xff"}.get(encoding, b"")  # Python's "utf-16"/"utf-32" write their own mark
    path.write_bytes(bom + text.encode(encoding))
    decoded = read_text(path)
    assert decoded.text == "Olá, coração\n你好 — second line"
    assert not decoded.guessed and decoded.note("notepad.txt") == ""


def test_a_guessed_encoding_says_so(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("coração".encode("cp1252"))
    decoded = read_text(legacy)
    assert decoded.text == "coração" and decoded.guessed and decoded.encoding == "Windows-1252"
    assert "legacy.txt is not UTF-8" in decoded.note("legacy.txt") and "a guess" in decoded.note("legacy.txt")
    odd = tmp_path / "odd.txt"
    odd.write_bytes(b"caf\xe9 \x81 end")  # 0x81 means nothing in Windows-1252
    decoded = read_text(odd)
    assert decoded.text == "café \x81 end" and decoded.guessed and decoded.encoding == "Latin-1"
    plain = tmp_path / "plain.txt"
    plain.write_text("café", encoding="utf-8")
    assert not read_text(plain).guessed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"   \n\n\t ", "only blank space"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not a text file"),
    ],
)
def test_bad_text_files_are_named_errors(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(DocumentError, match=message) as caught:
        read_text_file(path)
    assert "bad.txt" in str(caught.value)


def test_missing_text_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="cannot read nothing.txt"):
        read_text_file(tmp_path / "nothing.txt")


def test_pdf_pages_are_extracted(tmp_path: Path) -> None:
    path = tmp_path / "two.pdf"
    path.write_bytes(make_pdf(["First page about love", "Second page about life"]))
    assert read_pdf_pages(path) == ["First page about love", "Second page about life"]


def test_pdf_one_item_per_page_and_whole_text(tmp_path: Path) -> None:
    pages = ["Summarise page one", "Summarise page two", "Summarise page three"]
    per_page = pdf_prompt_text(pages, one_item_per_page=True)
    assert [item.text for item in parse_prompt_list(per_page)] == pages
    whole = pdf_prompt_text(pages, one_item_per_page=False)
    items = parse_prompt_list(whole)
    assert len(items) == 1 and all(page in items[0].text for page in pages)


def test_single_page_pdf_stays_one_item_even_with_many_lines() -> None:
    text = pdf_prompt_text(["line one\nline two\nline three"], one_item_per_page=True)
    assert [item.text for item in parse_prompt_list(text)] == ["line one\nline two\nline three"]


def test_encrypted_pdf_is_refused_clearly(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = tmp_path / "plain.pdf"
    plain.write_bytes(make_pdf(["secret text"]))
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(DocumentError, match="password-protected") as caught:
        read_pdf_pages(locked)
    assert "locked.pdf" in str(caught.value)


def test_pdf_with_empty_user_password_opens(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = tmp_path / "plain.pdf"
    plain.write_bytes(make_pdf(["readable text"]))
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    opened = tmp_path / "owner-only.pdf"
    with opened.open("wb") as handle:
        writer.write(handle)
    assert read_pdf_pages(opened) == ["readable text"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text, not a pdf at all", "not a PDF file"),
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "could not be read as a PDF"),
        (b"", "is empty"),
    ],
)
def test_unreadable_pdfs_are_named_errors(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    with pytest.raises(DocumentError, match=message) as caught:
        read_pdf_pages(path)
    assert "broken.pdf" in str(caught.value)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([""]))
    with pytest.raises(DocumentError, match="no text layer"):
        read_pdf_pages(path)
