"""The page in English or Brazilian Portuguese: one catalogue keyed by the English text.

Two ways in, one catalogue (locales/pt-BR.json, English msgid -> Portuguese):
- Text the page is built with (labels, help, buttons, placeholders, tab names, Markdown) is handed to
  Gradio's own I18n by `localize_blocks` once the page is built; the browser then shows it in the
  language Gradio's locale says, and switches live without a reload. No panel looks words up itself.
- Text the server writes at run time (notices, errors, the status line) is translated where the page
  shows it, with `tr`, in the language of the tab that asked: the page's switch keeps the choice in the
  browser (localStorage) and in a cookie that comes with every event.
A msgid may hold named placeholders (`Loaded {name} in {seconds}s`): the variable parts (file names,
numbers, model output) are kept as they are, and a part that is itself a msgid is translated too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.components.native_plot import NativePlot
from gradio.context import LocalContext
from gradio.i18n import I18nData

ENGLISH = "en"
PORTUGUESE = "pt-BR"
# The switch shows each language in its own words, so it can be found whatever the page's language.
LANGUAGE_NAMES = {ENGLISH: "English", PORTUGUESE: "Português (Brasil)"}
LANGUAGE_COOKIE = "samantha-lang"
LANGUAGE_SWITCH_ID = "language-switch"
LOCALES = Path(__file__).with_name("locales")
# The properties Gradio translates in the browser (gradio/src: translatable props).
_TRANSLATED_PROPS = ("label", "info", "placeholder", "value", "title", "description")
# Components whose `value` is page text rather than data the user or a model wrote.
_TEXT_VALUES = ("Button", "UploadButton", "DownloadButton", "Markdown", "HTML")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# What a placeholder may hold when a finished message is matched; anything, unless named here. A file
# name holds no colon, and `{file}` is a model file: so `{file}: {message}` (an error with the model's
# name in front) splits "a.gguf: llama.cpp could not load a.gguf: …" after the file name, and the message
# is translated as a whole, while a sentence that merely holds a colon is not taken for one.
_PART = {"name": r"[^:\n]+", "file": r"[^:\n]+?\.gguf"}
# Where a message of several sentences is cut when no msgid matches it whole: after . ! or ? and a space,
# before a capital letter (not inside "v0.3.2" or a file name, which have no space after the dot).
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@cache
def catalogue(language: str = PORTUGUESE) -> Mapping[str, str]:
    """English msgid -> translation; English itself (and any unknown language) has none."""
    path = LOCALES / f"{language}.json"
    if language == ENGLISH or not path.is_file():
        return {}
    entries = json.loads(path.read_text(encoding="utf-8"))
    return {key: value for key, value in entries.items() if not key.startswith("//")}


@cache
def _templates(language: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The msgids with placeholders as patterns, the most literal text first (the most specific wins)."""
    found = []
    for msgid, text in catalogue(language).items():
        if not _PLACEHOLDER.search(msgid):
            continue
        parts = _PLACEHOLDER.split(msgid)  # literal, name, literal, name, ...
        pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>{_PART.get(part, '.+')})"
                          for i, part in enumerate(parts))
        literal = sum(len(part) for part in parts[::2])
        found.append((literal, re.compile(pattern, re.DOTALL), text))
    found.sort(key=lambda item: -item[0])
    return tuple((pattern, text) for _, pattern, text in found)


def translate(text: str, language: str, /, **values: object) -> str:
    """`text` (an English msgid, or a message built from one) in `language`; unknown text stays as it is.

    With `values`, `text` is a msgid whose placeholders they fill. Without, a message the code already
    filled in is matched against the msgids with placeholders, and its variable parts are kept."""
    table = catalogue(language)
    if values:
        return table.get(text, text).format(**values)
    if not text or not table:
        return text
    exact = table.get(text)
    if exact is not None:
        return exact
    for pattern, translated in _templates(language):
        match = pattern.fullmatch(text)
        if match is not None:
            parts = {name: translate(part, language) for name, part in match.groupdict().items()}
            return translated.format(**parts)
    if "\n" in text:  # a message made of lines (a list of problems): each line on its own
        return "\n".join(translate(line, language) for line in text.split("\n"))
    sentences = _SENTENCE_BREAK.split(text)
    if len(sentences) > 1:  # a message made of sentences (what happened, then what to do): each on its own
        return " ".join(translate(sentence, language) for sentence in sentences)
    return text


def current_language() -> str:
    """The language of the tab whose event is being handled (its cookie); English outside an event."""
    request = LocalContext.request.get(None)
    cookies = getattr(request, "cookies", None) or {}
    chosen = cookies.get(LANGUAGE_COOKIE, ENGLISH)
    return chosen if chosen in LANGUAGE_NAMES else ENGLISH


def tr(text: str, /, **values: object) -> str:
    """A message the server writes at run time, in the language of the tab that asked."""
    return translate(text, current_language(), **values)


def warning_note(problem: object) -> str:
    """A problem for a note on the page: marked \u26a0\ufe0f once, in the tab's language."""
    text = tr(str(problem))
    return text if text.startswith("\u26a0") else tr("\u26a0\ufe0f {problem}", problem=text)


def gradio_key(text: str) -> str:
    """The key Gradio's I18n knows `text` by: the text itself, unless it holds a `}`, which ends Gradio's
    marker early (the help's `{temperature=0.7}` example); such text is keyed by a digest instead."""
    return text if "}" not in text else "text-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def t(text: str) -> I18nData | str:
    """Page text Gradio translates in the browser (a label, an info line): usable wherever Gradio takes one."""
    return I18nData(gradio_key(text)) if translate(text, PORTUGUESE) != text else text


