"""The page's own CSS and JavaScript: dark theme by default, Enter to start, click sounds, copy and open.

Kept as constants (not mutable state) and handed to Gradio at launch.
"""

from __future__ import annotations

import gradio as gr

from samantha.ui.i18n import LANGUAGE_JS

APP_TITLE = "Samantha"
START_BUTTON_ID = "start-button"
SOUNDS_CHECKBOX_ID = "click-sounds"
# Controls whose Enter key does something of its own (dropdown choice, path submit, code editor).
ENTER_OWN_CLASS = "enter-own"
# The three prompt inputs: Enter in one of them starts the chain (type the prompt, press Enter). Anywhere
# else (a server address, a search box) Enter must not run models.
PROMPT_INPUT_IDS = ("system-prompt", "previous-response", "user-prompt")

# Below this page width the layout is the phone one.
PHONE_WIDTH = 640

CSS = """
#transcript textarea { font-family: ui-monospace, "Cascadia Code", Menlo, Consolas, monospace; font-size: 13px;
                       line-height: 1.45; }
#status-box .status { padding: .45rem .7rem; border-radius: 6px; font-size: 14px; border-left: 4px solid #6b7280;
                      background: rgba(107,114,128,.12); white-space: pre-wrap; }
#status-box .status.running { border-left-color: #f59e0b; }
#status-box .status.waiting { border-left-color: #a855f7; }
#status-box .status.done { border-left-color: #22c55e; }
#status-box .status.stopped { border-left-color: #38bdf8; }
#status-box .status.error { border-left-color: #ef4444; background: rgba(239,68,68,.12); }
#folder-note { padding: .2rem .75rem; }
#answer-view { max-height: 40rem; overflow-y: auto; }
.samantha-title h1 { margin: 0; font-size: 1.4rem; }
.small-buttons button { min-width: 0 !important; }
/* Phones: one column that opens with the chain buttons, the status and the three prompt inputs (Start in
   the first screen, next to the focused prompt), then the transcript and the rest; buttons wrap at a
   readable width instead of shrinking until their words overlap, and switches wrap instead of squeezing
   their labels to a few letters. */
@media (max-width: %(phone)spx) {
  #input-column, #output-column { display: contents; }
  .row:has(> #output-column) { flex-direction: column; flex-wrap: nowrap; }
  #output-column > .small-buttons:first-child { order: -3; }
  #output-column > #status-box { order: -2; }
  #input-column > .form:has(#user-prompt) { order: -1; }
  #transcript textarea { max-height: 45vh; }
  .small-buttons > button { flex: 1 1 100px !important; min-width: 100px !important; }
  .form { flex-wrap: wrap !important; }
  .form > .block { min-width: min(180px, 100%%) !important; }
}
/* A block label that shares its line with icon buttons (copy, download, clear) stops before them, so a
   label that wraps on a narrow screen is not written under the icons. */
.block:has(button.icon-button) label:not(.checkbox-container):not(:has(input)) { max-width: calc(100%% - 64px); }
/* The selected tab's name: orange-500 on white is 2.8:1, orange-700 is 5.2:1 (dark mode keeps its own). */
body:not(.dark) button[role=tab][aria-selected=true] { color: var(--primary-700); }
.model-card table { border-collapse: collapse; margin-bottom: .8rem; }
.model-card caption { text-align: left; font-weight: 600; padding: .3rem 0; }
.model-card th, .model-card td { text-align: left; padding: 2px 12px 2px 0; vertical-align: top; }
.model-card td { overflow-wrap: anywhere; font-family: ui-monospace, monospace; font-size: 13px; }
.model-card pre { white-space: pre-wrap; overflow-wrap: anywhere; }
""" % {"phone": PHONE_WIDTH}

HEAD = """
<script>
(() => {
  const url = new URL(window.location.href);
  if (!url.searchParams.has("__theme")) {
    url.searchParams.set("__theme", "dark");
    window.history.replaceState(null, "", url);
  }
  const S = (window.samantha = window.samantha || {});
  let audio = null;
  S.blips = 0;
  S.soundsOn = () => {
    const box = document.querySelector("#%(sounds)s input[type=checkbox]");
    return !box || box.checked;
  };
  S.blip = () => {
    if (!S.soundsOn()) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      const now = audio.currentTime;
      osc.type = "sine";
      osc.frequency.setValueAtTime(1320, now);
      gain.gain.setValueAtTime(0.06, now);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.05);
      osc.connect(gain).connect(audio.destination);
      osc.start(now);
      osc.stop(now + 0.06);
      S.blips += 1;
    } catch (err) { /* no audio device: stay silent */ }
  };
  S.copy = async (text) => {
    text = text || "";
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      const area = document.createElement("textarea");
      area.value = text;
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    S.copied = text;
  };
  S.openHtml = (page) => {
    if (!page) return;
    const link = URL.createObjectURL(new Blob([page], { type: "text/html" }));
    window.open(link, "_blank");
    setTimeout(() => URL.revokeObjectURL(link), 60000);
  };
  document.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("button")) S.blip();
  }, true);
  const newLine = (area) => {
    // Gradio submits multi-line boxes on Shift+Enter; here it is a new line, as in the original.
    if (!document.execCommand("insertText", false, "\\n")) {
      area.setRangeText("\\n", area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
  };
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
    const target = event.target;
    if (target instanceof Element) {
      if (target.closest(".%(own)s, .cm-editor, button, a, select, [role=listbox], [role=option]")) return;
    }
    if (event.shiftKey) {
      if (target instanceof HTMLTextAreaElement) {
        event.preventDefault();
        event.stopPropagation();
        newLine(target);
      }
      return;
    }
    if (!(target instanceof Element) || !target.closest("%(prompts)s")) return;
    const start = document.getElementById("%(start)s");
    if (!start) return;
    event.preventDefault();
    event.stopPropagation();
    start.click();
  }, true);
})();
</script>
""" % {"sounds": SOUNDS_CHECKBOX_ID, "own": ENTER_OWN_CLASS, "start": START_BUTTON_ID,
       "prompts": ", ".join(f"#{elem_id}" for elem_id in PROMPT_INPUT_IDS)} + f"<script>{LANGUAGE_JS}</script>\n"

# Runs once the page is mounted: Gradio has already picked its theme by then, so switch to dark here
# unless the address asks for `?__theme=light`.
ON_LOAD_JS = """
() => {
  const asked = new URL(window.location.href).searchParams.get("__theme");
  if (asked !== "light") document.body.classList.add("dark");
}
"""
COPY_JS = "(text) => { window.samantha.copy(text); }"
OPEN_HTML_JS = "(page) => { window.samantha.openHtml(page); }"


def theme() -> gr.themes.Base:
    """A calm dark-friendly theme; the page opens in dark mode unless `?__theme=light` is asked for."""
    return gr.themes.Soft(primary_hue="orange", secondary_hue="slate", neutral_hue="slate").set(
        block_title_background_fill="none",
        block_title_background_fill_dark="none",
        block_title_text_color="*neutral_700",
        block_title_text_color_dark="*neutral_200",
        block_title_padding="0",
        block_label_background_fill="*neutral_100",
        block_label_background_fill_dark="*neutral_700",
        block_label_text_color="*neutral_700",
        block_label_text_color_dark="*neutral_200",
        # White on Soft's orange-500 is 3.6:1; orange-700 keeps primary buttons' text at 4.5:1 or more.
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_dark="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_hover_dark="*primary_800",
        button_primary_text_color="white",
        button_primary_text_color_dark="white",
    )
