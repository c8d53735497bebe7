"""The "How it works" panel: the chain formula and the prompt-list syntax, in a few lines."""

from __future__ import annotations

import gradio as gr

HELP_MARKDOWN = r"""
### The chain

    ( [model list] -> respond -> ( [prompt list] x number of responses ) ) x number of loops

Each model in the list (in order, repeats allowed) answers every item of the prompt list,
*number of responses* times; the whole block repeats *number of loops* times.
With **Feedback loop** on, each answer becomes the *previous response* of the next step,
so models can talk to themselves or to each other. **Cumulative response** keeps adding
answers instead (they must fit `n_ctx`). **Single response per model** makes model *i*
answer item *i* only.

An answer that is exactly `STOP_SAMANTHA` ends the chain. **Stop / next** ends the current
answer and goes on; **Stop all** ends the chain.

### The three inputs

* **System prompt**: parts separated by `$$$`; a part starting with `---` is ignored
  (a field starting with `---` is ignored whole). Samantha-1 sections: start a part with
  `situation:`, `information:` or `thought:`.
* **Previous response**: what the model sees as its own last answer. Same `$$$` / `---` rules.
* **User prompt** (the prompt list):
  * one item per line, or items separated by `$$$` when the text contains `$$$`;
  * `--- item` is skipped;
  * `[text]` standing alone is added to the start of every item (a simulated system prompt);
  * `[[text]]` becomes the last item, followed by all answers of the session so far;
  * `{temperature=0.7, max_tokens=200}` at the start of an item applies to that item only
    (also `top_k`, `top_p`, `min_p`, `typical_p`, `tfs_z`, penalties, `seed`, `n_ctx`, `stop`, `reset_model`);
  * an empty list asks one item: `Hello!`.

Example:

    [You are a poet that writes only in Portuguese]
    Create a sentence about love
    Create a sentence about life
    --- Create a sentence about time
    [[Create a paragraph in English that summarizes the ideas contained in the following sentences:]]

### Keys and sampling

**Enter** in one of the three prompt inputs starts the chain; **Shift+Enter** is a new line. The defaults are
deterministic (`temperature 0`, `top_k 40`, `min_p 1`): the same input gives the same answer.
Leave **Seed** empty for a random session seed; the status line shows the seed used, so any
run can be repeated. `n_ctx 0` uses the model's own context length; `max_tokens 0` generates
as much as fits.
"""


def render_help() -> gr.Markdown:
    # No LaTeX: Gradio reads `$$` as a formula delimiter, and the `$$$` separator would swallow the list.
    return gr.Markdown(HELP_MARKDOWN, elem_id="help-text", latex_delimiters=[])