def _english_of(key: str) -> str:
    """The English text behind a key `gradio_key` made (a digest is looked up in the catalogue)."""
    if not key.startswith("text-"):
        return key
    return next((text for text in catalogue() if gradio_key(text) == key), key)


def localize_blocks(demo: gr.Blocks) -> gr.I18n:
    """Mark every piece of page text of `demo` for Gradio's I18n; returns the I18n to launch the page with.

    Text with a placeholder part (a folder shown in a help line) gets its own entry, filled in."""
    english: dict[str, str] = {}
    portuguese: dict[str, str] = {}
    for block in demo.blocks.values():
        for prop in _TRANSLATED_PROPS:
            if prop == "value" and type(block).__name__ not in _TEXT_VALUES:
                continue
            text = getattr(block, prop, None)
            if isinstance(text, I18nData):  # marked already (by `t`, or a second call)
                text = english.get(text.key, _english_of(text.key))
            if not isinstance(text, str) or not text.strip():
                continue
            translated = translate(text, PORTUGUESE)
            if translated == text:
                continue
            key = gradio_key(text)
            english[key] = text
            portuguese[key] = translated
            setattr(block, prop, I18nData(key))
        for choice in getattr(block, "choices", None) or ():  # Gradio translates a choice's shown text itself
            shown = choice[0] if isinstance(choice, (tuple, list)) else choice
            if isinstance(shown, str) and translate(shown, PORTUGUESE) != shown:
                english[shown] = shown
                portuguese[shown] = translate(shown, PORTUGUESE)
    # "pt" too: a browser that says only "pt" gets Gradio's Portuguese and ours.
    return gr.I18n(**{ENGLISH: english, PORTUGUESE: portuguese, "pt": portuguese})


# The switch: remembered in localStorage, sent to the server in a cookie, shown by Gradio's own locale
# (its `changeLocale`, taken from the module Gradio already loaded). The browser's language picks the
# first default. Runs from the page head, before the components are drawn.
LANGUAGE_JS = """
(() => {
  const S = (window.samantha = window.samantha || {});
  const NAMES = %(names)s;
  const KEY = "%(cookie)s";
  const fromBrowser = () => ((navigator.language || "").toLowerCase().startsWith("pt") ? "%(pt)s" : "%(en)s");
  S.language = () => {
    const kept = window.localStorage.getItem(KEY);
    return kept in NAMES ? kept : fromBrowser();
  };
  S.gradioLocale = async (code) => {
    const core = performance.getEntriesByType("resource").map((entry) => entry.name)
      .find((name) => /\\/core-[^/]*\\.js$/.test(name));
    if (!core) return;
    const module = await import(core);
    if (module.changeLocale) module.changeLocale(code);
  };
  S.setLanguage = (code, remember) => {
    if (!(code in NAMES)) return;
    if (remember) window.localStorage.setItem(KEY, code);
    document.cookie = `${KEY}=${code}; path=/; SameSite=Strict; max-age=31536000`;
    if (document.documentElement.lang !== code) S.gradioLocale(code);
  };
  S.pickLanguage = (name) => {  // the switch hands its shown name
    const code = Object.keys(NAMES).find((key) => NAMES[key] === name);
    if (code) S.setLanguage(code, true);
  };
  S.setLanguage(S.language(), false);
})();
""" % {"names": json.dumps(LANGUAGE_NAMES, ensure_ascii=False), "cookie": LANGUAGE_COOKIE, "pt": PORTUGUESE,
       "en": ENGLISH}
# On page load: the switch shows the language in use.
SHOW_LANGUAGE_JS = "() => { const S = window.samantha; return %s[S.language()]; }" % json.dumps(
    LANGUAGE_NAMES, ensure_ascii=False)
PICK_LANGUAGE_JS = "(name) => { window.samantha.pickLanguage(name); return name; }"


def render_language_switch() -> gr.Radio:
    """English / Português (Brasil); `wire_language_switch` connects it once the page is built."""
    return gr.Radio(choices=list(LANGUAGE_NAMES.values()), value=LANGUAGE_NAMES[ENGLISH], show_label=False,
                    container=False, elem_id=LANGUAGE_SWITCH_ID, scale=0, min_width=300)


def _plot_titles(plot: NativePlot) -> dict[str, Any]:
    """A chart's axis and legend titles, and the colours its legend lists, in the tab's language: Gradio
    does not translate them itself."""
    titles: dict[str, Any] = {}
    for axis in ("x", "y", "color"):
        column = getattr(plot, axis, None)
        if isinstance(column, str):
            titles[f"{axis}_title"] = tr(getattr(plot, f"{axis}_title", None) or column)
    listed = getattr(plot, "colors_in_legend", None)
    if listed:
        titles["colors_in_legend"] = [tr(name) for name in listed]
    return titles


def wire_language_switch(demo: gr.Blocks, switch: gr.Radio) -> None:
    """The choice is made in the browser; then the server sends what Gradio does not redraw by itself in the
    new language: tab names (drawn once) and chart titles. Call inside `demo`'s context."""
    tabs = [block for block in demo.blocks.values() if isinstance(block, gr.Tab)]
    plots = [block for block in demo.blocks.values() if isinstance(block, NativePlot)]

    def relabel(*_shown: object) -> list[Any]:
        names = [gr.Tab(label=tab.label if isinstance(tab.label, I18nData) else t(str(tab.label))) for tab in tabs]
        return names + [gr.update(**_plot_titles(plot)) for plot in plots]

    outputs = [*tabs, *plots]
    switch.input(relabel, [switch], outputs, js=PICK_LANGUAGE_JS, api_visibility="private", queue=False)
    demo.load(None, None, [switch], js=SHOW_LANGUAGE_JS, api_visibility="private", queue=False).then(
        relabel, None, outputs, api_visibility="private", queue=False)
