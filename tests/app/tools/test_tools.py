"""The tool registry: both tools listed with their schemas, a tool registered in a test served on every route
(`/tool/<name>`, `/tools`, the fast path, the Functions adapter), `get_product`'s answers and error outputs, `/tools`
dispatch, and the grader counting the calls of every tool of a rollout."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field

from catalog_tools.app import create_app
from catalog_tools.http import fast_path
from catalog_tools.http.functions import function_app
from catalog_tools.tools import (
    GET_PRODUCT,
    SEARCH_CATALOG,
    TOOLS,
    Tool,
    ToolContext,
    tool_definition,
    tool_definitions,
    tool_parameters,
)
from catalog_tools.tools.base import compact
from catalog_tools.tools.get_product import STOCK_NOTE
from tests.support import _FUNCTION_APPS, open_settings, shipped_catalog

ROW = {"reference_answer": "JKT-URB-009", "tools": [{"type": "function", "function": {"name": SEARCH_CATALOG}},
                                                      {"type": "function", "function": {"name": GET_PRODUCT}}]}


def _call(name: str | None, arguments: dict[str, Any] | str, call_id: str = "call_1",
          trace_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "function_call", "id": "fc_" + call_id, "call_id": call_id,
                            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)}
    if name is not None:
        body["name"] = name
    if trace_id is not None:
        body["trace_id"] = trace_id
    return body


def _output(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "function_call_output"
    return json.loads(body["output"])


# -- a third tool, registered only here ---------------------------------------------------------------------------

class CountArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(max_length=64, description="A catalog category, e.g. 'tents'.")


def _count(args: CountArguments, context: ToolContext) -> tuple[str, bool]:
    total = sum(1 for p in context.catalog.products if p.category == args.category)
    return compact({"category": args.category, "products": total}), True


COUNT = Tool("count_products", "Count the products of one category.", CountArguments, _count,
             example={"category": "tents"})


@pytest.fixture(scope="module")
def toy_app():
    return create_app(open_settings(), catalog=shipped_catalog(), tools=TOOLS.with_tools(COUNT))


# -- the registry -------------------------------------------------------------------------------------------------

def test_both_tools_are_registered_with_their_schemas():
    assert TOOLS.names == [SEARCH_CATALOG, GET_PRODUCT] == [d["function"]["name"] for d in tool_definitions()]
    search = tool_definition(SEARCH_CATALOG)["function"]
    assert tool_definition() == tool_definition(SEARCH_CATALOG) and search["parameters"] == tool_parameters()
    assert search["parameters"]["required"] == ["query"] and "top_k" in search["parameters"]["properties"]
    product = tool_definition(GET_PRODUCT)
    assert product["type"] == "function" and "SKU" in product["function"]["description"]
    assert product["function"]["parameters"] == {
        "type": "object", "additionalProperties": False, "required": ["sku"],
        "properties": {"sku": {"type": "string", "minLength": 1, "maxLength": 64,
                               "description": "The product's SKU, e.g. 'JKT-URB-009'."}}}
    with pytest.raises(KeyError, match="search_catalog, get_product"):
        tool_definition("lookup_order")


def test_a_name_is_registered_once_and_must_be_a_function_name():
    with pytest.raises(ValueError, match="already registered"):
        TOOLS.with_tools(Tool(GET_PRODUCT, "again", CountArguments, _count))
    with pytest.raises(ValueError, match="letters, digits"):
        TOOLS.with_tools(Tool("count products", "bad name", CountArguments, _count))
    assert "count_products" not in TOOLS  # with_tools copies: the app's registry is unchanged


def test_a_registered_tool_is_served_on_every_route_and_counted(toy_app):
    with TestClient(toy_app) as client:
        direct = _output(client.post("/tool/count_products", json={"category": "tents"}))
        wrapped = _output(client.post("/tool/count_products", json=_call("count_products", {"category": "tents"},
                                                                           trace_id="trace_toy")))
        shared = _output(client.post("/tools", json=_call("count_products", {"category": "tents"}, "call_2",
                                                            trace_id="trace_toy")))
        mistake = _output(client.post("/tools", json=_call("count_products", {"category": 5}, "call_3",
                                                             trace_id="trace_toy")))
        listed = _output(client.post("/tools", json=_call("nope", {})))
        spec = client.get("/openapi.json").json()
        score = client.post("/score?explain=true", json={"sample": {"output_text": "JKT-URB-009"},
                                                         "item": ROW, "trace_id": "trace_toy"}).json()
        health = client.get("/health").json()
    expected = {"category": "tents", "products": sum(p.category == "tents" for p in shipped_catalog().products)}
    assert direct == wrapped == shared == expected and expected["products"] > 0
    assert mistake["error"] == "invalid_arguments"
    assert mistake["hint"] == "Fix the arguments and call count_products again."
    assert listed["valid"] == [SEARCH_CATALOG, GET_PRODUCT, "count_products"]
    assert "/tool/count_products" in spec["paths"] and health["tools"] == listed["valid"]
    assert score["details"]["tool_calls"] == 3  # the toy tool's calls count like any other's, mistakes included
    assert set(fast_path.handlers(toy_app.state.service.tools)) == {
        "/tool/search_catalog", "/tool/get_product", "/tool/count_products", "/tools", "/score"}


def test_a_registered_tool_is_served_through_the_functions_adapter(toy_app):
    app = function_app(toy_app)
    _FUNCTION_APPS.append(app)  # kept alive: see tests.support
    handler = app.get_functions()[0].get_user_function()
    import azure.functions as func

    for path, body in (("/tool/count_products", {"category": "boots"}),
                       ("/tools", _call("count_products", {"category": "boots"}))):
        request = func.HttpRequest("POST", f"http://localhost:7072{path}", headers={"Content-Type": "application/json"},
                                   body=json.dumps(body).encode())
        response = asyncio.run(handler(request, None))
        assert response.status_code == 200
        assert json.loads(json.loads(response.get_body())["output"])["category"] == "boots"


def test_an_answer_over_the_output_budget_becomes_an_error_output():
    big = Tool("big", "Too much.", CountArguments, lambda args, ctx: ("x" * 5000, True))
    output, ok = big.invoke({"category": "tents"}, ToolContext(shipped_catalog(), 1_000))
    assert not ok and json.loads(output)["error"] == "output_too_large" and len(output) < 1_000


# -- get_product --------------------------------------------------------------------------------------------------

def test_get_product_answers_the_whole_product(client):
    product = shipped_catalog().by_sku["JKT-URB-009"]
    out = _output(client.post("/tool/get_product", json=_call(GET_PRODUCT, {"sku": "JKT-URB-009"})))
    assert out == {"sku": "JKT-URB-009", "name": "Urban Puffer", "category": "jackets", "price": 149.5,
                   "currency": "USD", "rating": 4.4, "in_stock": True, "colors": ["black", "navy", "olive"],
                   "sizes": ["S", "M", "L", "XL"],
                   "specs": {"warmth": "warm", "waterproof": False, "activities": ["commuting", "travel"]},
                   "description": product.description, "stock_note": STOCK_NOTE}


def test_get_product_forgives_case_and_separators_and_serves_unsized_products(client, catalog):
    loose = _output(client.post("/tool/get_product", json={"sku": " jkt urb 009 "}))
    assert loose["sku"] == "JKT-URB-009"
    tent = next(p for p in catalog.products if "sizes" not in p.attributes and "capacity_l" not in p.attributes
                and "persons" in p.attributes)
    out = _output(client.post("/tool/get_product", json={"sku": tent.sku}))
    assert out["sizes"] == [] and out["specs"]["persons"] == tent.attributes["persons"]
    assert out["description"] == tent.description and out["in_stock"] == tent.in_stock


def test_get_product_unknown_sku_suggests_close_skus(client):
    out = _output(client.post("/tool/get_product", json=_call(GET_PRODUCT, {"sku": "JKT-URB-010"})))
    assert out["error"] == "unknown_sku" and "JKT-URB-010" in out["message"]
    assert out["did_you_mean"][0] == "JKT-URB-009" and len(out["did_you_mean"]) <= 3
    assert all(sku in shipped_catalog().by_sku for sku in out["did_you_mean"])
    assert out["hint"] == "Fix the arguments and call get_product again."
    nothing_close = _output(client.post("/tool/get_product", json={"sku": "QQQ-ZZZ-777"}))
    assert nothing_close["error"] == "unknown_sku" and nothing_close["did_you_mean"] == []


def test_get_product_name_instead_of_sku_is_malformed_and_points_to_the_product(client):
    out = _output(client.post("/tool/get_product", json={"sku": "Urban Puffer"}))
    assert out["error"] == "invalid_sku" and "search_catalog" in out["message"]
    assert out["did_you_mean"][0] == "JKT-URB-009"
    blank = _output(client.post("/tool/get_product", json={"sku": "   "}))
    assert blank["error"] == "invalid_sku" and blank["did_you_mean"] == []


@pytest.mark.parametrize("arguments,field", [('{"sku": 9}', "sku"), ("{}", "sku"), ('{"sku": ""}', "sku"),
                                             ('{"sku": "A-1", "size": "M"}', "size"), ("{not json", "arguments"),
                                             ('{"sku": "' + "A" * 65 + '"}', "sku")])
def test_get_product_bad_arguments_get_an_error_output(client, arguments, field):
    out = _output(client.post("/tool/get_product", json=_call(GET_PRODUCT, arguments)))
    assert out["error"] == "invalid_arguments" and out["problems"][0]["field"] == field
    assert out["hint"] == "Fix the arguments and call get_product again."


# -- /tools dispatch ----------------------------------------------------------------------------------------------

def test_tools_dispatches_on_the_name(client):
    search = client.post("/tools", json=_call(SEARCH_CATALOG, {"query": "Urban Puffer", "top_k": 1}))
    same = client.post("/tool/search_catalog", json=_call(SEARCH_CATALOG, {"query": "Urban Puffer", "top_k": 1}))
    assert search.json() == same.json() and _output(search)["items"][0]["sku"] == "JKT-URB-009"
    product = client.post("/tools", json=_call(GET_PRODUCT, {"sku": "JKT-URB-009"}, "call_2"))
    assert product.json()["call_id"] == "call_2" and _output(product)["name"] == "Urban Puffer"


@pytest.mark.parametrize("body,problem", [
    (_call("lookup_order", {}), "there is no tool named 'lookup_order'"),
    (_call(None, {"query": "x"}), "the call names no tool"),
    ({"query": "puffer"}, "the call names no tool"),
])
def test_tools_unknown_or_missing_name_gets_a_readable_output(client, body, problem):
    out = _output(client.post("/tools", json=body))
    assert out["error"] == "unknown_tool" and out["message"].startswith(problem)
    assert out["valid"] == [SEARCH_CATALOG, GET_PRODUCT] and "valid" in out["hint"]


def test_a_tool_route_refuses_another_tools_name_in_output(client):
    out = _output(client.post("/tool/get_product", json=_call(SEARCH_CATALOG, {"query": "x"})))
    assert out["error"] == "unknown_tool"
    assert out["message"] == "this endpoint serves 'get_product', not 'search_catalog'"


# -- the grader counts every tool ---------------------------------------------------------------------------------

def test_grader_counts_the_calls_of_both_tools(client):
    trace = "trace_two_tools"
    client.post("/tool/search_catalog", json=_call(SEARCH_CATALOG, {"query": "puffer"}, "call_1", trace))
    client.post("/tool/get_product", json=_call(GET_PRODUCT, {"sku": "JKT-URB-009"}, "call_2", trace))
    client.post("/tools", json=_call(GET_PRODUCT, {"sku": "JKT-URB-001"}, "call_3", trace))
    client.post("/tools", json=_call("lookup_order", {}, "call_4", trace))
    names = [c.name for c in asyncio.run(client.app.state.store.calls(trace))]
    assert sorted(names) == sorted([SEARCH_CATALOG, GET_PRODUCT, GET_PRODUCT, "lookup_order"])
    details = client.post("/score?explain=true", json={"sample": {"output_text": "JKT-URB-009"}, "item": ROW,
                                                       "trace_id": trace}).json()["details"]
    assert details["tool_calls"] == 4
    # Four calls, one past the three free ones: the same factor as four calls of one tool.
    assert details["components"]["tool_use"] == pytest.approx(0.95)
