"""A page loaded under a foreign host name that resolves to this computer (DNS rebinding) gets nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from ui_pages import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser


def test_the_app_under_a_rebinding_name_is_refused_in_chromium(browser, running_app) -> None:  # type: ignore[no-untyped-def]
    port = urlsplit(running_app.url).port
    # A second Chromium from the session's Playwright, with one more flag.
    # evil.example is made to resolve to 127.0.0.1, as a rebinding DNS server would do.
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP evil.example 127.0.0.1"],
    )
    try:
        page = chromium.new_page()
        response = page.goto(f"http://evil.example:{port}/")
        assert response is not None and response.status == 403
        body = page.locator("body").inner_text()
        assert "DNS rebinding" in body and "http://127.0.0.1" in body
        assert page.locator("#start-button").count() == 0  # no app was served
        # Script on that page cannot reach the app's API either.
        status = page.evaluate(
            "async () => (await fetch('/gradio_api/call/run_code', {method: 'POST', "
            "headers: {'Content-Type': 'application/json'}, body: '{\"data\": []}'})).status"
        )
        assert status == 403
        own = chromium.new_page()  # the same browser still uses Samantha under its own address
        own.goto(running_app.url)
        own.wait_for_selector("#start-button")
    finally:
        chromium.close()
