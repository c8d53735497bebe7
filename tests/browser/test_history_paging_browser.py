"""The History list in headless Chromium is paged: older sessions stay reachable past the newest 50."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from feature_app import open_feature_tab
from ui_pages import wait_until

from samantha.history.db import HistoryDB, StoredItem
from samantha.ui.history_panel import LISTED, HistoryPlugin
from tests.support.app_server import RunningApp, serve_app

pytestmark = pytest.mark.browser
STORED = 2 * LISTED + 20


@pytest.fixture(scope="module")
def app(ui_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    work = tmp_path_factory.mktemp("history-paging-app")
    database = work / "history.sqlite3"
    with HistoryDB(database) as db:
        for number in range(1, STORED + 1):
            session = db.start_session(source="cli", settings={"models": ["m.gguf"]}, run_info={}, seed=number,
                                       steps=1, items=[StoredItem(1, f"question {number}", False)])
            db.finish_session(session, "done")
    with serve_app(ui_models, work, [HistoryPlugin(db_path=database)]) as running:
        yield running


def test_the_history_list_pages_through_every_session(feature_tab: Any) -> None:
    page = feature_tab()
    open_feature_tab(page, "History")
    labels = page.locator("#history-sessions label")
    note = page.locator("#history-note")

    def shown() -> list[str]:
        return [text.split(" \u00b7 ")[0] for text in labels.all_inner_texts()]

    # The list and the note below it are drawn apart on a busy page: wait for both before reading either.
    wait_until(lambda: labels.count() == LISTED, "the first page")
    wait_until(lambda: f"Sessions 1\u2013{LISTED} of {STORED}" in note.inner_text(), "the first page's note")
    assert shown()[0] == f"#{STORED}" and shown()[-1] == f"#{STORED - LISTED + 1}"
    assert f"Sessions 1\u2013{LISTED} of {STORED}" in note.inner_text()

    page.click("#history-older")
    wait_until(lambda: shown()[:1] == [f"#{STORED - LISTED}"], "the second page")
    wait_until(lambda: f"Sessions {LISTED + 1}\u2013" in note.inner_text(), "the second page's note")
    assert len(shown()) == LISTED and f"Sessions {LISTED + 1}\u2013{2 * LISTED} of {STORED}" in note.inner_text()
    page.click("#history-older")
    wait_until(lambda: shown()[:1] == ["#20"], "the last page")
    assert shown() == [f"#{n}" for n in range(20, 0, -1)]  # the oldest, #1, is reachable
    assert "\u201cquestion 1\u201d" in labels.last.inner_text()
    page.click("#history-older")  # past the end: stays on the last page
    wait_until(lambda: f"Sessions {2 * LISTED + 1}\u2013{STORED} of {STORED}" in note.inner_text(), "the end")
    page.click("#history-newer")
    wait_until(lambda: shown()[:1] == [f"#{STORED - LISTED}"], "back one page")
