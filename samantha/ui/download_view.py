"""How downloads read on the page: the progress line and bar, repo listings as choices, links into the field.

Pure functions over hub and event data (no Gradio), so every wording is tested
without a browser.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

from samantha.events import Downloading
from samantha.hub import DEFAULT_FIRST_RUN_LINKS, RepoFile
from samantha.hub.errors import human_size
from samantha.model_folders import ModelFolderError, list_models
from samantha.ui.inputs import active_links


def duration_text(seconds: float | None) -> str:
    """`45 s`, `3 min 20 s`, `2 h 5 min`; empty when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def progress_fraction(event: Downloading) -> float | None:
    """How much of the file is on disk (0..1), or None when the hub did not say how big it is."""
    if not event.total:
        return None
    return max(0.0, min(1.0, event.done / event.total))


def progress_text(event: Downloading) -> str:
    """One line for the status and the bar: file, bytes, share, rate and time left."""
    fraction = progress_fraction(event)
    if event.total:
        amount = f"{human_size(event.done)} of {human_size(event.total)} ({100 * (fraction or 0):.0f}%)"
    else:
        amount = f"{human_size(event.done)} so far"
    if event.total and event.done >= event.total:
        return f"Downloaded {event.filename}: {human_size(event.total)}"
    parts = [f"Downloading {event.filename}: {amount}"]
    if event.rate > 0:
        parts.append(f"{human_size(event.rate)}/s")
    else:
        parts.append("waiting for data")
    left = duration_text(event.seconds_left)
    if left:
        parts.append(f"{left} left")
    return ", ".join(parts)


def progress_html(event: Downloading | None) -> str:
    """A progress bar with its line of text; empty when nothing is downloading."""
    if event is None:
        return ""
    fraction = progress_fraction(event)
    bar = (
        f'<progress max="1000" value="{round(1000 * fraction)}"></progress>'
        if fraction is not None
        else "<progress></progress>"  # no size known: an indeterminate bar
    )
    return (
        f'<div class="download-progress" data-done="{event.done}" data-total="{event.total or ""}">'
        f"{bar}<span>{html.escape(progress_text(event))}</span></div>"
    )


def file_choices(files: Sequence[RepoFile]) -> list[tuple[str, str]]:
    """(label, link) pairs for a picker: quant, path, size and parts, each choice's value its download link."""
    return [(file.label, file.link) for file in files]


def listing_note(repo_link: str, files: Sequence[RepoFile]) -> str:
    """What the listing found, in one Markdown line."""
    if not files:
        return f"No .gguf files in `{repo_link.strip()}`. Check the link, or look for a repo whose name ends in -GGUF."
    total = sum(file.size for file in files)
    return (
        f"{len(files)} GGUF model(s) in `{files[0].repo}` ({human_size(total)} in all). "
        "Tick the ones you want, then press 'Put the selected links in the link field'."
    )


def merge_links(current: str, links: Sequence[str]) -> str:
    """The link field with `links` appended in order; links already active in the field are not repeated."""
    lines = [line for line in (current or "").splitlines() if line.strip()]
    present = set(active_links("\n".join(lines)).splitlines())
    for link in links:
        link = link.strip()
        if link and link not in present:
            lines.append(link)
            present.add(link)
    return "\n".join(lines)


def suggested_next_links() -> str:
    """The first-run links switched off (`---`), under a line that says how to switch one on.

    With the bundled starter model, Start answers at once without a download; a bigger model stays
    the suggested next step, one edit away.
    """
    lines = ["--- Next step: a bigger, more capable model. Remove the leading --- of a link and press Start "
             "to download it (the bundled starter model answers until then)."]
    for line in DEFAULT_FIRST_RUN_LINKS.splitlines():
        lines.append(line if line.startswith("---") else f"--- {line}")
    return "\n".join(lines) + "\n"


def first_run_links(folder: str | Path, include_subfolders: bool = False, starter: bool = False) -> str:
    """The suggested links when the model folder has no model yet, so a new user can just type and press Enter
    (switched off when the starter model is there to answer without a download)."""
    try:
        if list_models(folder, include_subfolders).models:
            return ""
    except ModelFolderError:
        pass  # a missing folder has no models either; the download creates it
    return suggested_next_links() if starter else DEFAULT_FIRST_RUN_LINKS
