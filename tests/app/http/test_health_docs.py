"""GET /health and the OpenAPI description of both endpoints."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from catalog_tools.app import create_app
from catalog_tools.config import load_settings
from tests.support import shipped_catalog


def test_health(client, catalog):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["catalog"]["products"] == len(catalog)
    assert body["auth"] == {"tool": "open (TOOL_AUTH_DISABLED=true)", "score": "open (SCORE_AUTH_DISABLED=true)"}
    assert body["trace_store"] == {"kind": "memory", "reason": "default", "storage": None}
    assert body["telemetry"] == "off" and body["version"]


def test_openapi_documents_both_endpoints_with_examples(client):
    spec = client.get("/openapi.json").json()
    tool = spec["paths"]["/tool/search_catalog"]["post"]
    score = spec["paths"]["/score"]["post"]
    assert set(tool["requestBody"]["content"]["application/json"]["examples"]) == {"wrapper", "direct"}
    assert "service" in score["requestBody"]["content"]["application/json"]["examples"]
    assert {"200", "401", "413", "415"} <= set(tool["responses"])
    assert {"200", "401", "422", "503"} <= set(score["responses"])
    assert client.get("/docs").status_code == 200


def test_unknown_route_is_json_404(client):
    response = client.get("/nope")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_json_405(client):
    response = client.get("/score")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("value,served", [("false", False), ("0", False), ("true", True), (None, True)])
def test_docs_enabled_setting_turns_docs_redoc_and_openapi_off(monkeypatch, value, served):
    monkeypatch.setenv("TOOL_AUTH_DISABLED", "true")
    monkeypatch.setenv("SCORE_AUTH_DISABLED", "true")
    if value is None:
        monkeypatch.delenv("DOCS_ENABLED", raising=False)
    else:
        monkeypatch.setenv("DOCS_ENABLED", value)
    with TestClient(create_app(load_settings(), catalog=shipped_catalog())) as c:
        for path in ("/docs", "/redoc", "/openapi.json"):
            response = c.get(path)
            assert response.status_code == (200 if served else 404), path
            if not served:
                assert response.json()["error"]["code"] == "not_found"
        assert c.post("/score", json={"sample": {"output_text": "A"}, "item": {"reference_answer": "A"}}).json() == \
            {"score": 1.0}
