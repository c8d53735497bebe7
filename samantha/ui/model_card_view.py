"""The model card as HTML: every string read from the model file is escaped, so token texts such as
`<bos>` or `</s>` show as text instead of vanishing as unknown tags."""

from __future__ import annotations

import html

from samantha.gguf_info import ModelCard


def _table(caption: str, rows: list[tuple[str, str]], elem_class: str) -> str:
    body = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in rows)
    return (f'<table class="{elem_class}"><caption>{html.escape(caption)}</caption>'
            f"<tbody>{body}</tbody></table>")


def model_card_html(card: ModelCard) -> str:
    """The summary table, the chat template, then every metadata key of the header."""
    parts = [_table("Model card", card.rows(), "card-summary")]
    if card.chat_template is not None:
        parts.append(f'<p><strong>Chat template</strong></p><pre class="card-template">'
                     f"{html.escape(card.chat_template)}</pre>")
    parts.append(_table(f"All {len(card.metadata)} metadata keys of the header (long arrays abbreviated)",
                        list(card.metadata), "card-metadata"))
    return f'<div class="model-card">{"".join(parts)}</div>'
