"""Tabs on an app that a browser test module serves (tests/support/app_server.py), and its feature tabs.

Each test opens a fresh browser context per tab: a fresh session, like a new visitor.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ui_pages import WAIT_MS, wait_for_page

from tests.support.app_server import RunningApp


def tab_opener(browser: Any, app: RunningApp, contexts: list[Any], *, click_sounds: bool = False) -> Callable[..., Any]:
    """A function that opens the app in a new browser context (its own session) once the page has loaded.

    `models_dir` (default: the app's model folder) is what the page remembers when it opens; every tab starts
    from the same remembered settings, whatever the last test changed.
    """

    def opener(models_dir: Path | None = None) -> Any:
        app.config.update(models_dir=str((models_dir or app.models).resolve()), include_subfolders=False,
                          click_sounds=click_sounds)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url.rstrip("/"))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(app.url)
        wait_for_page(page)
        return page

    return opener


def open_feature_tab(page: Any, title: str) -> None:
    """Select a plugin's tab (they carry their title as the tab's name)."""
    page.get_by_role("tab", name=title, exact=True).click()
