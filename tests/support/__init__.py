"""Test helpers shared by unit and integration tests.

Registered for pytest's assertion rewriting before any helper is imported, so a
helper loaded both by a test module and as a `pytest_plugins` plugin gives the
same detailed assertion messages (and no "already imported" warning).
"""

import pytest

pytest.register_assert_rewrite("tests.support.fake_hub")
