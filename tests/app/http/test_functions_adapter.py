"""The Azure Functions wiring, through the real azure.functions adapter (no Core Tools needed)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import azure.functions as func
import pytest
from fastapi.testclient import TestClient

from tests.support import REPO_ROOT, import_function_app

FUNCTION_APP = REPO_ROOT / "function_app"


@pytest.fixture(scope="module")
def function_module():
    # The module-level app reads its settings from the environment, as the Functions host provides them.
    patch = pytest.MonkeyPatch()
    patch.setenv("TOOL_AUTH_DISABLED", "true")
    patch.setenv("SCORE_AUTH_DISABLED", "true")
    module = import_function_app()
    yield module
    patch.undo()


@pytest.fixture(scope="module")
def http_function(function_module):
    functions = function_module.app.get_functions()
    assert len(functions) == 1
    return functions[0]


def test_one_anonymous_http_function_for_every_route(http_function):
    trigger = http_function.get_trigger()
    assert trigger.route == "/{*route}"
    assert str(trigger.auth_level) in ("AuthLevel.ANONYMOUS", "anonymous") or trigger.auth_level.value == "anonymous"
    binding = json.loads(http_function.get_function_json())["bindings"][0]
    assert binding["authLevel"].lower() == "anonymous" and binding["route"] == "/{*route}"


def run_through_adapter(http_function, method: str, path: str, body: dict | None = None,
                        params: dict | None = None) -> func.HttpResponse:
    query = ("?" + urlencode(params)) if params else ""
    request = func.HttpRequest(method, f"http://localhost:7072{path}{query}",
                               headers={"Content-Type": "application/json"}, params=params or {},
                               body=json.dumps(body).encode() if body is not None else b"")
    return asyncio.run(http_function.get_user_function()(request, None))


CASES = [
    ("POST", "/tool/search_catalog", {"type": "function_call", "id": "fc_1", "call_id": "call_1",
                                      "name": "search_catalog", "arguments": '{"query":"Urban Puffer","top_k":1}',
                                      "trace_id": "trace_adapter", "item": {}}, None),
    ("POST", "/tool/search_catalog", {"type": "function_call", "call_id": "call_2", "arguments": '{"top_k": 0}'},
     None),
    ("POST", "/score", {"sample": {"output_text": "JKT-URB-009"}, "item": {"reference_answer": "JKT-URB-009"},
                        "trace_id": "trace_test"}, None),
    ("POST", "/score", {"sample": {"output_text": "JKT-URB-009"}, "item": {"reference_answer": "JKT-URB-009"},
                        "trace_id": "trace_adapter"}, {"explain": "true"}),
    ("POST", "/score", {"sample": {}, "item": {}}, None),
    ("GET", "/health", None, None),
    ("GET", "/api/score", None, None),
    ("POST", "/tool/get_product", {"type": "function_call", "id": "fc_3", "call_id": "call_3", "name": "get_product",
                                   "arguments": '{"sku":"JKT-URB-009"}', "trace_id": "trace_adapter"}, None),
    ("POST", "/tool/get_product", {"type": "function_call", "id": "fc_4", "call_id": "call_4",
                                   "arguments": '{"sku":"JKT-URB-010"}'}, None),
    ("POST", "/tools", {"type": "function_call", "id": "fc_5", "call_id": "call_5", "name": "search_catalog",
                        "arguments": '{"query":"Urban Puffer","top_k":1}', "trace_id": "trace_adapter"}, None),
    ("POST", "/tools", {"type": "function_call", "id": "fc_6", "call_id": "call_6", "name": "get_product",
                        "arguments": '{"sku":"JKT-URB-009"}'}, None),
    ("POST", "/tools", {"type": "function_call", "id": "fc_7", "call_id": "call_7", "name": "lookup_order",
                        "arguments": "{}"}, None),
]


@pytest.mark.parametrize("method,path,body,params", CASES)
def test_adapter_matches_direct_asgi(function_module, http_function, method, path, body, params):
    via_functions = run_through_adapter(http_function, method, path, body, params)
    with TestClient(function_module.fastapi_app) as direct:
        via_asgi = direct.request(method, path, json=body, params=params)
    assert via_functions.status_code == via_asgi.status_code
    functions_body, asgi_body = json.loads(via_functions.get_body()), via_asgi.json()
    if body and path == "/tool/search_catalog" and "id" not in body:
        # The app makes a fresh `id` when the caller sent none; everything else must be identical.
        assert functions_body.pop("id").startswith("fc_") and asgi_body.pop("id").startswith("fc_")
    assert functions_body == asgi_body


def test_seed_score_request_through_adapter(http_function):
    response = run_through_adapter(http_function, "POST", "/score", {"sample": {"output_text": "JKT-URB-009"},
                                   "item": {"reference_answer": "JKT-URB-009"}, "trace_id": "trace_test"})
    assert response.status_code == 200 and json.loads(response.get_body()) == {"score": 1.0}


def test_host_json_keeps_route_prefix_empty():
    host = json.loads((FUNCTION_APP / "host.json").read_text())
    assert host["version"] == "2.0" and host["extensions"]["http"]["routePrefix"] == ""


def test_requirements_are_runtime_only_and_cover_python_310_to_313():
    from packaging.requirements import Requirement

    reqs = [Requirement(line) for line in (FUNCTION_APP / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    names = {r.name.lower() for r in reqs}
    assert "azure-functions-worker" not in names and not names & {"pytest", "ruff", "openai", "uvicorn"}
    for version in ("3.10", "3.11", "3.12", "3.13"):
        chosen = [r for r in reqs if r.name == "azure-functions" and r.marker.evaluate({"python_version": version})]
        assert len(chosen) == 1
        assert ("2.0" in chosen[0].specifier) == (version == "3.13")


def test_local_settings_example_runs_with_auth_off_and_real_one_is_ignored():
    example = json.loads((FUNCTION_APP / "local.settings.example.json").read_text())
    values = example["Values"]
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert values["TOOL_AUTH_DISABLED"] == values["SCORE_AUTH_DISABLED"] == "true"
    gitignore = (FUNCTION_APP.parent / ".gitignore").read_text().splitlines()
    assert "function_app/local.settings.json" in gitignore and ".env" in gitignore
    funcignore = (FUNCTION_APP / ".funcignore").read_text().splitlines()
    assert "local.settings.json" in funcignore and ".venv" in funcignore


def test_function_app_is_self_contained():
    """The deployed folder never imports the client toolkit."""
    for path in FUNCTION_APP.rglob("*.py"):
        text = path.read_text()
        assert "import rftkit" not in text and "from rftkit" not in text, path
