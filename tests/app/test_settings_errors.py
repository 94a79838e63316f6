"""A mistyped setting stops the app with one readable line naming the environment variable, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from catalog_tools.app import create_app
from catalog_tools.config import SettingsError
from tests.support import REPO_ROOT as REPO
from tests.support import shipped_catalog


@pytest.mark.parametrize("name,value,expected", [
    ("TOOL_AUTH_DISABLED", "ture", "TOOL_AUTH_DISABLED='ture' is not valid: expected true or false"),
    ("DOCS_ENABLED", "nope", "DOCS_ENABLED='nope' is not valid: expected true or false"),
    ("TRACE_STORE", "tabel", "TRACE_STORE='tabel' is not valid: expected 'memory' or 'table'"),
    ("TOOL_OUTPUT_CHAR_BUDGET", "10", "TOOL_OUTPUT_CHAR_BUDGET='10' is not valid: expected a value greater than or "
                                      "equal to 1000"),
    ("TRACE_MAX_TRACES", "many", "TRACE_MAX_TRACES='many' is not valid: expected a whole number"),
])
def test_create_app_raises_one_line_naming_the_environment_variable(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        create_app(catalog=shipped_catalog())
    message = str(caught.value)
    assert expected in message and "\n" not in message
    assert name.lower() not in message.replace(name, "")  # the env var as users write it, not the field name
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_several_mistakes_are_named_together(monkeypatch):
    monkeypatch.setenv("TOOL_AUTH_DISABLED", "ture")
    monkeypatch.setenv("SCORE_AUTH_DISABLED", "flase")
    with pytest.raises(SettingsError, match="TOOL_AUTH_DISABLED='ture'.*; SCORE_AUTH_DISABLED='flase'"):
        create_app(catalog=shipped_catalog())


def test_malformed_app_insights_authentication_string_fails_at_start_up(monkeypatch):
    monkeypatch.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", "InstrumentationKey=x")
    monkeypatch.setenv("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "Authorization=Bearer")
    with pytest.raises(SettingsError, match="APPLICATIONINSIGHTS_AUTHENTICATION_STRING='Authorization=Bearer' is "
                                            "not valid: expected Authorization=AAD;ClientId="):
        create_app(catalog=shipped_catalog())


def test_importing_function_app_with_a_typo_ends_with_one_readable_line():
    env = {**os.environ, "TOOL_AUTH_DISABLED": "ture", "SCORE_AUTH_DISABLED": "true"}
    result = subprocess.run([sys.executable, "-c", "import function_app"], cwd=REPO / "function_app", env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last == ("catalog_tools.config.SettingsError: invalid setting: TOOL_AUTH_DISABLED='ture' is not valid: "
                    "expected true or false (also 1/0, yes/no, on/off)")
    assert "pydantic" not in result.stderr  # raised `from None`: no chained validation traceback
