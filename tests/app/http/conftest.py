"""Fixtures shared by the HTTP tests."""

import pytest

from tests.support import import_function_app


@pytest.fixture(scope="module")
def http_function():
    """The app's one HTTP function as the Functions host sees it (`app.get_functions()`), with auth off."""
    patch = pytest.MonkeyPatch()
    patch.setenv("TOOL_AUTH_DISABLED", "true")
    patch.setenv("SCORE_AUTH_DISABLED", "true")
    try:
        return import_function_app().app.get_functions()[0]  # the module keeps the function app alive
    finally:
        patch.undo()
