"""Finds text a model's own chat template puts into the prompt that the user never typed.

Some templates add a default system prompt when there is none: SmolLM2's adds "You are a helpful AI
assistant named SmolLM, trained by Hugging Face". The prompt is rendered again with a probe system text;
what the first rendering holds where the probe went is the template's own addition.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from samantha.formats import FormatError, Message, TemplateInfo, render

PROBE = "SAMANTHA-SYSTEM-PROBE-7f3a"
TEMPLATE_ADDED_KEY = "template_added"  # where an answer record keeps that text, among its extra data


def _common_prefix(a: str, b: str) -> int:
    return len(os.path.commonprefix([a, b]))


def template_added_text(messages: Sequence[Message], prompt_format: str, info: TemplateInfo, rendered: str) -> str:
    """The text the model's template added in place of a missing system prompt, or "" when it added none."""
    if prompt_format != "auto" or not info.chat_template or any(m.role == "system" and m.content for m in messages):
        return ""
    try:
        probed = render([Message("system", PROBE), *messages], prompt_format, info).text
    except FormatError:
        return ""
    if PROBE not in probed:
        return ""
    start = _common_prefix(rendered, probed)
    end = _common_prefix(rendered[start:][::-1], probed[start:][::-1])
    return rendered[start:len(rendered) - end].strip()
