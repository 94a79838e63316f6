"""GET /health and the OpenAPI description of both endpoints."""

from __future__ import annotations


def test_health(client, catalog):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["catalog"]["products"] == len(catalog)
    assert body["auth"] == {"tool": False, "score": False} and body["version"]


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
