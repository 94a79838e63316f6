"""POST /tool/search_catalog through FastAPI's test client: both request forms and every model mistake."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from catalog_tools.tools import SearchArguments, tool_definition, tool_parameters

URL = "/tool/search_catalog"


def wrapper(arguments, **extra):
    body = {"type": "function_call", "id": "fc_123", "call_id": "call_123", "name": "search_catalog",
            "arguments": arguments, "trace_id": "trace_abc", "item": {}}
    body.update(extra)
    return body


def output_of(response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"type", "call_id", "id", "output"} and body["type"] == "function_call_output"
    assert isinstance(body["output"], str)
    return json.loads(body["output"])


def test_wrapper_with_string_arguments_echoes_ids(client):
    response = client.post(URL, json=wrapper(json.dumps({"query": "Urban Puffer", "top_k": 3})))
    body = response.json()
    assert (body["call_id"], body["id"]) == ("call_123", "fc_123")
    out = output_of(response)
    assert out["items"][0]["sku"] == "JKT-URB-009" and out["total"] >= 1 and out["returned"] <= 3


def test_wrapper_with_object_arguments(client):
    out = output_of(client.post(URL, json=wrapper({"query": "Alpine Light Jacket", "top_k": 1})))
    assert [i["sku"] for i in out["items"]] == ["JKT-ALP-001"]


def test_wrapper_extra_fields_are_allowed(client):
    out = output_of(client.post(URL, json=wrapper('{"query":"puffer"}', status="completed", extra={"x": 1})))
    assert out["total"] >= 1


def test_direct_form_makes_well_formed_ids(client):
    response = client.post(URL, json={"query": "Urban Puffer", "top_k": 1})
    body = response.json()
    assert re.fullmatch(r"call_[0-9a-f]{32}", body["call_id"]) and re.fullmatch(r"fc_[0-9a-f]{32}", body["id"])
    out = output_of(response)
    assert [i["sku"] for i in out["items"]] == ["JKT-URB-009"]
    item = out["items"][0]
    assert {"sku", "name", "category", "price", "currency", "rating", "in_stock", "attributes",
            "description"} <= set(item)


def test_filters_and_sort_are_applied_and_reported(client):
    args = {"query": "jacket", "category": "jackets", "max_price": 200, "min_warmth": "warm", "sort": "price_asc",
            "top_k": 2}
    out = output_of(client.post(URL, json=wrapper(json.dumps(args))))
    assert out["filters"] == {"category": "jackets", "max_price": 200, "min_warmth": "warm"}
    assert out["sort"] == "price_asc" and out["items"][0]["sku"] == "JKT-URB-009"


def test_empty_result_is_a_normal_answer(client):
    out = output_of(client.post(URL, json=wrapper('{"query":"puffer","max_price":1}')))
    assert out["items"] == [] and out["total"] == 0 and "error" not in out


@pytest.mark.parametrize("arguments,field", [
    ('{"query": "x", "top_k": 50}', "top_k"),
    ('{"query": "x", "top_k": 0}', "top_k"),
    ('{"query": "x", "top_k": "many"}', "top_k"),
    ('{"query": "x", "max_price": "cheap"}', "max_price"),
    ('{"query": "x", "colour": "red"}', "colour"),
    ('{"query": "x", "sort": "newest"}', "sort"),
    ('{"query": "x", "min_warmth": "toasty"}', "min_warmth"),
    ('{"top_k": 3}', "query"),
    ('{"query": "x", "min_price": 50, "max_price": 10}', "arguments"),
    ('{"query": "x", "category": "spaceships"}', "category"),
    ('{"query": "x", "color": "ultraviolet"}', "color"),
    ('{"query": "x", "size": "XXXXL"}', "size"),
])
def test_bad_arguments_get_a_readable_output_not_an_error_status(client, arguments, field):
    out = output_of(client.post(URL, json=wrapper(arguments)))
    assert out["error"] == "invalid_arguments"
    assert field in [p["field"] for p in out["problems"]]
    assert "hint" in out


def test_unknown_filter_value_lists_the_valid_ones(client, catalog):
    out = output_of(client.post(URL, json=wrapper('{"query": "x", "category": "spaceships"}')))
    assert out["problems"][0]["valid"] == list(catalog.categories)


@pytest.mark.parametrize("arguments", ['{"query": "x"', "not json", "[1, 2]", '"just a string"', "42"])
def test_arguments_that_are_not_a_json_object(client, arguments):
    out = output_of(client.post(URL, json=wrapper(arguments)))
    assert out["error"] == "invalid_arguments" and "message" in out


def test_unknown_tool_name(client):
    out = output_of(client.post(URL, json=wrapper('{"query":"x"}', name="delete_catalog")))
    assert out["error"] == "unknown_tool" and "search_catalog" in out["message"]


def test_output_respects_the_character_budget():
    from fastapi.testclient import TestClient

    from tests.support import make_app

    with TestClient(make_app(tool_output_char_budget=2_000)) as small:
        response = small.post(URL, json=wrapper('{"query": "", "top_k": 20}'))
        out = output_of(response)
        assert len(response.json()["output"]) <= 2_000
        assert out["truncated"] is True and "note" in out and out["returned"] < 20 <= out["total"]


def test_calls_are_recorded_once_per_call_id(client):
    store = client.app.state.store
    body = wrapper('{"query":"puffer"}', trace_id="trace_rec", call_id="call_a")
    client.post(URL, json=body)
    client.post(URL, json=body)  # a retry of the same call
    client.post(URL, json={**body, "call_id": "call_b", "arguments": '{"top_k": 99}'})
    calls = asyncio.run(store.calls("trace_rec"))
    assert [(c.call_id, c.ok) for c in calls] == [("call_a", True), ("call_b", False)]
    assert calls[0].name == "search_catalog" and calls[0].arguments == '{"query":"puffer"}'


def test_direct_form_is_not_recorded(client):
    client.post(URL, json={"query": "puffer"})
    assert len(client.app.state.store) == 0


@pytest.mark.parametrize("body,status,code", [
    (b"{not json", 400, "invalid_json"),
    (b"", 400, "empty_body"),
    (b"[1,2]", 400, "invalid_body"),
])
def test_malformed_requests_get_4xx_json(client, body, status, code):
    response = client.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status and response.json()["error"]["code"] == code


def test_wrong_content_type_is_415(client):
    response = client.post(URL, content=b"query=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415 and "application/json" in response.json()["error"]["message"]


def test_invalid_wrapper_field_types_are_422(client):
    response = client.post(URL, json=wrapper('{"query":"x"}', call_id=["not", "a", "string"]))
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "call_id"


def test_body_over_1mb_is_413(client):
    response = client.post(URL, content=b"{" + b" " * 1_100_000 + b"}", headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


def test_schema_is_generated_from_the_argument_model():
    params = tool_parameters()
    assert set(params["properties"]) == set(SearchArguments.model_fields)
    assert params["required"] == ["query"] and params["additionalProperties"] is False
    assert params["properties"]["top_k"]["maximum"] == 20
    assert tool_definition()["function"]["parameters"] == params
    assert "title" not in json.dumps(params)


def test_search_past_its_time_budget_answers_the_model(client, catalog):
    from catalog_tools.tools import run_search

    output, ok = run_search({"query": "jacket", "top_k": 5}, catalog, 16_000, time_budget=0.0)
    out = json.loads(output)
    assert not ok and out["error"] == "search_timeout" and "hint" in out
    # the connection is answered, and the next search is unaffected
    assert catalog.search("Urban Puffer", top_k=1, time_budget=5.0).items[0].sku == "JKT-URB-009"


def test_time_budget_setting_reaches_the_tool():
    from fastapi.testclient import TestClient

    from tests.support import make_app

    with TestClient(make_app(tool_time_budget_seconds=1e-9)) as c:
        out = output_of(c.post(URL, json={"query": "warm jacket", "top_k": 5}))
        assert out["error"] == "search_timeout"
