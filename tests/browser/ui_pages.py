"""Page helpers for the browser tests: read and fill Gradio controls by their elem_id."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

# Debian's Chromium, started headless as root with no network of its own (the test machines have none).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

WAIT_MS = 120_000
# An answer that never ends by itself (only max_tokens, n_ctx or Stop end it).
ENDLESS_GRAMMAR = 'root ::= "la " root\n'


def field(page, elem_id: str):  # type: ignore[no-untyped-def]
    """The text input of a Textbox (a textarea or an input)."""
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first


def wait_for_page(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page is drawn and its load event has filled in the remembered settings (the model folder
    among them): a control exists before that, but what is typed or read then can be replaced."""
    page.wait_for_selector("#start-button")
    page.wait_for_function(
        "() => document.querySelector('#models-dir textarea, #models-dir input')?.value.length > 0"
    )


def transcript(page) -> str:  # type: ignore[no-untyped-def]
    return field(page, "transcript").input_value()


def status(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#status-box").inner_text()


def wait_until(check: Callable[[], bool], what: str, seconds: float = WAIT_MS / 1000, poll: float = 0.1) -> None:
    """Poll `check` until it holds; fail with `what` after a generous bound (never a speed assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


def open_tab_panel(page, elem_id: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"#{elem_id}-button")


def set_grammar(page, grammar: str) -> None:  # type: ignore[no-untyped-def]
    open_tab_panel(page, "tab-advanced")
    page.locator("#grammar .cm-content").fill(grammar)


def set_number(page, elem_id: str, value: int) -> None:  # type: ignore[no-untyped-def]
    box = page.locator(f"#{elem_id} input[type=number]").first
    box.fill(str(value))
    box.blur()


def upload(page, button_id: str, path: str) -> None:  # type: ignore[no-untyped-def]
    """Choose `path` in the file dialog an UploadButton opens."""
    with page.expect_file_chooser() as chooser:
        page.click(f"#{button_id}")
    chooser.value.set_files(path)


def toast_text(page) -> str:  # type: ignore[no-untyped-def]
    """Text of Gradio's warning/info toasts currently shown."""
    return " ".join(page.locator(".toast-body").all_inner_texts())


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
