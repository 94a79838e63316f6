"""Key auth per endpoint: switches, the three header forms, wrong keys, fail-closed, and no secret in logs."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from tests.support import make_app

TOOL_KEY, SCORE_KEY = "tool-secret-123", "score-secret-456"
TOOL_BODY = {"query": "puffer", "top_k": 1}
SCORE_BODY = {"sample": {"output_text": "JKT-URB-009"}, "item": {"reference_answer": "JKT-URB-009"}}


@pytest.fixture()
def secured():
    app = make_app(tool_auth_disabled=False, score_auth_disabled=False, tool_api_key=TOOL_KEY,
                   score_api_key=SCORE_KEY)
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize("headers", [{"X-Functions-Key": TOOL_KEY}, {"api-key": TOOL_KEY},
                                     {"Authorization": f"Bearer {TOOL_KEY}"}, {"authorization": f"bearer {TOOL_KEY}"}])
def test_each_header_form_is_accepted(secured, headers):
    assert secured.post("/tool/search_catalog", json=TOOL_BODY, headers=headers).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"X-Functions-Key": "wrong"}, {"X-Functions-Key": SCORE_KEY},
                                     {"Authorization": TOOL_KEY}, {"Authorization": "Basic " + TOOL_KEY},
                                     {"api-key": TOOL_KEY[:-1]}])
def test_missing_or_wrong_key_is_401_json(secured, headers):
    response = secured.post("/tool/search_catalog", json=TOOL_BODY, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert TOOL_KEY not in response.text


def test_keys_are_per_endpoint(secured):
    assert secured.post("/score", json=SCORE_BODY, headers={"api-key": SCORE_KEY}).status_code == 200
    assert secured.post("/score", json=SCORE_BODY, headers={"api-key": TOOL_KEY}).status_code == 401


def test_switches_disable_auth_per_endpoint():
    app = make_app(tool_auth_disabled=False, score_auth_disabled=True, tool_api_key=TOOL_KEY)
    with TestClient(app) as c:
        assert c.post("/score", json=SCORE_BODY).status_code == 200
        assert c.post("/tool/search_catalog", json=TOOL_BODY).status_code == 401


def test_auth_is_on_by_default_and_fails_closed_without_keys(monkeypatch, caplog):
    from catalog_tools.app import create_app
    from catalog_tools.config import Settings
    from tests.support import shipped_catalog

    for name in ("TOOL_AUTH_DISABLED", "SCORE_AUTH_DISABLED", "TOOL_API_KEY", "SCORE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with caplog.at_level(logging.WARNING, logger="catalog_tools"):
        app = create_app(Settings(), catalog=shipped_catalog())
    closed = {r.getMessage() for r in caplog.records if r.levelno == logging.WARNING}
    assert closed == {
        "auth /tool/<name>, /tools: closed: no key configured — set TOOL_API_KEY or TOOL_AUTH_DISABLED=true",
        "auth /score: closed: no key configured — set SCORE_API_KEY or SCORE_AUTH_DISABLED=true"}
    with TestClient(app) as c:
        assert c.get("/health").json()["auth"] == {
            "tool": "closed: no key configured — set TOOL_API_KEY or TOOL_AUTH_DISABLED=true",
            "score": "closed: no key configured — set SCORE_API_KEY or SCORE_AUTH_DISABLED=true"}
        for path, body in (("/tool/search_catalog", TOOL_BODY), ("/score", SCORE_BODY)):
            response = c.post(path, json=body, headers={"X-Functions-Key": ""})
            assert response.status_code == 401 and "not configured" in response.json()["error"]["message"]


def test_switches_read_from_environment(monkeypatch):
    from catalog_tools.config import Settings

    monkeypatch.setenv("TOOL_AUTH_DISABLED", "true")
    monkeypatch.setenv("SCORE_AUTH_DISABLED", "1")
    monkeypatch.setenv("TOOL_API_KEY", TOOL_KEY)
    s = Settings()
    assert s.tool_auth_disabled and s.score_auth_disabled
    assert s.tool_api_key.get_secret_value() == TOOL_KEY and TOOL_KEY not in repr(s)


def test_health_needs_no_key(secured):
    assert secured.get("/health").status_code == 200


def test_auth_status_logged_once_per_endpoint_and_shown_by_health_without_the_key(caplog):
    with caplog.at_level(logging.INFO, logger="catalog_tools"):
        app = make_app(tool_auth_disabled=False, tool_api_key=TOOL_KEY, score_auth_disabled=True)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("auth ")]
    assert lines == ["auth /tool/<name>, /tools: key required", "auth /score: open (SCORE_AUTH_DISABLED=true)"]
    with TestClient(app) as c:
        response = c.get("/health")
    assert response.json()["auth"] == {"tool": "key required", "score": "open (SCORE_AUTH_DISABLED=true)"}
    assert TOOL_KEY not in response.text and TOOL_KEY not in caplog.text


def test_secrets_never_logged(secured, caplog):
    with caplog.at_level(logging.DEBUG):
        secured.post("/tool/search_catalog", json=TOOL_BODY, headers={"X-Functions-Key": TOOL_KEY})
        secured.post("/tool/search_catalog", json=TOOL_BODY, headers={"X-Functions-Key": "guess"})
        secured.post("/score", json=SCORE_BODY, headers={"Authorization": f"Bearer {SCORE_KEY}"})
    assert caplog.records, "expected request log lines"
    for secret in (TOOL_KEY, SCORE_KEY, "guess"):
        assert secret not in caplog.text
