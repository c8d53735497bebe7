"""Turn a Markdown answer into the words a voice should say.

Models answer in Markdown; a speech engine would otherwise read out
asterisks, hashes, code and long URLs. The Markdown is parsed (markdown-it-py,
CommonMark plus tables) rather than scrubbed with regular expressions, so
emphasis, links and code are recognised the way the page renders them.
"""

from __future__ import annotations

import re
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from samantha.prompts import PromptSyntaxError, parse_prompt_list

CodeBlocks = Literal["announce", "skip"]

CODE_BLOCK_PHRASE = "Code block."

_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)\S+", re.IGNORECASE)
# Markdown markers left in plain text; one marker after a letter stays ("C#", "snake_case").
_STRAY_MARKERS = re.compile(r"(?<!\w)[*_#~`|]+|[*_#~`|]{2,}|[`|~]")
_RULE = re.compile(r"(?:^|\s)[-=*_]{3,}(?=\s|$)")
_SPACES = re.compile(r"\s+")
_SENTENCE_END = ".!?:;…"
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+")
_CLAUSE_SPLIT = re.compile(r"(?<=[,;:])\s+")


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _inline_text(token: Token) -> str:
    """The words of one inline run: link text without its URL, image alt text, code as written."""
    parts: list[str] = []
    in_autolink = False
    for child in token.children or []:
        kind = child.type
        if kind == "link_open":
            in_autolink = child.markup == "autolink"
        elif kind == "link_close":
            in_autolink = False
        elif in_autolink:
            continue
        elif kind in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _clean_phrase(text: str) -> str:
    """Drop URLs and stray markers, squeeze spaces, and end the phrase so the voice pauses."""
    text = _URL.sub(" ", text)
    text = _RULE.sub(" ", text)
    text = _STRAY_MARKERS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    if not text or not any(ch.isalnum() for ch in text):
        return ""
    if text[-1] not in _SENTENCE_END:
        text += "."
    return text


def speakable_text(markdown: str, code_blocks: CodeBlocks = "announce") -> str:
    """Return the words of `markdown` as one plain string for a speech engine.

    Headings, paragraphs, list items and table rows become sentences; emphasis
    markers, HTML tags and URLs disappear (a link keeps its text); fenced or
    indented code is replaced by "Code block." or, with ``code_blocks="skip"``,
    left out.
    """
    if code_blocks not in ("announce", "skip"):
        raise ValueError(f"code_blocks must be 'announce' or 'skip', not {code_blocks!r}")
    phrases: list[str] = []
    row: list[str] | None = None
    for token in _parser().parse(markdown):
        kind = token.type
        if kind == "tr_open":
            row = []
        elif kind == "tr_close":
            if row is not None:
                phrases.append(", ".join(cell for cell in row if cell))
            row = None
        elif kind == "inline":
            text = _inline_text(token)
            if row is not None:
                row.append(_clean_phrase(text).rstrip("."))
            else:
                phrases.append(text)
        elif kind in ("fence", "code_block") and code_blocks == "announce":
            phrases.append(CODE_BLOCK_PHRASE)
    cleaned = (_clean_phrase(phrase) for phrase in phrases)
    return " ".join(phrase for phrase in cleaned if phrase)


def split_for_speech(text: str, max_chars: int = 1000) -> list[str]:
    """Cut plain text into pieces of at most `max_chars` at sentence (or clause, or word) ends.

    Speech engines slow down or fail on very long inputs (pyttsx3's eSpeak
    driver copies its whole audio buffer on every callback), so long answers
    are synthesised piece by piece and joined.
    """
    if max_chars < 20:
        raise ValueError(f"max_chars must be at least 20, not {max_chars}")
    pieces: list[str] = []
    current = ""
    for unit in _units(text.strip(), max_chars):
        if current and len(current) + 1 + len(unit) > max_chars:
            pieces.append(current)
            current = unit
        else:
            current = f"{current} {unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


def _units(text: str, max_chars: int) -> list[str]:
    """Sentences, with any sentence longer than `max_chars` cut at clauses, then words, then characters."""
    units: list[str] = []
    for sentence in _SENTENCE_SPLIT.split(text):
        if len(sentence) <= max_chars:
            units.append(sentence)
            continue
        for clause in _CLAUSE_SPLIT.split(sentence):
            if len(clause) <= max_chars:
                units.append(clause)
                continue
            for word in clause.split():
                units.extend(word[i : i + max_chars] for i in range(0, len(word), max_chars))
    return [unit for unit in units if unit]


def prompt_speech_text(prompt: str) -> str:
    """The user prompt as it is read aloud: the items the chain will ask, in the order it asks them.

    Uses the chain's own parser (prompts.py), so what is read is what runs: a `[...]`
    prefix that spans lines is read once, before the items, and `$$$`, `---` items
    and `{...}` settings are not read. A prompt whose settings are malformed is read
    as typed (Start reports the mistake).
    """
    if not (prompt or "").strip():
        return ""
    try:
        items = parse_prompt_list(prompt)
    except PromptSyntaxError:
        return prompt.strip()
    prefix = items[0].prefix if items else ""
    return "\n\n".join([prefix, *(item.body for item in items)] if prefix else [item.body for item in items])
