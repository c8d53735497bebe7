"""The model card's HTML: model-derived text is escaped, and every header key is listed, long values short."""

from __future__ import annotations

from pathlib import Path

from samantha.gguf_info import GGUFValueType, SkippedArray, metadata_text, read_model_card
from samantha.tinymodel import write_tiny_gguf
from samantha.ui.model_card_view import model_card_html


def test_metadata_values_are_abbreviated() -> None:
    assert metadata_text(7) == "7" and metadata_text("llama") == "llama"
    assert metadata_text(list(range(20))) == "[0, 1, 2, 3, 4, 5, 6, 7, \u2026 20 values in all]"
    assert metadata_text([1, 2]) == "[1, 2]"
    assert metadata_text(SkippedArray(GGUFValueType.FLOAT32, 150_000)) == "[150,000 float32 values]"
    long = metadata_text("x" * 5000)
    assert long.startswith("x" * 200 + "\u2026") and "5,000 characters" in long and len(long) < 300


def test_card_html_escapes_token_texts_and_lists_every_key(tmp_path: Path) -> None:
    card = read_model_card(write_tiny_gguf(tmp_path / "m.gguf", seed=1, name="<b>bold</b>"))
    page = model_card_html(card)
    assert "<b>bold" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "&#x27;&lt;s&gt;&#x27; (id 1)" in page
    assert page.count("<tr>") == len(card.rows()) + len(card.metadata)
    assert [key for key, _ in card.metadata][:2] == ["general.architecture", "general.name"]
